"""Column layouts of flattened RefCOCO copies, and one row of each turned into a ``RefItem``.

- ``jxu124`` (HF ``jxu124/refcoco``, ``refcocoplus``, ``refcocog``): one row per ref;
  ``bbox`` = ``[x1, y1, x2, y2]`` pixels; ``sentences`` (refer's dicts) or ``captions``;
  image name and size in ``raw_image_info`` (a JSON string), path in ``image_path``.
- ``lmms-lab`` (HF ``lmms-lab/RefCOCO*``, evaluation splits only): one row per ref;
  ``bbox`` = ``[x, y, w, h]`` pixels; expressions in ``answer``; the image embedded in
  ``image`` (its size is read from the bytes' header); ``file_name``.
- ``qwen-eval`` (Qwen-VL's ``eval_mm`` jsonl): one row per expression: ``image``, ``sent``,
  ``bbox`` = ``[x1, y1, x2, y2]`` pixels, ``width``, ``height``. Rows with the same image and
  box are one ref.
- ``generic``: ``image_path``/``image``/``file_name``, an expression column, ``bbox`` in a
  convention that must be declared, optional ``width``/``height``/``split``/``ref_id``.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any, Literal

from datakit.convert.refcoco import BboxFormat, RefSentence
from datakit.convert.refcoco_raw import box_of, finite_float
from datakit.shown import shown

Layout = Literal["jxu124", "lmms-lab", "qwen-eval", "generic"]
LAYOUTS: tuple[Layout, ...] = ("jxu124", "lmms-lab", "qwen-eval", "generic")
LAYOUT_BOX_FORMAT: dict[Layout, BboxFormat | None] = {
    "jxu124": "xyxy",
    "lmms-lab": "xywh",
    "qwen-eval": "xyxy",
    "generic": None,
}
IMAGE_COLUMNS = ("image_path", "image", "file_name")
TEXT_COLUMNS = ("sentences", "sent", "sentence", "expression", "expressions", "captions", "answer")

# refer's per-ref file names: COCO_train2014_000000581857_16.jpg -> COCO_train2014_000000581857.jpg
_REFER_SUFFIX_RE = re.compile(r"(COCO_[a-z]+\d{4}_\d{12})_\d+(\.jpg)")


def recognise_layout(columns: Collection[str]) -> Layout | None:
    """The known layout these columns are, or ``None``."""
    names = set(columns)
    if {"ref_id", "bbox"} <= names and names & {"sentences", "captions"} and names & {
        "raw_image_info",
        "image_path",
    }:
        return "jxu124"
    if {"question_id", "answer", "bbox", "file_name"} <= names:
        return "lmms-lab"
    if {"image", "sent", "bbox", "width", "height"} <= names and "sentences" not in names:
        return "qwen-eval"
    return None


def looks_generic(columns: Collection[str]) -> bool:
    names = set(columns)
    return "bbox" in names and bool(names & set(IMAGE_COLUMNS)) and bool(names & set(TEXT_COLUMNS))


@dataclass(frozen=True, slots=True)
class RowRef:
    """What one row says, before it is checked against the options."""

    ref_key: str | None  # ref_id / question_id when the row names its ref
    image_file: str
    box_px: tuple[float, float, float, float]
    width_px: float | None
    height_px: float | None
    sentences: tuple[RefSentence, ...]
    split: str | None
    file_name_suffix_stripped: bool = False


class RowProblem(Exception):
    """The row cannot be read: ``reason`` (kebab-case) and a detail for the example."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


def read_row(layout: Layout, row: dict[str, Any], text_field: str) -> RowRef:
    if layout == "jxu124":
        return _jxu124(row, text_field)
    if layout == "lmms-lab":
        return _lmms(row)
    return _generic(row, text_field)


def _jxu124(row: dict[str, Any], text_field: str) -> RowRef:
    ref_id = row.get("ref_id")
    if not isinstance(ref_id, int) or isinstance(ref_id, bool) or _long_int(ref_id):
        raise RowProblem("malformed", f"ref_id is {shown(ref_id)}, not an integer id")
    info = row.get("raw_image_info")
    if isinstance(info, str):
        info = _json(info, "raw_image_info")
    image_file, width, height = None, None, None
    if isinstance(info, dict):
        image_file = info.get("file_name") if isinstance(info.get("file_name"), str) else None
        width, height = _size(info.get("width")), _size(info.get("height"))
    if image_file is None:
        image_path = row.get("image_path")
        if not isinstance(image_path, str) or not image_path:
            raise RowProblem("malformed", "neither raw_image_info.file_name nor image_path")
        image_file = image_path.replace("\\", "/").rsplit("/", 1)[-1]
    if row.get("sentences") is not None:
        sentences = _sentence_dicts(row["sentences"], text_field)
    else:
        sentences = _strings(row.get("captions"), "captions")
    return RowRef(
        str(ref_id), image_file, _box(row), width, height, sentences, _split(row.get("split"))
    )


