"""Flattened RefCOCO copies (JSONL / JSON / Parquet) to ``RefItem``s.

The layout (see ``refcoco_layouts``) is recognised from the columns or declared; the box
convention comes with a recognised layout or must be declared (``bbox_format``): it is never
guessed from the numbers. Every row is counted in the tally (kind ``row``: used, or skipped with
a reason); rows that become refs also count their ref and sentences as seen.

The split of a row is its ``split`` column, else the split its file name states
(``val-00000-of-00001.parquet``, ``refcoco_testA.jsonl``), else ``input_split``. The jxu124
copies of refcoco and refcoco+ call UNC's testA split ``test``: such rows are read as
``testA`` and counted in the tally's notes.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from datakit.convert.refcoco import REF, SENTENCE, BboxFormat, RefItem
from datakit.convert.refcoco_layouts import (
    IMAGE_COLUMNS,
    LAYOUT_BOX_FORMAT,
    LAYOUTS,
    TEXT_COLUMNS,
    Layout,
    RowProblem,
    RowRef,
    looks_generic,
    read_row,
    recognise_layout,
)
from datakit.convert.refcoco_names import canonical_split, split_from_file_name
from datakit.convert.tally import Tally
from datakit.errors import ConfigError, InputError

ROW = "row"
_KEY_UNSAFE_RE = re.compile(r"[^A-Za-z0-9_.+-]")
_COLUMNS: dict[Layout, tuple[str, ...]] = {
    "jxu124": ("ref_id", "bbox", "sentences", "captions", "raw_image_info", "image_path", "split"),
    "lmms-lab": ("question_id", "answer", "bbox", "file_name", "image", "width", "height", "split"),
    "qwen-eval": ("image", "sent", "bbox", "width", "height", "split"),
    "generic": (*IMAGE_COLUMNS, *TEXT_COLUMNS, "bbox", "width", "height", "split", "ref_id"),
}


@dataclass(frozen=True)
class FlatOptions:
    layout: Layout | None = None
    bbox_format: BboxFormat | None = None
    dataset: str | None = None
    split_by: str | None = None
    input_split: str | None = None
    text_field: str = "sent"


@dataclass
class FlatRead:
    items: list[RefItem]
    layout: Layout
    bbox_format: BboxFormat


@dataclass(frozen=True, slots=True)
class _Row:
    where: str
    key: str  # l12 (line) or row12 (Parquet row), unique within the file
    value: Any
    problem: tuple[str, str] | None = None


def read_flat(paths: Sequence[Path], options: FlatOptions, tally: Tally) -> FlatRead:
    """Items of every usable row of ``paths`` (read in order), with the layout used."""
    builder = _Builder(options, tally, multi_file=len(paths) > 1)
    for number, path in enumerate(paths):
        builder.read_file(path, number)
    if builder.layout is None:
        raise InputError(
            "the input holds no rows", fix="check that the files are the RefCOCO copies you meant"
        )
    return FlatRead(builder.finish(), builder.layout, builder.bbox_format or "xyxy")


class _Builder:
    def __init__(self, options: FlatOptions, tally: Tally, multi_file: bool) -> None:
        self.options = options
        self.tally = tally
        self.multi_file = multi_file
        self.layout: Layout | None = None
        self.bbox_format: BboxFormat | None = None
        self.keyed: dict[str, RefItem] = {}
        self.grouped: dict[tuple[Any, ...], RefItem] = {}
        self.order: list[tuple[str, Any]] = []

    def decide(self, columns: Sequence[str], file: str) -> Layout:
        if "filename" in columns and {"grounding", "detection"} & set(columns):
            raise InputError(f"{file}: this looks like ODVG JSONL (Grounding DINO training "
                             "data: one picture a line with 'detection' or 'grounding')",
                             fix="use datakit convert coco, which reads it")
        layout = self.options.layout or recognise_layout(columns)
        declared = self.options.bbox_format
        if layout is None:
            if declared is not None and looks_generic(columns):
                layout = "generic"
            else:
                shown = ", ".join(columns) or "none"
                raise InputError(
                    f"{file}: columns ({shown}) are not a RefCOCO layout datakit knows "
                    f"({', '.join(LAYOUTS[:-1])})",
                    fix="for other copies pass --layout generic --bbox-format xyxy|xywh "
                    f"(columns: one of {', '.join(IMAGE_COLUMNS)}; one of "
                    f"{', '.join(TEXT_COLUMNS)}; bbox; optional width, height, split, ref_id)",
                )
        implied = LAYOUT_BOX_FORMAT[layout]
        if implied is None and declared is None:
            raise ConfigError(
                f"{file}: the box convention of this {layout} layout is not known: "
                "bbox could be [x1,y1,x2,y2] or [x,y,w,h]",
                fix="pass --bbox-format xyxy or --bbox-format xywh (datakit never guesses)",
            )
        if implied is not None and declared is not None and implied != declared:
            raise ConfigError(
                f"{file}: the {layout} layout stores bbox as {implied}, "
                f"but --bbox-format {declared} was given",
                fix=f"drop --bbox-format, or pass --layout generic if this copy is not {layout}",
            )
        if self.layout is not None and layout != self.layout:
            raise ConfigError(
                f"{file}: a {layout} file among {self.layout} files",
                fix="convert each layout in its own run",
            )
        self.layout = layout
        self.bbox_format = declared or implied
        return layout

    def read_file(self, path: Path, number: int) -> None:
        file = str(path)
        prefix = f"f{number}" if self.multi_file else ""
        name_split = self.options.input_split or split_from_file_name(path)
        reader = _parquet_rows if _is_parquet(path) else _json_rows
        rows = reader(path, file, self)
        for row in rows:
            self.tally.see(ROW)
            if row.problem is not None:
                self.tally.skip(ROW, row.problem[0], f"{row.where}: {row.problem[1]}")
                continue
            assert self.layout is not None
            try:
                ref = read_row(self.layout, row.value, self.options.text_field)
            except RowProblem as exc:
                self.tally.skip(ROW, exc.reason, f"{row.where}: {exc.detail}")
                continue
            split = self._split(ref.split, name_split, file, row.where)
            self._add(ref, split, prefix + row.key, row.where)

    def _split(self, own: str | None, from_name: str | None, file: str, where: str) -> str:
        split = own or from_name
        if split is None:
            raise ConfigError(
                f"{file}: cannot tell which split the rows belong to (no split column, and the "
                "file name names none)",
                fix="pass --input-split NAME (train, val, testA, ...)",
            )
        split = canonical_split(split)
        if (
            split == "test"
            and self.layout == "jxu124"
            and self.options.dataset in ("refcoco", "refcoco+")
            and self.options.split_by in (None, "unc")
        ):
            self.tally.note("jxu124-test-read-as-testA", where)
            return "testA"
        if split == "test" and self.layout == "jxu124" and self.options.dataset is None:
            raise ConfigError(
                f"{file}: a jxu124 'test' split is testA for refcoco and refcoco+ but test for "
                "refcocog, and the dataset is not known",
                fix="pass --dataset refcoco|refcoco+|refcocog (or keep it in the path)",
            )
        return split

    def _add(self, ref: RowRef, split: str, row_key: str, where: str) -> None:
        if ref.file_name_suffix_stripped:
            self.tally.note("refer-file-name-suffix-stripped", where)
        assert self.bbox_format is not None
        if ref.ref_key is not None:
            key = ("r" if self.layout != "lmms-lab" else "q") + _KEY_UNSAFE_RE.sub("_", ref.ref_key)
            if key in self.keyed:
                self.tally.skip(ROW, "duplicate-id", f"{where}: {key} already read")
                return
            self.keyed[key] = _item(key, where, split, ref, self.bbox_format, ref.sentences)
            self.order.append(("keyed", key))
        else:
            group = (split, ref.image_file, ref.box_px, ref.width_px, ref.height_px)
            found = self.grouped.get(group)
            if found is None:
                self.grouped[group] = _item(row_key, where, split, ref, self.bbox_format, ())
                self.order.append(("grouped", group))
                found = self.grouped[group]
            self.grouped[group] = _with_sentences(found, ref, row_key)
        self.tally.use(ROW)

    def finish(self) -> list[RefItem]:
        items = [self.keyed[k] if kind == "keyed" else self.grouped[k] for kind, k in self.order]
        for item in items:
            self.tally.see(REF)
            self.tally.see(SENTENCE, len(item.sentences))
        return items


def _item(
    key: str, where: str, split: str, ref: RowRef, box_format: BboxFormat, sentences: Any
) -> RefItem:
    return RefItem(
        key=key,
        where=where,
        split=split,
        image_file=ref.image_file,
        box_px=ref.box_px,
        box_format=box_format,
        width_px=ref.width_px,
        height_px=ref.height_px,
        sentences=tuple(sentences),
    )


def _with_sentences(item: RefItem, ref: RowRef, row_key: str) -> RefItem:
    from dataclasses import replace

    from datakit.convert.refcoco import RefSentence

    added = tuple(RefSentence(s.text, row_key) for s in ref.sentences)
    return replace(item, sentences=item.sentences + added)


def _is_parquet(path: Path) -> bool:
    return path.name.lower().endswith(".parquet")


def _json_rows(path: Path, file: str, builder: _Builder) -> Iterator[_Row]:
    from datakit.io.parse import parse_record
    from datakit.io.reader import detect_format, iter_records
    from datakit.io.records import FileProblem

    if detect_format(path) is None:
        raise InputError(
            f"{file}: not a file datakit reads as flattened RefCOCO",
            fix="pass .jsonl, .json (one array), .parquet (or .jsonl.gz / .json.gz), "
            "or the refs(<splitBy>).p of the raw layout",
        )
    decided = False
    for item in iter_records(path, display_name=file):
        if isinstance(item, FileProblem):
            where = file + (f":{item.line}" if item.line is not None else "")
            if item.kind == "wrong-top-level":
                raise InputError(
                    f"{file}: not flattened RefCOCO rows (a JSON file must be one array of "
                    "row objects)",
                    fix="for the raw refer layout pass refs(<splitBy>).p (its instances.json "
                    "is found beside it); otherwise pass JSONL, a JSON array or Parquet",
                )
            if item.fatal:
                raise InputError(f"{where}: {item.message}", fix=item.fix)
            yield _Row(where, "", None, (item.kind, item.message))
            continue
        where = f"{file}:{item.line}" if item.line is not None else f"{file} #{item.index}"
        key = f"l{item.line}" if item.line is not None else f"n{item.index}"
        parsed = parse_record(item)
        if parsed.error is not None:
            yield _Row(where, key, None, ("invalid-json", parsed.error))
            continue
        if not isinstance(parsed.value, dict):
            kind = type(parsed.value).__name__
            yield _Row(where, key, None, ("not-an-object", f"a {kind}"))
            continue
        if not decided:
            builder.decide(list(parsed.value), file)
            decided = True
        yield _Row(where, key, parsed.value)


def _parquet_rows(path: Path, file: str, builder: _Builder) -> Iterator[_Row]:
    from datakit.io.source import OpenFailed, open_binary

    try:
        source = open_binary(path, file)
    except OpenFailed as exc:
        raise InputError(f"{file}: {exc.problem.message}", fix=exc.problem.fix) from None
    import pyarrow as pa
    import pyarrow.parquet as pq

    fix = "download the file again, or export it as JSON Lines"
    index = 0
    with source:
        try:
            parquet = pq.ParquetFile(source)
        except (pa.ArrowException, OSError, ValueError) as exc:
            raise InputError(f"{file}: not a readable Parquet file ({exc})", fix=fix) from None
        names = parquet.schema_arrow.names
        layout = builder.decide(names, file)
        columns = [c for c in _COLUMNS[layout] if c in names]
        try:
            for batch in parquet.iter_batches(batch_size=1024, columns=columns):
                for row in batch.to_pylist():
                    yield _Row(f"{file} row {index}", f"row{index}", row)
                    index += 1
        except (pa.ArrowException, OSError, ValueError) as exc:
            raise InputError(
                f"{file}: row {index} and later cannot be read ({exc})", fix=fix
            ) from None
