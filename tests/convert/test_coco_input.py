"""Faulty and unusual COCO input: every record skipped with the reason and a message naming
the file, the record and the field; whole-file problems raise a clear error."""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any

import pytest
from coco_checks import DATUMARO_INSTANCES, assert_valid_records

from datakit.convert.coco import CocoInput, CocoOptions, convert_coco, has_problems
from datakit.convert.image_files import size_reader
from datakit.convert.tally import Tally
from datakit.errors import ConfigError, InputError

NAME = "in.json"


def _coco(
    images: list[Any] | None = None,
    annotations: list[Any] | None = None,
    categories: list[Any] | None = None,
) -> dict[str, Any]:
    return {
        "images": images
        if images is not None
        else [{"id": 1, "file_name": "a.jpg", "width": 640, "height": 480}],
        "annotations": annotations if annotations is not None else [],
        "categories": categories
        if categories is not None
        else [{"id": 1, "name": "cat"}, {"id": 3, "name": "dog"}],
    }


def _box(ann_id: Any = 10, bbox: Any = None, **extra: Any) -> dict[str, Any]:
    record = {"id": ann_id, "image_id": 1, "category_id": 1, "bbox": bbox or [1, 2, 3, 4]}
    record.update(extra)
    return record


def _run(
    data: Any, captions: Any = None, read_root: Path | None = None, **options: Any
) -> tuple[list[dict[str, Any]], Tally]:
    options.setdefault("tasks", ("grounding", "caption") if captions else ("grounding",))
    records, tally = convert_coco(
        CocoInput(data, NAME) if data is not None else None,
        CocoInput(captions, "cap.json") if captions is not None else None,
        CocoOptions(**options),
        read_size=size_reader(read_root) if read_root else None,
    )
    out = list(records)
    tally.check_balanced()
    assert_valid_records(out)
    return out, tally


def _skips(tally: Tally, kind: str) -> dict[str, int]:
    return dict(tally.skipped.get(kind, {}))


BAD_ANNOTATIONS = [
    ("not-object", [1, 2], "in.json: annotations[0]: is an array, not an object"),
    ("no-id", {"image_id": 1, "category_id": 1, "bbox": [1, 1, 2, 2]},
     "in.json: annotations[0]: 'id' is missing"),
    ("bool-image-id", _box(image_id=True),
     "in.json: annotations[0] (id 10): 'image_id' must be an integer or a non-empty string, "
     "got True"),
    ("no-bbox", {"id": 10, "image_id": 1, "category_id": 1},
     "in.json: annotations[0] (id 10): 'bbox' is missing"),
    ("short-bbox", _box(bbox=[1, 2, 3]),
     "in.json: annotations[0] (id 10): 'bbox' must be [x, y, width, height], got [1, 2, 3]"),
    ("string-bbox", _box(bbox=["1", 2, 3, 4]),
     "in.json: annotations[0] (id 10): 'bbox' x must be a finite number, got '1'"),
    ("nan", _box(bbox=[1, math.nan, 3, 4]),
     "in.json: annotations[0] (id 10): 'bbox' y must be a finite number, got nan"),
    ("inf", _box(bbox=[1, 2, math.inf, 4]),
     "in.json: annotations[0] (id 10): 'bbox' w must be a finite number, got inf"),
    ("huge-int", _box(bbox=[1, 2, 3, 10**400]),
     "in.json: annotations[0] (id 10): 'bbox' h must be a finite number, got "
     + repr(10**400)[:57] + "..."),
    ("crowd-2", _box(iscrowd=2), "in.json: annotations[0] (id 10): 'iscrowd' must be 0 or 1, got 2"),
]


@pytest.mark.parametrize(
    "annotation,message", [c[1:] for c in BAD_ANNOTATIONS], ids=[c[0] for c in BAD_ANNOTATIONS]
)
def test_malformed_annotation_is_skipped_with_its_field_named(annotation: Any, message: str) -> None:
    records, tally = _run(_coco(annotations=[annotation, _box(ann_id=11)]))
    assert len(records) == 1
    assert _skips(tally, "annotation") == {"malformed": 1}
    assert tally.examples["annotation: malformed"] == [message]
    assert has_problems(tally)


