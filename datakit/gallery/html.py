"""The ``index.html`` gallery: each sample's pictures beside its conversation.

One self-contained page: inline CSS, no scripts, no CDN, no web fonts; pictures are referenced
by relative paths (``images/…``) so the folder can be zipped and opened anywhere. Every piece
of data (ids, text, paths, messages) is HTML-escaped. Tags are shown literally, coloured like
their boxes; findings are listed per sample and the span or message they point at is marked.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass, field

from datakit.findings import Finding
from datakit.gallery import conversation
from datakit.gallery.cut import CutMark
from datakit.gallery.layout import FAULT_COLOUR, PlannedBox, SamplePlan
from datakit.qwenvl.picture_refs import pictures_text

HEADER_COLOUR = "#1d3557"
ERROR_COLOUR = "#ffd6d9"
WARNING_COLOUR = "#fff1b8"

CSS = f"""
* {{ box-sizing: border-box; }}
body {{ margin: 0; font-family: system-ui, "Noto Sans CJK SC", "WenQuanYi Zen Hei",
  "PingFang SC", "Microsoft YaHei", sans-serif; background: #f4f5f7; color: #1b1b1b; }}
header {{ background: {HEADER_COLOUR}; color: #fff; padding: 16px 24px; }}
header h1 {{ margin: 0 0 4px; font-size: 22px; }}
header p {{ margin: 2px 0; font-size: 13px; opacity: .9; }}
main {{ padding: 16px 24px; }}
article {{ display: flex; gap: 20px; background: #fff; border: 1px solid #d0d4da;
  border-radius: 6px; padding: 14px; margin: 0 0 18px; align-items: flex-start; }}
article.flagged {{ border-left: 6px solid #c1121f; }}
.pictures {{ flex: 0 1 auto; max-width: 60%; display: flex; flex-direction: column; gap: 10px; }}
figure {{ margin: 0; }}
figure img {{ max-width: 100%; height: auto; display: block; border: 1px solid #ccc;
  image-rendering: pixelated; }}
figcaption {{ font-size: 12px; color: #555; word-break: break-all; }}
.unavailable {{ width: 240px; height: 120px; background: #e9ecef; border: 1px dashed #999;
  display: flex; align-items: center; justify-content: center; text-align: center;
  font-size: 12px; padding: 8px; }}
.conversation {{ flex: 1 1 0; min-width: 280px; }}
.conversation h2 {{ font-size: 15px; margin: 0 0 8px; word-break: break-all; }}
.where {{ font-weight: normal; color: #666; font-size: 12px; }}
ul.findings {{ list-style: none; margin: 0 0 10px; padding: 0; font-size: 13px; }}
ul.findings li {{ padding: 4px 8px; margin: 0 0 4px; border-radius: 4px; }}
.sev-error {{ background: {ERROR_COLOUR}; }}
.sev-warning {{ background: {WARNING_COLOUR}; }}
.sev-info {{ background: #dbe9ff; }}
.msg {{ margin: 0 0 8px; padding: 6px 8px; border-radius: 4px; background: #f8f9fa; }}
.msg.assistant {{ background: #eef6ee; }}
.msg.flagged {{ outline: 2px solid #c1121f; }}
.role {{ font-size: 11px; font-weight: bold; text-transform: uppercase; color: #555; }}
.value {{ white-space: pre-wrap; word-break: break-word; font-size: 14px; margin-top: 2px; }}
.tag {{ font-family: ui-monospace, monospace; font-size: 12px; border-radius: 3px;
  padding: 0 2px; }}
.img {{ background: #e2e3e5; }}
.pic {{ color: #666; }}
mark {{ border-radius: 2px; padding: 0 1px; }}
code {{ font-family: ui-monospace, monospace; }}
footer {{ padding: 8px 24px 24px; font-size: 12px; color: #555; }}
.legend {{ font-size: 13px; margin: 0 0 14px; }}
.swatch {{ display: inline-block; width: 28px; height: 14px; vertical-align: middle;
  margin: 0 4px 0 12px; }}
.swatch.good {{ border: 3px solid #ff00ff; }}
.swatch.faulty {{ border: 3px dashed rgb{FAULT_COLOUR}; background: #fff; }}
ul.boxes {{ font-size: 13px; margin: 0 0 10px; padding-left: 18px; }}
"""
LEGEND = (
    "<p class=\"legend\"><span class=\"swatch good\"></span>a box on its one picture, with "
    "no finding<span class=\"swatch faulty\"></span>a box with findings: dashed in its colour "
    "and red, its rule codes first in its label. A box whose picture the text does not say "
    "(P004) is drawn on each picture it may mark, labelled &#8220;? &#8230; (one of Pictures "
    "1, 2)&#8221;; it is not an object on each.</p>\n"
)


@dataclass
class PictureView:
    """One picture of a sample in the gallery: a written PNG, or why there is none."""

    number: int
    path: str
    src: str | None = None  # relative to index.html
    width: int | None = None
    height: int | None = None
    note: str = ""


@dataclass
class SampleView:
    file: str
    index: int
    record_id: str | None
    plan: SamplePlan
    pictures: list[PictureView]
    findings: list[Finding] = field(default_factory=list)
    error: str | None = None
    cut: CutMark | None = None  # where the trainer cuts the sample at max_len


def page_html(title: str, notes: Sequence[str], body: Sequence[str], extra_css: str,
              empty: bool = False) -> str:
    """A whole page: the header with ``notes``, the legend, then ``body``."""
    e = html.escape
    parts = [
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n",
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n",
        f"<title>{e(title)}</title>\n<style>{CSS}{conversation.CSS}{extra_css}</style>\n"
        "</head>\n<body>\n",
        f"<header><h1>{e(title)}</h1>",
        *(f"<p>{e(note)}</p>" for note in notes),
        "</header>\n<main>\n",
        LEGEND,
    ]
    if empty:
        parts.append("<p>No sample matched the selection.</p>\n")
    parts.extend(body)
    parts.append("</main>\n<footer>Made by datakit preview. Boxes are drawn on the pixels "
                 "the model sees: the stored image, without EXIF rotation.</footer>\n")
    parts.append("</body>\n</html>\n")
    return "".join(parts)


def sample_html(number: int, view: SampleView) -> str:
    """One sample's ``article``: its pictures beside its conversation."""
    e = html.escape
    flagged = " flagged" if view.findings or view.error else ""
    head = f"#{number} " + (f"id {view.record_id}" if view.record_id is not None else "no id")
    out = [f"<article class=\"sample{flagged}\" id=\"sample-{number}\">\n",
           "<div class=\"pictures\">"]
    out.extend(_picture(p) for p in view.pictures)
    out.append("</div>\n<div class=\"conversation\">")
    out.append(f"<h2>{e(head)} <span class=\"where\">{e(view.file)} record {view.index}"
               "</span></h2>")
    if view.error is not None and not view.findings:
        out.append(f"<ul class=\"findings\"><li class=\"sev-error\">{e(view.error)}</li></ul>")
    if view.findings:
        out.append("<ul class=\"findings\">")
        for f in view.findings:
            out.append(f"<li class=\"sev-{e(f.severity.value)}\"><code>{e(f.code)}</code> "
                       f"{e(f.name)}: {e(f.message)}</li>")
        out.append("</ul>")
    out.extend(_faulty_boxes(view.plan.faulty))
    if view.plan.family is not None:
        from datakit.gallery.family_html import turns_html

        out.extend(turns_html(view.plan))
    else:
        out.extend(conversation.messages_html(view.plan, view.findings, view.cut))
    for m_index, offset, reason in view.plan.undrawable:
        where = (f"box {offset} in turn {m_index + 1}" if view.plan.family is not None
                 else f"box in message {m_index + 1} at character {offset}")
        out.append(f"<p class=\"where\">{where} not drawn: {e(reason)}</p>")
    out.append("</div>\n</article>\n")
    return "".join(out)


def _picture(p: PictureView) -> str:
    e = html.escape
    caption = f"Picture {p.number}: {p.path}" + (f" ({p.note})" if p.note else "")
    if p.src is None:
        return (f"<figure><div class=\"unavailable\">{e(p.note or 'not drawn')}</div>"
                f"<figcaption>{e(caption)}</figcaption></figure>")
    return (f"<figure><img src=\"{e(p.src)}\" width=\"{p.width}\" height=\"{p.height}\" "
            f"alt=\"{e(caption)}\"><figcaption>{e(caption)}</figcaption></figure>")


def _faulty_boxes(boxes: Sequence[PlannedBox]) -> list[str]:
    """The boxes drawn dashed, once each, with what is wrong and where they are drawn."""
    if not boxes:
        return []
    e = html.escape
    out = ["<ul class=\"boxes\">"]
    for box in boxes:
        where = f"message {box.message_index + 1} at character {box.start}"
        if box.ambiguous:
            drawn = f"ambiguous: one of {pictures_text(box.candidates)}, drawn on each"
        else:
            drawn = "drawn dashed"
        out.append(f"<li>{e(' '.join(box.codes))} box &#8220;{e(box.label)}&#8221; in {where}: "
                   f"{e(drawn)}</li>")
    out.append("</ul>")
    return out
