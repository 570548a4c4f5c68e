"""What differs between the models of the Qwen-VL family, and between the frameworks that
train them: small tables of facts, never a fork of the pipeline.

A ``ModelProfile`` says how a model writes pictures and boxes and what an image costs in tokens.
A ``Framework`` says how a trainer lays out its records, resizes images before the processor
and cuts long samples. Sources are named beside each fact; the facts are in
``docs/qwen-vl-family`` of the project's references and are proved by the reference harness
(``tests/tools/make_family_goldens.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from datakit.family.sample import BoxSpace

ModelName = Literal["qwen-vl", "qwen2-vl", "qwen2.5-vl", "qwen3-vl"]
MODEL_NAMES: tuple[ModelName, ...] = ("qwen-vl", "qwen2-vl", "qwen2.5-vl", "qwen3-vl")
FrameworkName = Literal["qwen-vl", "ms-swift", "llama-factory", "qwen-vl-finetune"]
# How a model writes a grounded phrase: v1 ``<ref>``/``<box>`` tags, Qwen2-VL's
# ``<|object_ref_start|>``/``<|box_start|>`` tokens, or JSON ``bbox_2d`` answers.
BoxMarkup = Literal["v1-tags", "qwen2-tags", "json"]
# Which BPE table and pre-tokeniser: every model here shares Qwen-VL's 151,643 ranks.
Vocabulary = Literal["qwen"]

QWEN2_SPECIAL_TOKENS: tuple[str, ...] = (
    "<|endoftext|>",
    "<|im_start|>",
    "<|im_end|>",
    "<|object_ref_start|>",
    "<|object_ref_end|>",
    "<|box_start|>",
    "<|box_end|>",
    "<|quad_start|>",
    "<|quad_end|>",
    "<|vision_start|>",
    "<|vision_end|>",
    "<|vision_pad|>",
    "<|image_pad|>",
    "<|video_pad|>",
)
QWEN25_ADDED: tuple[str, ...] = (
    "<tool_call>",
    "</tool_call>",
    "<|fim_prefix|>",
    "<|fim_middle|>",
    "<|fim_suffix|>",
    "<|fim_pad|>",
    "<|repo_name|>",
    "<|file_sep|>",
)
QWEN3_ADDED: tuple[str, ...] = ("<tool_response>", "</tool_response>", "<think>", "</think>")
FIRST_SPECIAL_ID = 151_643


def special_ids(tokens: tuple[str, ...]) -> dict[str, int]:
    """Ids in order from 151643, right after the BPE ranks."""
    return {token: FIRST_SPECIAL_ID + i for i, token in enumerate(tokens)}


@dataclass(frozen=True, slots=True)
class VisionCost:
    """How many pad tokens an image costs: its size after ``smart_resize`` in units of
    ``patch_px * merge`` pixels, one token per unit square."""

    patch_px: int
    merge: int
    min_pixels: int
    max_pixels: int

    @property
    def factor_px(self) -> int:
        return self.patch_px * self.merge


@dataclass(frozen=True, slots=True)
class ModelProfile:
    name: ModelName
    title: str
    vocabulary: Vocabulary
    special_tokens: tuple[str, ...]
    box_space: BoxSpace
    box_markup: BoxMarkup
    # None for Qwen-VL v1, whose images always cost 256 tokens between <img> and </img>.
    vision: VisionCost | None
    default_system: str | None
    # The context length of the released checkpoints (config.json ``max_position_embeddings``):
    # ms-swift cuts there when ``--max_length`` is not given.
    max_model_len: int

    def special_ids(self) -> dict[str, int]:
        return special_ids(self.special_tokens)


_QWEN2_VISION = VisionCost(patch_px=14, merge=2, min_pixels=3136, max_pixels=12_845_056)

MODELS: dict[ModelName, ModelProfile] = {
    "qwen-vl": ModelProfile(
        name="qwen-vl",
        title="Qwen-VL",
        vocabulary="qwen",
        special_tokens=(),  # datakit.qwenvl.vocab.SPECIAL_TOKENS
        box_space="norm1000",
        box_markup="v1-tags",
        vision=None,
        default_system="You are a helpful assistant.",
        max_model_len=8192,
    ),
    "qwen2-vl": ModelProfile(
        name="qwen2-vl",
        title="Qwen2-VL",
        vocabulary="qwen",
        special_tokens=QWEN2_SPECIAL_TOKENS,
        box_space="norm1000",
        box_markup="qwen2-tags",
        vision=_QWEN2_VISION,
        default_system="You are a helpful assistant.",
        max_model_len=32_768,
    ),
    "qwen2.5-vl": ModelProfile(
        name="qwen2.5-vl",
        title="Qwen2.5-VL",
        vocabulary="qwen",
        special_tokens=QWEN2_SPECIAL_TOKENS + QWEN25_ADDED,
        box_space="resized_px",
        box_markup="json",
        vision=_QWEN2_VISION,
        default_system="You are a helpful assistant.",
        max_model_len=128_000,
    ),
    "qwen3-vl": ModelProfile(
        name="qwen3-vl",
        title="Qwen3-VL",
        vocabulary="qwen",
        special_tokens=QWEN2_SPECIAL_TOKENS + QWEN25_ADDED + QWEN3_ADDED,
        box_space="norm1000",
        box_markup="json",
        # preprocessor_config.json: shortest_edge 65536, longest_edge 16777216
        vision=VisionCost(patch_px=16, merge=2, min_pixels=65_536, max_pixels=16_777_216),
        default_system=None,
        max_model_len=262_144,
    ),
}

# The layout of a framework's records.
Layout = Literal["qwen-vl", "ms-swift", "sharegpt", "qwen-vl-finetune"]


@dataclass(frozen=True, slots=True)
class Framework:
    name: FrameworkName
    title: str
    layout: Layout
    # Default cut length in tokens (LLaMA-Factory cutoff_len, the trainers' model_max_length);
    # None: the model's own context length (ms-swift's ``max_length`` defaults to
    # ``max_model_len``, swift/llm/argument/base_args/template_args.py).
    default_max_len: int | None

    def max_len_for(self, model: ModelProfile) -> int:
        return model.max_model_len if self.default_max_len is None else self.default_max_len


FRAMEWORKS: dict[FrameworkName, Framework] = {
    "qwen-vl": Framework("qwen-vl", "Qwen-VL finetune.py", "qwen-vl", 2048),
    "ms-swift": Framework("ms-swift", "ms-swift", "ms-swift", None),
    "llama-factory": Framework("llama-factory", "LLaMA-Factory", "sharegpt", 2048),
    "qwen-vl-finetune": Framework(
        "qwen-vl-finetune", "Qwen's qwen-vl-finetune", "qwen-vl-finetune", 8192
    ),
}


def model(name: str) -> ModelProfile:
    return MODELS[name]  # type: ignore[index]


def framework(name: str) -> Framework:
    return FRAMEWORKS[name]  # type: ignore[index]