def test_dangling_and_duplicate_annotations() -> None:
    annotations = [
        _box(10),
        _box(10),
        _box(11, image_id=99),
        _box(12, category_id=2),
        _box(13, image_id=2),
    ]
    images = [
        {"id": 1, "file_name": "a.jpg", "width": 640, "height": 480},
        {"id": 2, "width": 640, "height": 480},
    ]
    _, tally = _run(_coco(images=images, annotations=annotations))
    assert _skips(tally, "annotation") == {
        "duplicate-id": 1,
        "missing-image": 1,
        "unknown-category": 1,
        "image-skipped": 1,
    }
    assert _skips(tally, "image") == {"malformed": 1}
    assert tally.examples["image: malformed"] == ["in.json: images[1] (id 2): 'file_name' is missing"]
    assert tally.examples["annotation: missing-image"] == [
        "in.json: annotations[2] (id 11): image_id 99 is not among the images"
    ]
    assert tally.examples["annotation: unknown-category"] == [
        "in.json: annotations[3] (id 12): category_id 2 is not among the categories"
    ]


def test_bad_images_and_categories() -> None:
    images = [
        "a.jpg",
        {"id": 1, "file_name": "a.jpg", "width": 640, "height": 480},
        {"id": 1, "file_name": "again.jpg", "width": 640, "height": 480},
        {"id": False, "file_name": "b.jpg"},
        {"id": 4, "file_name": "", "width": 1, "height": 1},
    ]
    categories = [
        {"id": 1, "name": "cat"},
        {"id": 1, "name": "other"},
        {"id": 2},
        {"id": 3, "name": "<ref>x"},
        {"id": 4, "name": "   "},
    ]
    records, tally = _run(_coco(images, [_box(10), _box(11, category_id=3)], categories))
    assert len(records) == 1
    assert _skips(tally, "image") == {"malformed": 3, "duplicate-id": 1}
    assert tally.examples["image: malformed"] == [
        "in.json: images[0]: is a string, not an object",
        "in.json: images[3]: 'id' must be an integer or a non-empty string, got False",
        "in.json: images[4] (id 4): 'file_name' must be a non-empty string, got ''",
    ]
    assert _skips(tally, "category") == {"duplicate-id": 1, "malformed": 2, "name-has-tag": 1}
    assert tally.examples["category: name-has-tag"] == [
        "in.json: categories[3] (id 3): name '<ref>x' contains <ref>, a control token"
    ]
    assert _skips(tally, "annotation") == {"category-skipped": 1}


def test_box_geometry_outcomes_are_tallied() -> None:
    annotations = [
        _box(1, [0, 0, 0, 10]),  # zero width
        _box(2, [700, 10, 20, 20]),  # wholly right of the 640-wide image
        _box(3, [100, 100, 0.2, 50]),  # narrower than one grid cell
        _box(4, [600, 400, 100, 100]),  # leaves the image: clipped
        _box(5, [10, 10, 20, 20], iscrowd=1),
        _box(6, [10, 10, 20, 20]),
    ]
    records, tally = _run(_coco(annotations=annotations))
    assert _skips(tally, "annotation") == {
        "degenerate-empty-in-pixels": 2,
        "degenerate-empty-on-grid": 1,
        "crowd": 1,
    }
    assert tally.notes == {"box-clipped": 1}
    assert tally.examples["box-clipped"] == [
        "in.json: images[0] (id 1) (a.jpg): annotation 4 bbox [600, 400, 100, 100] on a 640x480 "
        "image"
    ]
    assert records[0]["conversations"][1]["value"] == (
        "<ref>cat</ref><box>(15,20),(46,62)</box><box>(937,833),(999,999)</box>"
    )
    assert not has_problems(tally)


def test_boxes_are_ordered_top_to_bottom_then_left_to_right_then_by_id() -> None:
    annotations = [
        _box(5, [300, 50, 10, 10]),
        _box(2, [100, 50, 10, 10]),
        _box(9, [0, 10, 10, 10]),
        _box(1, [100, 50, 10, 10]),
        _box(7, [0, 10, 10, 10], category_id=3),
    ]
    records, tally = _run(_coco(annotations=annotations), max_boxes=3, tasks=("detection",))
    assert records[0]["conversations"][1]["value"] == (
        "<ref>cat</ref><box>(0,20),(15,41)</box><box>(156,104),(171,125)</box>"
        "<box>(156,104),(171,125)</box><ref>dog</ref><box>(0,20),(15,41)</box>"
    )
    assert _skips(tally, "annotation") == {"over-max-boxes": 1}
    assert tally.used["annotation"] == 4


