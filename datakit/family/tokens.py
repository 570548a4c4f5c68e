"""Exact token accounting for Qwen2-VL, Qwen2.5-VL and Qwen3-VL samples, per training framework.

``encode_sample`` gives the ``input_ids`` and ``labels`` a framework builds for a sample (no
length limit); ``account_sample`` says what becomes of it at ``max_len``::

    model, framework = MODELS["qwen2.5-vl"], FRAMEWORKS["llama-factory"]
    rule = resize_rule(model, framework)
    account_sample(sample, model, framework, rule, [(640, 428)], max_len=2048)
    # FamilyTokens(length=..., label_count=..., image_pad_counts=(...,), cut=None, ...)

Cut verdicts (``FamilyTokens.cut``), worst first:
- ``"inside-image-pads"``: the cut removes pad tokens of a picture whose features the model
  still receives: training stops with "Image features and image tokens do not match";
- ``"nothing-supervised"``: no label survives the cut (the sample teaches nothing);
- ``"through-answer"``: some supervised tokens are cut off;
- ``"through-prompt"``: only prompt tokens are cut (LLaMA-Factory shortens the prompt);
- ``"dropped"`` / ``"raises"``: ms-swift's ``truncation_strategy`` ``delete`` / ``raise``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from datakit.family.encoding import FamilyTextEncoder, load_encoder
from datakit.family.framework_encode import (
    SampleRejected,
    finetune_encode,
    llamafactory_assemble,
    llamafactory_pairs,
)
from datakit.family.profiles import Framework, ModelProfile
from datakit.family.sample import Sample
from datakit.family.spaces import PictureSizes
from datakit.family.swift_encode import swift_encode, swift_truncate
from datakit.family.template import (
    IGNORE_INDEX,
    IMAGE_PAD_ID,
    VISION_START_ID,
    FrameworkOptions,
    messages_of,
)
from datakit.family.vision import ImageTooSmall, ResizeRule, image_pad_tokens, resized_size_px

__all__ = [
    "IGNORE_INDEX",
    "Cut",
    "FamilyEncoding",
    "FamilyTokens",
    "FrameworkOptions",
    "SampleRejected",
    "account_sample",
    "encode_sample",
]

Cut = Literal[
    "inside-image-pads",
    "nothing-supervised",
    "through-answer",
    "through-prompt",
    "dropped",
    "raises",
]


@dataclass(frozen=True, slots=True)
class FamilyEncoding:
    input_ids: list[int]
    labels: list[int]  # -100 where not supervised, as the framework builds them
    image_pad_counts: tuple[int, ...]  # per picture, in order


@dataclass(frozen=True, slots=True)
class FamilyTokens:
    """What the framework makes of one sample at ``max_len``.

    ``length`` and ``label_count`` are before any cut; ``kept_length`` and
    ``kept_label_count`` after it (equal when ``cut`` is None; 0 for ``dropped``/``raises``).
    ``cut_picture`` is the 0-based picture that loses pad tokens. ``error`` is set when the
    framework refuses or skips the sample outright (then every count is 0).
    """

    length: int
    label_count: int
    image_pad_counts: tuple[int, ...]
    max_len: int
    cut: Cut | None = None
    kept_length: int = 0
    kept_label_count: int = 0
    cut_picture: int | None = None
    error: str | None = None


def _options(framework_options: dict[str, Any]) -> FrameworkOptions:
    given = framework_options.pop("options", None)
    if given is not None:
        if framework_options:
            raise TypeError("pass either options= or keyword options, not both")
        if not isinstance(given, FrameworkOptions):
            raise TypeError("options must be a FrameworkOptions")
        return given
    return FrameworkOptions.from_kwargs(framework_options)


def _pad_counts(
    sample: Sample, rule: ResizeRule, image_sizes_px: Sequence[tuple[int, int]]
) -> tuple[int, ...]:
    if len(image_sizes_px) != len(sample.images):
        raise ValueError(
            f"{len(image_sizes_px)} image size(s) given for {len(sample.images)} picture(s)"
        )
    counts = []
    for index, size in enumerate(image_sizes_px):
        try:
            counts.append(image_pad_tokens((int(size[0]), int(size[1])), rule))
        except ImageTooSmall as exc:
            raise SampleRejected(f"picture {index + 1}: the processor refuses it: {exc}") from None
    return tuple(counts)


def _picture_sizes(
    rule: ResizeRule, image_sizes_px: Sequence[tuple[int, int]]
) -> list[PictureSizes]:
    out = []
    for size in image_sizes_px:
        source = (int(size[0]), int(size[1]))
        try:
            out.append(PictureSizes(source, resized_size_px(source, rule)))
        except ImageTooSmall:
            out.append(PictureSizes(source))
    return out


def _encoder(model: ModelProfile, tokenizer: str | Path | None) -> FamilyTextEncoder:
    return load_encoder(model, tokenizer)


def _build(
    sample: Sample,
    model: ModelProfile,
    framework: Framework,
    rule: ResizeRule,
    image_sizes_px: Sequence[tuple[int, int]],
    max_len: int | None,
    options: FrameworkOptions,
    tokenizer: str | Path | None,
) -> tuple[list[int], list[int], list[int], list[int], tuple[int, ...]]:
    """(full ids, full labels, kept ids, kept labels, pad counts); raises SampleRejected."""
    pads = _pad_counts(sample, rule, image_sizes_px)
    encoder = _encoder(model, tokenizer)
    messages = messages_of(sample, model, _picture_sizes(rule, image_sizes_px))
    name = framework.name
    if name == "llama-factory":
        pairs = llamafactory_pairs(encoder, messages, model, pads, options)
        ids, labels = llamafactory_assemble(pairs, None, options)
        if max_len is None or len(ids) <= max_len:
            return ids, labels, ids, labels, pads
        kept_ids, kept_labels = llamafactory_assemble(pairs, max_len, options)
        return ids, labels, kept_ids, kept_labels, pads
    if name == "qwen-vl-finetune":
        ids, labels = finetune_encode(encoder, messages, model, pads, options)
        if max_len is None or len(ids) <= max_len:
            return ids, labels, ids, labels, pads
        return ids, labels, ids[:max_len], labels[:max_len], pads
    if name == "ms-swift":
        ids, labels = swift_encode(encoder, messages, model, pads, options)
        if max_len is None or len(ids) <= max_len:
            return ids, labels, ids, labels, pads
        if options.truncation_strategy not in ("left", "right"):
            return ids, labels, [], [], pads
        kept_ids, kept_labels = swift_truncate(
            ids, labels, max_len, options.truncation_strategy == "left"
        )
        return ids, labels, kept_ids, kept_labels, pads
    raise ValueError(f"{framework.title} trains Qwen-VL v1 only; see datakit.qwenvl.tokens")


def encode_sample(
    sample: Sample,
    model: ModelProfile,
    framework: Framework,
    rule: ResizeRule,
    image_sizes_px: Sequence[tuple[int, int]],
    *,
    tokenizer: str | Path | None = None,
    **framework_options: Any,
) -> FamilyEncoding:
    """The ids and labels ``framework`` builds for ``sample`` with no length limit.
    ``image_sizes_px``: stored (width, height) per picture of ``sample.images``. Raises
    ``SampleRejected`` when the framework refuses or skips the sample."""
    options = _options(framework_options)
    ids, labels, _, _, pads = _build(
        sample, model, framework, rule, image_sizes_px, None, options, tokenizer
    )
    return FamilyEncoding(ids, labels, pads)


def account_sample(
    sample: Sample,
    model: ModelProfile,
    framework: Framework,
    rule: ResizeRule,
    image_sizes_px: Sequence[tuple[int, int]],
    max_len: int,
    *,
    tokenizer: str | Path | None = None,
    **framework_options: Any,
) -> FamilyTokens:
    """What ``framework`` makes of ``sample`` at ``max_len`` tokens (see the module doc)."""
    if max_len < 1:
        raise ValueError(f"max_len must be at least 1, not {max_len}")
    options = _options(framework_options)
    try:
        ids, labels, kept_ids, kept_labels, pads = _build(
            sample, model, framework, rule, image_sizes_px, max_len, options, tokenizer
        )
    except SampleRejected as exc:
        return FamilyTokens(0, 0, (), max_len, error=str(exc))
    label_count = _label_count(labels)
    if len(ids) <= max_len:
        return FamilyTokens(len(ids), label_count, pads, max_len, None, len(ids), label_count)
    if framework.name == "ms-swift" and options.truncation_strategy in ("delete", "raise"):
        cut: Cut = "dropped" if options.truncation_strategy == "delete" else "raises"
        return FamilyTokens(len(ids), label_count, pads, max_len, cut)
    kept_label_count = _label_count(kept_labels)
    picture = _first_short_picture(kept_ids, pads)
    if picture is not None:
        cut = "inside-image-pads"
    elif kept_label_count == 0:
        cut = "nothing-supervised"
    elif kept_label_count < label_count:
        cut = "through-answer"
    else:
        cut = "through-prompt"
    return FamilyTokens(
        len(ids), label_count, pads, max_len, cut, len(kept_ids), kept_label_count, picture
    )


def _label_count(labels: list[int]) -> int:
    return len(labels) - labels.count(IGNORE_INDEX)


def _first_short_picture(ids: list[int], pads: Sequence[int]) -> int | None:
    """The first picture whose pads the kept ids do not hold in full (pictures in order)."""
    if ids.count(IMAGE_PAD_ID) >= sum(pads):
        return None
    start = 0
    for index, expected in enumerate(pads):
        try:
            start = ids.index(VISION_START_ID, start) + 1
        except ValueError:
            return index
        end = start + expected
        if ids[start:end].count(IMAGE_PAD_ID) < expected:
            return index
        start = end
    return len(pads) - 1 if pads else None
