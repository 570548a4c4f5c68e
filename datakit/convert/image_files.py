"""Image files seen by converters: where a COCO ``file_name`` lives, and its size in pixels.

Only the header is read (Pillow opens lazily and decodes nothing until asked), so sizing an
image costs tens of microseconds. Pillow itself is imported on first use.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath


@dataclass(frozen=True, slots=True)
class ImageSize:
    width_px: int
    height_px: int


@dataclass(frozen=True, slots=True)
class ImageProblem:
    """Why an image file gives no size: ``reason`` is ``file-missing`` or ``unreadable``."""

    reason: str
    detail: str


SizeReader = Callable[[str], "ImageSize | ImageProblem"]


def unsafe_relative_path(file_name: str) -> str | None:
    """Why ``file_name`` may not be joined under an image root (``None`` when it may):
    absolute paths and ``..`` components would reach outside it."""
    posix = file_name.replace("\\", "/")
    if posix.startswith("/") or (len(posix) > 1 and posix[1] == ":"):
        return "is an absolute path"
    if ".." in PurePosixPath(posix).parts:
        return "contains '..'"
    return None


def read_image_size(path: Path, resolved: str | None = None) -> ImageSize | ImageProblem:
    """The stored size of an image (what the trainer's Pillow sees: no EXIF rotation). Only a
    regular file outside /proc, /sys and /dev is opened (``datakit.io.safe_open``);
    ``resolved``: the path with symlinks followed, when the caller has it."""
    from datakit.io.safe_open import NotOpened, open_regular

    try:
        handle, _ = open_regular(str(path), resolved)
    except NotOpened as exc:
        reason = "file-missing" if exc.kind == "missing" else "unreadable"
        return ImageProblem(reason, f"{path}: {exc.detail}")
    from PIL import Image

    try:
        with handle, warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(handle) as image:
                width, height = image.size
    except Image.DecompressionBombError as exc:
        return ImageProblem("unreadable", f"{path}: {exc}")
    except (OSError, ValueError, SyntaxError) as exc:
        # UnidentifiedImageError is an OSError; some plugins raise ValueError/SyntaxError on
        # corrupt headers.
        return ImageProblem("unreadable", f"{path}: {type(exc).__name__}: {exc}")
    return ImageSize(int(width), int(height))


def size_reader(image_root: Path) -> SizeReader:
    """Read sizes of ``file_name``s relative to ``image_root``. A name that resolves (through a
    symlink) outside the root is not opened, as ``datakit validate`` would not open it."""
    from datakit.io.safe_open import PathResolver

    resolver = PathResolver(str(image_root))

    def read(file_name: str) -> ImageSize | ImageProblem:
        path = image_root / file_name
        resolved, inside = resolver.resolve(str(path))
        if not inside:
            return ImageProblem("unsafe-path", f"{path} resolves to {resolved}, outside the "
                                "image root")
        return read_image_size(path, resolved)

    return read