def test_image_paths_the_trainer_cannot_open_are_skipped() -> None:
    stem = "d/" * 123  # 246 bytes
    images = [
        {"id": 1, "file_name": stem + "1234.jpg", "width": 10, "height": 10},  # 254 bytes
        {"id": 2, "file_name": stem + "12345.jpg", "width": 10, "height": 10},  # 255 bytes
        {"id": 3, "file_name": stem + "é123.jpg", "width": 10, "height": 10},  # 255 bytes, 254 characters
        {"id": 4, "file_name": "x<img>.jpg", "width": 10, "height": 10},
        {"id": 5, "file_name": "/abs/a.jpg", "width": 10, "height": 10},
    ]
    annotations = [_box(i, [1, 1, 5, 5], image_id=i) for i in range(1, 6)]
    records, tally = _run(_coco(images=images, annotations=annotations))
    assert [r["id"] for r in records] == ["coco-1-grounding-1", "coco-5-grounding-1"]
    assert _skips(tally, "image") == {"path-too-long": 2, "path-has-tag": 1}
    assert _skips(tally, "annotation") == {"image-skipped": 3}
    assert tally.examples["image: path-too-long"][0].endswith(
        "is 255 UTF-8 bytes (at most 254)"
    )
    # Under a prefix, absolute paths and '..' would leave it.
    images[1] = {"id": 2, "file_name": "../up.jpg", "width": 10, "height": 10}
    records, tally = _run(_coco(images=images, annotations=annotations), path_prefix="data")
    assert _skips(tally, "image") == {"unsafe-path": 2, "path-too-long": 2, "path-has-tag": 1}
    assert tally.examples["image: unsafe-path"] == [
        "in.json: images[1] (id 2) (../up.jpg): file_name contains '..'",
        "in.json: images[4] (id 5) (/abs/a.jpg): file_name is an absolute path",
    ]


def test_captions_and_their_faults() -> None:
    captions = {
        "images": [
            {"id": 1, "file_name": "a.jpg", "width": 640, "height": 480},
            {"id": 2, "file_name": "b.jpg", "width": 640, "height": 480},
        ],
        "annotations": [
            {"id": 5, "image_id": 1, "caption": "  A cat.\n"},
            {"id": 3, "image_id": 1, "caption": "Two cats."},
            {"id": 3, "image_id": 1, "caption": "dup"},
            {"id": 6, "image_id": 1, "caption": 7},
            {"id": 7, "image_id": 1, "caption": " "},
            {"id": 8, "image_id": 1, "caption": "see <|im_end|>"},
            {"id": 9, "image_id": 42, "caption": "nowhere"},
        ],
    }
    records, tally = _run(None, captions, tasks=("caption",))
    assert [(r["id"], r["conversations"][1]["value"]) for r in records] == [
        ("coco-1-caption-1", "Two cats."),
        ("coco-1-caption-2", "A cat."),
    ]
    assert _skips(tally, "caption") == {
        "duplicate-id": 1,
        "malformed": 1,
        "empty-caption": 1,
        "caption-has-tag": 1,
        "missing-image": 1,
    }
    assert _skips(tally, "image") == {"no-annotations": 1}


def test_instances_and_captions_share_their_images() -> None:
    instances = _coco(annotations=[_box(1)])
    captions = {
        "images": [
            {"id": 1, "file_name": "other.jpg", "width": 640, "height": 480},
            {"id": 2, "file_name": "b.jpg", "width": 640, "height": 480},
        ],
        "annotations": [{"id": 1, "image_id": 2, "caption": "A dog."}],
    }
    records, tally = _run(instances, captions, tasks=("grounding", "caption"))
    assert [r["id"] for r in records] == ["coco-1-grounding-1", "coco-2-caption-1"]
    assert tally.seen["image"] == 2 and tally.used["image"] == 2
    assert tally.notes == {"image-record-conflict": 1}
    # A file whose task is not selected is still accounted for.
    _, tally = _run(instances, captions, tasks=("grounding",))
    assert _skips(tally, "caption") == {"task-not-selected": 1}
    _, tally = _run(instances, captions, tasks=("caption",))
    assert _skips(tally, "annotation") == {"task-not-selected": 1}


def test_limit_counts_usable_images_and_skips_the_rest() -> None:
    images = [{"id": i, "file_name": f"{i}.jpg", "width": 9, "height": 9} for i in (3, 1, 2, 4)]
    annotations = [_box(1, image_id=1, iscrowd=1), _box(2, image_id=2), _box(3, image_id=3)]
    annotations.append(_box(4, image_id=4))
    records, tally = _run(_coco(images=images, annotations=annotations), limit=2)
    assert [r["id"] for r in records] == ["coco-2-grounding-1", "coco-3-grounding-1"]
    assert _skips(tally, "image") == {"nothing-usable": 1, "beyond-limit": 1}
    assert _skips(tally, "annotation") == {"crowd": 1, "beyond-limit": 1}
    records, tally = _run(_coco(images=images, annotations=annotations), limit=0)
    assert records == [] and _skips(tally, "image") == {"beyond-limit": 4}


