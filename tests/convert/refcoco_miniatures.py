"""Build the RefCOCO miniatures in ``tests/data/refcoco/`` (synthetic, upstream structure).

Run ``python tests/convert/refcoco_miniatures.py`` to rebuild them; the tests read the committed
copies. Layout (see README.md there):

    images/                          COCO_train2014_*.jpg made with Pillow (000034 is absent)
    data/refcoco/instances.json      COCO-shaped, boxes [x, y, w, h] pixels
    data/refcoco/refs(unc).p         Python 2 cPickle, protocol 2, byte-string fields
    data/refcoco/refs(google).p      Python 2 cPickle, protocol 0
    data/refcocog/instances.json
    data/refcocog/refs(umd).p        pickle.dumps(refs, protocol=2) from Python 3 (str fields)
    hub/jxu124/refcoco/data/*.parquet, hub/jxu124/refcoco/test.jsonl
    hub/lmms-lab/RefCOCO/data/val-00000-of-00001.parquet (images embedded)
    qwen-eval/refcoco_testA.jsonl    Qwen-VL eval_mm rows: image, sent, bbox (xyxy), width, height
    generic/refcoco_train_pairs.jsonl  image, sent, bbox only: the convention must be declared
"""

from __future__ import annotations

import io
import json
import pickle
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from refcoco_py2pickle import dumps_py2, py2_strings

ROOT = Path(__file__).resolve().parent.parent / "data" / "refcoco"

# id: (width, height as instances.json says, width of the actual file or None when absent)
IMAGES = {
    9: (64, 48, 64),
    25: (40, 60, 40),
    30: (50, 50, 50),
    34: (80, 40, None),
    36: (30, 30, 32),
}
# ann id: (image id, bbox [x, y, w, h] pixels or None)
ANNOTATIONS: dict[int, tuple[int, list[float] | None]] = {
    101: (9, [3.5, 4.25, 20.0, 30.5]),
    102: (9, [40.0, 10.0, 24.0, 38.0]),  # touches the right and bottom edges
    103: (25, [0.0, 0.0, 40.0, 60.0]),  # the whole image
    104: (30, [10.2, 12.7, 5.1, 5.3]),
    105: (25, [5.0, 5.0, 10.0, 10.0]),
    106: (9, [50.0, 40.0, 30.0, 20.0]),  # leaves the image: clipped
    107: (9, [10.0, 10.0, 0.0, 5.0]),  # no width
    108: (30, [1.0, 1.0, 0.02, 10.0]),  # narrower than a grid cell
    109: (34, [10.0, 10.0, 20.0, 20.0]),
    110: (36, [3.0, 3.0, 9.0, 9.0]),
    111: (25, None),
}


def file_name(image_id: int) -> str:
    return f"COCO_train2014_{image_id:012d}.jpg"


def _sentence(sent_id: int, sent: Any, raw: Any | None = None) -> dict[str, Any]:
    text = sent if isinstance(sent, str) else sent.decode("latin-1")
    return {"tokens": text.split(), "raw": raw if raw is not None else sent, "sent_id": sent_id,
            "sent": sent}


def _ref(ref_id: int, ann_id: int, image_id: int, split: str, sentences: list[Any],
         category_id: int = 1) -> dict[str, Any]:
    # Key order as refer's refs come out of cPickle (dict order is not meaningful there).
    return {
        "sent_ids": [s["sent_id"] for s in sentences],
        "file_name": f"COCO_train2014_{image_id:012d}_{ref_id}.jpg",
        "ann_id": ann_id,
        "ref_id": ref_id,
        "image_id": image_id,
        "split": split,
        "sentences": sentences,
        "category_id": category_id,
    }


