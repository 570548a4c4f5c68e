"""The tokenizer of a Qwen2-VL family model, offline and at tiktoken speed.

Every model here shares Qwen-VL's 151,643 BPE ranks and pre-tokeniser pattern; only the special
tokens differ (``ModelProfile.special_ids``). The HF ``Qwen2Tokenizer`` matches special-token
strings anywhere in the text before anything else, so a literal ``<|im_end|>`` or
``<|image_pad|>`` in a message becomes that token; it NFC-normalises the rest. Here the special
tokens are split off with one regular expression and BPE runs on the plain pieces only
(``encode_ordinary``), which gives the same ids: BPE never crosses a special token.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from pathlib import Path
from typing import Any

from datakit.family.profiles import ModelProfile
from datakit.qwenvl.text_tokens import fix_surrogates
from datakit.qwenvl.vocab import (
    DASHSCOPE_SHA256,
    PAT_STR,
    read_ranks,
    resolve_vocabulary_path,
)

# Plain pieces up to this many characters are cached: template fragments ("user\n") and the
# short texts between tags recur in every sample.
_CACHE_MAX_CHARS = 64
_CACHE_MAX_ENTRIES = 1 << 16

_lock = threading.Lock()
_ranks_cache: dict[Path, dict[bytes, int]] = {}
_encoders: dict[tuple[Path, str], FamilyTextEncoder] = {}
# By the argument as given: resolving the path looks the package up on disk every time.
_by_argument: dict[tuple[str | Path | None, str], FamilyTextEncoder] = {}


class FamilyTextEncoder:
    """Text to ids for one model, exactly as its HF tokenizer's ``encode`` (no BOS)."""

    __slots__ = ("_cache", "_encode_core", "_split", "encoding", "special_ids")

    def __init__(self, encoding: Any, special_ids: dict[str, int]) -> None:
        self.encoding = encoding
        self.special_ids = special_ids
        core = getattr(getattr(encoding, "_core_bpe", None), "encode_ordinary", None)
        self._encode_core = core or encoding.encode_ordinary
        # No special token is a prefix of another, so leftmost alternation splits as HF does.
        pattern = "|".join(re.escape(t) for t in sorted(special_ids, key=len, reverse=True))
        self._split = re.compile(f"({pattern})").split if pattern else None
        self._cache: dict[str, tuple[int, ...]] = {}

    def encode_plain(self, text: str) -> list[int]:
        """Ids of text that holds no special token (normalised here)."""
        if not text:
            return []
        if len(text) <= _CACHE_MAX_CHARS:
            cached = self._cache.get(text)
            if cached is not None:
                return list(cached)
        ids = self._bpe(unicodedata.normalize("NFC", text))
        if len(text) <= _CACHE_MAX_CHARS:
            if len(self._cache) >= _CACHE_MAX_ENTRIES:
                self._cache.clear()
            self._cache[text] = tuple(ids)
        return ids

    def encode(self, text: str) -> list[int]:
        """Ids of ``text``, special-token strings matched first."""
        if self._split is None or "<" not in text:
            return self.encode_plain(text)
        out: list[int] = []
        special = self.special_ids
        for index, piece in enumerate(self._split(text)):
            if index % 2:
                out.append(special[piece])
            elif piece:
                out += self.encode_plain(piece)
        return out

    def _bpe(self, text: str) -> list[int]:
        try:
            ids: list[int] = self._encode_core(text)
        except UnicodeEncodeError:
            ids = self._encode_core(fix_surrogates(text))
        return ids


def _ranks(path: Path, expected_sha256: str | None) -> dict[bytes, int]:
    ranks = _ranks_cache.get(path)
    if ranks is None:
        ranks = _ranks_cache[path] = read_ranks(path, expected_sha256=expected_sha256)
    return ranks


def load_encoder(model: ModelProfile, tokenizer: str | Path | None = None) -> FamilyTextEncoder:
    """The encoder of ``model`` over the Qwen vocabulary at ``tokenizer`` (a ``qwen.tiktoken``
    file or a directory holding one; None for the installed copy, sha256-checked). Cached per
    path and model. Raises ``VocabularyError`` with a fix when the vocabulary is missing."""
    known = _by_argument.get((tokenizer, model.name))
    if known is not None:
        return known
    if model.vision is None:
        raise ValueError(f"{model.title} is tokenised by datakit.qwenvl, not by this encoder")
    path = resolve_vocabulary_path(tokenizer).resolve()
    key = (path, model.name)
    with _lock:
        encoder = _encoders.get(key)
        if encoder is not None:
            _by_argument[(tokenizer, model.name)] = encoder
            return encoder
        import tiktoken

        specials = model.special_ids()
        ranks = _ranks(path, DASHSCOPE_SHA256 if tokenizer is None else None)
        encoding = tiktoken.Encoding(
            model.name, pat_str=PAT_STR, mergeable_ranks=ranks, special_tokens=specials
        )
        encoder = _encoders[key] = FamilyTextEncoder(encoding, specials)
        _by_argument[(tokenizer, model.name)] = encoder
        return encoder
