"""Check image files the way the trainer will open them, once per distinct file.

Paths resolve against the image root (the training process's working directory by default).
Modes: ``exists`` (stat only), ``header`` (Pillow reads the header: format and size) and
``decode`` (Pillow decodes every pixel). Results are cached in memory per run and, keyed by
the resolved path and the file's size and times, across runs in ``ImageCache``, so unchanged
images are not opened again. Only outcomes that depend on the bytes alone are stored there
(ok, undecodable); a missing or unreadable file is checked afresh each run.

Only regular files are opened (``datakit.io.safe_open``): a relative path only under the root,
an absolute one anywhere but under ``/proc``, ``/sys`` and ``/dev`` (after symlinks), which are
reported as not-a-file without being opened.
"""

from __future__ import annotations

import os
import stat
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from datakit.io.safe_open import (
    NotOpened,
    PathResolver,
    file_kind,
    open_regular,
    system_file_detail,
    system_folder,
)
from datakit.validation.image_cache import ImageCache, stamp_of


@dataclass(frozen=True, slots=True)
class ImageStatus:
    """``kind``: ``ok``, ``missing``, ``not-a-file``, ``unreadable``, ``undecodable``,
    ``outside-root``, ``url`` (never fetched)."""

    kind: str
    detail: str = ""
    width: int | None = None
    height: int | None = None


# ImageStatus as a plain tuple (kind, detail, width, height), to send between processes.
StatusFields = tuple[str, str, "int | None", "int | None"]


def _fields(status: ImageStatus) -> StatusFields:
    return (status.kind, status.detail, status.width, status.height)


def is_url(path: str) -> bool:
    return path.startswith(("http://", "https://"))


class ImageChecker:
    def __init__(
        self, root: Path, mode: str, cache: ImageCache | None = None, explicit_root: bool = False
    ) -> None:
        self.root = root
        self.explicit_root = explicit_root
        self._root_text = str(root)
        self._resolver = PathResolver(self._root_text)
        self.root_resolved = Path(self._resolver.root_resolved)
        self.mode = mode
        self.cache = cache
        self._seen: dict[str, ImageStatus] = {}
        # paths checked here since the last ``news()`` (not learned from elsewhere)
        self._news: list[str] = []
        # Another Pillow may read (or refuse) what this one did not: its verdicts are its own.
        from PIL import __version__ as pillow_version

        self._cache_mode = f"{mode}/pillow-{pillow_version}"

    def learn(self, statuses: Mapping[str, StatusFields]) -> None:
        """Take statuses that a checker built the same way (same root, mode and cache) found in
        another process, for paths not checked here yet."""
        seen = self._seen
        for path, fields in statuses.items():
            if path not in seen:
                seen[path] = ImageStatus(*fields)

    def news(self) -> dict[str, StatusFields]:
        """Statuses of the paths checked here since the last call, to tell other processes."""
        seen = self._seen
        out = {path: _fields(seen[path]) for path in self._news}
        self._news.clear()
        return out

    def check(self, path: str) -> ImageStatus:
        status = self._seen.get(path)
        if status is None:
            status = self._seen[path] = self._check(path)
            self._news.append(path)
        return status

    def _check(self, path: str) -> ImageStatus:
        if is_url(path):
            return ImageStatus("url")
        if "\x00" in path:
            return ImageStatus("missing", "the path contains a NUL character")
        absolute = os.path.isabs(path)
        # Plain strings, not pathlib: this runs for every distinct image of a dataset.
        full = path if absolute else os.path.join(self._root_text, path)
        try:
            resolved, inside = self._resolver.resolve(full)
        except (OSError, RuntimeError) as exc:  # symlink loops
            return ImageStatus("unreadable", _reason(exc))
        # Absolute paths are the user's choice unless a root was set; a relative path that
        # climbs out of the root (by '..' or a symlink) is never opened.
        confined = self.explicit_root or not absolute
        if confined and not inside:
            return ImageStatus("outside-root", resolved)
        system = system_folder(resolved)
        if system is not None:
            return ImageStatus("not-a-file", system_file_detail(system))
        try:
            st = os.stat(full)
        except FileNotFoundError:
            return ImageStatus("missing", str(Path(full)))
        except OSError as exc:
            return ImageStatus("unreadable", _reason(exc))
        if not stat.S_ISREG(st.st_mode):
            return ImageStatus("not-a-file", file_kind(st.st_mode))
        if self.mode == "exists":
            return ImageStatus("ok")
        if self.cache is not None:
            hit = self.cache.get(resolved, stamp_of(st), self._cache_mode)
            if hit is not None:
                return ImageStatus(*hit)
        status, opened = self._open(full, resolved, st)
        if self.cache is not None and opened is not None and status.kind in ("ok", "undecodable"):
            # Stamped with what was read: a file changed since the stat above is not cached
            # under the old stamp.
            self.cache.put(resolved, stamp_of(opened), self._cache_mode,
                           (status.kind, status.detail, status.width, status.height))
        return status

    def _open(self, full: str, resolved: str, st: os.stat_result
              ) -> tuple[ImageStatus, os.stat_result | None]:
        """The status, and the ``fstat`` of what was read (None when nothing was); ``st`` is
        the ``stat`` already taken (the open checks that it still names the same file)."""
        from PIL import Image, UnidentifiedImageError

        try:
            handle, opened = open_regular(full, resolved, st)
        except NotOpened as exc:
            detail = str(Path(full)) if exc.kind == "missing" else exc.detail
            kind = "not-a-file" if exc.kind == "system" else exc.kind
            return ImageStatus(kind, detail), None
        try:
            with handle, warnings.catch_warnings():
                warnings.simplefilter("error", Image.DecompressionBombWarning)
                with Image.open(handle) as image:
                    width, height = image.size
                    if self.mode == "decode":
                        image.load()
        except PermissionError as exc:
            return ImageStatus("unreadable", _reason(exc)), None
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            return ImageStatus("undecodable", f"decompression bomb: {exc}"), opened
        except UnidentifiedImageError:
            return ImageStatus("undecodable", "not an image Pillow can identify"), opened
        except (OSError, SyntaxError, ValueError, EOFError) as exc:
            return ImageStatus("undecodable", _reason(exc)), opened
        return ImageStatus("ok", "", width, height), opened

    def flush(self) -> None:
        if self.cache is not None:
            self.cache.flush()


def _reason(exc: BaseException) -> str:
    text = getattr(exc, "strerror", None) or str(exc)
    return text if text else type(exc).__name__

