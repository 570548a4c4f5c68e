"""Which model and framework a file is checked for: ``--target``/``--framework``, or, with
``auto``, what the file's first records say.

Resolved once per file from its head (``HEAD_RECORDS`` records at most), never per record, so
that a Qwen-VL v1 file costs one look at its first record: under ``auto`` a file whose first
record has v1's layout (``conversations`` of ``from`` user/assistant) is checked exactly as
before. Other layouts are named by ``datakit.family.layouts.detect``; the model by the markup
of the first records that have any. When the markup does not tell the model (no boxes: the
Qwen2-VL generation differ only in what an image costs), ``model_known`` is False and the token
rules stay silent instead of guessing a budget (F011 says so, with the fix).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from itertools import chain
from typing import TYPE_CHECKING, Any

# the type's home is family_target_type; the importers above validation name it from here
from datakit.validation.family_target_type import FamilyTarget as FamilyTarget
from datakit.validation.settings import Settings

if TYPE_CHECKING:
    from datakit.io.records import RawRecord

# Records of a file's head read to name its model when the first ones have no boxes.
HEAD_RECORDS = 256
# The framework whose records each layout is (datakit.family.profiles.FRAMEWORKS).
FRAMEWORK_OF_LAYOUT = {
    "ms-swift": "ms-swift",
    "sharegpt": "llama-factory",
    "qwen-vl-finetune": "qwen-vl-finetune",
}
LAYOUT_OF_FRAMEWORK = {framework: layout for layout, framework in FRAMEWORK_OF_LAYOUT.items()}
FAMILY_MODELS = ("qwen2-vl", "qwen2.5-vl", "qwen3-vl")
# Keys that only another framework's record has at its top level.
_FOREIGN_KEYS = ("messages", "query", "image", "images", "objects")
_FAMILY_SIGNS = ("<image>", "<|box_start|>", "<|object_ref_start|>", "bbox_2d", "point_2d")
_SHAREGPT_ROLES = ("human", "gpt", "system", "observation", "function_call")


def wants_resolution(settings: Settings) -> bool:
    """Whether a file's head must be read: not for the v1 checks (no target, or qwen-vl)."""
    return settings.target not in (None, "qwen-vl")


def looks_v1(record: Any) -> bool:
    """Qwen-VL v1's layout, as far as ``auto`` is concerned: anything but a record plainly in
    another framework's layout (``messages``, ``query``, an image list beside
    ``conversations``, or turns whose roles are all sharegpt's). Such files keep the v1
    checks, which name what is wrong (S005 for a stray "human", X001-X005 for markup)."""
    if not isinstance(record, Mapping):
        return True  # S001 and friends say what is wrong; no layout to detect
    conversations = record.get("conversations")
    if not isinstance(conversations, list):
        return not any(key in record for key in _FOREIGN_KEYS)
    turns = [m for m in conversations if isinstance(m, Mapping)]
    if not turns:
        return True
    if all("role" in m and "from" not in m for m in turns):
        return False
    if not all(m.get("from") in _SHAREGPT_ROLES for m in turns):
        return True
    # human/gpt text with nothing of another framework (no pictures, no family markup) is
    # what v1 data with unconverted roles looks like too: S005 names the fix
    return not ("image" in record or "images" in record or any(
        isinstance(m.get("value"), str) and any(sign in m["value"] for sign in _FAMILY_SIGNS)
        for m in turns))


def resolve(settings: Settings, head: Iterable[Any]) -> FamilyTarget | None:
    """The family target for a file whose first records are ``head``, or None for the v1
    checks. ``head`` is consumed only as far as needed."""
    if not wants_resolution(settings):
        return None
    records = iter(head)
    first = next((r for r in records if isinstance(r, Mapping)), None)
    explicit = settings.target if settings.target != "auto" else None
    if explicit is None and (first is None or looks_v1(first)):
        return None
    from datakit.validation import family_api

    detection = family_api.detect(first) if first is not None else None
    if explicit is None and detection is not None and detection.model == "qwen-vl":
        return None  # v1 markup in another layout: meant for Qwen-VL, X003 says how to convert
    layout = detection.layout if detection is not None else None
    reasons: list[str] = []
    if settings.framework is not None:
        framework = settings.framework
        layout = LAYOUT_OF_FRAMEWORK[framework]
        reasons.append(f"--framework {framework}")
    elif layout in FRAMEWORK_OF_LAYOUT:
        framework = FRAMEWORK_OF_LAYOUT[layout]
        reasons.append(f"the first record has the {framework} layout"
                       + (f" ({detection.why})" if detection is not None and detection.why
                          else ""))
    elif explicit is None:
        return None  # auto, and no family layout: the v1 checks name what is wrong
    else:
        # --target for data in v1's layout (or none known): read it as the framework whose
        # layout shares v1's "conversations"; the X rules say the data is v1's.
        framework = "llama-factory"
        layout = LAYOUT_OF_FRAMEWORK[framework]
        reasons.append("no family layout recognised in the first record, read as LLaMA-Factory "
                       "sharegpt (pass --framework to choose)")
    if explicit is not None:
        candidates: tuple[str, ...] = (explicit,)
        model, known = explicit, True
        reasons.append(f"--target {explicit}")
    else:
        model, known, candidates = _model_from_markup(detection, first, records)
        if known:
            reasons.append(f"the markup is {model}'s")
    max_len = (
        settings.max_len if settings.max_len_configured
        else _default_max_len(framework, model if known else candidates[0])
    )
    return FamilyTarget(
        model=model, framework=framework, layout=str(layout), max_len=max_len,
        min_pixels=settings.min_pixels, max_pixels=settings.max_pixels,
        truncation_strategy=settings.truncation_strategy, model_known=known,
        candidates=candidates, why="; ".join(reasons),
    )


def _default_max_len(framework: str, model: str) -> int:
    from datakit.family.profiles import framework as framework_profile
    from datakit.family.profiles import model as model_profile

    return framework_profile(framework).max_len_for(model_profile(model))


def _model_from_markup(detection: Any, first: Any, rest: Iterable[Any]
                       ) -> tuple[str, bool, tuple[str, ...]]:
    """(model, known, candidates) from the first records whose markup names a model."""
    from datakit.validation import family_api

    json_boxes = False
    seen = 0
    record = first
    stream = iter(rest)
    while record is not None and seen < HEAD_RECORDS:
        found = detection if seen == 0 else family_api.detect(record)
        model = getattr(found, "model", None) if found is not None else None
        if model in FAMILY_MODELS:
            return str(model), True, (str(model),)
        json_boxes = json_boxes or family_api.has_json_boxes(record)
        seen += 1
        record = next((r for r in stream if isinstance(r, Mapping)), None)
    if json_boxes:
        return "qwen3-vl", False, ("qwen2.5-vl", "qwen3-vl")
    return "qwen3-vl", False, FAMILY_MODELS


def peek_target(records: Iterable[RawRecord], settings: Settings
                ) -> tuple[Iterable[RawRecord], FamilyTarget | None]:
    """The file's target from its first records, and the records again from the start."""
    from datakit.io.parse import parse_record

    stream = iter(records)
    head: list[RawRecord] = []

    def values() -> Iterator[Any]:
        for record in stream:
            head.append(record)
            parsed = parse_record(record)
            if parsed.error is None:
                yield parsed.value
            if len(head) >= HEAD_RECORDS:
                return

    target = resolve(settings, values())
    return chain(head, stream), target
