"""The converters of the Python API: COCO and RefCOCO to Qwen-VL (v1) training files, written
atomically and accounted for as ``datakit convert coco|refcoco`` does (same records, same
bytes, same tally). Other targets and layouts: ``datakit convert ... --target``."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from datakit.errors import InputError

if TYPE_CHECKING:
    from datakit.api_results import Converted

PathArg = str | Path
DataFormat = Literal["json", "jsonl"]


def convert_coco(files: PathArg | Sequence[PathArg], output: PathArg, *,
                 tasks: str | Sequence[str] | None = None, languages: str = "en",
                 seed: int = 0, rounding: Literal["floor", "round"] = "floor",
                 max_boxes: int | None = None, include_crowd: bool = False,
                 categories: str | Sequence[str] | None = None,
                 image_root: PathArg | None = None, path_prefix: str | None = None,
                 split: str | None = None, limit: int | None = None,
                 data_format: DataFormat = "json") -> Converted:
    """COCO instances and/or captions JSON (one split) to Qwen-VL conversations in
    ``output``. ``tasks``: grounding, detection, caption (default: grounding for instances,
    caption for captions); ``image_root`` reads sizes from the files and skips missing ones."""
    import dataclasses

    from datakit.api import _as_list, _as_tuple
    from datakit.api_results import Converted
    from datakit.convert.category_names import CategoryNames
    from datakit.convert.coco import CocoInput, CocoOptions, check_prompts, has_problems
    from datakit.convert.coco import convert_coco as run
    from datakit.convert.coco_kinds import recognise
    from datakit.convert.coco_load import load_coco_file
    from datakit.convert.image_files import size_reader

    paths = [Path(p) for p in _as_list(files)]
    chosen = _as_tuple("tasks", tasks, split=True) if tasks is not None else ()
    root = Path(image_root) if image_root is not None else None
    prefix = path_prefix if path_prefix is not None else (
        "" if root is None or root.as_posix() == "." else root.as_posix())
    picked = _as_tuple("categories", categories, split=True) if categories is not None else ()
    options = CocoOptions(tasks=chosen or ("grounding",), languages=_languages(languages),
                          seed=seed, rounding=rounding, max_boxes=max_boxes,
                          include_crowd=include_crowd, renames=CategoryNames({}),
                          categories=frozenset(picked) or None, path_prefix=prefix,
                          split=split, limit=limit)
    if chosen:
        check_prompts(options)
    sources: dict[str, tuple[Path, Any]] = {}
    for path in paths:
        data = load_coco_file(path)
        kind = recognise(data, str(path))
        if kind not in ("instances", "captions"):
            raise InputError(f"{path} is a {kind} file",
                             fix="convert it with the command: datakit convert coco")
        if kind in sources:
            raise InputError(f"{path} and {sources[kind][0]} are both COCO {kind} files",
                             fix="convert one split at a time")
        sources[kind] = (path, data)
    if not chosen:
        options = dataclasses.replace(options, tasks=(
            ("grounding",) if "instances" in sources else ()) + (
            ("caption",) if "captions" in sources else ()))
    inputs = [CocoInput(sources[k][1], str(sources[k][0])) if k in sources else None
              for k in ("instances", "captions")]
    records, tally = run(inputs[0], inputs[1], options,
                         read_size=size_reader(root) if root is not None else None)
    written = _write(Path(output), records, tally, data_format, paths)
    return Converted(Path(output), written, tally.as_dict(), has_problems(tally))


def convert_refcoco(files: PathArg | Sequence[PathArg], output: PathArg, *,
                    instances: PathArg | None = None, dataset: str | None = None,
                    split_by: str | None = None, layout: str = "auto",
                    bbox_format: str | None = None, splits: str | Sequence[str] = "train",
                    tasks: str | Sequence[str] = "rec", group_by: str = "sentence",
                    prompt_set: str = "qwen", languages: str = "en", seed: int = 0,
                    answer_style: str = "ref-box", rounding: str = "floor",
                    image_root: PathArg | None = None, path_prefix: str | None = None,
                    data_format: DataFormat = "json") -> Converted:
    """RefCOCO, RefCOCO+ or RefCOCOg (raw refs pickle, or flattened JSONL / Parquet) to Qwen-VL
    referring-expression conversations in ``output``; every expression is kept."""
    from datakit.api import _as_list, _as_tuple
    from datakit.api_results import Converted
    from datakit.convert.refcoco import convert_refs, has_problems
    from datakit.convert.refcoco_run import build_setup

    paths = [Path(p) for p in _as_list(files)]
    if not paths:
        raise InputError("no RefCOCO files given", fix="pass a refs pickle or a flattened file")
    setup = build_setup(
        paths, instances=Path(instances) if instances is not None else None, dataset=dataset,
        split_by=split_by, layout=layout, bbox_format=bbox_format,
        splits=list(_as_tuple("splits", splits, split=True)),
        tasks=list(_as_tuple("tasks", tasks, split=True)), group_by=group_by,
        prompt_set=prompt_set, languages=languages, seed=seed, answer_style=answer_style,
        rounding=rounding, image_root=Path(image_root) if image_root is not None else None,
        path_prefix=path_prefix)
    items, tally, _ = setup.read("sent")
    result = convert_refs(items, setup.options, tally, setup.size_reader)
    setup.check_selection(result.refs_by_split)
    written = _write(Path(output), result.records, tally, data_format, setup.all_inputs)
    return Converted(Path(output), written, tally.as_dict(), has_problems(tally),
                     {"refs_by_split": dict(result.refs_by_split)})


def convert_dialect(file: PathArg, output: PathArg, *, target: str,
                    layout: str | None = None, min_pixels: int | None = None,
                    max_pixels: int | None = None, source_target: str | None = None,
                    source_layout: str | None = None, source_min_pixels: int | None = None,
                    source_max_pixels: int | None = None,
                    image_root: PathArg | None = None) -> Converted:
    """Qwen-VL family data rewritten for another model (``target``: qwen-vl, qwen2-vl,
    qwen2.5-vl, qwen3-vl) or layout (ms-swift, sharegpt, qwen-vl-finetune), boxes rescaled
    exactly, as ``datakit convert dialect`` does; a record whose picture cannot be read is
    skipped and tallied. A sharegpt ``output`` needs its dataset_info.json entry added by hand
    (the command prints or merges it)."""
    from datakit.api_results import Converted
    from datakit.convert.migrate import MigrateOptions, has_problems
    from datakit.convert.migrate_run import checked_records, start
    from datakit.convert.targets import resolve_target

    source_file = Path(file)
    if not source_file.is_file():
        raise InputError(f"{source_file}: no such file", fix="check the path")
    chosen = resolve_target(target, layout, min_pixels=min_pixels, max_pixels=max_pixels,
                            v1_layout_only=False)
    options = MigrateOptions(chosen, source_target, source_layout,  # type: ignore[arg-type]
                             source_min_pixels, source_max_pixels)
    root = Path(image_root) if image_root is not None else Path(".")
    source, tally, migration = start(source_file, options, root)

    def empty() -> InputError:
        return InputError(f"no usable record in {source_file}; {output} not written",
                          fix="datakit convert dialect shows the tally of what was skipped")

    from datakit.io.atomic import write_json_array, write_jsonl

    write = write_jsonl if chosen.output_format == "jsonl" else write_json_array
    written = write(Path(output), checked_records(migration, source_file, None, empty),
                    inputs=[source_file])
    return Converted(Path(output), written, tally.as_dict(), has_problems(tally),
                     {"source": source, "target": chosen.model.name, "layout": chosen.layout})


def _languages(languages: str) -> tuple[str, ...]:
    from datakit.convert.prompts import required_languages

    return tuple(required_languages(languages))


def _write(output: Path, records: Any, tally: Any, data_format: DataFormat,
           inputs: Sequence[Any]) -> int:
    from datakit.io.atomic import write_json_array, write_jsonl

    def checked() -> Iterator[Any]:
        yield from records
        # Still inside the atomic write: an unbalanced tally leaves no output behind.
        tally.check_balanced()

    write = write_json_array if data_format == "json" else write_jsonl
    return write(output, checked(), inputs=inputs)
