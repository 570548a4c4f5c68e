"""``write_preview``: choose samples, draw their pictures, write the gallery.

Output folder layout: ``index.html`` and ``images/NNNN-K.png`` (sample NNNN of the gallery,
picture K of that sample). Every file is written atomically; pictures a previous run left in
``images/`` under the same naming pattern are removed, so the folder always matches its page.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from datakit.errors import InputError
from datakit.gallery.cut import mark_cuts
from datakit.gallery.fonts import LabelFont, find_cjk_font, load_label_font
from datakit.gallery.html import PictureView, SampleView
from datakit.gallery.layout import PlannedPicture, plan_sample
from datakit.gallery.options import PreviewOptions, PreviewResult
from datakit.gallery.pages import remove_stale_pages, write_pages
from datakit.gallery.select import Chosen, select_samples
from datakit.gallery.summary import notes_for
from datakit.validation.settings import Settings

if TYPE_CHECKING:
    from datakit.family.vision import ResizeRule
    from datakit.gallery.picture_files import PictureFiles
    from datakit.validation.family_target import FamilyTarget

__all__ = ["IMAGES_DIR", "PreviewOptions", "PreviewResult", "write_preview"]

IMAGES_DIR = "images"
_OUR_PICTURE = re.compile(r"\d{4,}-\d+\.png")
_FILE_NOTES = 5  # findings about whole files shown in the gallery's header
MIN_SHOWN_SIDE = 256  # pictures with a shorter longer side are drawn scaled up


def write_preview(
    paths: Sequence[str | Path],
    out_dir: str | Path,
    options: PreviewOptions,
    *,
    progress: Callable[[str, int], None] | None = None,
    display_names: Mapping[str, str] | None = None,
) -> PreviewResult:
    """Write the gallery of ``paths`` to ``out_dir``. ``progress(label, done)`` hears of the
    validation run (records per file), the choice (records read per file) and the drawing
    (samples drawn); ``display_names`` names files in the gallery (``<stdin>`` for a copy of
    standard input)."""
    from datakit.statistics.findings import find_by_sample

    if options.with_findings and not options.findings:
        raise InputError("--with-findings needs the validation run that --no-findings skips",
                         fix="drop one of the two options")
    font_path = find_cjk_font(options.font)  # a wrong --font fails before any work
    names = dict(display_names or {})
    targets = file_targets(paths, options.settings, names)
    found = find_by_sample(paths, options.settings, progress, display_names=names) \
        if options.findings else None
    only = set(found.by_sample) if found is not None and options.with_findings else None
    selection = select_samples(paths, sample=options.sample, seed=options.seed,
                               ids=options.ids, only=only, display_names=names,
                               progress=progress)
    if selection.missing_ids:
        shown = ", ".join(selection.missing_ids[:10])
        raise InputError(f"no record has the id(s) {shown}",
                         fix="check the ids (they are matched as text, exactly)")
    out = Path(out_dir)
    images = out / IMAGES_DIR
    try:
        images.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"cannot create {images}: {exc.strerror}",
                         fix="choose a folder you can write to") from None
    fonts = _Fonts(font_path)
    result = PreviewResult(out / "index.html", len(selection.chosen), selection.candidates,
                           problems=selection.problems)
    from datakit.gallery.picture_files import PictureFiles

    root = PictureFiles(Path(options.settings.image_root or Path.cwd()),
                        explicit_root=options.settings.image_root is not None,
                        output_folder=images)
    views: list[SampleView] = []
    written: set[str] = set()
    # the trainer's cut is marked for Qwen-VL v1 records only
    cuts, cut_note = mark_cuts([None if targets.get(c.file) else c.record
                                for c in selection.chosen], options.settings)
    for number, chosen in enumerate(selection.chosen, 1):
        if found is not None:
            chosen.findings = found.by_sample.get((chosen.file, chosen.index), [])
        view = _render_sample(number, chosen, targets.get(chosen.file), root, images, fonts,
                              options, result, written)
        view.cut = cuts[number - 1]
        views.append(view)
        if progress is not None:
            progress("drawing", number)
    _remove_stale(images, written)
    sample_font = fonts.get(16)
    result.font_name, result.font_cjk = sample_font.name, sample_font.cjk
    shown_paths = [names.get(str(p), str(p)) for p in paths]
    notes = notes_for(shown_paths, selection.candidates, len(views), options, sample_font)
    if cut_note:
        notes.append(cut_note)
    if found is not None:
        notes.extend(f"{f.location.file}: {f.code} {f.name}: {f.message}"
                     for f in found.file_level[:_FILE_NOTES])
    written_pages = write_pages(out, views, "datakit preview", notes, options.page_size)
    remove_stale_pages(out, written_pages)
    result.pages = len(written_pages)
    return result


def file_targets(paths: Sequence[str | Path], settings: Settings,
                 display_names: Mapping[str, str] | None = None
                 ) -> dict[str, FamilyTarget | None]:
    """Each file's target by its shown name, resolved from its first records as ``datakit
    validate`` does (None: Qwen-VL v1); a file whose model the data does not tell is refused,
    as by ``datakit tokens``."""
    names = display_names or {}
    from datakit.io.reader import records_only
    from datakit.statistics.family import require_model
    from datakit.validation.family_target import peek_target, wants_resolution

    out: dict[str, FamilyTarget | None] = {}
    for path in paths:
        target = None
        if wants_resolution(settings):
            _, target = peek_target(records_only(str(path), []), settings)
        shown = names.get(str(path), str(path))
        if target is not None:
            require_model(target, shown)
        out[shown] = target
    return out


def _render_sample(
    number: int,
    chosen: Chosen,
    target: FamilyTarget | None,
    root: PictureFiles,
    images: Path,
    fonts: _Fonts,
    options: PreviewOptions,
    result: PreviewResult,
    written: set[str],
) -> SampleView:
    from datakit.statistics.sample import record_id

    if target is not None:
        from datakit.gallery.family_plan import plan_family

        plan = plan_family(chosen.record, target)
    else:
        plan = plan_sample(chosen.record, chosen.findings)
    result.boxes_undrawable += len(plan.undrawable)
    result.boxes_faulty += len(plan.faulty)
    result.boxes_ambiguous += sum(box.ambiguous for box in plan.faulty)
    pictures = []
    rule = plan.family.rule if plan.family is not None else None
    for picture in plan.pictures:
        view = _render_picture(number, picture, root, images, fonts, options, result, rule)
        if view.src is not None:
            written.add(Path(view.src).name)
        pictures.append(view)
    if any(_has_han(b.label) for p in plan.pictures for b in p.boxes):
        result.cjk_labels = True
    return SampleView(chosen.file, chosen.index, record_id(chosen.record), plan, pictures,
                      chosen.findings, chosen.error)


def _render_picture(
    number: int,
    picture: PlannedPicture,
    root: PictureFiles,
    images: Path,
    fonts: _Fonts,
    options: PreviewOptions,
    result: PreviewResult,
    rule: ResizeRule | None = None,
) -> PictureView:
    from datakit.gallery.draw import draw_boxes, fit_within, save_png, scale_up_small
    from datakit.gallery.family_plan import extent_for

    view = PictureView(picture.number, picture.path)
    reason = _unusable_path(picture.path)
    opened = None
    if reason is None:
        opened = root.open(picture.path)
        reason = opened.problem
    if reason is not None or opened is None:
        view.note = reason or "not drawn"
        result.pictures_failed[view.note.split(":")[0]] += 1
        return view
    image = scale_up_small(fit_within(opened.image, options.max_side), MIN_SHOWN_SIDE,
                           options.max_side)
    width, height = image.size
    font = fonts.get(_font_size(width, height))
    boxes, unplaced = [], []
    for box in picture.boxes:
        placed = extent_for(box, opened.stored_size or (width, height), rule)
        if isinstance(placed, str):
            unplaced.append(placed)
        else:
            boxes.append(placed)
    drawn = draw_boxes(image, boxes, font, labels=options.labels)
    name = f"{number:04d}-{picture.number}.png"
    save_png(drawn, images / name)
    stored_w, stored_h = opened.stored_size or (width, height)
    view.src, view.width, view.height = f"{IMAGES_DIR}/{name}", width, height
    view.note = f"{stored_w}x{stored_h} {opened.mode}" + (
        f", shown at {width}x{height}" if (width, height) != (stored_w, stored_h) else ""
    )
    if unplaced:
        view.note += f"; {len(unplaced)} box(es) not drawn: {unplaced[0]}"
        result.boxes_undrawable += len(unplaced)
    result.pictures_written += 1
    result.boxes_drawn += len(boxes)
    return view


def _unusable_path(path: str) -> str | None:
    if path.startswith(("http://", "https://")):
        return "URL: not fetched (datakit never uses the network)"
    if "\x00" in path:
        return "missing: the path contains a NUL character"
    return None


def _font_size(width: int, height: int) -> int:
    return max(11, min(32, round(max(width, height) / 40)))


class _Fonts:
    """Label fonts by size, loaded once each."""

    def __init__(self, path: str | None) -> None:
        self.path = path
        self._by_size: dict[int, LabelFont] = {}

    def get(self, size: int) -> LabelFont:
        font = self._by_size.get(size)
        if font is None:
            font = self._by_size[size] = load_label_font(self.path, size)
        return font


def _remove_stale(images: Path, written: set[str]) -> None:
    for entry in images.iterdir():
        if _OUR_PICTURE.fullmatch(entry.name) and entry.name not in written:
            entry.unlink(missing_ok=True)


def _has_han(text: str) -> bool:
    return any("\u3400" <= c <= "\u9fff" or "\uf900" <= c <= "\ufaff" for c in text)
