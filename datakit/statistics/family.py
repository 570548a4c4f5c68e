"""Stats of one record in a Qwen-family layout (ms-swift, LLaMA-Factory sharegpt,
qwen-vl-finetune), read for its ``FamilyTarget`` as ``datakit validate`` and ``datakit tokens``
read it.

The same ``SampleFacts`` as for Qwen-VL v1, with the family's meanings:

- ``turns``: user and assistant turns (a system prompt is not a turn);
- ``images``: the sample's pictures; ``boxes``: boxes and points; ``refs``: labels of
  grounded phrases that have boxes; ``malformed_boxes``: markup the reader could not read as
  boxes (an unclosed tag or fence, a JSON block that is not grounding);
- ``box_sizes_norm1000``: each box on the 0..1000 grid of its picture (from resized or source
  pixels with the picture's sizes; left out when they are not known);
- token counts from ``datakit.family.tokens.account_sample`` with the framework's template,
  resize rule and cut; a picture whose size is unknown makes the sample's cost unknown
  (``trainer_error`` says which picture, as ``datakit tokens`` does).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from datakit.errors import InputError
from datakit.io.parse import parse_record
from datakit.io.records import RawRecord
from datakit.statistics.sample import SampleFacts, content_counts, digest, record_id

if TYPE_CHECKING:
    from datakit.family.sample import Sample
    from datakit.validation.family_target import FamilyTarget
    from datakit.validation.settings import Settings

# Reader problems that leave box markup unread.
MALFORMED_KINDS = ("unclosed-tag", "unclosed-fence", "invalid-json", "json-not-grounding")


def require_model(target: FamilyTarget, file: str) -> None:
    """Refuse to guess the model, with the message ``datakit tokens`` gives."""
    if not target.model_known:
        raise InputError(
            f"{file}: the data does not say which of {', '.join(target.candidates)} it is for "
            "(no boxes in its first records), and each counts image tokens differently",
            fix=f"pass --target ({' or '.join(target.candidates)})")


def family_facts(records: Iterable[RawRecord], target: FamilyTarget, settings: Settings
                 ) -> Iterator[SampleFacts]:
    """The facts of each record, in order."""
    from datakit.validation import family_api
    from datakit.validation.family_cost import family_costs

    with family_costs(target, settings) as cost:
        for raw in records:
            parsed = parse_record(raw)
            if parsed.error is not None:
                yield SampleFacts(raw.file, raw.index, raw.line, None, parse_error=parsed.error)
                continue
            if not isinstance(parsed.value, dict):
                yield SampleFacts(raw.file, raw.index, raw.line, None,
                                  trainer_error="the record is not a JSON object")
                continue
            result = family_api.read(parsed.value, target)
            sample = result.sample
            pictures, counted, error = cost(sample)
            malformed = sum(p.kind in MALFORMED_KINDS for p in result.problems)
            yield _facts(raw, parsed.value, sample, pictures, counted, error, malformed)


def _facts(raw: RawRecord, record: dict[str, Any], sample: Sample, pictures: list[Any],
           counted: Any, error: str | None, malformed: int) -> SampleFacts:
    from datakit.family.sample import Grounded

    rid = record_id(record)
    refs: list[str] = []
    texts: list[str] = []
    turns = 0
    for turn in sample.turns:
        turns += turn.role != "system"
        texts.append(turn.text())
        refs.extend(part.label.strip() for part in turn.parts
                    if isinstance(part, Grounded) and part.boxes and part.label is not None)
    han, latin = content_counts(texts)
    sizes, inverted, boxes = _box_sizes(sample, pictures)
    ok = counted is not None and error is None
    cut = counted.cut if ok else None
    return SampleFacts(
        file=raw.file, index=raw.index, line=raw.line, record_id=rid,
        tokens=counted.length if ok else 0,
        supervised_tokens=counted.label_count if ok else 0,
        supervised_after_cut=counted.kept_label_count if ok else 0,
        truncated=cut is not None,
        cut_in_image=cut == "inside-image-pads",
        answer_cut=cut in ("through-answer", "nothing-supervised"),
        trainer_error=error,
        turns=turns, images=len(sample.images), boxes=boxes + malformed,
        malformed_boxes=malformed, refs=tuple(refs), box_sizes_norm1000=tuple(sizes),
        inverted_boxes=inverted, image_paths=tuple(i.path for i in sample.images),
        han_chars=han, latin_letters=latin,
        fingerprint=digest([t.role + "\0" + repr(t.parts) for t in sample.turns]),
        id_digest=None if rid is None else digest(rid),
    )


def _box_sizes(sample: Sample, pictures: list[Any]
               ) -> tuple[list[tuple[int, int]], int, int]:
    """(sizes on the 0..1000 grid of the well-formed boxes whose picture size is known,
    inverted boxes, boxes and points)."""
    from datakit.family.spaces import PictureSizes, convert

    sizes: list[tuple[int, int]] = []
    inverted = count = 0
    for box in sample.boxes():
        count += 1
        if box.is_point:
            continue
        x1, y1, x2, y2 = box.coords[:4]
        if not (x2 > x1 and y2 > y1):
            inverted += 1
            continue
        if box.space != "norm1000":
            picture = pictures[box.image] if box.image < len(pictures) else None
            if picture is None or picture.source_px is None:
                continue
            try:
                box = convert(box, "norm1000", PictureSizes(picture.source_px,
                                                              picture.resized_px))
            except ValueError:
                continue
        x1, y1, x2, y2 = box.coords[:4]
        sizes.append((min(1000, max(0, round(x2 - x1))), min(1000, max(0, round(y2 - y1)))))
    return sizes, inverted, count
