"""ODVG JSONL (Grounding DINO / MM-Grounding-DINO training data) read by ``convert coco``.

One picture a line: ``filename``, ``height``, ``width``, and ``detection.instances[]`` (xyxy
``bbox`` pixels, integer ``label``, ``category`` name) and/or ``grounding`` (``caption``,
``regions[]`` with ``phrase``, ``bbox``: one xyxy box or a list of them, and optionally
``tokens_positive`` spans into the caption).

Like the trainers (Open-GroundingDino, mmdetection's ``ODVGDataset``), a file is read one way:
as detection when a label map is given (``--label-map``: ``{"0": "person", ...}``, which names
each ``label``) or when no line has ``grounding``; otherwise as grounding. Detection lines
become COCO instances (image id = line number, annotation id ``LINE-N``), converted exactly as
COCO files are; grounding lines become phrase-grounding captions (see ``phrase_grounding``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from datakit.convert.coco_index import CocoImage, is_number, json_type, show_value
from datakit.convert.mdetr import size_number
from datakit.convert.phrase_grounding import CaptionBox, GroundedCaption, GroundingInput, Span
from datakit.convert.tally import Tally
from datakit.errors import ConfigError, InputError


@dataclass
class OdvgFile:
    """The parsed lines of an ODVG file: (line number, value)."""

    path: Path
    lines: list[tuple[int, Any]]

    @property
    def has_grounding(self) -> bool:
        return any(isinstance(v, dict) and "grounding" in v for _, v in self.lines)


def looks_like_odvg(data: bytes) -> bool:
    line = data.lstrip()[: 1 << 20].split(b"\n", 1)[0]
    try:
        first = orjson.loads(line)
    except orjson.JSONDecodeError:
        return False
    return isinstance(first, dict) and "filename" in first and (
        "detection" in first or "grounding" in first)


def parse_odvg(data: bytes, path: Path) -> OdvgFile:
    lines: list[tuple[int, Any]] = []
    for number, raw in enumerate(data.split(b"\n"), 1):
        if not raw.strip():
            continue
        try:
            lines.append((number, orjson.loads(raw)))
        except orjson.JSONDecodeError as exc:
            raise InputError(f"{path}:{number}: not valid JSON ({exc})",
                             fix="each line of an ODVG file is one JSON object") from None
    return OdvgFile(path, lines)


def load_label_map(path: Path) -> dict[str, str]:
    try:
        data = orjson.loads(path.read_bytes())
    except (OSError, orjson.JSONDecodeError) as exc:
        raise ConfigError(f"--label-map {path}: cannot be read as JSON ({exc})",
                          fix='give the ODVG label map, e.g. {"0": "person", "1": "bicycle"}'
                          ) from None
    if not isinstance(data, dict) or not all(
            isinstance(v, str) and v.strip() for v in data.values()):
        raise ConfigError(f"--label-map {path}: must be an object of label: name",
                          fix='e.g. {"0": "person", "1": "bicycle"}')
    return {str(k): v for k, v in data.items()}


def odvg_as_coco(odvg: OdvgFile, label_map: dict[str, str] | None) -> dict[str, Any]:
    """The detection lines as a COCO instances object (bad values are left for the COCO
    checks to report, naming the line through the image id)."""
    images: list[Any] = []
    annotations: list[Any] = []
    categories: dict[Any, str] = {}
    for number, line in odvg.lines:
        if not isinstance(line, dict):
            images.append({"id": number, "problem": json_type(line)})
            continue
        images.append({"id": number, "file_name": line.get("filename"),
                       "width": line.get("width"), "height": line.get("height")})
        detection = line.get("detection")
        instances = detection.get("instances") if isinstance(detection, dict) else None
        for n, instance in enumerate(instances if isinstance(instances, list) else [], 1):
            annotation = {"id": f"{number}-{n}", "image_id": number}
            if isinstance(instance, dict):
                label, category = instance.get("label"), instance.get("category")
                name = label_map.get(str(label)) if label_map is not None else None
                name = name or (category if isinstance(category, str) else None)
                key = label if type(label) is int else name
                if key is not None and name is not None:
                    categories.setdefault(key, name)
                annotation["category_id"] = key
                annotation["bbox"] = _xywh(instance.get("bbox"))
            annotations.append(annotation)
    named = [{"id": key, "name": name} for key, name in categories.items()]
    if label_map is not None:
        named = [{"id": int(k) if k.isdigit() else k, "name": v} for k, v in label_map.items()]
    return {"images": images, "annotations": annotations, "categories": named}


def _xywh(xyxy: Any) -> Any:
    if isinstance(xyxy, list) and len(xyxy) == 4 and all(is_number(v) for v in xyxy):
        x1, y1, x2, y2 = xyxy
        return [x1, y1, x2 - x1, y2 - y1]
    return xyxy


def odvg_grounding(odvg: OdvgFile, tally: Tally) -> GroundingInput:
    """The grounding lines as captions; every line and region tallied."""
    out = GroundingInput("odvg")
    name = str(odvg.path)
    for number, line in odvg.lines:
        tally.see("image")
        where = f"{name}:{number}"
        problem = _line_problem(line)
        if problem is not None:
            tally.skip("image", "malformed", f"{where}: {problem}")
            continue
        width, height = size_number(line.get("width")), size_number(line.get("height"))
        size_problem = None if width and height else "'width'/'height' are missing or not " \
            "positive numbers"
        image = CocoImage(number, line["filename"], width, height, size_problem,
                          f"{where} (line {number})")
        item = GroundedCaption(image, line["grounding"]["caption"])
        out.captions[number] = item
        for r, region in enumerate(line["grounding"]["regions"]):
            _add_region(item, number, r, region, where, tally)
    return out


def _line_problem(line: Any) -> str | None:
    if not isinstance(line, dict):
        return f"is {json_type(line)}, not an object"
    if not isinstance(line.get("filename"), str) or not line["filename"]:
        return f"'filename' must be a non-empty string, got {show_value(line.get('filename'))}"
    grounding = line.get("grounding")
    if not isinstance(grounding, dict):
        return "has no 'grounding' (a detection line in a grounding file)"
    if not isinstance(grounding.get("caption"), str) or not grounding["caption"].strip():
        return f"'grounding.caption' must be text, got {show_value(grounding.get('caption'))}"
    if not isinstance(grounding.get("regions"), list):
        return "'grounding.regions' must be a list"
    return None


def _add_region(item: GroundedCaption, number: int, r: int, region: Any, where: str,
                tally: Tally) -> None:
    boxes = region.get("bbox") if isinstance(region, dict) else None
    if isinstance(boxes, list) and boxes and not isinstance(boxes[0], list):
        boxes = [boxes]  # one box, or a list of boxes of one phrase
    if not isinstance(boxes, list) or not boxes:
        tally.see("annotation")
        tally.skip("annotation", "malformed", f"{where}: regions[{r}]: 'bbox' must be "
                   f"[x1, y1, x2, y2] or a list of them, got {show_value(boxes)}")
        return
    phrase = region.get("phrase")
    spans = _spans(region.get("tokens_positive"), item.caption)
    for b, box in enumerate(boxes):
        tally.see("annotation")
        label = f"{where}: regions[{r}]" + (f" box {b}" if len(boxes) > 1 else "")
        if not (isinstance(box, list) and len(box) == 4 and all(is_number(v) for v in box)):
            tally.skip("annotation", "malformed", f"{label}: 'bbox' must be [x1, y1, x2, y2] "
                       f"of finite numbers, got {show_value(box)}")
        elif spans is None and (not isinstance(phrase, str) or not phrase.strip()):
            tally.skip("annotation", "malformed", f"{label}: no usable 'phrase' or "
                       "'tokens_positive' inside the caption")
        else:
            ann_id = f"{number}-{r + 1}" + (f"-{b + 1}" if len(boxes) > 1 else "")
            item.boxes.append(CaptionBox(ann_id, (box[0], box[1], box[2], box[3]), spans,
                                         phrase if isinstance(phrase, str) else None))


def _spans(value: Any, caption: str) -> tuple[Span, ...] | None:
    """``tokens_positive`` when every span lies inside the caption, else None (the phrase
    is then looked for)."""
    if not isinstance(value, list) or not value:
        return None
    spans = []
    for span in value:
        if not (isinstance(span, list) and len(span) == 2 and all(type(v) is int for v in span)
                and 0 <= span[0] < span[1] <= len(caption)
                and caption[span[0]:span[1]].strip()):
            return None
        spans.append((span[0], span[1]))
    return tuple(spans)
