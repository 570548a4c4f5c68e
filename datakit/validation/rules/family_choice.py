"""F: which Qwen-family target a file was checked against, and when the data cannot tell.

Targets: Qwen2-VL, Qwen2.5-VL and Qwen3-VL (``--target``, or ``auto``) in the layouts of
LLaMA-Factory, ms-swift and qwen-vl-finetune. Qwen-VL v1 files never get these findings.
"""

from __future__ import annotations

from collections.abc import Iterator

from datakit.findings import Finding, Location, Severity
from datakit.validation.family_target_type import FamilyTarget
from datakit.validation.rule import Rule

_AUTO = (("target", "auto"),)


def swift(user: str, answer: str, extra: str = "") -> str:
    """One ms-swift record (a JSON array of it) with one image, img/ok.jpg (64x48)."""
    return ('[{"messages": [{"role": "user", "content": "' + user + '"}, {"role": "assistant", '
            '"content": "' + answer + '"}], "images": ["img/ok.jpg"]' + extra + '}]')


_V1 = ('[{"id": "a", "conversations": [{"from": "user", "value": "Picture 1: <img>img/ok.jpg'
       '</img>\\nWhat is it?"}, {"from": "assistant", "value": "A dog."}]}]')
_QWEN2_ANSWER = ("<|object_ref_start|>the dog<|object_ref_end|>"
                 "<|box_start|>(10,20),(500,600)<|box_end|>")

TARGET_CHOSEN = Rule(
    "F010", "family-target", Severity.INFO, "file",
    "The file is not in Qwen-VL v1's layout: it was checked for the model and framework named "
    "in the message (--target auto), and why.",
    "Records of LLaMA-Factory, ms-swift or qwen-vl-finetune are checked by their own "
    "framework's rules (roles, <image> placeholders, box scale of the model, token cut at its "
    "cut length). Saying which target was assumed lets you see a wrong guess at once.",
    "Nothing, if the target is right; otherwise pass --target and --framework (or set target "
    "and framework in [tool.datakit]).",
    bad=swift("<image>Where is the dog?", _QWEN2_ANSWER), good=_V1,
    example_settings=_AUTO,
)
TARGET_AMBIGUOUS = Rule(
    "F011", "family-target-ambiguous", Severity.WARNING, "file",
    "The file's layout is a Qwen-family framework's, but its first records say nothing of the "
    "model (no boxes): Qwen2-VL, Qwen2.5-VL and Qwen3-VL differ in what an image costs, so the "
    "token rules (K005-K009) were not run.",
    "Qwen3-VL cuts images into 32-pixel cells, Qwen2-VL and Qwen2.5-VL into 28-pixel ones: the "
    "same picture costs a different number of tokens. Guessing would report cuts that do not "
    "happen, or miss the ones that do.",
    "Pass --target qwen2-vl, qwen2.5-vl or qwen3-vl (or set target in [tool.datakit]).",
    bad=swift("<image>What is it?", "A dog."),
    good=swift("<image>Where is the dog?", _QWEN2_ANSWER),
    example_settings=_AUTO,
)

RULES = (TARGET_CHOSEN, TARGET_AMBIGUOUS)


def target_findings(target: FamilyTarget, file: str, severities: dict[str, Severity]
                    ) -> Iterator[Finding]:
    """What the report says about the file's target."""
    if TARGET_CHOSEN.code in severities:
        cut = f"cut length {target.max_len:,} tokens"
        yield Finding(TARGET_CHOSEN.code, TARGET_CHOSEN.name, severities[TARGET_CHOSEN.code],
                      f"checked as {target.title()} ({target.layout} layout, {cut}): "
                      f"{target.why}", Location(file=file), fix=TARGET_CHOSEN.fix,
                      data={"model": target.model if target.model_known else None,
                            "framework": target.framework, "max_len": target.max_len})
    if not target.model_known and TARGET_AMBIGUOUS.code in severities:
        names = ", ".join(target.candidates)
        yield Finding(TARGET_AMBIGUOUS.code, TARGET_AMBIGUOUS.name,
                      severities[TARGET_AMBIGUOUS.code],
                      f"the data does not say which of {names} it is for (no boxes in its first "
                      "records): token lengths were not checked",
                      Location(file=file),
                      fix=f"pass --target ({' or '.join(target.candidates)})",
                      data={"candidates": list(target.candidates)})
