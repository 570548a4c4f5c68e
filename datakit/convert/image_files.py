"""Image files seen by converters: where a COCO ``file_name`` lives, and its size in pixels.

Only the header is read (Pillow opens lazily and decodes nothing until asked), so sizing an
image costs tens of microseconds. Pillow itself is imported on first use.
"""

from __future__ import annotations

import os
import stat
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


def read_image_size(path: Path) -> ImageSize | ImageProblem:
    """The stored size of an image (what the trainer's Pillow sees: no EXIF rotation)."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return ImageProblem("file-missing", f"{path}: no such file")
    except OSError as exc:
        return ImageProblem("unreadable", f"{path}: {exc.strerror}")
    if not stat.S_ISREG(info.st_mode):
        # Opening a FIFO for reading would block until a writer appears.
        return ImageProblem("unreadable", f"{path}: not a regular file")
    from PIL import Image

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                width, height = image.size
    except Image.DecompressionBombError as exc:
        return ImageProblem("unreadable", f"{path}: {exc}")
    except (OSError, ValueError, SyntaxError) as exc:
        # UnidentifiedImageError is an OSError; some plugins raise ValueError/SyntaxError on
        # corrupt headers.
        return ImageProblem("unreadable", f"{path}: {type(exc).__name__}: {exc}")
    return ImageSize(int(width), int(height))


def size_reader(image_root: Path) -> SizeReader:
    """Read sizes of ``file_name``s relative to ``image_root``."""

    def read(file_name: str) -> ImageSize | ImageProblem:
        return read_image_size(image_root / file_name)

    return read
