"""Check image files the way the trainer will open them, once per distinct file.

Paths resolve against the image root (the training process's working directory by default).
Modes: ``exists`` (stat only), ``header`` (Pillow reads the header: format and size) and
``decode`` (Pillow decodes every pixel). Results are cached in memory per run and, keyed by
the resolved path and the file's size and times, across runs in ``ImageCache``, so unchanged
images are not opened again. Only outcomes that depend on the bytes alone are stored there
(ok, undecodable); a missing or unreadable file is checked afresh each run.
"""

from __future__ import annotations

import os
import stat
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

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
        self.root_resolved = root.resolve()
        self._root_text = str(root)
        self._root_resolved_text = str(self.root_resolved)
        self._root_prefix = os.path.join(self._root_resolved_text, "")  # with its separator
        self.mode = mode
        self.cache = cache
        self._seen: dict[str, ImageStatus] = {}
        # paths checked here since the last ``news()`` (not learned from elsewhere)
        self._news: list[str] = []
        # folder as written -> (its resolved path, whether that lies under the root)
        self._folders: dict[str, tuple[str, bool]] = {}
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
            resolved, inside = self._resolve(full)
        except (OSError, RuntimeError) as exc:  # symlink loops
            return ImageStatus("unreadable", _reason(exc))
        # Absolute paths are the user's choice unless a root was set; a relative path that
        # climbs out of the root (by '..' or a symlink) is never opened.
        confined = self.explicit_root or not absolute
        if confined and not inside:
            return ImageStatus("outside-root", resolved)
        try:
            st = os.stat(full)
        except FileNotFoundError:
            return ImageStatus("missing", str(Path(full)))
        except OSError as exc:
            return ImageStatus("unreadable", _reason(exc))
        if not stat.S_ISREG(st.st_mode):
            return ImageStatus("not-a-file", _file_kind(st.st_mode))
        if self.mode == "exists":
            return ImageStatus("ok")
        if self.cache is None:
            return self._open(full)
        stamp = stamp_of(st)
        hit = self.cache.get(resolved, stamp, self._cache_mode)
        if hit is not None:
            return ImageStatus(*hit)
        status = self._open(full)
        if status.kind in ("ok", "undecodable"):
            self.cache.put(resolved, stamp, self._cache_mode,
                           (status.kind, status.detail, status.width, status.height))
        return status

    def _resolve(self, full: str) -> tuple[str, bool]:
        """``os.path.realpath(full)`` and whether it lies under the root. Resolving walks
        every component of the path (a system call each); datasets keep thousands of images per
        folder, so each folder is resolved once and only the file name is looked at: unless
        it is a symlink (or '.', '..'), the result is the resolved folder plus the name."""
        folder_as_written, name = os.path.split(full)
        if name in ("", ".", ".."):
            resolved = os.path.realpath(full)
            return resolved, self._under_root(resolved)
        known = self._folders.get(folder_as_written)
        if known is None:
            folder = os.path.realpath(folder_as_written)
            known = self._folders[folder_as_written] = (folder, self._under_root(folder))
        folder, folder_inside = known
        resolved = os.path.join(folder, name)
        try:
            is_link = stat.S_ISLNK(os.lstat(resolved).st_mode)
        except OSError:
            is_link = False  # as realpath: a name that cannot be looked at is kept as written
        if is_link:
            resolved = os.path.realpath(full)
        elif folder_inside:
            return resolved, True
        return resolved, self._under_root(resolved)

    def _under_root(self, resolved: str) -> bool:
        root = self._root_resolved_text
        return resolved == root or resolved.startswith(self._root_prefix)

    def _open(self, full: str) -> ImageStatus:
        from PIL import Image, UnidentifiedImageError

        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error", Image.DecompressionBombWarning)
                with Image.open(full) as image:
                    width, height = image.size
                    if self.mode == "decode":
                        image.load()
        except PermissionError as exc:
            return ImageStatus("unreadable", _reason(exc))
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            return ImageStatus("undecodable", f"decompression bomb: {exc}")
        except UnidentifiedImageError:
            return ImageStatus("undecodable", "not an image Pillow can identify")
        except (OSError, SyntaxError, ValueError, EOFError) as exc:
            return ImageStatus("undecodable", _reason(exc))
        return ImageStatus("ok", "", width, height)

    def flush(self) -> None:
        if self.cache is not None:
            self.cache.flush()


def _reason(exc: BaseException) -> str:
    text = getattr(exc, "strerror", None) or str(exc)
    return text if text else type(exc).__name__


def _file_kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a regular file"