def refcoco_unc_refs() -> list[Any]:
    """Python 2 values: ``bytes`` are Python 2 ``str``."""
    refs: list[Any] = [
        _ref(0, 101, 9, "train", [_sentence(0, "man on left", "Man on left!"),
                                  _sentence(1, "left guy"), _sentence(2, "man on left")]),
        _ref(1, 102, 9, "train", [_sentence(3, "right bottom corner thing",
                                            "Right bottom corner thing.")]),
        _ref(2, 103, 25, "val", [_sentence(4, "whole picture"), _sentence(5, "everything")]),
        _ref(3, 104, 30, "testA", [_sentence(6, "tiny dot"), _sentence(7, "the small one")]),
        _ref(4, 105, 25, "testB", [_sentence(8, "top left square")]),
        _ref(5, 999, 9, "train", [_sentence(9, "nothing there")]),
        _ref(6, 105, 9, "train", [_sentence(10, "wrong image")]),
        _ref(7, 107, 9, "train", [_sentence(11, "flat line")]),
        _ref(8, 106, 9, "train", [
            _sentence(12, "café chair"),
            _sentence(13, b"na\xefve person"),  # Latin-1 bytes, not UTF-8
            _sentence(14, "   spaced   out  "),
            _sentence(15, ""),
            _sentence(16, "a <ref>tag</ref> in text"),
        ]),
        _ref(9, 108, 30, "train", [_sentence(17, "hair line")]),
        _ref(10, 109, 34, "train", [_sentence(18, "far right thing")]),
        _ref(11, 110, 36, "train", [_sentence(19, "centre block")]),
        "garbage",
        _ref(13, 111, 25, "train", [_sentence(20, "no box")]),
        _ref(0, 103, 25, "train", [_sentence(21, "same ref id again")]),
    ]
    converted: list[Any] = py2_strings(refs)
    return converted


def refcoco_google_refs() -> list[Any]:
    return py2_strings([
        _ref(100, 101, 9, "train", [_sentence(100, "person at left")]),
        _ref(101, 103, 25, "val", [_sentence(101, "the whole thing")]),
        _ref(102, 104, 30, "test", [_sentence(102, "little square"),
                                    _sentence(103, "little square")]),
    ])


def refcocog_umd_refs() -> list[Any]:
    return [
        _ref(200, 201, 9, "train", [
            _sentence(200, "a man standing on the left side of the picture"),
            _sentence(201, "the person on the left wearing dark clothes"),
        ]),
        _ref(201, 202, 25, "val", [_sentence(202, "the entire photo of the field")]),
        _ref(202, 203, 30, "test", [_sentence(203, "a small object near the middle")]),
    ]


def instances(annotations: dict[int, tuple[int, list[float] | None]]) -> dict[str, Any]:
    used = sorted({image for image, _ in annotations.values()})
    return {
        "info": {"description": "datakit RefCOCO miniature"},
        "images": [{"license": 1, "file_name": file_name(i), "height": IMAGES[i][1],
                    "width": IMAGES[i][0], "id": i} for i in used],
        "licenses": [{"url": "https://example.invalid", "id": 1, "name": "synthetic"}],
        "annotations": [
            {"segmentation": [[0, 0, 1, 0, 1, 1]], "area": 1.0, "iscrowd": 0, "image_id": image,
             "id": ann_id, "category_id": 1, **({"bbox": box} if box is not None else {})}
            for ann_id, (image, box) in sorted(annotations.items())
        ],
        "categories": [{"supercategory": "person", "id": 1, "name": "person"}],
    }


