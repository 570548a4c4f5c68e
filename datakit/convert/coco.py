"""COCO instances and captions to Qwen-VL (v1) conversations.

``convert_coco`` is a pure function of the parsed files and the options: it checks and indexes
every input record first (raising ``ConfigError``/``InputError`` only for problems that make
the whole run pointless), then returns an iterator of records and the ``Tally`` that the
iterator completes as it runs. Image sizes come from the annotation; a ``read_size`` callback
(see ``image_files.size_reader``) lets the caller supply the files' own sizes.

Tasks (any combination, always emitted in this order for each image):

- ``grounding``: per image and category, "where is the {category}?" answered with
  ``<ref>NAME</ref>`` and every box of that category, ordered top to bottom, left to right
  (source ``y``, then ``x``, then annotation id), at most ``max_boxes`` of them;
- ``detection``: one sample per image listing every category with its boxes;
- ``caption``: one sample per caption, or (``caption_mode="turns"``) all captions of an image
  as the turns of one conversation.

Record ids: ``coco-[SPLIT-]IMAGEID-grounding-N`` (N counts the image's categories from 1, by
category id; the detection answer lists them in the same order), ``...-detection``,
``...-caption-N`` (captions by annotation id) or ``...-caption``. Images go in image-id order,
so the output does not depend on the order of records in the input files. Boxes use
``datakit.qwenvl.boxes`` (grid rule ``floor`` by default, ``round`` on request).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from datakit.convert.coco_annotations import index_boxes, index_captions
from datakit.convert.coco_index import CocoIndex, index_categories, index_images, top_level_list

# Re-exported: callers build a run from this module alone.
from datakit.convert.coco_options import TASKS as TASKS
from datakit.convert.coco_options import CocoOptions as CocoOptions
from datakit.convert.coco_prompts import BUILTIN, SLOTS
from datakit.convert.coco_records import Record, iter_records
from datakit.convert.image_files import SizeReader
from datakit.convert.prompts import PromptPicker, PromptSet
from datakit.convert.tally import Tally
from datakit.errors import ConfigError

BOX_TASKS = frozenset({"grounding", "detection"})

# Skip reasons that point at faulty input (the CLI exits 1 when any occurs); every other
# reason is a choice of the options (crowd, filters, --limit) or a fact of the data.
PROBLEM_REASONS = frozenset(
    {
        "malformed",
        "duplicate-id",
        "missing-image",
        "unknown-category",
        "name-has-tag",
        "caption-has-tag",
        "size-missing",
        "file-missing",
        "unreadable",
        "unsafe-path",
        "path-too-long",
        "path-has-tag",
    }
)


@dataclass(frozen=True)
class CocoInput:
    """One parsed COCO file (``data`` as ``json.load`` returns it) and the name messages use."""

    data: Any
    name: str


def convert_coco(
    instances: CocoInput | None,
    captions: CocoInput | None = None,
    options: CocoOptions | None = None,
    *,
    read_size: SizeReader | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[Iterator[Record], Tally]:
    """Records for the selected tasks, and the tally (complete once the records are consumed).

    ``progress(done, total)`` is called every few thousand images.
    """
    options = options or CocoOptions()
    index, picker, tally = index_coco(instances, captions, options)
    records = iter_records(index, options, picker, tally, read_size, progress)
    return records, tally


def index_coco(
    instances: CocoInput | None,
    captions: CocoInput | None,
    options: CocoOptions,
    builtin: PromptSet = BUILTIN,
) -> tuple[CocoIndex, PromptPicker, Tally]:
    """Check the options and index the inputs: what ``convert_coco`` builds records from
    (``builtin``: the prompts that user templates replace slot by slot)."""
    tasks = set(options.tasks)
    if tasks & BOX_TASKS and instances is None:
        raise ConfigError(
            "the grounding and detection tasks need a COCO instances file",
            fix="pass an instances file, or choose --task caption",
        )
    if "caption" in tasks and captions is None:
        raise ConfigError(
            "the caption task needs a COCO captions file",
            fix="pass a captions file, or choose --task grounding/detection",
        )
    prompts = check_prompts(options, builtin)

    tally = Tally()
    index = CocoIndex()
    if instances is not None:
        _index_instances(instances, options, index, tally)
    if captions is not None:
        index_images(
            top_level_list(captions.data, captions.name, "images"),
            captions.name,
            index,
            tally,
            merge=instances is not None,
        )
        annotations = top_level_list(captions.data, captions.name, "annotations")
        if "caption" in tasks:
            index_captions(annotations, captions.name, index, tally)
        else:
            tally.see("caption", len(annotations))
            tally.skip("caption", "task-not-selected", n=len(annotations))
    return index, prompts.picker(options.seed, options.languages), tally


def check_prompts(options: CocoOptions, builtin: PromptSet = BUILTIN) -> PromptSet:
    """The prompt set the options select, checked for the options' tasks and languages
    (``ConfigError`` otherwise): cheap, so callers run it before loading any input."""
    if options.prompts is not None:
        # Checked alone first, so that messages name the user's file rather than the merge.
        options.prompts.check(SLOTS, options.languages, used=())
    prompts = builtin if options.prompts is None else builtin.merged(options.prompts)
    used = _slots_for(set(options.tasks), options.caption_mode)
    if options.negatives:  # the grounding question, answered "there is no X"
        used += [slot for slot in ("grounding", "negative") if slot not in used]
    prompts.check(SLOTS, options.languages, used=used)
    return prompts


def _slots_for(tasks: set[str], caption_mode: str) -> list[str]:
    wanted = [t for t in TASKS if t in tasks]
    if "caption" in tasks and caption_mode == "turns":
        wanted.append("caption.followup")
    return wanted


def _index_instances(
    source: CocoInput, options: CocoOptions, index: CocoIndex, tally: Tally
) -> None:
    images = top_level_list(source.data, source.name, "images")
    categories = top_level_list(source.data, source.name, "categories")
    annotations = top_level_list(source.data, source.name, "annotations")
    index_images(images, source.name, index, tally)
    keep = options.categories
    category_names = index_categories(
        categories,
        source.name,
        options.renames,
        (lambda name: True) if keep is None else keep.__contains__,
        tally,
        index,
    )
    _check_category_options(options, index.source_names, source.name)
    if set(options.tasks) & BOX_TASKS:
        index_boxes(annotations, source.name, category_names, index, tally)
    else:
        tally.see("annotation", len(annotations))
        tally.skip("annotation", "task-not-selected", n=len(annotations))


def _check_category_options(options: CocoOptions, names: list[str], source: str) -> None:
    # A typo in --rename/--categories would otherwise silently convert nothing (or everything).
    known = set(names)
    listed = ", ".join(names[:12]) + (f", ... ({len(names)} in all)" if len(names) > 12 else "")
    for flag, wanted in (("--rename", options.renames), ("--categories", options.categories)):
        for name in sorted(wanted or ()):
            if name not in known:
                raise ConfigError(
                    f"{flag}: {source} has no category named {name!r}",
                    fix=f"use a name from its categories: {listed or 'none'}",
                )


def has_problems(tally: Tally) -> bool:
    """Whether any item was skipped for a reason that points at faulty input."""
    return any(
        reason in PROBLEM_REASONS
        for reasons in tally.skipped.values()
        for reason, count in reasons.items()
        if count
    )