def _lmms(row: dict[str, Any]) -> RowRef:
    question_id = _no_long_int(row, "question_id")
    key = str(question_id) if isinstance(question_id, int | str) and question_id != "" else None
    file_name = row.get("file_name")
    if not isinstance(file_name, str) or not file_name:
        raise RowProblem("malformed", f"file_name is {shown(file_name)}")
    stripped = _REFER_SUFFIX_RE.fullmatch(file_name)
    if stripped is not None:
        file_name = stripped.group(1) + stripped.group(2)
    width, height = _size(row.get("width")), _size(row.get("height"))
    if width is None or height is None:
        width, height = _embedded_size(row.get("image"))
    return RowRef(
        key,
        file_name,
        _box(row),
        width,
        height,
        _strings(row.get("answer"), "answer"),
        _split(row.get("split")),
        stripped is not None,
    )


def _generic(row: dict[str, Any], text_field: str) -> RowRef:
    image_file = next((row[c] for c in IMAGE_COLUMNS if isinstance(row.get(c), str)), None)
    if not image_file:
        raise RowProblem("malformed", f"no image path in {', '.join(IMAGE_COLUMNS)}")
    column = next((c for c in TEXT_COLUMNS if row.get(c) is not None), None)
    if column is None:
        raise RowProblem("malformed", f"no expression in {', '.join(TEXT_COLUMNS)}")
    value = row[column]
    if column == "sentences" and isinstance(value, list) and value and isinstance(value[0], dict):
        sentences = _sentence_dicts(value, text_field)
    else:
        sentences = _strings(value, column)
    ref_id = _no_long_int(row, "ref_id")
    key = str(ref_id) if isinstance(ref_id, int | str) and not isinstance(ref_id, bool) else None
    image_file = image_file.replace("\\", "/")
    while image_file.startswith("./"):
        image_file = image_file[2:]
    return RowRef(
        key,
        image_file,
        _box(row),
        _size(row.get("width")),
        _size(row.get("height")),
        sentences,
        _split(row.get("split")),
    )


def _box(row: dict[str, Any]) -> tuple[float, float, float, float]:
    box = box_of(row.get("bbox"))
    if box is None:
        raise RowProblem("malformed-box",
                         f"bbox is {shown(row.get('bbox'))}, not four finite numbers")
    return box


def _sentence_dicts(value: Any, text_field: str) -> tuple[RefSentence, ...]:
    if not isinstance(value, list):
        raise RowProblem("malformed", f"sentences is {type(value).__name__}, not a list")
    out = []
    for position, sentence in enumerate(value):
        text = sentence.get(text_field) if isinstance(sentence, dict) else None
        if not isinstance(text, str):
            raise RowProblem("malformed", f"sentences[{position}].{text_field} is not text")
        sent_id = sentence.get("sent_id")
        known = isinstance(sent_id, int | str) and not _long_int(sent_id)
        out.append(RefSentence(text, sent_id if known else None))
    return tuple(out)


def _strings(value: Any, column: str) -> tuple[RefSentence, ...]:
    if isinstance(value, str):
        return (RefSentence(value),)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(RefSentence(v) for v in value)
    raise RowProblem("malformed", f"{column} is not a string or a list of strings")


def _split(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _size(value: Any) -> float | None:
    number = finite_float(value)
    return number if number is not None and number > 0 else None


def _long_int(value: Any) -> bool:
    """An integer beyond 64 bits: no source's id, and it would go whole into record ids."""
    return isinstance(value, int) and not -(1 << 63) <= value < 1 << 63


def _no_long_int(row: dict[str, Any], column: str) -> Any:
    """``row[column]``; an integer beyond 64 bits is no id (it would fill every record id)."""
    value = row.get(column)
    if _long_int(value):
        raise RowProblem("malformed", f"{column} is {shown(value)}, not an id")
    return value


def _json(text: str, column: str) -> Any:
    import orjson

    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        raise RowProblem("malformed", f"{column} is not valid JSON") from None


def _embedded_size(image: Any) -> tuple[float | None, float | None]:
    """Width and height from the header of an embedded image (``{"bytes": ...}``)."""
    data = image.get("bytes") if isinstance(image, dict) else image
    if not isinstance(data, bytes) or not data:
        return None, None
    import io
    import warnings

    from PIL import Image

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as opened:
                width, height = opened.size
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        return None, None
    return float(width), float(height)
