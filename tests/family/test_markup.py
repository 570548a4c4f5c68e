"""Markup per model: exact renders, parse as the inverse, problems with offsets, linear time."""

from __future__ import annotations

import gc
import time

import pytest

from datakit.family.markup import Problem, parse_text, render_turn
from datakit.family.profiles import MODELS
from datakit.family.sample import Box, Grounded, Image, ImageSlot, Text, Turn

V1, Q2, Q25, Q3 = (MODELS[n] for n in ("qwen-vl", "qwen2-vl", "qwen2.5-vl", "qwen3-vl"))


def _turn(*parts: object, space: str = "norm1000") -> Turn:
    return Turn("assistant", tuple(parts))  # type: ignore[arg-type]


DOGS = (
    Grounded("dog", (Box((1, 2, 30, 40), "norm1000"), Box((5, 6, 70, 80), "norm1000"))),
    Text(" and "),
    Grounded(None, (Box((9, 8), "norm1000"),)),
)


def test_v1_render_is_the_converters_form() -> None:
    turn = Turn(
        "user",
        (ImageSlot(0), Text("Where is "), Grounded("the dog", ()), Text("?")),
    )
    text = render_turn(turn, V1, images=[Image("a.jpg")])
    assert text == "Picture 1: <img>a.jpg</img>\nWhere is <ref>the dog</ref>?"
    answer = _turn(
        Grounded("dog", (Box((1, 2, 30, 40), "norm1000"),)),
        Grounded(None, (Box((3, 4, 5, 6), "norm1000"),)),
    )
    assert render_turn(answer, V1) == "<ref>dog</ref><box>(1,2),(30,40)</box><box>(3,4),(5,6)</box>"


def test_qwen2_render_exact() -> None:
    assert render_turn(_turn(*DOGS), Q2) == (
        "<|object_ref_start|>dog<|object_ref_end|><|box_start|>(1,2),(30,40)<|box_end|>"
        "<|box_start|>(5,6),(70,80)<|box_end|> and <|box_start|>(9,8)<|box_end|>"
    )


def test_json_render_exact() -> None:
    turn = _turn(
        Grounded("dog", (Box((1, 2, 30, 40), "norm1000"), Box((5, 6, 70, 80), "norm1000"))),
        Grounded('狗 "x"', (Box((9, 8), "norm1000"),)),
    )
    assert render_turn(turn, Q3) == (
        "```json\n[\n"
        '\t{"bbox_2d": [1, 2, 30, 40], "label": "dog"},\n'
        '\t{"bbox_2d": [5, 6, 70, 80], "label": "dog"},\n'
        '\t{"point_2d": [9, 8], "label": "狗 \\"x\\""}\n'
        "]\n```"
    )
    question = Turn("user", (ImageSlot(0), Text("Where is "), Grounded("the dog", ()), Text("?")))
    assert render_turn(question, Q3) == "<image>Where is the dog?"


def test_render_refuses_boxes_off_the_models_space() -> None:
    with pytest.raises(ValueError, match="resized_px"):
        render_turn(_turn(*DOGS), Q25)


@pytest.mark.parametrize("model", [V1, Q2, Q3], ids=lambda m: m.name)
def test_parse_inverts_render(model: object) -> None:
    parts = [
        ImageSlot(0),
        Text("look: "),
        Grounded("dog", (Box((1, 2, 30, 40), "norm1000"), Box((5, 6, 70, 80), "norm1000"))),
        Grounded("cat", (Box((7, 8, 9, 10), "norm1000"),)),
        Text(" end"),
    ]
    turn = Turn("assistant", tuple(parts))
    text = render_turn(turn, model, images=[Image("p.jpg")], image_tag=None)  # type: ignore[arg-type]
    parsed = parse_text(text, model, image_tag="<image>")  # type: ignore[arg-type]
    assert parsed.problems == ()
    assert parsed.parts == tuple(parts)
    assert render_turn(Turn("assistant", parsed.parts), model, images=[Image("p.jpg")]) == text  # type: ignore[arg-type]


def test_json_parse_groups_labels_and_reads_unfenced_json() -> None:
    parts, problems = parse_text(
        '[{"bbox_2d": [1, 2, 3, 4], "label": "a"}, {"point_2d": [5, 6]}]', Q25
    )
    assert problems == ()
    assert parts == (
        Grounded("a", (Box((1, 2, 3, 4), "resized_px"),)),
        Grounded(None, (Box((5, 6), "resized_px"),)),
    )


