"""The gallery shows where the trainer cuts a sample at max_len, at the character.

Expected positions come from the exact ``encode_sample`` ids (what ``finetune.py`` builds), not
from the code under test: the text of the kept tokens of the cut value is decoded and must be
exactly what precedes the marker.
"""

from __future__ import annotations

import html
import re
from typing import Any

import pytest

from datakit.gallery.conversation import messages_html
from datakit.gallery.cut import CutMark, find_cut, mark_cuts
from datakit.gallery.layout import plan_sample
from datakit.qwenvl.tokens import QwenTokenCounter
from datakit.validation.settings import Settings

PICTURE = "Picture 1: <img>img/a.png</img>\n"
SYSTEM = 11
HEADER = 3  # <|im_start|> role \n


@pytest.fixture(scope="module")
def counter() -> QwenTokenCounter:
    return QwenTokenCounter.load()


def _record(*values: str) -> dict[str, Any]:
    roles = ("user", "assistant")
    return {"conversations": [{"from": roles[i % 2], "value": v} for i, v in enumerate(values)]}


def _kept_text(counter: QwenTokenCounter, record: dict[str, Any], message: int,
               max_len: int) -> str:
    """The text of ``message``'s value that survives the cut, from the exact ids."""
    start = SYSTEM
    for value in (m["value"] for m in record["conversations"][:message]):
        start += HEADER + len(counter.encode_text(value)) + 2
    ids, _ = counter.encode_sample(record)
    kept = ids[start + HEADER : max_len]
    return counter.encoding.decode(kept)


ANSWER = "The red car is parked on the left, 在树的旁边。" * 40


@pytest.mark.parametrize("max_len", [300, 301, 333, 500, 517])
def test_a_cut_answer_is_marked_at_the_first_dropped_character(
    counter: QwenTokenCounter, max_len: int
) -> None:
    record = _record(PICTURE + "Where is the car?", ANSWER)
    cut = find_cut(counter, record, max_len)
    assert cut is not None and cut.message_index == 1 and cut.char_offset is not None
    assert ANSWER[: cut.char_offset] == _kept_text(counter, record, 1, max_len)
    assert (cut.max_len, cut.tokens) == (max_len, counter.account_sample(record, 2**20).tokens)


def test_a_sample_that_fits_has_no_cut(counter: QwenTokenCounter) -> None:
    record = _record(PICTURE + "Where is the car?", "On the left.")
    assert find_cut(counter, record, 2048) is None
    assert mark_cuts([record, "not a record"], Settings()) == ([None, None], "")


def test_a_cut_inside_an_image_marks_its_tag(counter: QwenTokenCounter) -> None:
    value = "Picture 1: <img>img/a.png</img>\nPicture 2: <img>img/b.png</img>\nCompare."
    record = _record(value, "Same.")
    # the second image's 258 tokens start after the first one's and "\nPicture 2: "
    first_image = SYSTEM + HEADER + len(counter.encode_text("Picture 1: "))
    second_image = first_image + 258 + len(counter.encode_text("\nPicture 2: "))
    for max_len in (second_image + 1, second_image + 100, second_image + 257):
        cut = find_cut(counter, record, max_len)
        assert cut == CutMark(0, value.index("<img>img/b.png"), max_len,
                              counter.account_sample(record, 2**20).tokens)


def test_cuts_between_and_around_values(counter: QwenTokenCounter) -> None:
    record = _record(PICTURE + "Describe it.", "A car.", "More?", "No.")
    n = [len(counter.encode_text(m["value"])) for m in record["conversations"]]
    answer_start = SYSTEM + HEADER + n[0] + 2 + HEADER
    # cut right at the answer's first token, or in its header: the whole answer is dropped
    assert find_cut(counter, record, answer_start) == CutMark(1, 0, answer_start, _total(n))
    assert find_cut(counter, record, answer_start - 2).char_offset == 0  # type: ignore[union-attr]
    # cut at its <|im_end|>: the text survives, the marker goes after it
    end = answer_start + n[1]
    assert find_cut(counter, record, end) == CutMark(1, len("A car."), end, _total(n))
    # a cut in the next turn: later messages are dropped whole
    later = find_cut(counter, record, end + 4)
    assert later == CutMark(2, 0, end + 4, _total(n))


def _total(n: list[int]) -> int:
    return SYSTEM + sum(HEADER + k + 2 for k in n)


def test_text_that_nfc_changes_marks_only_the_message(counter: QwenTokenCounter) -> None:
    decomposed = "Cafe\u0301 " * 400  # NFC composes e + combining acute into one character
    record = _record(PICTURE + "Where?", decomposed)
    cut = find_cut(counter, record, 400)
    assert cut is not None and (cut.message_index, cut.char_offset) == (1, None)


def _conversation_html(record: dict[str, Any], cut: CutMark | None) -> str:
    return "".join(messages_html(plan_sample(record), [], cut))


def test_the_conversation_shows_the_cut_and_dims_what_follows(counter: QwenTokenCounter) -> None:
    record = _record(PICTURE + "Where is the car?", ANSWER, "And then?", "Nothing.")
    cut = find_cut(counter, record, 400)
    assert cut is not None
    page = _conversation_html(record, cut)
    marker = (f'<span class="cut" title="{cut.tokens} tokens &gt; max_len 400">&#9986; cut at '
              "max_len 400 here</span>")
    assert page.count(marker) == 1
    before = page.split(marker)[0].rsplit('<div class="value">', 1)[1]
    assert html.unescape(re.sub(r"<[^>]+>", "", before)) == _kept_text(counter, record, 1, 400)
    assert page.count('class="msg user past-cut"') == 1
    assert page.count('class="msg assistant past-cut"') == 1
    assert page.count("(after the cut: not trained on)") == 2


def test_an_unknown_character_marks_the_message(counter: QwenTokenCounter) -> None:
    record = _record(PICTURE + "Where?", "e\u0301" * 600)
    page = _conversation_html(record, CutMark(1, None, 400, 999))
    assert ('<div class="value"><span class="cut" title="999 tokens &gt; max_len 400">&#9986; '
            "cut at max_len 400 in this message</span>") in page
