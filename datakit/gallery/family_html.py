"""A family record's conversation as gallery HTML: each turn's text, its pictures as
``<image>`` slots, and each grounded phrase coloured like its boxes with the coordinates as the
dialect writes them (and the space they are in). Every piece of data is HTML-escaped."""

from __future__ import annotations

import html

from datakit.gallery.layout import SamplePlan

SPACE_NAMES = {
    "norm1000": "0..1000 grid",
    "norm1": "fractions of the picture",
    "source_px": "pixels of the stored picture",
    "resized_px": "pixels of the picture after the framework's resize",
}


def turns_html(plan: SamplePlan) -> list[str]:
    """One ``div.msg`` per turn, after a line naming the target and the reader's problems."""
    from datakit.family.sample import Grounded, ImageSlot, Text

    e = html.escape
    view = plan.family
    if view is None:
        return []
    spaces = sorted({box.space for box in view.sample.boxes()})
    out = [f"<p class=\"where\">read as {e(view.target_title)}"
           + (f"; boxes in {e(', '.join(SPACE_NAMES.get(s, s) for s in spaces))}" if spaces
              else "") + "</p>"]
    if view.problems:
        out.append("<ul class=\"findings\">")
        out.extend(f"<li class=\"sev-warning\">{e(p)}</li>" for p in view.problems)
        out.append("</ul>")
    many = len(plan.pictures) > 1
    counter = 0
    for t_index, turn in enumerate(view.sample.turns):
        css_role = turn.role if turn.role in ("user", "assistant") else "other"
        out.append(f"<div class=\"msg {css_role}\"><span class=\"role\">{e(turn.role)}</span>"
                   "<div class=\"value\">")
        for part in turn.parts:
            if isinstance(part, Text):
                out.append(e(part.text))
            elif isinstance(part, ImageSlot):
                out.append(f"<span class=\"tag img\">&lt;image&gt; Picture {part.index + 1}"
                           "</span>")
            elif isinstance(part, Grounded):
                if not part.boxes:
                    out.append(e(part.label or ""))
                    continue
                if part.label:
                    first = plan.colours.get((t_index, counter + 1))
                    out.append(f"<span class=\"tag ref\"{_style(first)}>{e(part.label)}"
                               "</span>")
                for box in part.boxes:
                    counter += 1
                    colour = plan.colours.get((t_index, counter))
                    coords = ", ".join(_number(v) for v in box.coords)
                    kind = "point" if box.is_point else "box"
                    on = f" &#8594; Picture {box.image + 1}" if many else ""
                    out.append(f"<span class=\"tag box\"{_style(colour)} "
                               f"title=\"{e(SPACE_NAMES.get(box.space, box.space))}\">"
                               f"{kind} [{e(coords)}]</span><span class=\"on\">{on}</span>")
        out.append("</div></div>")
    return out


def _style(colour: tuple[int, int, int] | None) -> str:
    return f" style=\"background: rgba{(*colour, 0.35)}\"" if colour else ""


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"
