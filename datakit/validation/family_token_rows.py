"""Rows of ``datakit tokens`` for a file checked against a Qwen-family target.

The same row as for Qwen-VL v1 (``datakit.qwenvl.token_rows``: tokens, supervised tokens,
images, max_len, truncated, cut_at, cut_in_image, supervised_after_cut, answer_cut, error,
problems) plus what the family adds: the target, the framework, each picture's pad tokens and
the framework's verdict (``cut``: inside-image-pads, nothing-supervised, through-answer,
through-prompt, dropped, raises). Picture sizes come from the image headers.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import orjson

from datakit.io.parse import parse_record
from datakit.io.records import RawRecord
from datakit.qwenvl.token_rows import Row, json_id
from datakit.validation import family_api
from datakit.validation.family_target_type import FamilyTarget
from datakit.validation.settings import Settings

# verdicts that stop training (the sample fails), as cut_in_image does for v1
_FATAL_CUTS = ("inside-image-pads", "raises")


def family_rows(records: Iterable[RawRecord], target: FamilyTarget, settings: Settings
                ) -> Iterator[Row]:
    """One row per record, in order."""
    from datakit.validation.family_cost import family_costs

    with family_costs(target, settings) as cost:
        for raw in records:
            row: dict[str, Any] = {"file": raw.file, "index": raw.index, "line": raw.line,
                                   "id": None, "target": target.model,
                                   "framework": target.framework, "max_len": target.max_len}
            parsed = parse_record(raw)
            if parsed.error is not None or not isinstance(parsed.value, dict):
                error = parsed.error or "the record is not a JSON object"
                yield _row(row, None, error, [])
                continue
            row["id"] = json_id(parsed.value)
            result = family_api.read(parsed.value, target)
            problems = [{"kind": p.kind, "field": p.field, "offset": p.offset,
                         "message": p.message} for p in result.problems]
            costed = cost(result.sample)
            yield _row(row, costed.counted, costed.error, problems)


def _row(row: dict[str, Any], counted: Any, error: str | None, problems: list[Any]) -> Row:
    if counted is None or error is not None:
        row.update(tokens=None, supervised_tokens=None, images=None, image_pads=None,
                   truncated=False, cut_at=None, cut=None, cut_picture=None,
                   cut_in_image=False, supervised_after_cut=None, answer_cut=False,
                   error=error, problems=problems)
        return orjson.dumps(row), None, False, False, False, True
    cut = counted.cut
    truncated = cut is not None
    cut_in_image = cut == "inside-image-pads"
    answer_cut = cut in ("through-answer", "nothing-supervised")
    row.update(tokens=counted.length, supervised_tokens=counted.label_count,
               images=len(counted.image_pad_counts), image_pads=list(counted.image_pad_counts),
               truncated=truncated, cut_at=target_cut(counted), cut=cut,
               cut_picture=counted.cut_picture, cut_in_image=cut_in_image,
               supervised_after_cut=counted.kept_label_count if truncated else None,
               answer_cut=answer_cut, error=None, problems=problems)
    fails = cut in _FATAL_CUTS
    return orjson.dumps(row), counted.length, truncated, cut_in_image, answer_cut, fails


def target_cut(counted: Any) -> int | None:
    """Where the framework cuts: max_len when it cuts, None when the sample fits or is dropped
    whole (ms-swift delete/raise)."""
    if counted.cut is None or counted.cut in ("dropped", "raises"):
        return None
    return int(counted.max_len)
