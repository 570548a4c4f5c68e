"""Where the trainer will find a COCO image, and the size its boxes are normalised by."""

from __future__ import annotations

from typing import TYPE_CHECKING

from datakit.convert.coco_index import CocoImage
from datakit.convert.image_files import ImageProblem, ImageSize, SizeReader, unsafe_relative_path
from datakit.convert.prompts import SPECIAL_TEXT_RE
from datakit.convert.tally import Tally

if TYPE_CHECKING:
    from datakit.convert.coco_options import CocoOptions

# The model slices <img>...</img> so that a 255- or 256-byte path passes the tokenizer and
# then fails in the forward pass; 254 UTF-8 bytes is the longest path that trains.
MAX_PATH_BYTES = 254


def image_label(image: CocoImage) -> str:
    return f"{image.where} ({image.file_name})"


def trainer_path(image: CocoImage, prefix: str, check: bool) -> str | ImageProblem:
    """``prefix/file_name``, or why the trainer could not open it; ``check`` refuses names
    that would leave the prefix or image root (absolute, ``..``)."""
    file_name = image.file_name
    unsafe = unsafe_relative_path(file_name) if check else None
    if unsafe is not None:
        return ImageProblem("unsafe-path", f"{image_label(image)}: file_name {unsafe}")
    if prefix:
        path = prefix + file_name if prefix.endswith("/") else f"{prefix}/{file_name}"
    else:
        path = file_name
    special = SPECIAL_TEXT_RE.search(path)
    if special is not None:
        return ImageProblem(
            "path-has-tag", f"{image_label(image)}: the path contains {special.group(0)}"
        )
    size = len(path.encode("utf-8"))
    if size > MAX_PATH_BYTES:
        return ImageProblem(
            "path-too-long",
            f"{image_label(image)}: {path!r} is {size} UTF-8 bytes (at most {MAX_PATH_BYTES})",
        )
    return path


def resolve_size(
    image: CocoImage, read_size: SizeReader | None, options: CocoOptions, tally: Tally
) -> tuple[float, float] | ImageProblem:
    """The annotation's size, or with ``read_size`` the file's (noting a missing or differing
    annotation size; ``size_mismatch`` decides which wins, or skips the image)."""
    width, height = image.width_px, image.height_px
    if read_size is None:
        if width is None or height is None:
            return ImageProblem(
                "size-missing",
                f"{image_label(image)}: {image.size_problem}; "
                "pass --image-root to read the size from the file",
            )
        return width, height
    found = read_size(image.file_name)
    if isinstance(found, ImageProblem):
        return found
    assert isinstance(found, ImageSize)
    from_file = (float(found.width_px), float(found.height_px))
    if width is None or height is None:
        tally.note("size-from-file", f"{image_label(image)}: {image.size_problem}")
        return from_file
    if (width, height) == from_file:
        return width, height
    detail = (
        f"{image_label(image)}: the annotation says {width:g}x{height:g}, "
        f"the file is {found.width_px}x{found.height_px}"
    )
    if options.size_mismatch == "skip":
        return ImageProblem("size-disagrees", detail)
    tally.note("size-disagrees", detail)
    return from_file if options.size_mismatch == "file" else (width, height)
