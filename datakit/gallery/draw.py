"""Draw a picture's boxes on the pixels the model sees.

Qwen-VL's model opens each image with ``Image.open(path).convert("RGB")``: no EXIF rotation. A
box on the 0..999 grid therefore refers to the image as stored, and so does the preview: a
photo with an EXIF ``Orientation`` tag is drawn unrotated (as the model sees it), never turned
upright first. CMYK, palette, LA, mode-1 and other modes go through the same ``convert("RGB")``
(transparency is dropped, as in training). Grid to pixels is the documented inverse
``v / 1000 * size``. The output is a PNG without EXIF, so a browser shows it unrotated too.

A picture larger than ``max_side`` is scaled down by one factor (aspect ratio kept) before
drawing, and a tiny one scaled up by a whole factor (``scale_up_small``); boxes are mapped on
the scaled size, which keeps them on the same places. Boxes of the Qwen2-VL family are mapped
the same way from their own space: ``v / extent * size``, where ``extent`` is 1000 on the
0..1000 grid, 1 for ms-swift's ``norm1``, and the picture's size after the framework's resize
for Qwen2.5-VL's pixels. Every outline has a thin black line on both sides, so that it shows on
a ground of its own colour.

A good box has a solid outline in its colour. A box with faults (see ``layout``) has a dashed
outline whose dashes alternate its colour with ``FAULT_COLOUR``, and its label, on a red ground,
starts with the rule codes; an ambiguous box's label adds ``?`` and the pictures it may mark.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from datakit.gallery.fonts import LabelFont
from datakit.gallery.layout import FAULT_COLOUR, PlannedBox

CONTRAST_COLOUR = (0, 0, 0, 255)
LABEL_BACKGROUND_ALPHA = 191  # 75 %: the label reads, and its pixels never equal the outline's


@dataclass(frozen=True)
class OpenedImage:
    """An image as the model sees it, or why it could not be opened."""

    image: Any  # PIL.Image.Image in mode RGB, or None
    stored_size: tuple[int, int] | None  # (width, height) as stored
    mode: str | None  # the file's mode before conversion
    problem: str | None


def open_as_model_sees(path: Path, resolved: str | None = None) -> OpenedImage:
    """Open ``path`` like the model: decode, ``convert("RGB")``, no EXIF rotation. Only a
    regular file outside /proc, /sys and /dev is opened (``datakit.io.safe_open``);
    ``resolved``: the path with symlinks followed, when the caller has it."""
    from PIL import Image, UnidentifiedImageError

    from datakit.io.safe_open import NotOpened, open_regular

    try:
        handle, _ = open_regular(str(path), resolved)
    except NotOpened as exc:
        problem = {"missing": "missing", "not-a-file": f"{exc.detail}, not an image",
                   "unreadable": f"unreadable: {exc.detail}"}.get(exc.kind, exc.detail)
        return OpenedImage(None, None, None, problem)
    try:
        with handle, warnings.catch_warnings():
            # Palette-with-transparency and large-image warnings change nothing here.
            warnings.simplefilter("ignore")
            with Image.open(handle) as source:
                source.load()
                mode = source.mode
                rgb = source.convert("RGB")
    except UnidentifiedImageError:
        return OpenedImage(None, None, None, "not an image Pillow can read")
    except Image.DecompressionBombError as exc:
        return OpenedImage(None, None, None, f"too large to decode safely: {exc}")
    except (OSError, ValueError, SyntaxError) as exc:
        return OpenedImage(None, None, None, f"cannot decode: {exc}")
    return OpenedImage(rgb, rgb.size, mode, None)


def fit_within(image: Any, max_side: int) -> Any:
    """``image`` scaled down by one factor so that its longer side is at most ``max_side``."""
    from PIL import Image

    width, height = image.size
    longest = max(width, height)
    if longest <= max_side:
        return image
    scale = max_side / longest
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return image.resize(size, Image.Resampling.LANCZOS)


def scale_up_small(image: Any, min_side: int, max_side: int) -> Any:
    """A picture whose longer side is under ``min_side`` enlarged by a whole factor (each
    pixel a square block, nothing smoothed), so that labels fit and a few pixels can be seen;
    never beyond ``max_side``."""
    from PIL import Image

    width, height = image.size
    longest = max(width, height)
    if longest >= min_side:
        return image
    factor = min(math.ceil(min_side / longest), max(1, max_side // longest))
    if factor <= 1:
        return image
    return image.resize((width * factor, height * factor), Image.Resampling.NEAREST)


def outline_px(
    xyxy_norm1000: Sequence[float], width: int, height: int,
    extent: tuple[float, float] = (1000.0, 1000.0),
) -> tuple[int, int, int, int]:
    """The inclusive pixel rectangle (left, top, right, bottom) whose outer edge is the box:
    pixels from ``round(x1 px)`` up to, not including, ``round(x2 px)``; clamped to the image
    and at least one pixel wide and high. Corners in the wrong order are drawn as the
    rectangle they span (validation reports them as B003). ``extent``: the units that span the
    picture's width and height when the box is not on the 0..1000 grid (``v / extent * size``,
    the same mapping)."""
    # v / 1000 * size on the grid (norm1000_to_px), v / extent * size in any other space
    ax, ay, bx, by = (v / extent[i % 2] * (width, height)[i % 2]
                      for i, v in enumerate(xyxy_norm1000[:4]))
    x1, x2 = min(ax, bx), max(ax, bx)
    y1, y2 = min(ay, by), max(ay, by)
    left = min(max(round(x1), 0), width - 1)
    top = min(max(round(y1), 0), height - 1)
    right = min(max(round(x2) - 1, left), width - 1)
    bottom = min(max(round(y2) - 1, top), height - 1)
    return left, top, right, bottom


def point_px(xy: Sequence[float], width: int, height: int, extent: tuple[float, float]
             ) -> tuple[int, int, int, int]:
    """The square marker of a point: centred on its pixel, clamped to the image."""
    x = min(max(math.floor(xy[0] / extent[0] * width), 0), width - 1)
    y = min(max(math.floor(xy[1] / extent[1] * height), 0), height - 1)
    r = max(2, 2 * line_width_px(width, height))
    return (max(0, x - r), max(0, y - r), min(width - 1, x + r), min(height - 1, y + r))


def box_rect(box: PlannedBox, width: int, height: int) -> tuple[int, int, int, int]:
    if box.is_point:
        return point_px(box.coords, width, height, box.extent)
    return outline_px(box.coords, width, height, box.extent)


def line_width_px(width: int, height: int) -> int:
    return max(1, round(max(width, height) / 300))


def draw_boxes(
    image: Any, boxes: Sequence[PlannedBox], font: LabelFont | None, labels: bool = True
) -> Any:
    """A copy of the RGB ``image`` with every box outlined (solid, or dashed for a box with
    faults) and, with ``labels``, its caption on a tinted background at its top-left corner.
    Outlines are drawn last, so no label ever covers one."""
    from PIL import Image, ImageDraw

    width, height = image.size
    rects = [box_rect(box, width, height) for box in boxes]
    canvas = image.convert("RGBA")
    if labels and font is not None:
        overlay = Image.new("RGBA", canvas.size, (0, 0, 0, 0))
        draw_overlay = ImageDraw.Draw(overlay)
        texts: list[tuple[tuple[int, int], str, tuple[int, int, int]]] = []
        for box, rect in zip(boxes, rects, strict=True):
            caption = box.caption()
            ground = FAULT_COLOUR if box.codes else box.colour
            position, background = _label_place(draw_overlay, font, caption, rect, width)
            draw_overlay.rectangle(background, fill=(*ground, LABEL_BACKGROUND_ALPHA))
            texts.append((position, caption, ground))
        canvas = Image.alpha_composite(canvas, overlay)
        draw_text = ImageDraw.Draw(canvas)
        for position, text, ground in texts:
            draw_text.text(position, text, font=font.font, fill=_text_colour(ground))
    draw = ImageDraw.Draw(canvas)
    line = line_width_px(width, height)
    for box, rect in zip(boxes, rects, strict=True):
        _contrast(draw, rect, max(2, line) if box.codes else line, width, height)
    for box, rect in zip(boxes, rects, strict=True):
        if box.codes:  # a dashed line one pixel wide is easy to miss
            _dashed_rectangle(draw, rect, box.colour, max(2, line), dash_px(width, height))
        else:
            draw.rectangle(rect, outline=(*box.colour, 255), width=line)
    return canvas.convert("RGB")


def _contrast(draw: Any, rect: tuple[int, int, int, int], line: int, width: int, height: int
              ) -> None:
    """One black pixel line just outside the outline and one just inside its band, so that an
    outline shows on a ground of its own colour. Drawn before every outline, it never covers
    one."""
    left, top, right, bottom = rect
    if left > 0 or top > 0 or right < width - 1 or bottom < height - 1:
        draw.rectangle((left - 1, top - 1, right + 1, bottom + 1), outline=CONTRAST_COLOUR)
    if right - left > 2 * line and bottom - top > 2 * line:
        draw.rectangle((left + line, top + line, right - line, bottom - line),
                       outline=CONTRAST_COLOUR)


def dash_px(width: int, height: int) -> int:
    """Dash length: long enough to see both colours, short enough for a small box to show
    several dashes."""
    return max(3, 3 * line_width_px(width, height))


def _dashed_rectangle(
    draw: Any, rect: tuple[int, int, int, int], colour: tuple[int, int, int], line: int,
    dash: int,
) -> None:
    """The outline ``draw.rectangle(rect, width=line)`` would draw, in dashes of ``dash`` pixels
    that alternate ``colour`` and ``FAULT_COLOUR``, counted from the top-left corner."""
    left, top, right, bottom = rect
    inner = (min(left + line - 1, right), min(top + line - 1, bottom),
             max(right - line + 1, left), max(bottom - line + 1, top))
    colours = ((*colour, 255), (*FAULT_COLOUR, 255))
    for x in range(left, right + 1, dash):  # top and bottom bands
        end = min(x + dash - 1, right)
        fill = colours[(x - left) // dash % 2]
        draw.rectangle((x, top, end, inner[1]), fill=fill)
        draw.rectangle((x, inner[3], end, bottom), fill=fill)
    for y in range(top, bottom + 1, dash):  # left and right bands
        end = min(y + dash - 1, bottom)
        fill = colours[(y - top) // dash % 2]
        draw.rectangle((left, y, inner[0], end), fill=fill)
        draw.rectangle((inner[2], y, right, end), fill=fill)


def _label_place(
    draw: Any, font: LabelFont, text: str, rect: tuple[int, int, int, int], width: int
) -> tuple[tuple[int, int], tuple[int, int, int, int]]:
    """Text position and background rectangle: above the box when there is room, else just
    inside its top edge; shifted left to stay in the picture."""
    left, top, _, _ = rect
    x0, y0, x1, y1 = draw.textbbox((0, 0), text, font=font.font)
    pad = 2
    text_w, text_h = x1 - x0 + 2 * pad, y1 - y0 + 2 * pad
    y = top - text_h if top - text_h >= 0 else top
    x = max(0, min(left, width - text_w))
    return (x + pad - x0, y + pad - y0), (x, y, x + text_w - 1, y + text_h - 1)


def _text_colour(colour: tuple[int, int, int]) -> tuple[int, int, int, int]:
    r, g, b = colour
    luminance = 0.299 * r + 0.587 * g + 0.114 * b
    return (0, 0, 0, 255) if luminance > 140 else (255, 255, 255, 255)


def save_png(image: Any, path: Path) -> None:
    """Write ``image`` as a PNG, atomically, without EXIF."""
    from datakit.io.atomic import atomic_writer

    with atomic_writer(path) as handle:
        image.save(handle, format="PNG", optimize=False)
