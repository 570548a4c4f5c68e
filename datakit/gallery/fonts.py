"""A label font that can draw Chinese, or Pillow's own font when none is installed.

Nothing is downloaded: the font comes from ``--font``, the ``DATAKIT_FONT`` environment variable,
or the usual places of system CJK fonts (Debian's ``fonts-noto-cjk`` and ``fonts-wqy-zenhei`` /
``fonts-wqy-microhei``, macOS and Windows system fonts). Without one, Pillow's default font
draws Latin text and shows Chinese as empty boxes; every box is still drawn.
"""

from __future__ import annotations

import glob
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from datakit.errors import InputError

FONT_ENV = "DATAKIT_FONT"
CJK_FONT_CANDIDATES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Medium.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",  # Fedora
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",  # Arch
    "/System/Library/Fonts/PingFang.ttc",
    "/System/Library/Fonts/STHeiti Light.ttc",
    "/Library/Fonts/Arial Unicode.ttf",
    "C:/Windows/Fonts/msyh.ttc",
    "C:/Windows/Fonts/simhei.ttf",
)
_GLOBS = ("/usr/share/fonts/**/*CJK*.tt[cf]", "/usr/share/fonts/**/*CJK*.otf")
# In Noto CJK collections the faces differ in regional glyph forms; prefer Simplified Chinese.
_PREFERRED_FACE = "SC"


@dataclass(frozen=True)
class LabelFont:
    """A loaded font and what it is: ``path`` is ``None`` for Pillow's default font."""

    font: Any
    path: str | None
    name: str
    cjk: bool


def find_cjk_font(explicit: str | Path | None = None) -> str | None:
    """The CJK font file to use: ``explicit`` (must exist), ``$DATAKIT_FONT``, then the first
    installed candidate; ``None`` when there is none."""
    from datakit.io.safe_open import system_file_detail, system_folder

    if explicit is not None:
        if not Path(explicit).is_file():
            raise InputError(f"font file {explicit} not found",
                             fix="give a .ttf/.ttc/.otf file, or leave --font out")
        # /proc and /sys hold regular-looking files whose reading blocks or consumes data.
        system = system_folder(os.path.realpath(explicit))
        if system is not None:
            raise InputError(f"font file {explicit}: {system_file_detail(system)}",
                             fix="give a .ttf/.ttc/.otf file, or leave --font out")
        return str(explicit)
    from_env = os.environ.get(FONT_ENV)
    if from_env and Path(from_env).is_file() and not system_folder(os.path.realpath(from_env)):
        return from_env
    for candidate in CJK_FONT_CANDIDATES:
        if Path(candidate).is_file():
            return candidate
    for pattern in _GLOBS:
        found = sorted(glob.glob(pattern, recursive=True))
        if found:
            return found[0]
    return None


def load_label_font(path: str | None, size: int) -> LabelFont:
    """The font at ``path`` in ``size`` pixels, or Pillow's default font when ``path`` is
    ``None`` or cannot be loaded."""
    from PIL import ImageFont

    if path is not None:
        try:
            font = _best_face(path, size)
        except OSError:
            font = None
        if font is not None:
            family, style = font.getname()
            return LabelFont(font, path, f"{family} {style}".strip(), _draws_han(font))
    default = ImageFont.load_default(size)
    return LabelFont(default, None, "Pillow default", False)


def _best_face(path: str, size: int) -> Any:
    from PIL import ImageFont

    first = ImageFont.truetype(path, size, index=0)
    if not path.lower().endswith(".ttc"):
        return first
    for index in range(1, 8):
        try:
            face = ImageFont.truetype(path, size, index=index)
        except OSError:
            break
        if _PREFERRED_FACE in (face.getname()[0] or "").split():
            return face
    return first


def _draws_han(font: Any) -> bool:
    """Whether two different Chinese characters come out different (a font without the
    glyphs draws the same empty box for both)."""
    try:
        return bytes(font.getmask("狗")) != bytes(font.getmask("猫"))
    except Exception:  # a font that cannot render the text at all
        return False
