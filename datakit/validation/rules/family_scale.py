"""B008: a whole file's boxes on another member's scale, judged from every box on a picture of
known size (the idea of v1's B006, for the family's two scales).

Per box ``family_boxes`` tallies whether it stays within the picture's *resized* size and
whether it reaches 90% of the way across or down. Only pictures under 900 pixels on a side
after the resize count: there a box on the 0..1000 grid often goes past the resized size and
a box in resized pixels never does.
- Qwen2-VL / Qwen3-VL (0..1000): at least 10 boxes on 5 records, none past the resized size,
  some reaching its far edge: resized pixels (Qwen2.5-VL's scale), not the grid.
- Qwen2.5-VL (resized pixels): at least 10 boxes and over a tenth of them past the resized
  size: the grid (or pixels of the stored picture), not resized pixels.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from datakit.findings import Finding, Location, Severity
from datakit.validation.family_target_type import FamilyTarget
from datakit.validation.rule import Rule
from datakit.validation.settings import Settings

MIN_BOXES = 10
MIN_RECORDS = 5
GRID_SHARE = 0.1


def _records(boxes: list[str]) -> str:
    return "[" + ", ".join(
        '{"messages": [{"role": "user", "content": "<image>Find the dogs."}, {"role": '
        '"assistant", "content": "[' + ", ".join(
            '{\\"bbox_2d\\": [' + b + '], \\"label\\": \\"dog\\"}' for b in pair.split(";"))
        + ']"}], "images": ["img/ok.jpg"]}' for pair in boxes) + "]"


SCALE = Rule(
    "B008", "box-scale-of-another-model", Severity.ERROR, "file",
    "Qwen-family targets: the file's boxes as a whole are on another family member's scale: "
    "resized pixels (Qwen2.5-VL) in a Qwen2-VL or Qwen3-VL file, or the 0..1000 grid in a "
    "Qwen2.5-VL file. Judged from at least 10 boxes on pictures under 900 pixels a side after "
    "the resize (image headers needed: --images header or decode).",
    "Both scales are plain integers below about 1000, so each box passes a range check; the "
    "model then learns every box shrunk toward the top-left corner or stretched past the "
    "picture (Qwen3-VL #721, #1161, #1486; ms-swift #3407).",
    "Convert the boxes: to Qwen3-VL/Qwen2-VL x' = round(x / W' * 1000) with W' the resized "
    "width; to Qwen2.5-VL x' = round(x * W' / 1000). `datakit convert --target` does it from "
    "the source boxes.",
    bad=_records(["4, 6, 60, 58; 10, 10, 30, 20"] * 5),
    good=_records(["4, 6, 900, 950; 10, 10, 100, 90"] * 5),
    example_settings=(("target", "qwen3-vl"), ("framework", "ms-swift")),
)

RULES = (SCALE,)


class FamilyScale:
    """The tallies of one file's records (``family_boxes.Tally``), judged at its end."""

    def __init__(self) -> None:
        self.boxes = self.beyond = self.reached = self.records = 0
        self.example: Any = None

    def extend(self, tallies: list[Any]) -> None:
        for boxes, beyond, reached, _pictures, example in tallies:
            self.boxes += boxes
            self.beyond += beyond
            self.reached += reached
            self.records += 1
            if self.example is None:
                self.example = example

    def findings(self, target: FamilyTarget, file: str, severities: dict[str, Severity],
                 settings: Settings) -> Iterator[Finding]:
        if SCALE.code not in severities or self.boxes < MIN_BOXES or self.example is None:
            return
        line, index, record_id, path, shown, width, height = self.example
        grid = target.model in ("qwen2-vl", "qwen3-vl")
        if grid and self.records >= MIN_RECORDS and self.beyond == 0 and self.reached:
            message = (f"all {self.boxes:,} boxes on {self.records:,} records stay within "
                       "their picture's resized size and reach its far edge: they are resized "
                       f"pixels (Qwen2.5-VL's scale), not the 0..1000 grid; e.g. {shown} on a "
                       f"picture resized to {width}x{height}")
        elif not grid and self.beyond > GRID_SHARE * self.boxes:
            message = (f"{self.beyond:,} of {self.boxes:,} boxes go past their picture's "
                       "resized size: the file is on another scale (the 0..1000 grid, or "
                       f"pixels of the stored pictures); e.g. {shown} on a picture resized to "
                       f"{width}x{height}")
        else:
            return
        yield Finding(SCALE.code, SCALE.name, severities[SCALE.code], message,
                      Location(file=file, line=line, record_index=index, record_id=record_id,
                               json_path=path), fix=SCALE.fix,
                      data={"boxes": self.boxes, "beyond": self.beyond})
