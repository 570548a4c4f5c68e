"""The drawing plan of a record in a Qwen-family layout, read for its file's target as
``datakit validate`` reads it (``datakit.validation.family_api``).

A box goes on the picture its reader puts it on (the last picture shown before it); its label is
its grounded phrase, or "box N". Boxes stay in the space the dialect writes them in: the
0..1000 grid (Qwen2-VL, Qwen3-VL, ms-swift ``norm1000``), fractions (ms-swift ``norm1``),
pixels of the stored picture (ms-swift ``real``), or pixels of the picture after the
framework's resize (Qwen2.5-VL); ``extent_for`` maps each onto the picture once its stored
size is known.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from datakit.gallery.layout import FamilyView, PlannedBox, PlannedPicture, SamplePlan, label_colour

if TYPE_CHECKING:
    from datakit.family.vision import ResizeRule
    from datakit.validation.family_target import FamilyTarget


def plan_family(record: Any, target: FamilyTarget) -> SamplePlan:
    """Plan the drawing of one decoded record of a family file."""
    from datakit.family.sample import Grounded
    from datakit.validation import family_api

    plan = SamplePlan([], [], [], {})
    if not isinstance(record, Mapping):
        plan.undrawable.append((0, 0, "the record is not a JSON object"))
        return plan
    result = family_api.read(record, target)
    sample = result.sample
    rule = family_api.target_rule(target)
    plan.family = FamilyView(sample, tuple(f"{p.field}: {p.message}" for p in result.problems),
                             target.title(), rule)
    for number, image in enumerate(sample.images, 1):
        plan.pictures.append(PlannedPicture(number, image.path, 0))
    colours: dict[str, tuple[int, int, int]] = {}
    unlabelled = 0
    counter = 0
    for t_index, turn in enumerate(sample.turns):
        for part in turn.parts:
            if not isinstance(part, Grounded) or not part.boxes:
                continue
            label = (part.label or "").strip()
            for box in part.boxes:
                counter += 1
                name = label
                if not name:
                    unlabelled += 1
                    name = f"box {unlabelled}"
                colour = label_colour(colours, name)
                plan.colours[(t_index, counter)] = colour
                if not 0 <= box.image < len(plan.pictures):
                    plan.undrawable.append((t_index, counter, "no picture for this box"))
                    continue
                planned = PlannedBox(tuple(float(v) for v in box.coords), name, colour,
                                     t_index, counter, space=box.space,
                                     extent=_grid_extent(box.space))
                plan.pictures[box.image].boxes.append(planned)
                plan.drawn_on[(t_index, counter)] = (box.image + 1,)
    return plan


def _grid_extent(space: str) -> tuple[float, float]:
    return (1.0, 1.0) if space == "norm1" else (1000.0, 1000.0)


def extent_for(box: PlannedBox, stored_px: tuple[int, int], rule: ResizeRule | None
               ) -> PlannedBox | str:
    """The box with the extent of its space on a picture of ``stored_px``, or why it cannot be
    placed (a Qwen2.5-VL box on a picture the processor refuses)."""
    if box.space == "source_px":
        return replace(box, extent=(float(stored_px[0]), float(stored_px[1])))
    if box.space != "resized_px":
        return box
    from datakit.family.vision import ImageTooSmall, resized_size_px

    if rule is None:
        return "no resize rule for pixels of the resized picture"
    try:
        width, height = resized_size_px(stored_px, rule)
    except ImageTooSmall as exc:
        return f"the processor refuses the picture ({exc}), so its resized size is unknown"
    return replace(box, extent=(float(width), float(height)))
