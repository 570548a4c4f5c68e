"""LVIS negatives as "there is no X" samples (``--negatives``).

An LVIS image lists in ``neg_category_ids`` the categories verified to be absent from it. With
``CocoOptions.negatives`` each becomes one sample: the grounding question about that category,
answered by the ``negative`` slot (built in: "There is no {category} in the image." /
"图中没有{category}。"): a plain sentence without ``<ref>``/``<box>``, the form Qwen-VL
answers with when there is nothing to point at. Record ids are ``...-negative-N``, N counting
the image's negatives from 1 in category-id order, so the output is deterministic.

Every listed category is tallied as a ``negative`` item: used, or skipped as
``has-boxes`` (the same image also has a box of that category: the lists disagree, and a
"no X" answer would contradict the boxes), ``unknown-category``, ``category-filtered``,
``category-skipped``, or with the reason its image was skipped. Without the option nothing is
written and the count is noted as ``negatives-not-asked``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from datakit.convert.coco_index import CocoIndex, ImageId, id_sort_key, show_value
from datakit.convert.tally import Tally

if TYPE_CHECKING:
    from datakit.convert.coco_options import CocoOptions
    from datakit.convert.prompts import PromptPicker

# (category id, output name) or (category id, (skip reason,))
Negative = tuple[Any, "str | tuple[str]"]


def take_negatives(
    index: CocoIndex, image_id: ImageId, options: CocoOptions, tally: Tally, label: str
) -> list[Negative]:
    """The image's negatives, named, in category-id order (removed from the index); with the
    option off, only noted."""
    listed = index.negative_ids.pop(image_id, ())
    if not listed:
        return []
    if not options.negatives:
        tally.note("negatives-not-asked", f"{label}: {len(listed)} in neg_category_ids "
                   "(add --negatives for 'there is no X' samples)", n=len(listed))
        return []
    categories = index.category_by_id
    out: list[Negative] = []
    for category_id in sorted(set(listed), key=id_sort_key):
        name = categories.get(category_id)
        out.append((category_id, name if name is not None else ("unknown-category",)))
    return out


def skip_negatives(tally: Tally, negatives: list[Negative], reason: str) -> None:
    if negatives:
        tally.see("negative", len(negatives))
        tally.skip("negative", reason, n=len(negatives))


def negative_records(
    negatives: list[Negative],
    names_with_boxes: set[str],
    base: str,
    prefix: str,
    picker: PromptPicker,
    tally: Tally,
    label: str,
) -> Iterator[dict[str, Any]]:
    """One "there is no X" sample per usable negative of one image."""
    number = 0
    for category_id, name in negatives:
        tally.see("negative")
        if isinstance(name, tuple):
            tally.skip("negative", name[0], f"{label}: neg_category_ids lists "
                       f"{show_value(category_id)} ({name[0]})")
            continue
        if name in names_with_boxes:
            tally.skip("negative", "has-boxes", f"{label}: category {show_value(category_id)} "
                       f"({name!r}) is in neg_category_ids and also has boxes in the image")
            continue
        number += 1
        record_id = f"{base}-negative-{number}"
        language = picker.language(record_id)
        question = picker.render("grounding", record_id, language, category=name)
        answer = picker.render("negative", record_id, language, category=name)
        tally.use("negative")
        yield {
            "id": record_id,
            "conversations": [
                {"from": "user", "value": prefix + question},
                {"from": "assistant", "value": answer},
            ],
        }