def _jpeg(width: int, height: int, seed: int) -> bytes:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (width, height), (seed * 37 % 256, 90, 160))
    ImageDraw.Draw(image).rectangle((2, 2, width // 2, height // 2), fill=(240, 220, 20))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=80)
    return out.getvalue()


def _xyxy(box: list[float]) -> list[float]:
    return [box[0], box[1], box[0] + box[2], box[1] + box[3]]


def _jxu124_row(ref: dict[str, Any], split: str | None) -> dict[str, Any]:
    image_id = ref["image_id"]
    width, height, _ = IMAGES[image_id]
    box = ANNOTATIONS[ref["ann_id"]][1]
    assert box is not None
    info = {"license": 1, "file_name": file_name(image_id), "height": height, "width": width,
            "id": image_id}
    row = {
        "sent_ids": ref["sent_ids"],
        "file_name": ref["file_name"],
        "ann_id": ref["ann_id"],
        "ref_id": ref["ref_id"],
        "image_id": image_id,
        "split": split,
        "sentences": ref["sentences"],
        "category_id": 1,
        "raw_anns": json.dumps({"id": ref["ann_id"], "image_id": image_id, "bbox": box}),
        "raw_image_info": json.dumps(info),
        "raw_sentences": json.dumps(ref["sentences"]),
        "image_path": f"coco/train2014/{file_name(image_id)}",
        "bbox": _xyxy(box),
        "captions": [s["sent"] for s in ref["sentences"]],
        "global_image_id": f"coco.{image_id}",
        "anns_id": f"coco.{ref['ann_id']}",
    }
    if split is None:
        del row["split"]
    return row


def _text_refs() -> dict[int, dict[str, Any]]:
    refs = [r for r in refcoco_unc_refs() if isinstance(r, dict)]
    decoded = pickle.loads(pickle.dumps(refs))
    return {r[b"ref_id"]: _text(r) for r in reversed(decoded)}


def _text(value: Any) -> Any:
    if isinstance(value, bytes):
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            return value.decode("latin-1")
    if isinstance(value, list):
        return [_text(v) for v in value]
    if isinstance(value, dict):
        return {_text(k): _text(v) for k, v in value.items()}
    return value


def _write_parquet(path: Path, rows: list[dict[str, Any]]) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist(rows), path)


def _write_jsonl(path: Path, lines: list[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")


def build(root: Path = ROOT) -> None:
    (root / "images").mkdir(parents=True, exist_ok=True)
    for image_id, (_, height, actual_width) in IMAGES.items():
        if actual_width is not None:
            (root / "images" / file_name(image_id)).write_bytes(
                _jpeg(actual_width, height, image_id)
            )
    refcoco = root / "data" / "refcoco"
    refcoco.mkdir(parents=True, exist_ok=True)
    (refcoco / "instances.json").write_text(json.dumps(instances(ANNOTATIONS)), encoding="utf-8")
    (refcoco / "refs(unc).p").write_bytes(dumps_py2(refcoco_unc_refs(), protocol=2))
    (refcoco / "refs(google).p").write_bytes(dumps_py2(refcoco_google_refs(), protocol=0))
    refcocog = root / "data" / "refcocog"
    refcocog.mkdir(parents=True, exist_ok=True)
    g_anns = {201: ANNOTATIONS[101], 202: ANNOTATIONS[103], 203: ANNOTATIONS[104]}
    (refcocog / "instances.json").write_text(json.dumps(instances(g_anns)), encoding="utf-8")
    (refcocog / "refs(umd).p").write_bytes(pickle.dumps(refcocog_umd_refs(), protocol=2))

    refs = _text_refs()
    hub = root / "hub" / "jxu124" / "refcoco"
    _write_parquet(hub / "data" / "train-00000-of-00001.parquet",
                   [_jxu124_row(refs[i], "train") for i in (0, 1, 8)])
    _write_parquet(hub / "data" / "validation-00000-of-00001.parquet",
                   [_jxu124_row(refs[2], "val")])
    _write_parquet(hub / "data" / "test-00000-of-00001.parquet",
                   [_jxu124_row(refs[3], "testA")])
    # A JSONL export of the hub's `test` split without the split column: `test` is testA.
    _write_jsonl(hub / "test.jsonl", [json.dumps(_jxu124_row(refs[3], None))])

    lmms_rows = []
    for number, (ref_id, name) in enumerate(((2, file_name(25)), (4, f"{file_name(25)[:-4]}_4.jpg"))):
        ref = refs[ref_id]
        image_id = ref["image_id"]
        box = ANNOTATIONS[ref["ann_id"]][1]
        lmms_rows.append({
            "question_id": f"refcoco_val_{number}",
            "image": {"bytes": _jpeg(IMAGES[image_id][2] or 1, IMAGES[image_id][1], image_id),
                      "path": None},
            "question": "Please carefully observe the area circled in the image and come up "
                        "with a caption for the area.",
            "answer": [s["sent"] for s in ref["sentences"]],
            "segmentation": [0.0, 0.0, 1.0, 0.0, 1.0, 1.0],
            "bbox": box,
            "iscrowd": 0,
            "file_name": name,
        })
    _write_parquet(root / "hub" / "lmms-lab" / "RefCOCO" / "data" / "val-00000-of-00001.parquet",
                   lmms_rows)

    box3 = _xyxy(ANNOTATIONS[104][1] or [])
    qwen = [json.dumps({"image": f"coco/train2014/{file_name(30)}", "sent": s, "bbox": box3,
                        "width": 50, "height": 50}) for s in ("tiny dot", "the small one")]
    qwen.insert(1, json.dumps({"image": f"coco/train2014/{file_name(30)}", "sent": "no box",
                               "width": 50, "height": 50}))
    qwen.append('{"image": "broken line", ')
    qwen.append("[1, 2, 3]")
    qwen.append(json.dumps({"image": f"coco/train2014/{file_name(25)}", "sent": "top left square",
                            "bbox": [5, 5, 15, 15], "width": 40, "height": 60}))
    _write_jsonl(root / "qwen-eval" / "refcoco_testA.jsonl", qwen)

    _write_jsonl(root / "generic" / "refcoco_train_pairs.jsonl", [
        json.dumps({"image": file_name(9), "sent": "man on left", "bbox": [3.5, 4.25, 20, 30.5]}),
        json.dumps({"image": file_name(25), "sent": "whole picture", "bbox": [0, 0, 40, 60]}),
    ])


if __name__ == "__main__":
    build()
    print(f"wrote {ROOT}")
