"""MDETR / GLIP grounding COCO read by ``convert coco``: ``tokens_positive`` spans mapped exactly
(several spans per box, several boxes per span), sizes written as strings (Flickr), bad spans
tallied. The file is built here in the layout of MDETR's ``final_flickr_separateGT_*.json``."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from coco_checks import assert_valid_records
from coco_family_checks import grid_floor

CAPTION = "A man in a red hat talks to a woman while he holds two dogs ."


def _file() -> dict[str, Any]:
    return {
        "images": [
            {"file_name": "36979.jpg", "height": "500", "width": "333", "id": 0,
             "caption": CAPTION, "dataset_name": "flickr", "tokens_negative": [[0, 61]],
             "sentence_id": 0, "original_img_id": 36979},
            {"file_name": "36979.jpg", "height": "500", "width": "333", "id": 1,
             "caption": "Nothing grounded here .", "dataset_name": "flickr"},
        ],
        "annotations": [
            # "A man" and "he" both name box 10
            {"id": 10, "image_id": 0, "category_id": 1, "iscrowd": 0,
             "bbox": [20.5, 30, 100, 300], "tokens_positive": [[0, 5], [42, 44]]},
            {"id": 11, "image_id": 0, "category_id": 1, "iscrowd": 0,
             "bbox": [60, 25, 30, 20], "tokens_positive": [[11, 18]]},
            # "two dogs": two boxes
            {"id": 12, "image_id": 0, "category_id": 1, "iscrowd": 0,
             "bbox": [200, 400, 50, 60], "tokens_positive": [[51, 59]]},
            {"id": 13, "image_id": 0, "category_id": 1, "iscrowd": 0,
             "bbox": [150, 390, 40, 70], "tokens_positive": [[51, 59]]},
            {"id": 14, "image_id": 0, "category_id": 1, "iscrowd": 0,
             "bbox": [250, 10, 60, 400], "tokens_positive": [[28, 35]]},
            {"id": 15, "image_id": 0, "category_id": 1, "iscrowd": 0,
             "bbox": [1, 1, 5, 5], "tokens_positive": [[50, 99]]},  # outside the caption
        ],
        "categories": [{"id": 1, "name": "object"}],
    }


def _box(xywh: list[float]) -> str:
    grid = grid_floor(xywh, 333, 500)
    assert grid is not None
    return "<box>({},{}),({},{})</box>".format(*grid)


def test_spans_map_exactly(tmp_path: Path) -> None:
    source, out = tmp_path / "final_flickr_separateGT_train.json", tmp_path / "out.json"
    source.write_text(json.dumps(_file()))
    result = subprocess.run(
        [sys.executable, "-m", "datakit", "convert", "coco", str(source), "-o", str(out),
         "--report", str(tmp_path / "r.json"), "-q"],
        capture_output=True, text=True, check=False,
    )
    assert result.returncode == 1, result.stderr  # written; span 15 is faulty input
    records = json.loads(out.read_text())
    assert_valid_records(records)
    assert [r["id"] for r in records] == ["mdetr-0"]
    boxes = {a["id"]: _box(a["bbox"]) for a in _file()["annotations"]}
    assert records[0]["conversations"][1]["value"] == (
        f"<ref>A man</ref>{boxes[10]} in a <ref>red hat</ref>{boxes[11]} talks to "
        f"<ref>a woman</ref>{boxes[14]} while <ref>he</ref>{boxes[10]} holds "
        f"<ref>two dogs</ref>{boxes[13]}{boxes[12]} .")
    items = json.loads((tmp_path / "r.json").read_text())["tally"]["items"]
    assert items["annotation"] == {"seen": 6, "used": 5, "skipped": {"malformed": 1}}
    assert items["image"] == {"seen": 2, "used": 1, "skipped": {"no-annotations": 1}}
    checked = subprocess.run(
        [sys.executable, "-m", "datakit", "validate", "--no-cache", "--images", "none", str(out)],
        capture_output=True, text=True, check=False,
    )
    assert checked.returncode == 0 and "0 error(s)" in checked.stdout, checked.stdout
