"""The Qwen-family target a file is checked against: the type that the target's resolution
(``family_target``), the door to ``datakit.family`` (``family_api``), the run context and the
rules all name, kept apart from them so that none of them imports another for it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class FamilyTarget:
    """What the records of one file are checked against (the family branch of the worker)."""

    model: str  # a ModelName other than qwen-vl (the one structure and markup are read for)
    framework: str  # a FrameworkName other than qwen-vl
    layout: str  # datakit.family.profiles.Layout
    max_len: int
    min_pixels: int | None
    max_pixels: int | None
    truncation_strategy: str | None
    # False when the data does not tell the model and none was given: token rules stay silent
    model_known: bool
    # the candidates when model_known is False, for the message
    candidates: tuple[str, ...]
    why: str  # how the target was chosen, for the report

    def title(self) -> str:
        from datakit.family.profiles import framework, model

        name = model(self.model).title if self.model_known else " / ".join(
            model(m).title for m in self.candidates)
        return f"{name} data for {framework(self.framework).title}"
