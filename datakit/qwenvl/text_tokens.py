"""Token accounting of one message value, exactly as Qwen-VL's tokenizer counts it.

The tokenizer (``tokenization_qwen.py`` of Qwen-VL-Chat) NFC-normalises the text, encodes it with
every special token allowed, then replaces each ``<img>...</img>`` run by ``<img>``, the content's
UTF-8 bytes as ids 0..255, ``<imgpad>`` up to 256 slots, and ``</img>``. Here the special tokens
are split off with one regular expression and BPE runs on the plain pieces only (tiktoken's
``encode_ordinary``, several times faster than ``encode`` with specials allowed); BPE never
crosses a special token in the real tokenizer either, so the counts are identical.

Offsets in problems are character offsets into the NFC-normalised value (for values that are
already NFC, which is nearly all, that is the value as written).
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from datakit.qwenvl.token_problems import (
    CONTROL_TOKEN_IN_TEXT,
    ERROR_TOO_LONG,
    ERROR_UNCLOSED,
    IMG_SLOTS,
    MODEL_MAX_IMAGE_BYTES,
    SPECIAL_TOKEN_IN_IMAGE,
    UNCLOSED_IMAGE,
    UNMATCHED_IMAGE_END,
    TokenProblem,
    control_message,
    panicked,
    too_long,
    too_long_for_model,
)
from datakit.qwenvl.vocab import BOX_START, IMG_END, IMG_PAD, IMG_START

IMAGE_TOKENS = IMG_SLOTS + 2  # <img>, the byte slots, </img>

# Every special token of the vocabulary: <|endoftext|>, <|im_start|>, <|im_end|>,
# <|extra_0|>..<|extra_204|> and the nine image/grounding tags. None is a prefix of another,
# so leftmost matching splits text exactly as tiktoken does.
SPECIAL_RE = re.compile(
    r"<\|(?:endoftext|im_start|im_end|extra_(?:[1-9]?[0-9]|1[0-9][0-9]|20[0-4]))\|>"
    r"|</?(?:ref|box|quad|img)>|<imgpad>"
)
# "(588,499),(725,789)" pre-tokenises into its digits plus "(", ",", "),(", ",", ")", each one
# token (checked against the vocabulary when a counter is built).
BOX_CONTENT_RE = re.compile(r"\([0-9]+,[0-9]+\),\([0-9]+,[0-9]+\)")

_SPLIT = re.compile(f"({SPECIAL_RE.pattern})").split
_GROUNDING_TAGS = frozenset({"<ref>", "</ref>", "<box>", "</box>", "<quad>", "</quad>"})


@dataclass(frozen=True, slots=True)
class TextTokens:
    """One text as the tokenizer sees it: ``tokens`` ids (258 per image), or ``error``."""

    tokens: int
    images: int
    problems: tuple[TokenProblem, ...] = ()
    error: str | None = None


# (tokens, images, token offsets of each <img>, problems, first error)
ScanResult = tuple[int, int, "list[int] | None", "list[TokenProblem] | None", "str | None"]


def utf8_length(text: str) -> int:
    """Byte length as the tokenizer's bytes would have it (lone surrogates become U+FFFD)."""
    try:
        return len(text.encode("utf-8"))
    except UnicodeEncodeError:
        return len(fix_surrogates(text).encode("utf-8"))


def fix_surrogates(text: str) -> str:
    """tiktoken's own repair for strings that UTF-8 cannot encode (paired halves are joined)."""
    return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


