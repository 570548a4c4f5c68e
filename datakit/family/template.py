"""A sample's text as a framework writes it for a model: message contents with ``<image>``
placeholders, grounded phrases in the model's markup, and the options each trainer reads.

The chat layout (ChatML ``<|im_start|>role\\n...<|im_end|>\\n``) and how each picture becomes
``<|vision_start|>`` + N x ``<|image_pad|>`` + ``<|vision_end|>`` are per framework, in
``datakit.family.framework_encode``; this module holds what they share.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import Any, Literal

from datakit.family.encoding import FamilyTextEncoder
from datakit.family.markup import render_turn
from datakit.family.profiles import ModelProfile
from datakit.family.sample import Grounded, Part, Sample, Turn
from datakit.family.spaces import PictureSizes, convert

IMAGE_PLACEHOLDER = "<image>"
IGNORE_INDEX = -100
IM_START_ID, IM_END_ID = 151_644, 151_645
VISION_START_ID, VISION_END_ID, IMAGE_PAD_ID = 151_652, 151_653, 151_655
ASSISTANT_ID = 77_091  # "assistant" as one token: qwen-vl-finetune's label anchor
NEWLINE_ID = 198

TruncationStrategy = Literal["delete", "raise", "left", "right"]
TRUNCATION_STRATEGIES: tuple[str, ...] = ("delete", "raise", "left", "right")


@dataclass(frozen=True, slots=True)
class FrameworkOptions:
    """The settings of a training run that change its token ids or its cut. Defaults are each
    framework's own (named beside each field)."""

    # Overrides the template's default system prompt (LLaMA-Factory --default_system,
    # ms-swift --system); "" means none.
    system: str | None = None
    # "Picture 1: " before each picture (chat template add_vision_id); off everywhere by default.
    add_vision_id: bool = False
    # LLaMA-Factory data_args: train_on_prompt False, mask_history False, enable_thinking True.
    train_on_prompt: bool = False
    mask_history: bool = False
    enable_thinking: bool = True
    # LLaMA-Factory template for Qwen3-VL: "qwen3_vl_nothink" is what it pairs with the
    # Instruct checkpoints (extras/constants.py); "qwen3_vl" is the reasoning template.
    llamafactory_template: str | None = None
    # ms-swift --truncation_strategy: "delete" unless set (arguments/base_args/template_args.py);
    # "raise" is the Template's own default when used outside the trainer.
    truncation_strategy: TruncationStrategy = "delete"

    def __post_init__(self) -> None:
        if self.truncation_strategy not in TRUNCATION_STRATEGIES:
            raise ValueError(
                f"truncation_strategy {self.truncation_strategy!r} is not one of "
                f"{', '.join(TRUNCATION_STRATEGIES)} (ms-swift's 'split' makes several rows; "
                "it is not accounted)"
            )

    @classmethod
    def from_kwargs(cls, options: dict[str, Any]) -> FrameworkOptions:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(options) - known)
        if unknown:
            raise TypeError(f"unknown framework option(s): {', '.join(unknown)}")
        return cls(**options)


def _in_model_space(turn: Turn, model: ModelProfile, sizes: Sequence[PictureSizes]) -> Turn:
    if all(
        box.space == model.box_space
        for part in turn.parts
        if isinstance(part, Grounded)
        for box in part.boxes
    ):
        return turn
    parts: list[Part] = []
    for part in turn.parts:
        if isinstance(part, Grounded):
            boxes = []
            for box in part.boxes:
                if box.space != model.box_space:
                    if not 0 <= box.image < len(sizes):
                        raise ValueError(
                            f"a box refers to picture {box.image + 1}, which the sample lacks"
                        )
                    box = convert(box, model.box_space, sizes[box.image])
                boxes.append(box)
            part = Grounded(part.label, tuple(boxes))
        parts.append(part)
    return Turn(turn.role, tuple(parts))


def turn_content(turn: Turn, model: ModelProfile, sizes: Sequence[PictureSizes]) -> str:
    """The message text as the framework's record holds it (``datakit.family.markup``, boxes
    in the model's space): ``<image>`` where a picture stands."""
    return render_turn(_in_model_space(turn, model, sizes), model, image_tag=IMAGE_PLACEHOLDER)


@dataclass(frozen=True, slots=True)
class Message:
    role: str
    content: str


def messages_of(
    sample: Sample, model: ModelProfile, sizes: Sequence[PictureSizes]
) -> list[Message]:
    return [Message(t.role, turn_content(t, model, sizes)) for t in sample.turns]


class ImageIds:
    """The ids of each picture in order: ``<|vision_start|>``, its pads, ``<|vision_end|>``."""

    __slots__ = ("_next", "pad_counts")

    def __init__(self, pad_counts: Sequence[int]) -> None:
        self.pad_counts = pad_counts
        self._next = 0

    def take(self) -> list[int]:
        """The next picture's ids; raises ``IndexError`` when there is none left."""
        pads = self.pad_counts[self._next]
        self._next += 1
        return [VISION_START_ID, *([IMAGE_PAD_ID] * pads), VISION_END_ID]

    @property
    def used(self) -> int:
        return self._next


def encode_with_images(encoder: FamilyTextEncoder, text: str, images: ImageIds) -> list[int]:
    """Ids of ``text`` after each ``<image>`` became the next picture's tokens (the tokens are
    special, so the text on either side is tokenised apart, as the framework's string is)."""
    if IMAGE_PLACEHOLDER not in text:
        return encoder.encode(text)
    pieces = text.split(IMAGE_PLACEHOLDER)
    out = encoder.encode(pieces[0])
    for piece in pieces[1:]:
        out += images.take()
        out += encoder.encode(piece)
    return out
