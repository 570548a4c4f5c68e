"""A panic inside tiktoken (a run of about a million spaces overflows its pre-tokeniser's
stack) fails the sample as the trainer's tokenizer fails; it never crashes datakit."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from datakit.qwenvl.text_tokens import TextScanner
from datakit.qwenvl.tokens import QwenTokenCounter

COUNTER = QwenTokenCounter.load()
SPACES = " " * 1_000_000


class PanicException(BaseException):
    """Stands in for ``pyo3_runtime.PanicException``, which Python code cannot import."""


def _panicking_counter(monkeypatch: pytest.MonkeyPatch, exc: BaseException) -> QwenTokenCounter:
    def encode(text: str) -> list[int]:
        if len(text) > 100:
            raise exc
        return list(COUNTER.encoding.encode_ordinary(text))

    counter = QwenTokenCounter(COUNTER.encoding)
    monkeypatch.setattr(counter, "_scanner", TextScanner(encode))
    return counter


def test_a_panic_is_the_text_s_error(monkeypatch: pytest.MonkeyPatch) -> None:
    counter = _panicking_counter(monkeypatch, PanicException("StackOverflow"))
    result = counter.count_text("Picture 1: <img>a.jpg</img>\n" + "x " * 100)
    assert (result.tokens, result.error) == (0, "PanicException: StackOverflow")
    assert [(p.kind, p.fatal) for p in result.problems] == [("tokenizer-panic", True)]


def test_a_panic_fails_the_sample_and_names_the_message(monkeypatch: pytest.MonkeyPatch) -> None:
    counter = _panicking_counter(monkeypatch, PanicException("StackOverflow"))
    sample = counter.account_sample(
        [{"from": "user", "value": "hi"}, {"from": "assistant", "value": "<|im_end|>" + "x " * 99}]
    )
    assert (sample.tokens, sample.error) == (0, "PanicException: StackOverflow")
    # What the value held before the panic is not known: the panic is its only problem.
    assert [(p.kind, p.message_index) for p in sample.problems] == [("tokenizer-panic", 1)]


def test_an_interrupt_is_not_taken_for_a_panic(monkeypatch: pytest.MonkeyPatch) -> None:
    counter = _panicking_counter(monkeypatch, KeyboardInterrupt())
    with pytest.raises(KeyboardInterrupt):
        counter.count_text("x " * 100)


def test_a_million_spaces_count_exactly_or_fail_as_tiktoken_fails() -> None:
    result = COUNTER.count_text("a" + SPACES + "b")
    try:
        expected = len(COUNTER.encoding.encode_ordinary("a" + SPACES + "b"))
    except BaseException as exc:  # a tiktoken that panics here
        assert type(exc).__name__ == "PanicException"
        assert result.error is not None and result.error.startswith("PanicException: ")
        assert [p.kind for p in result.problems] == ["tokenizer-panic"]
    else:
        assert (result.tokens, result.error) == (expected, None)


def _tiktoken_panics_on_spaces() -> bool:
    try:
        COUNTER.encoding.encode_ordinary(SPACES)
    except BaseException:
        return True
    return False


@pytest.mark.skipif(not _tiktoken_panics_on_spaces(), reason="this tiktoken does not panic")
@pytest.mark.parametrize("command", ["validate", "tokens"])
def test_the_commands_report_it_and_go_on(tmp_path: Path, command: str) -> None:
    records = [
        {"id": "spaces", "conversations": [{"from": "user", "value": "hi" + SPACES + "!"},
                                           {"from": "assistant", "value": "ok"}]},
        {"id": "fine", "conversations": [{"from": "user", "value": "hi"},
                                         {"from": "assistant", "value": "ok"}]},
    ]
    path = tmp_path / "d.json"
    path.write_text(json.dumps(records), encoding="utf-8")
    args = ["--images", "none", "--format", "json"] if command == "validate" else []
    done = subprocess.run(
        [sys.executable, "-m", "datakit", command, str(path), *args, "-o", str(tmp_path / "out")],
        capture_output=True, text=True, check=False, timeout=120,
    )
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    out = (tmp_path / "out").read_text(encoding="utf-8")
    if command == "tokens":
        rows = [json.loads(line) for line in out.splitlines()]
        assert [(r["id"], r["error"] is not None) for r in rows] == [("spaces", True), ("fine", False)]
        assert rows[0]["problems"][0]["kind"] == "tokenizer-panic"
    else:
        findings = json.loads(out)["findings"]
        assert [(f["code"], f["location"]["record_index"]) for f in findings] == [("K004", 0)]