class TextScanner:
    """Counts one NFC-normalised text. ``count_plain`` is memoised for short pieces, which
    recur constantly ("Picture 1: ", newlines, questions, short refs). When the memo holds
    ``_CACHE_CHARS`` characters, its older half goes: pieces still in use come back at once,
    where emptying it all would count every one of them again."""

    __slots__ = ("_box_shortcut", "_cache", "_cached_chars", "_encode_fast", "_encode_ordinary")

    _CACHE_CHARS = 3_000_000  # ~180,000 short pieces, ~20 MB: a constant, whatever the file
    _CACHEABLE_CHARS = 64

    def __init__(
        self,
        encode_ordinary: Callable[[str], list[int]],
        encode_fast: Callable[[str], list[int]] | None = None,
    ) -> None:
        """``encode_fast`` may skip tiktoken's repair of unencodable strings (it must raise
        ``UnicodeEncodeError`` on them); ``encode_ordinary`` is the full public method."""
        self._encode_ordinary = encode_ordinary
        self._encode_fast = encode_fast or encode_ordinary
        self._cache: dict[str, int] = {}
        self._cached_chars = 0
        self._box_shortcut = len(encode_ordinary("(588,499),(725,789)")) == 17

    def count_plain(self, piece: str) -> int:
        cached = self._cache.get(piece)
        if cached is not None:
            return cached
        try:
            count = len(self._encode_fast(piece))
        except UnicodeEncodeError:  # lone surrogates: tiktoken's own repair
            count = len(self._encode_ordinary(piece))
        size = len(piece)
        if size <= self._CACHEABLE_CHARS:
            if self._cached_chars + size > self._CACHE_CHARS:
                self._forget_older_half()
            self._cache[piece] = count
            self._cached_chars += size
        return count

    def _forget_older_half(self) -> None:
        cache = self._cache
        for piece in list(itertools.islice(cache, len(cache) // 2 + 1)):  # insertion order
            del cache[piece]
            self._cached_chars -= len(piece)

    def scan(self, text: str) -> ScanResult:
        """Counts for the common shapes (grounding tags, images with short paths); anything
        else (control tokens, broken image spans, long paths) goes to ``scan_fully``. A panic
        in tiktoken is the text's error, as it is the trainer's."""
        try:
            if "<" not in text:
                return self.count_plain(text), 0, None, None, None
            parts = _SPLIT(text)  # plain, special, plain, special, ..., plain
            count_plain = self.count_plain
            piece = parts[0]
            tokens = count_plain(piece) if piece else 0
            images = 0
            image_starts: list[int] | None = None
            n_parts = len(parts)
            i = 1
            while i < n_parts:
                token = parts[i]
                if token == IMG_START:
                    if i + 2 >= n_parts or parts[i + 2] != IMG_END:
                        return self.scan_fully(text)
                    path = parts[i + 1]
                    # 4 bytes per character at most: only long paths need measuring.
                    if len(path) > MODEL_MAX_IMAGE_BYTES // 4 and utf8_length(path) > (
                        MODEL_MAX_IMAGE_BYTES
                    ):
                        return self.scan_fully(text)
                    if image_starts is None:
                        image_starts = [tokens]
                    else:
                        image_starts.append(tokens)
                    images += 1
                    tokens += IMAGE_TOKENS
                    piece = parts[i + 3]
                    i += 4
                elif token in _GROUNDING_TAGS:
                    piece = parts[i + 1]
                    i += 2
                    tokens += 1
                    if (
                        token == BOX_START
                        and self._box_shortcut
                        and BOX_CONTENT_RE.fullmatch(piece)
                    ):
                        tokens += len(piece) - 2
                        continue
                else:
                    return self.scan_fully(text)
                if piece:
                    tokens += count_plain(piece)
            return tokens, images, image_starts, None, None
        except BaseException as exc:  # a panic in tiktoken's Rust code is no Exception
            if type(exc).__name__ != "PanicException":
                raise
            return 0, 0, None, [panicked(exc)], f"PanicException: {exc}"

    def scan_fully(self, text: str) -> ScanResult:
        """Like ``scan``, for any text, with every problem and the tokenizer's first error."""
        count_plain = self.count_plain
        tokens = 0
        images = 0
        image_starts: list[int] | None = None
        problems: list[TokenProblem] = []  # appended to: one value may hold millions
        error: str | None = None
        pos = 0
        open_at = -1  # offset of the open <img>, or -1
        special_in_span = -1  # offset of the first special token inside the open span
        special_token = ""
        after_box = False
        for match in SPECIAL_RE.finditer(text):
            start = match.start()
            token = match.group()
            if open_at >= 0:
                if token != IMG_END:
                    if special_in_span < 0:
                        special_in_span, special_token = start, token
                    continue
                content_start = open_at + 5
                if special_in_span >= 0:
                    head = text[content_start:special_in_span]
                    item = len(self._encode_ordinary(head)) if head else 0
                    problem = TokenProblem(
                        SPECIAL_TOKEN_IN_IMAGE,
                        f"special token {special_token} inside <img>...</img>: the tokenizer "
                        "fails joining the path bytes",
                        offset=special_in_span,
                        fatal=True,
                    )
                    problems.append(problem)
                    if error is None:
                        error = (
                            f"TypeError: sequence item {item}: expected a bytes-like object, "
                            "str found"
                        )
                else:
                    n_bytes = utf8_length(text[content_start:start])
                    if n_bytes > IMG_SLOTS:
                        problems.append(too_long(n_bytes, open_at))
                        if error is None:
                            error = ERROR_TOO_LONG
                    elif n_bytes > MODEL_MAX_IMAGE_BYTES:
                        problems.append(too_long_for_model(n_bytes, open_at))
                    if image_starts is None:
                        image_starts = [tokens]
                    else:
                        image_starts.append(tokens)
                    images += 1
                    tokens += IMAGE_TOKENS
                open_at = -1
                pos = match.end()
                continue
            if start > pos:
                piece = text[pos:start]
                if after_box and self._box_shortcut and BOX_CONTENT_RE.fullmatch(piece):
                    tokens += len(piece) - 2
                else:
                    tokens += count_plain(piece)
            pos = match.end()
            after_box = token == BOX_START
            if token == IMG_START:
                open_at = start
                special_in_span = -1
                continue
            tokens += 1
            if token[1] == "|" or token == IMG_PAD:
                problem = TokenProblem(CONTROL_TOKEN_IN_TEXT, control_message(token), offset=start)
                problems.append(problem)
            elif token == IMG_END:
                problem = TokenProblem(
                    UNMATCHED_IMAGE_END,
                    "</img> without an open <img>: the model pairs <img> and </img> tokens, "
                    "and training crashes when the sample also holds an image",
                    offset=start,
                )
                problems.append(problem)
        if open_at >= 0:
            problem = TokenProblem(
                UNCLOSED_IMAGE,
                "<img> without a later </img>: the tokenizer raises 'Unclosed image token'",
                offset=open_at,
                fatal=True,
            )
            problems.append(problem)
            if error is None:
                error = ERROR_UNCLOSED
        elif pos < len(text):
            tail = text[pos:]
            if after_box and self._box_shortcut and BOX_CONTENT_RE.fullmatch(tail):
                tokens += len(tail) - 2
            else:
                tokens += count_plain(tail)
        return tokens, images, image_starts, problems or None, error


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)
