"""The problems token accounting reports, with their stable kind names and messages."""

from __future__ import annotations

from dataclasses import dataclass

from datakit.qwenvl.vocab import ENDOFTEXT

IMG_SLOTS = 256  # byte slots between <img> and </img>
# The model slices a span as [start + 1 : end - 1] and looks for the first <imgpad> in it, so
# a 255- or 256-byte path passes the tokenizer and then fails in the forward pass.
MODEL_MAX_IMAGE_BYTES = IMG_SLOTS - 2

# Kinds of problem (stable names).
IMAGE_CONTENT_TOO_LONG = "image-content-too-long"
IMAGE_PATH_TOO_LONG_FOR_MODEL = "image-path-too-long-for-model"
UNCLOSED_IMAGE = "unclosed-image"
SPECIAL_TOKEN_IN_IMAGE = "special-token-in-image"
UNMATCHED_IMAGE_END = "unmatched-image-end"
CONTROL_TOKEN_IN_TEXT = "control-token-in-text"
TOKENIZER_PANIC = "tokenizer-panic"

ERROR_TOO_LONG = "ValueError: The content in <img>..</img> is too long"
ERROR_UNCLOSED = "ValueError: Unclosed image token"


@dataclass(frozen=True, slots=True)
class TokenProblem:
    """Something in a sample that fails training or silently changes it.

    ``kind`` is a stable kebab-case name; ``message_index`` the position of the message in
    ``conversations`` (None for a bare text or the sample as a whole); ``offset`` a character
    offset into the NFC-normalised value; ``fatal`` whether training crashes on it.
    """

    kind: str
    message: str
    message_index: int | None = None
    offset: int | None = None
    fatal: bool = False


def control_message(token: str) -> str:
    if token == ENDOFTEXT:
        return (
            f"literal {token} becomes the padding token: training treats it as padding "
            "(attention mask 0)"
        )
    return f"literal {token} is read as a control token, not as text"


def panicked(exc: BaseException) -> TokenProblem:
    # Seen for a run of about a million whitespace characters: the pre-tokeniser's regular
    # expression runs out of stack. The trainer's tokenizer (tiktoken too) fails the same way.
    return TokenProblem(
        TOKENIZER_PANIC,
        f"tiktoken fails on this text (PanicException: {exc}); a run of about a million "
        "whitespace characters does this: shorten the run",
        fatal=True,
    )


def too_long(n_bytes: int, offset: int) -> TokenProblem:
    return TokenProblem(
        IMAGE_CONTENT_TOO_LONG,
        f"image path is {n_bytes} UTF-8 bytes; the tokenizer accepts at most {IMG_SLOTS} "
        f"and the model at most {MODEL_MAX_IMAGE_BYTES}",
        offset=offset,
        fatal=True,
    )


def too_long_for_model(n_bytes: int, offset: int) -> TokenProblem:
    return TokenProblem(
        IMAGE_PATH_TOO_LONG_FOR_MODEL,
        f"image path is {n_bytes} UTF-8 bytes: the tokenizer accepts it but the model finds "
        f"no <imgpad> and fails (at most {MODEL_MAX_IMAGE_BYTES} bytes work)",
        offset=offset,
        fatal=True,
    )