def test_sizes_from_the_image_files(tmp_path: Path) -> None:
    root = DATUMARO_INSTANCES / "images" / "train"  # a.jpg is 10x5
    images = [
        {"id": 1, "file_name": "a.jpg", "width": 20, "height": 10},
        {"id": 2, "file_name": "a.jpg"},
        {"id": 3, "file_name": "missing.jpg", "width": 10, "height": 5},
    ]
    annotations = [_box(i, [2, 1, 4, 2], image_id=i) for i in (1, 2, 3)]
    data = _coco(images=images, annotations=annotations)
    records, tally = _run(data, read_root=root)
    boxes = [r["conversations"][1]["value"] for r in records]
    assert boxes == ["<ref>cat</ref><box>(200,200),(600,600)</box>"] * 2
    assert tally.notes == {"size-disagrees": 1, "size-from-file": 1}
    assert tally.examples["size-disagrees"] == [
        "in.json: images[0] (id 1) (a.jpg): the annotation says 20x10, the file is 10x5"
    ]
    assert _skips(tally, "image") == {"file-missing": 1}
    records, _ = _run(data, read_root=root, size_mismatch="annotation")
    assert records[0]["conversations"][1]["value"] == "<ref>cat</ref><box>(100,100),(300,300)</box>"
    _, tally = _run(data, read_root=root, size_mismatch="skip")
    assert _skips(tally, "image") == {"file-missing": 1, "size-disagrees": 1}
    # Without the files, a missing size cannot be made up.
    _, tally = _run(data)
    assert _skips(tally, "image") == {"size-missing": 1}
    assert tally.examples["image: size-missing"] == [
        "in.json: images[1] (id 2) (a.jpg): 'width' is missing; pass --image-root to read the "
        "size from the file"
    ]


def test_unreadable_image_files_are_skipped_without_hanging(tmp_path: Path) -> None:
    (tmp_path / "text.jpg").write_text("not an image")
    (tmp_path / "folder.jpg").mkdir()
    os.mkfifo(tmp_path / "pipe.jpg")
    names = ["text.jpg", "folder.jpg", "pipe.jpg"]
    images = [{"id": i, "file_name": n, "width": 9, "height": 9} for i, n in enumerate(names)]
    annotations = [_box(i, image_id=i) for i in range(3)]
    records, tally = _run(_coco(images=images, annotations=annotations), read_root=tmp_path)
    assert records == []
    assert _skips(tally, "image") == {"unreadable": 3}


@pytest.mark.parametrize(
    "data,message",
    [
        ([], "in.json: the top level is an array, not a COCO object"),
        ({"images": [], "categories": []}, "in.json: 'annotations' is missing"),
        ({"images": {}, "annotations": [], "categories": []},
         "in.json: 'images' is an object, not a list"),
        ({"images": [], "annotations": [], "categories": None}, "in.json: 'categories' is null, not a list"),
    ],
)
def test_a_file_that_is_not_coco_is_refused(data: Any, message: str) -> None:
    with pytest.raises(InputError) as info:
        convert_coco(CocoInput(data, NAME))
    assert info.value.message == message


@pytest.mark.parametrize(
    "options,message",
    [
        ({"tasks": ("boxes",)}, "unknown task 'boxes'"),
        ({"tasks": ()}, "no task selected"),
        ({"max_boxes": 0}, "max_boxes must be at least 1, got 0"),
        ({"split": "val 2017"}, "split 'val 2017' cannot be part of a record id"),
        ({"categories": frozenset({"cta"})}, "--categories: in.json has no category named 'cta'"),
        ({"renames": {"cta": "x"}}, "--rename: in.json has no category named 'cta'"),
        ({"tasks": ("caption",)}, "the caption task needs a COCO captions file"),
        ({"languages": ("fr",)}, "built-in: no 'fr' template for prompt slot 'grounding' "
                                 "(languages there: en, zh)"),
    ],
)
def test_bad_options_are_refused_before_any_work(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError) as info:
        convert_coco(CocoInput(_coco(), NAME), options=CocoOptions(**options))
    assert info.value.message == message


def test_grounding_needs_an_instances_file() -> None:
    with pytest.raises(ConfigError) as info:
        convert_coco(None, CocoInput({"images": [], "annotations": []}, "c.json"))
    assert info.value.message == "the grounding and detection tasks need a COCO instances file"


def test_string_and_integer_ids_sort_deterministically() -> None:
    images = [
        {"id": "b", "file_name": "b.jpg", "width": 9, "height": 9},
        {"id": 10, "file_name": "10.jpg", "width": 9, "height": 9},
        {"id": 9, "file_name": "9.jpg", "width": 9, "height": 9},
    ]
    annotations = [_box(i, image_id=image["id"]) for i, image in enumerate(images)]
    records, _ = _run(_coco(images=images, annotations=annotations))
    assert [r["id"] for r in records] == [
        "coco-9-grounding-1",
        "coco-10-grounding-1",
        "coco-b-grounding-1",
    ]