def test_json_other_json_is_text() -> None:
    text = 'see ```json\n{"a": 1}\n``` there'
    assert parse_text(text, Q3).parts == (Text(text),)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (
            "a <|box_start|><|box_start|>(1,2),(3,4)<|box_end|>",
            Problem(
                "doubled-tag",
                "<|box_start|> opened again at offset 15 before <|box_end|> closed it",
                2,
            ),
        ),
        (
            "<|box_start|>(1,2),(3)<|box_end|>",
            Problem(
                "box-arity",
                "<|box_start|>(1,2),(3)<|box_end|> has 3 numbers; a box has 4, (x1,y1),(x2,y2), and a point 2, (x,y)",
                0,
            ),
        ),
        (
            "xx<|box_start|>(1.5,2),(3,4)<|box_end|>",
            Problem(
                "non-integer-coordinate",
                "<|box_start|>(1.5,2),(3,4)<|box_end|> has a coordinate that is not a whole number",
                2,
            ),
        ),
        (
            "<|box_start|>(-1,2),(3,4)<|box_end|>",
            Problem(
                "negative-coordinate",
                "<|box_start|>(-1,2),(3,4)<|box_end|> has a negative coordinate",
                0,
            ),
        ),
        (
            "ab<|object_ref_start|>dog",
            Problem("unclosed-tag", "<|object_ref_start|> is never closed", 2),
        ),
        ("ab<|box_end|>", Problem("stray-closing-tag", "<|box_end|> without its opening token", 2)),
    ],
)
def test_qwen2_problems_with_offsets(text: str, problem: Problem) -> None:
    parsed = parse_text(text, Q2)
    assert problem in parsed.problems
    # Faulty tags stay text: nothing is lost on the way back.
    assert render_turn(Turn("assistant", parsed.parts), Q2) == text


@pytest.mark.parametrize(
    ("text", "kind", "offset"),
    [
        ('```json\n[{"bbox_2d": [1, 2, 3]}]\n```', "box-arity", 10),
        ('```json\n[{"bbox_2d": [1, 2, 3, 4], }]\n```', "invalid-json", 35),
        ('```json\n[{"bbox_2d": [1, 2.5, 3, 4]}]\n```', "non-integer-coordinate", 10),
        ('```json\n[{"point_2d": [-1, 2]}]\n```', "negative-coordinate", 10),
        ('x ```json\n[{"bbox_2d": [1, 2, 3, 4]}]\n', "unclosed-fence", 2),
        ("```json\n" + "[" * 100_000 + '"bbox_2d"\n```', "invalid-json", 7),
    ],
)
def test_json_problems_with_offsets(text: str, kind: str, offset: int) -> None:
    parsed = parse_text(text, Q3)
    assert [(p.kind, p.offset) for p in parsed.problems] == [(kind, offset)]
    assert render_turn(Turn("assistant", parsed.parts), Q3) == text


def test_v1_problems_and_pictures() -> None:
    parsed = parse_text("Picture 1: <img>a.jpg</img>\nx<box>(1,2),(3,4,5)</box><ref>y", V1)
    assert parsed.image_paths == ("a.jpg",)
    assert [(p.kind, p.offset) for p in parsed.problems] == [
        ("malformed-box", 29),
        ("unclosed-tag", 53),
    ]


def _elapsed(text: str, model: object) -> float:
    # Best of five with the collector off: the machine is shared, the parse allocates a lot.
    best = float("inf")
    gc.disable()
    try:
        for _ in range(5):
            start = time.perf_counter()
            parse_text(text, model)  # type: ignore[arg-type]
            best = min(best, time.perf_counter() - start)
    finally:
        gc.enable()
    return best


@pytest.mark.parametrize(
    ("unit", "model"),
    [
        ("<|box_start|><|object_ref_start|>(1,2<|box_end|>", Q2),
        ("<|box_start|>(1,2),(3,4)<|box_end|><|object_ref_start|>", Q2),
        ('```json\n[{"bbox_2d": [1, 2, 3]}]\n``` ```json', Q3),
        ('```json[{"bbox_2d": ', Q3),
        ("<ref><box>(1,2),(3,<img>", V1),
    ],
)
def test_parse_time_grows_linearly(unit: str, model: object) -> None:
    small, large = unit * 1_000, unit * 4_000
    # Quadratic growth gives ~16x every time; noise on a shared machine only now and then.
    ratios = []
    for _ in range(3):
        ratios.append(_elapsed(large, model) / max(_elapsed(small, model), 1e-6))
        if ratios[-1] < 8:
            break
    assert min(ratios) < 8, ratios
