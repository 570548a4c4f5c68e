"""The edges of a RefCOCO conversion: options from plain values, the inputs read, the holdout
list and the report written. The command line (``datakit convert refcoco``) is a thin layer
over ``build_setup``; library users may call it too.

Holdout file (``--emit-holdout``): the base file names of every image of the evaluation splits,
so that ``datakit validate --holdout`` can find them in a training mix (RefCOCO's val and test
images are COCO train2014 images). A ``.txt`` destination gets one name per line; any other
gets a JSON object ``{"kind": "datakit-holdout", "version": 1, "source", "dataset",
"split_by", "splits", "images"}`` with ``images`` sorted.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from datakit.convert.image_files import size_reader as make_size_reader
from datakit.convert.refcoco import (
    TASKS,
    RefcocoOptions,
    RefcocoResult,
    RefItem,
    SizeReader,
    Task,
)
from datakit.convert.refcoco_names import (
    KNOWN_SPLITS,
    canonical_split,
    dataset_from_path,
    id_prefix,
    split_by_from_path,
)
from datakit.convert.tally import Tally
from datakit.errors import ConfigError

if TYPE_CHECKING:
    from datakit.convert.prompts import PromptSet

RAW_SUFFIXES = (".p", ".pkl", ".pickle")


@dataclass
class Setup:
    files: tuple[Path, ...]
    raw: bool
    instances: Path | None
    dataset: str | None
    split_by: str | None
    layout: str
    bbox_format: str | None
    input_split: str | None
    options: RefcocoOptions
    size_reader: SizeReader | None
    prompt_source: str
    all_inputs: list[Path] = field(default_factory=list)

    def read(self, text_field: str) -> tuple[list[RefItem], Tally, dict[str, Any]]:
        """Items of the inputs, the tally they were counted in, and what was recognised."""
        tally = Tally()
        if self.raw:
            from datakit.convert.refcoco_raw import read_instances, read_refer

            assert self.instances is not None
            index = read_instances(self.instances, tally)
            items = read_refer(self.files[0], index, tally, text_field=text_field)
            return items, tally, {"layout": "refer", "bbox_format": "xywh", "text": text_field}
        from datakit.convert.refcoco_flat import FlatOptions, read_flat

        flat = read_flat(
            self.files,
            FlatOptions(
                layout=None if self.layout == "auto" else self.layout,  # type: ignore[arg-type]
                bbox_format=self.bbox_format,  # type: ignore[arg-type]
                dataset=self.dataset,
                split_by=self.split_by,
                input_split=self.input_split,
                text_field=text_field,
            ),
            tally,
        )
        info = {"layout": flat.layout, "bbox_format": flat.bbox_format, "text": text_field}
        return flat.items, tally, info

    def check_selection(self, refs_by_split: dict[str, int]) -> None:
        """Refuse a run whose selected splits the input does not have at all."""
        selected = self.options.splits
        if selected is None or any(refs_by_split.get(s) for s in selected):
            return
        have = ", ".join(f"{s} ({n:,} refs)" for s, n in refs_by_split.items()) or "no refs"
        raise ConfigError(
            f"the input has no refs in the selected split(s) {', '.join(sorted(selected))}; "
            f"it has: {have}",
            fix="choose splits with --split (e.g. --split val,testA), or --split all",
        )

    def holdout_split_names(self, refs_by_split: dict[str, int]) -> list[str]:
        chosen = self.options.holdout_splits
        if chosen is not None:
            return sorted(chosen)
        return sorted(s for s in refs_by_split if s not in ("train", "(none)"))

    def write_holdout(self, path: Path, images: Sequence[str], splits: Sequence[str]) -> None:
        import orjson

        from datakit.io.atomic import atomic_writer

        if path.suffix.lower() == ".txt":
            data = "".join(f"{name}\n" for name in images).encode("utf-8")
        else:
            document = {
                "kind": "datakit-holdout",
                "version": 1,
                "source": ", ".join(str(f) for f in self.files),
                "dataset": self.dataset,
                "split_by": self.split_by,
                "splits": list(splits),
                "images": list(images),
            }
            data = orjson.dumps(document, option=orjson.OPT_INDENT_2) + b"\n"
        with atomic_writer(path, inputs=self.all_inputs) as handle:
            handle.write(data)

    def write_report(self, path: Path, output: Path, output_format: str, written: int,
                     by_task: dict[str, int], result: RefcocoResult, read_info: dict[str, Any],
                     holdout_splits: Sequence[str], holdout: Path | None,
                     problems: bool, target: dict[str, Any] | None = None) -> None:
        import orjson

        from datakit.io.atomic import atomic_writer

        options = self.options
        document = {
            "command": "datakit convert refcoco",
            "inputs": [str(f) for f in self.all_inputs],
            "source": {"dataset": self.dataset, "split_by": self.split_by, **read_info},
            "output": {"path": str(output), "format": output_format, "records": written,
                       "records_by_task": by_task},
            "options": {
                "tasks": list(options.tasks), "group_by": options.group_by,
                "splits": sorted(options.splits) if options.splits is not None else "all",
                "prompts": self.prompt_source, "languages": list(options.languages),
                "seed": options.seed, "answer": options.answer_style,
                "rounding": options.rounding, "path_prefix": options.path_prefix,
            },
            "refs_by_split": result.refs_by_split,
            "holdout": None if holdout is None else {
                "path": str(holdout), "splits": list(holdout_splits),
                "images": len(result.holdout_images),
            },
            "input_problems": problems,
            "tally": result.tally.as_dict(),
        }
        if target is not None:
            document["target"] = target
        with atomic_writer(path, inputs=self.all_inputs) as handle:
            handle.write(orjson.dumps(document, option=orjson.OPT_INDENT_2) + b"\n")


def build_setup(files: Sequence[Path], *, instances: Path | None = None,
                dataset: str | None = None, split_by: str | None = None, layout: str = "auto",
                bbox_format: str | None = None, input_split: str | None = None,
                splits: Sequence[str] = ("train",), tasks: Sequence[str] = ("rec",),
                group_by: str = "sentence", prompt_set: str = "qwen",
                templates: Path | None = None, languages: str = "en", seed: int = 0,
                answer_style: str = "ref-box", rounding: str = "floor",
                image_root: Path | None = None, path_prefix: str | None = None,
                holdout_splits: Sequence[str] = (),
                prompt_sets: Mapping[str, PromptSet] | None = None) -> Setup:
    """Check every option before any input is read; raise ``ConfigError`` on the first fault."""
    files = tuple(files)
    raw = layout == "refer" or (layout == "auto" and files[0].suffix.lower() in RAW_SUFFIXES)
    if raw and len(files) != 1:
        raise ConfigError("the raw layout takes one refs(<splitBy>).p file",
                          fix="convert one refs file per run (its instances.json beside it)")
    if not raw and instances is not None:
        raise ConfigError("--instances only applies to the raw refs(<splitBy>).p layout",
                          fix="drop --instances for flattened files")
    dataset = _named("--dataset", dataset, files, dataset_from_path)
    split_by = _named("--split-by", split_by, files, split_by_from_path)
    if raw:
        instances = instances or files[0].parent / "instances.json"
    chosen_tasks = _tasks(tasks)
    split_set = _splits(splits, dataset, split_by, "--split")
    holdout_set = _splits(holdout_splits, dataset, split_by, "--holdout-split") if holdout_splits \
        else None
    prompts, languages_list = _prompts(prompt_set, templates, languages, chosen_tasks,
                                       prompt_sets)
    if image_root is not None and not image_root.is_dir():
        raise ConfigError(f"--image-root {image_root} is not a folder", fix="check the path")
    if path_prefix is None:
        root = image_root.as_posix() if image_root is not None else ""
        path_prefix = "" if root == "." else root
    options = RefcocoOptions(
        tasks=chosen_tasks, group_by=cast(Any, group_by), splits=split_set,
        holdout_splits=holdout_set, path_prefix=path_prefix, id_prefix=id_prefix(dataset, split_by),
        rounding=cast(Any, rounding), answer_style=cast(Any, answer_style), prompts=prompts,
        languages=tuple(languages_list), seed=seed,
    )
    reader = make_size_reader(image_root) if image_root is not None else None
    all_inputs = list(files) + ([instances] if instances is not None else [])
    return Setup(files, raw, instances, dataset, split_by, layout, bbox_format,
                 canonical_split(input_split) if input_split else None, options, reader,
                 prompts.source, all_inputs)


def _named(flag: str, given: str | None, files: Sequence[Path], read: Any) -> str | None:
    found = {read(path) for path in files} - {None}
    if given is not None:
        if found and found != {given}:
            raise ConfigError(
                f"{flag} {given} disagrees with the input path(s), which say "
                f"{', '.join(sorted(found))}",
                fix=f"drop {flag}, or check that these are the files you meant",
            )
        return given
    if len(found) > 1:
        raise ConfigError(f"the input paths name several values for {flag}: "
                          f"{', '.join(sorted(found))}", fix="convert one dataset per run")
    return found.pop() if found else None


def _tasks(tasks: Sequence[str]) -> tuple[Task, ...]:
    chosen: list[Task] = []
    for task in tasks:
        if task not in TASKS:
            raise ConfigError(f"unknown task {task!r}", fix="use rec, region or rec,region")
        if task not in chosen:
            chosen.append(task)
    return tuple(chosen) or ("rec",)


def _splits(names: Sequence[str], dataset: str | None, split_by: str | None,
            flag: str) -> frozenset[str] | None:
    if "all" in names:
        return None
    chosen = frozenset(canonical_split(n) for n in names)
    known = KNOWN_SPLITS.get((dataset or "", split_by or ""))
    if known is not None:
        unknown = sorted(chosen - set(known))
        if unknown:
            raise ConfigError(
                f"{flag}: {dataset} ({split_by}) has no split {unknown[0]!r}",
                fix=f"its splits are {', '.join(known)} (or 'all')",
            )
    return chosen


def _prompts(prompt_set: str, templates: Path | None, languages: str,
             tasks: Sequence[Task],
             prompt_sets: Mapping[str, PromptSet] | None = None) -> tuple[Any, list[str]]:
    from datakit.convert.prompts import PromptSet, load_prompt_file, required_languages
    from datakit.convert.refcoco_prompts import (
        PROMPT_SETS,
        SLOTS,
        rec_templates_use_a_placeholder,
    )

    prompts: PromptSet = (PROMPT_SETS if prompt_sets is None else prompt_sets)[prompt_set]
    user = prompts
    if templates is not None:
        user = load_prompt_file(templates)
        for slot in sorted(user.templates):
            if slot not in SLOTS:
                raise ConfigError(f"{user.source}: unknown prompt slot {slot!r}",
                                  fix=f"use one of: {', '.join(sorted(SLOTS))}")
        prompts = prompts.merged(user)
    # Only the slots of the chosen tasks must have templates in the chosen languages.
    prompts = PromptSet({t: prompts.templates[t] for t in tasks if t in prompts.templates},
                        prompts.source)
    chosen_languages = required_languages(languages)
    prompts.check({slot: SLOTS[slot] for slot in tasks}, chosen_languages)
    if "rec" in tasks:
        # A faulty template can only come from the user's file: name that file alone.
        faulty = rec_templates_use_a_placeholder(user if templates is not None else prompts)
        if faulty is not None:
            raise ConfigError(f"{faulty} uses neither {{ref}} nor {{expression}}",
                              fix="every rec template must contain {ref} or {expression}")
    return prompts, chosen_languages
