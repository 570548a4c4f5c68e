"""Layouts: real files read, v1 records byte-identical, round trips per layout x model, exact
records for hand-written samples, ms-swift objects, detection."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest

from datakit.family.layouts import (
    WriteError,
    dataset_info_entry,
    detect,
    picture_sizes,
    read_record,
    write_record,
)
from datakit.family.profiles import FRAMEWORKS, MODELS, Layout, ModelProfile
from datakit.family.sample import Box, Grounded, Image, ImageSlot, Part, Sample, Text, Turn
from datakit.family.spaces import PictureSizes
from datakit.family.vision import resize_rule

TESTS = Path(__file__).resolve().parents[1]
DATA = TESTS / "data" / "family"
V1, Q2, Q25, Q3 = (MODELS[n] for n in ("qwen-vl", "qwen2-vl", "qwen2.5-vl", "qwen3-vl"))
LAYOUTS: tuple[Layout, ...] = ("qwen-vl", "ms-swift", "sharegpt", "qwen-vl-finetune")


def _jsonl(name: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (DATA / name).read_text(encoding="utf-8").splitlines()]


GOLDEN_V1 = [
    p
    for p in sorted((TESTS / "golden" / "coco").glob("*.json*"))
    if not p.name.endswith(".tally.json")
]


def _records(path: Path) -> list[Any]:
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".jsonl":
        return [json.loads(line) for line in text.splitlines() if line]
    records = json.loads(text)
    assert isinstance(records, list)
    return records


@pytest.mark.parametrize(
    "path", [*GOLDEN_V1, TESTS / "vectors" / "qwen_vl_readme.json"], ids=lambda p: p.name
)
def test_v1_records_come_back_byte_identical(path: Path) -> None:
    records = _records(path)
    assert records
    for record in records:
        result = read_record(record, V1, "qwen-vl")
        assert result.problems == ()
        written = write_record(result.sample, V1, "qwen-vl")
        assert json.dumps(written, ensure_ascii=False) == json.dumps(record, ensure_ascii=False)


def test_v1_writer_floors_pixels_like_the_converter() -> None:
    from datakit.qwenvl.boxes import px_to_norm1000

    box_px = (100.7, 50.2, 639.0, 426.9)
    sample = Sample(
        (
            Turn("user", (ImageSlot(0), Text("Where is the dog?"))),
            Turn("assistant", (Grounded("dog", (Box(box_px, "source_px"),)),)),
        ),
        (Image("a.jpg", (640, 427)),),
        "x-1",
    )
    grid = [px_to_norm1000(v, 640 if i % 2 == 0 else 427) for i, v in enumerate(box_px)]
    assert write_record(sample, V1, "qwen-vl") == {
        "id": "x-1",
        "conversations": [
            {"from": "user", "value": "Picture 1: <img>a.jpg</img>\nWhere is the dog?"},
            {
                "from": "assistant",
                "value": "<ref>dog</ref><box>({},{}),({},{})</box>".format(*grid),
            },
        ],
    }


def test_ms_swift_real_files() -> None:
    first = [read_record(r, V1, "ms-swift") for r in _jsonl("ms_swift_multi_modal_1.jsonl")]
    assert [len(r.sample.images) for r in first] == [1, 2, 0]
    assert all(r.problems == () for r in first)
    assert write_record(first[1].sample, V1, "ms-swift") == {
        "messages": [
            {"role": "user", "content": "hello"},
            {"role": "assistant", "content": "123"},
            {"role": "user", "content": "<image><image>eeeee"},
            {"role": "assistant", "content": "fffff"},
        ],
        "images": [first[1].sample.images[0].path] * 2,
    }
    # Pictures without a tag get one at the start of the first message, as ms-swift adds them.
    third = read_record(_jsonl("ms_swift_multi_modal_2.jsonl")[2], Q2, "ms-swift")
    assert third.problems == ()
    assert third.sample.turns[0].parts == (ImageSlot(0), ImageSlot(1), ImageSlot(2), Text("AAAAA"))
    conv = read_record(_jsonl("ms_swift_conversations.jsonl")[0], Q2, "ms-swift")
    assert [t.role for t in conv.sample.turns] == ["system", "user", "assistant"]
    for name in ("ms_swift_multi_modal_3.jsonl",):
        assert all(read_record(r, Q2, "ms-swift").problems == () for r in _jsonl(name))


def test_llama_factory_demo_round_trips_exactly() -> None:
    records = json.loads((DATA / "llama_factory_mllm_demo.json").read_text(encoding="utf-8"))
    for record in records:
        result = read_record(record, Q2, "sharegpt")
        assert result.problems == ()
        assert write_record(result.sample, Q2, "sharegpt", variant="messages") == record
    assert read_record(records[0], Q2, "sharegpt").sample.turns[2].parts == (
        Text("What are they doing?"),
        ImageSlot(1),
    )


def test_ms_swift_objects_are_filled_in_order() -> None:
    record = {
        "messages": [
            {"role": "user", "content": "<image>Find the <ref-object> in the image"},
            {"role": "assistant", "content": "<bbox><bbox>"},
        ],
        "images": ["/x.jpg"],
        "objects": {
            "ref": ["sheep"],
            "bbox": [[90.9, 160.8, 135, 212.8], [0.5, 0.5]],
            "bbox_type": "real",
        },
        "source": "mine",
    }
    result = read_record(record, Q2, "ms-swift")
    assert result.problems == ()
    assert result.sample.turns[1].parts == (
        Grounded(None, (Box((90.9, 160.8, 135, 212.8), "source_px"), Box((0.5, 0.5), "source_px"))),
    )
    assert result.sample.extra == {"source": "mine"}
    sample = dataclasses.replace(result.sample, images=(Image("/x.jpg", (1000, 500)),))
    assert write_record(sample, Q2, "ms-swift") == {
        "messages": [
            {
                "role": "user",
                "content": "<image>Find the <|object_ref_start|>sheep<|object_ref_end|> in the image",
            },
            {
                "role": "assistant",
                "content": "<|box_start|>(91,322),(135,426)<|box_end|><|box_start|>(1,1)<|box_end|>",
            },
        ],
        "images": ["/x.jpg"],
        "source": "mine",
    }
    objects = write_record(sample, Q2, "ms-swift", objects=True)
    assert objects["messages"] == record["messages"]
    assert objects["objects"] == {
        "ref": ["sheep"],
        "bbox": [[90.9, 160.8, 135, 212.8], [0.5, 0.5]],
        "bbox_type": "real",
        "image_id": [0, 0],
    }
    assert list(objects) == ["messages", "images", "objects", "source"]


def test_ms_swift_object_problems() -> None:
    record = {
        "messages": [{"role": "user", "content": "<bbox>"}],
        "objects": {"ref": ["a"], "bbox": [[1, 2, 3]], "bbox_type": "norm1000"},
    }
    kinds = [p.kind for p in read_record(record, Q2, "ms-swift").problems]
    assert kinds == ["bbox-type", "box-arity", "objects-unused"]


def _sample(space: str = "source_px") -> Sample:
    def box(*c: float) -> Box:
        return Box(tuple(c), space)  # type: ignore[arg-type]

    return Sample(
        (
            Turn("user", (ImageSlot(0), Text("\nWhere is "), Grounded("the dog", ()), Text("?"))),
            Turn(
                "assistant",
                (
                    Grounded("the dog", (box(10.4, 20, 300, 200.6), box(0, 0, 639, 479))),
                    Grounded(None, (box(5, 6, 7, 8),)),
                ),
            ),
            Turn("user", (Text("and the cat "), ImageSlot(1), Text("?"))),
            Turn(
                "assistant", (Text("Here: "), Grounded("cat", (Box((15, 25, 100, 90), space, 1),)))
            ),
        ),
        (Image("a.jpg", (640, 480)), Image("dir/b.png", (120, 100))),
        "s-1",
        {"note": [1, 2]},
    )


def _normal(sample: Sample, model: ModelProfile) -> tuple[tuple[str, tuple[Part, ...]], ...]:
    """What a reader can give back: neighbouring texts merged; in JSON markup a phrase
    without boxes as its label; in tag markup boxes without a ref joined to the phrase
    before them."""
    out = []
    for turn in sample.turns:
        parts: list[Part] = []
        for part in turn.parts:
            if isinstance(part, Grounded) and not part.boxes and model.box_markup == "json":
                part = Text(part.label or "")
            last = parts[-1] if parts else None
            tags = model.box_markup != "json"
            if (
                tags
                and isinstance(part, Grounded)
                and part.label is None
                and isinstance(last, Grounded)
            ):
                # In tag markup, boxes right after a phrase's boxes are that phrase's.
                parts[-1] = Grounded(last.label, (*last.boxes, *part.boxes))
                continue
            if isinstance(part, Text) and parts and isinstance(parts[-1], Text):
                parts[-1] = Text(parts[-1].text + part.text)
            else:
                parts.append(part)
        out.append((turn.role, tuple(parts)))
    return tuple(out)


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("model", [V1, Q2, Q25, Q3], ids=lambda m: m.name)
def test_round_trip(layout: Layout, model: ModelProfile) -> None:
    sample = _sample()
    if layout == "qwen-vl" and model is not V1:
        with pytest.raises(WriteError):
            write_record(sample, model, layout)
        return
    rule = resize_rule(model, FRAMEWORKS["ms-swift"]) if model.vision else None
    sizes = picture_sizes(sample, rule)
    written = write_record(sample, model, layout, sizes)
    result = read_record(json.loads(json.dumps(written)), model, layout)
    assert result.problems == ()
    back = result.sample
    assert back.images == tuple(Image(i.path) for i in sample.images)
    assert back.extra == sample.extra
    # Once on the model's scale, a second write is exactly the first.
    assert write_record(back, model, layout, sizes) == written
    expected = write_record(sample, model, layout, sizes)
    assert expected == written
    # Boxes came back in the model's space, within its rounding of the source pixels.
    for box, original in zip(back.boxes(), sample.boxes(), strict=True):
        assert box.space == model.box_space
        size = sizes[box.image]
        assert size is not None
        from datakit.family.spaces import to_source_px

        px = to_source_px(box, size)
        step_x = size.source_px[0] / (
            size.resized_px[0] if box.space == "resized_px" and size.resized_px else 1000
        )
        for got, want in zip(px, original.coords, strict=True):
            assert abs(got - want) <= 1.01 * max(step_x, size.source_px[1] / 1000) + 1e-6

    def shape(turns: tuple[tuple[str, tuple[Part, ...]], ...]) -> list[object]:
        return [
            (
                role,
                [
                    (
                        type(p).__name__,
                        getattr(p, "label", None),
                        len(getattr(p, "boxes", ())),
                        getattr(p, "text", None),
                        getattr(p, "index", None),
                    )
                    for p in parts
                ],
            )
            for role, parts in turns
        ]

    assert shape(_normal(back, model)) == shape(_normal(sample, model))


def test_exact_records_per_layout() -> None:
    sample = _sample("norm1000")
    sample = dataclasses.replace(sample, turns=sample.turns[:2], images=sample.images[:1])
    assert write_record(sample, Q3, "qwen-vl-finetune") == {
        "image": "a.jpg",
        "conversations": [
            {"from": "human", "value": "<image>\nWhere is the dog?"},
            {
                "from": "gpt",
                "value": '```json\n[\n\t{"bbox_2d": [10, 20, 300, 201], "label": "the dog"},\n'
                '\t{"bbox_2d": [0, 0, 639, 479], "label": "the dog"},\n\t{"bbox_2d": [5, 6, 7, 8]}\n]\n```',
            },
        ],
        "note": [1, 2],
    }
    assert write_record(sample, Q2, "sharegpt") == {
        "conversations": [
            {
                "from": "human",
                "value": "<image>\nWhere is <|object_ref_start|>the dog<|object_ref_end|>?",
            },
            {
                "from": "gpt",
                "value": "<|object_ref_start|>the dog<|object_ref_end|><|box_start|>(10,20),(300,201)<|box_end|>"
                "<|box_start|>(0,0),(639,479)<|box_end|><|box_start|>(5,6),(7,8)<|box_end|>",
            },
        ],
        "images": ["a.jpg"],
        "note": [1, 2],
    }


def test_qwen25_needs_the_resized_size() -> None:
    with pytest.raises(WriteError, match="resized size"):
        write_record(_sample(), Q25, "ms-swift")
    sizes = [PictureSizes((640, 480), (644, 476)), PictureSizes((120, 100), (112, 112))]
    record = write_record(_sample(), Q25, "ms-swift", sizes)
    assert '"bbox_2d": [10, 20, 302, 199]' in record["messages"][1]["content"]


def test_system_turns() -> None:
    sample = Sample((Turn("system", (Text("Be brief."),)), Turn("user", (Text("hi"),))))
    assert write_record(sample, Q2, "sharegpt", variant="messages")["messages"][0] == {
        "role": "system",
        "content": "Be brief.",
    }
    for layout in ("qwen-vl", "qwen-vl-finetune"):
        with pytest.raises(WriteError, match="system"):
            write_record(sample, V1 if layout == "qwen-vl" else Q2, layout)


def test_problems_name_the_field() -> None:
    record = {
        "conversations": [
            {"from": "human", "value": "<image><image>hi"},
            {"from": "bot", "value": "x"},
            {"from": "gpt", "value": "<|box_start|>(1,2),(3)<|box_end|>"},
        ],
        "image": "a.jpg",
    }
    problems = read_record(record, Q2, "qwen-vl-finetune").problems
    assert [(p.kind, p.field, p.offset) for p in problems] == [
        ("unknown-role", "conversations[1].from", -1),
        ("box-arity", "conversations[2].value", 0),
        ("image-count", "image", -1),
    ]


@pytest.mark.parametrize(
    "garbage",
    [
        "x",
        None,
        {"messages": 3},
        {"conversations": [1, {"from": 2}]},
        {"query": 5, "history": [[1]]},
    ],
)
def test_readers_never_raise(garbage: Any) -> None:
    record = (
        garbage if isinstance(garbage, dict) else {"messages": garbage, "conversations": garbage}
    )
    for layout in LAYOUTS:
        assert read_record(record, Q2, layout).problems


def test_dataset_info_entry() -> None:
    assert dataset_info_entry("coco_ground", "coco.json", "messages") == {
        "coco_ground": {
            "file_name": "coco.json",
            "formatting": "sharegpt",
            "columns": {"messages": "messages", "images": "images"},
            "tags": {
                "role_tag": "role",
                "content_tag": "content",
                "user_tag": "user",
                "assistant_tag": "assistant",
                "system_tag": "system",
            },
        }
    }
    assert dataset_info_entry("d", "d.json") == {
        "d": {
            "file_name": "d.json",
            "formatting": "sharegpt",
            "columns": {"messages": "conversations", "images": "images"},
        }
    }


@pytest.mark.parametrize(
    ("record", "layout", "model"),
    [
        (
            {
                "id": "1",
                "conversations": [{"from": "user", "value": "Picture 1: <img>a</img>\nhi"}],
            },
            "qwen-vl",
            "qwen-vl",
        ),
        (
            {"messages": [{"role": "assistant", "content": "<|box_start|>(1,2),(3,4)<|box_end|>"}]},
            "ms-swift",
            "qwen2-vl",
        ),
        (
            {"messages": [{"role": "assistant", "content": '{"bbox_2d": [1, 2, 1300, 4]}'}]},
            "ms-swift",
            "qwen2.5-vl",
        ),
        (
            {"messages": [{"role": "assistant", "content": '{"bbox_2d": [1, 2, 999, 4]}'}]},
            "ms-swift",
            None,
        ),
        (
            {"conversations": [{"from": "human", "value": "<image>"}], "image": "a"},
            "qwen-vl-finetune",
            None,
        ),
        (
            {"conversations": [{"from": "human", "value": "<image>"}], "images": ["a"]},
            "sharegpt",
            None,
        ),
        ({"query": "<img>a</img>hi", "response": "x"}, "ms-swift", "qwen-vl"),
        ({"text": "x"}, None, None),
    ],
)
def test_detect(record: dict[str, Any], layout: str | None, model: str | None) -> None:
    found = detect(record)
    assert (found.layout, found.model) == (layout, model), found.why
    assert found.why
