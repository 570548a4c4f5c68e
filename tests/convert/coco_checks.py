"""What every COCO conversion test asserts about its records, and the fixtures' locations."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from datakit.qwenvl.grammar import Image, PictureLabel, Ref, parse_value
from datakit.schema import record_checker

TESTS = Path(__file__).resolve().parent.parent
DATA = TESTS / "data" / "coco"
GOLDEN = TESTS / "golden" / "coco"
VAL2017 = DATA / "mmdetection" / "coco_dummy" / "annotations" / "instances_val2017.json"
SAMPLE = DATA / "mmdetection" / "coco_sample.json"
WRONG_FORMAT = DATA / "mmdetection" / "coco_wrong_format_sample.json"
DATUMARO_INSTANCES = DATA / "datumaro" / "coco_instances"
DATUMARO_CAPTIONS = DATA / "datumaro" / "coco_captions"


def load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def assert_valid_records(records: list[dict[str, Any]]) -> None:
    """Schema; unique ids; user/assistant alternation; every value parses without problems;
    exactly one ``Picture 1: <img>PATH</img>\\n`` opening the first turn (paths of at most 254
    UTF-8 bytes); boxes on the grid with x1 < x2 and y1 < y2."""
    check = record_checker()
    ids = [record["id"] for record in records]
    assert len(ids) == len(set(ids))
    for record in records:
        assert check(record), record
        turns = record["conversations"]
        assert [t["from"] for t in turns] == ["user", "assistant"] * (len(turns) // 2)
        for number, turn in enumerate(turns):
            parsed = parse_value(turn["value"])
            assert parsed.problems == (), (record["id"], parsed.problems)
            labels = [s for s in parsed.segments if isinstance(s, PictureLabel)]
            images = parsed.images()
            if number == 0:
                assert [(label.number, label.spaced) for label in labels] == [(1, True)]
                assert len(images) == 1
                assert turn["value"].startswith(f"Picture 1: <img>{images[0].path}</img>\n")
                assert len(images[0].path.encode("utf-8")) <= 254
            else:
                assert labels == [] and images == []
            for box in parsed.boxes():
                assert box.xyxy_norm1000 is not None
                x1, y1, x2, y2 = box.xyxy_norm1000
                assert 0 <= x1 < x2 <= 999 and 0 <= y1 < y2 <= 999, record["id"]


def image_path(record: dict[str, Any]) -> str:
    segments = parse_value(record["conversations"][0]["value"]).segments
    return next(s.path for s in segments if isinstance(s, Image))


def answer_groups(value: str) -> list[tuple[str, list[tuple[int, int, int, int]]]]:
    """``<ref>NAME</ref><box>..</box>...`` as ``[(NAME, [box, ...]), ...]``."""
    groups: list[tuple[str, list[tuple[int, int, int, int]]]] = []
    for segment in parse_value(value).segments:
        if isinstance(segment, Ref):
            groups.append((segment.text, []))
        elif getattr(segment, "xyxy_norm1000", None) is not None:
            groups[-1][1].append(segment.xyxy_norm1000)  # type: ignore[union-attr]
    return groups
