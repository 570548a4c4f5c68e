"""Checks every RefCOCO conversion test applies to its records."""

from __future__ import annotations

from typing import Any

from datakit.qwenvl.boxes import norm1000_to_px
from datakit.qwenvl.grammar import Image, Ref, parse_value
from datakit.schema import record_checker


def assert_valid_records(records: list[dict[str, Any]]) -> None:
    """Schema, grammar, grid range and order, one picture first, unique ids."""
    check = record_checker()
    ids = [r["id"] for r in records]
    assert len(ids) == len(set(ids))
    for record in records:
        assert check(record), record
        conversations = record["conversations"]
        assert [m["from"] for m in conversations] == ["user", "assistant"] * (
            len(conversations) // 2
        )
        for number, message in enumerate(conversations):
            parsed = parse_value(message["value"])
            assert parsed.problems == (), (record["id"], parsed.problems)
            images = parsed.images()
            assert len(images) == (1 if number == 0 else 0)
            for box in parsed.boxes():
                assert box.xyxy_norm1000 is not None
                x1, y1, x2, y2 = box.xyxy_norm1000
                assert 0 <= x1 < x2 <= 999 and 0 <= y1 < y2 <= 999, record["id"]


def image_path(record: dict[str, Any]) -> str:
    first = parse_value(record["conversations"][0]["value"]).segments
    return next(s.path for s in first if isinstance(s, Image))


def rec_pairs(record: dict[str, Any]) -> list[tuple[str, tuple[int, int, int, int]]]:
    """(expression, grid box) of every rec turn (answers ``<ref>E</ref><box>...</box>``)."""
    out = []
    for message in record["conversations"][1::2]:
        parsed = parse_value(message["value"])
        refs = [s for s in parsed.segments if isinstance(s, Ref)]
        box = parsed.boxes()[0].xyxy_norm1000
        assert box is not None
        out.append((refs[0].text, box))
    return out


def assert_maps_back(
    box: tuple[int, int, int, int], xyxy_px: tuple[float, float, float, float], width: float,
    height: float,
) -> None:
    """The grid box, mapped back to pixels (v / 1000 * size), is within one grid unit."""
    for value, source, size in zip(box, xyxy_px, (width, height, width, height), strict=True):
        assert abs(norm1000_to_px(value, size) - source) <= size / 1000 + 1e-9, (box, xyxy_px)
