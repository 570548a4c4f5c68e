"""RefCOCO, RefCOCO+ and RefCOCOg referring expressions to Qwen-VL conversations.

The readers (``refcoco_raw`` for the refer pickles, ``refcoco_flat`` for JSONL / Parquet copies)
turn their input into ``RefItem``s: one referred object, its image, its pixel box in a declared
convention, and its expressions. ``convert_refs`` is the pure part: split selection, boxes onto
the 0..999 grid, expressions cleaned and de-duplicated, prompts, and a ``Tally`` in which every
ref and sentence ends up used or skipped with a reason.

Samples (``--group-by sentence``, the default): one conversation per expression. With
``group_by="ref"``: one conversation per ref, one turn per distinct expression. Tasks: ``rec``
(expression -> box) and ``region`` (box -> expression); both may be asked for together.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any, Literal

from datakit.convert.image_files import ImageProblem, ImageSize, unsafe_relative_path
from datakit.convert.progress import Progress, reported
from datakit.convert.prompts import SPECIAL_TEXT_RE, PromptPicker, PromptSet
from datakit.convert.refcoco_prompts import QWEN, AnswerStyle
from datakit.convert.tally import Tally
from datakit.qwenvl.boxes import GridBox, Rounding, xywh_px_to_grid, xyxy_px_to_grid
from datakit.qwenvl.grammar import box_tag, picture
from datakit.shown import shown

Task = Literal["rec", "region"]
TASKS: tuple[Task, ...] = ("rec", "region")
BboxFormat = Literal["xyxy", "xywh"]
GroupBy = Literal["sentence", "ref"]

# The model slices the <img> span and looks for the first <imgpad>: paths of 255 or 256 bytes
# pass the tokenizer and then fail inside the model (see docs: the effective limit is 254).
MAX_IMAGE_PATH_BYTES = 254
# A referring expression is a phrase (RefCOCOg's longest are a few hundred characters). A longer
# text is not one, and the output must not grow with it: a pickle can give one long string to
# every sentence it holds.
MAX_EXPRESSION_CHARS = 2000
REF, SENTENCE = "ref", "sentence"

SizeReader = Callable[[str], "ImageSize | ImageProblem"]


@dataclass(frozen=True, slots=True)
class RefSentence:
    text: str
    sent_id: int | str | None = None


@dataclass(frozen=True, slots=True)
class RefItem:
    """One referred object, source-neutral.

    ``key`` is unique within one conversion (``r<ref_id>``, ``l<line>``) and goes into record
    ids; ``where`` names the item for people (file and ref id or line). ``image_file`` is the
    image's path relative to the image root (a COCO file name for RefCOCO); ``box_px`` is in
    pixels, in the ``box_format`` convention.
    """

    key: str
    where: str
    split: str | None
    image_file: str
    box_px: tuple[float, float, float, float]
    box_format: BboxFormat
    width_px: float | None
    height_px: float | None
    sentences: tuple[RefSentence, ...]


@dataclass(frozen=True)
class RefcocoOptions:
    tasks: tuple[Task, ...] = ("rec",)
    group_by: GroupBy = "sentence"
    splits: frozenset[str] | None = frozenset({"train"})  # None: every split
    holdout_splits: frozenset[str] | None = None  # None: every split except train
    path_prefix: str = ""
    id_prefix: str = "refcoco"
    rounding: Rounding = "floor"
    answer_style: AnswerStyle = "ref-box"
    prompts: PromptSet = QWEN
    languages: tuple[str, ...] = ("en",)
    seed: int = 0


@dataclass
class RefcocoResult:
    records: list[dict[str, Any]]
    tally: Tally
    holdout_images: list[str]
    refs_by_split: dict[str, int] = field(default_factory=dict)


def convert_refs(
    items: Iterable[RefItem],
    options: RefcocoOptions,
    tally: Tally | None = None,
    size_reader: SizeReader | None = None,
    progress: Progress | None = None,
) -> RefcocoResult:
    """Records for every selected ref, in input order; see the module docstring.

    The reader has already counted each item's ref and sentences as seen in ``tally``; here
    each is marked used or skipped. ``size_reader`` (optional) looks images up under the image
    root: a missing or unreadable image skips its refs, and the file's own size wins over the
    source's when they disagree (the trainer sees the file). ``progress(done, total)`` is
    called every few thousand refs and at the end (``total`` None when ``items`` has no
    length).
    """
    tally = tally if tally is not None else Tally()
    converter = _Converter(options, tally, size_reader)
    for item in reported(items, progress):
        converter.add(item)
    return RefcocoResult(
        converter.records,
        tally,
        sorted(converter.holdout),
        dict(sorted(converter.refs_by_split.items())),
    )


# Skip reasons that point at faulty input (the CLI exits 1 when one occurs); the others are
# choices of the options or facts of the data (a duplicate sentence, a box under one grid cell).
PROBLEM_REASONS = frozenset(
    {
        "malformed",
        "malformed-box",
        "duplicate-id",
        "invalid-json",
        "not-an-object",
        "unknown-ann-id",
        "unknown-image-id",
        "annotation-on-another-image",
        "annotation-without-box",
        "file-missing",
        "unreadable",
        "unsafe-path",
        "path-too-long",
        "path-has-tag",
        "size-missing",
        "box-not-finite",
        "box-empty-in-pixels",
        "empty-expression",
        "expression-has-tag",
        "expression-too-long",
        "repeated-object",  # a pickle object (ref, sentence list, sentence) referred to again
    }
)


def has_problems(tally: Tally) -> bool:
    """Whether any item was skipped for a reason that points at faulty input."""
    return any(
        count and reason in PROBLEM_REASONS
        for reasons in tally.skipped.values()
        for reason, count in reasons.items()
    )


def join_prefix(prefix: str, image_file: str) -> str:
    """The path the trainer opens: ``prefix`` and the file joined by one ``/``."""
    if not prefix:
        return image_file
    return prefix + image_file if prefix.endswith("/") else f"{prefix}/{image_file}"


def clean_expression(text: str) -> str:
    """Whitespace runs collapsed to one space, ends trimmed."""
    return " ".join(text.split())


def image_base_name(image_file: str) -> str:
    return PurePosixPath(image_file.replace("\\", "/")).name


class _Converter:
    # Text an expression may not hold (the family targets refuse their layouts' tags too).
    special_text = SPECIAL_TEXT_RE

    def __init__(self, options: RefcocoOptions, tally: Tally, size_reader: SizeReader | None):
        self.options = options
        self.tally = tally
        self.size_reader = size_reader
        self.picker: PromptPicker = options.prompts.picker(options.seed, options.languages)
        self.records: list[dict[str, Any]] = []
        self.holdout: set[str] = set()
        self.refs_by_split: Counter[str] = Counter()
        self._sizes: dict[str, ImageSize | ImageProblem] = {}

    def skip(self, item: RefItem, reason: str, detail: str = "") -> None:
        example = f"{item.where}{': ' + detail if detail else ''}"
        self.tally.skip(REF, reason, example)
        if item.sentences:
            self.tally.skip(SENTENCE, reason, n=len(item.sentences))

    def add(self, item: RefItem) -> None:
        options = self.options
        split = item.split if item.split is not None else "(none)"
        self.refs_by_split[split] += 1
        holdout = options.holdout_splits
        if item.split is not None and (
            item.split in holdout if holdout is not None else item.split != "train"
        ):
            self.holdout.add(image_base_name(item.image_file))
        if options.splits is not None and item.split not in options.splits:
            self.skip(item, "split-not-selected")
            return
        path = join_prefix(options.path_prefix, item.image_file)
        problem = _path_problem(item.image_file, path, self.size_reader is not None)
        if problem is not None:
            self.skip(item, problem[0], problem[1])
            return
        size = self._size(item)
        if isinstance(size, str):
            self.skip(item, size)
            return
        grid = self._grid(item, *size)
        if grid.degenerate is not None or grid.xyxy_norm1000 is None:
            self.skip(item, f"box-{grid.degenerate}", f"{item.box_format} {list(item.box_px)}")
            return
        if grid.clipped:
            self.tally.note("box-clipped-to-image", item.where)
        expressions = self._expressions(item)
        if not expressions:
            self.tally.skip(REF, "no-usable-expression", item.where)
            return
        self.tally.use(REF)
        for task in options.tasks:
            self._emit(task, item, path, grid.xyxy_norm1000, expressions)

    def _size(self, item: RefItem) -> tuple[float, float] | str:
        """(width, height) in pixels, or the reason there is none."""
        width, height = item.width_px, item.height_px
        if self.size_reader is not None:
            found = self._sizes.get(item.image_file)
            if found is None:
                found = self.size_reader(item.image_file)
                self._sizes[item.image_file] = found
            if isinstance(found, ImageProblem):
                return found.reason
            known = width is not None and height is not None
            if known and (width, height) != (found.width_px, found.height_px):
                self.tally.note(
                    "image-size-disagrees-file-wins",
                    f"{item.where}: source {width:g}x{height:g}, "
                    f"file {found.width_px}x{found.height_px}",
                )
            width, height = found.width_px, found.height_px
        if width is None or height is None:
            return "size-missing"
        return width, height

    def _grid(self, item: RefItem, width: float, height: float) -> GridBox:
        if item.box_format == "xywh":
            return xywh_px_to_grid(item.box_px, width, height, self.options.rounding)
        return xyxy_px_to_grid(item.box_px, width, height, self.options.rounding)

    def _expressions(self, item: RefItem) -> list[tuple[str, str]]:
        """(sentence key, cleaned text) of each distinct usable expression, in order."""
        kept: list[tuple[str, str]] = []
        seen_text: set[str] = set()
        seen_keys: set[str] = set()
        for position, sentence in enumerate(item.sentences):
            if len(sentence.text) > MAX_EXPRESSION_CHARS:
                self.tally.skip(SENTENCE, "expression-too-long",
                                f"{item.where}: {len(sentence.text):,} characters (at most "
                                f"{MAX_EXPRESSION_CHARS:,}): {shown(sentence.text)}")
                continue
            text = clean_expression(sentence.text)
            if not text:
                self.tally.skip(SENTENCE, "empty-expression", item.where)
                continue
            special = self.special_text.search(text)
            if special is not None:
                self.tally.skip(
                    SENTENCE, "expression-has-tag", f"{item.where}: {shown(text)}"
                )
                continue
            if text in seen_text:
                self.tally.skip(SENTENCE, "duplicate-in-ref", f"{item.where}: {shown(text)}")
                continue
            key = str(sentence.sent_id) if sentence.sent_id is not None else f"i{position}"
            if key in seen_keys:
                key = f"i{position}"
            seen_text.add(text)
            seen_keys.add(key)
            kept.append((key, text))
        if kept:
            self.tally.use(SENTENCE, len(kept))
        return kept

    def _emit(
        self,
        task: Task,
        item: RefItem,
        path: str,
        box: tuple[int, int, int, int],
        expressions: list[tuple[str, str]],
    ) -> None:
        base = f"{self.options.id_prefix}-{task}-{item.key}"
        prefix = picture(1, path)
        box_text = box_tag(box)
        if self.options.group_by == "ref":
            # One language per conversation; the template may change from turn to turn.
            language = self._language(base)
            turns = [self._turn(task, f"{base}#{n}", language, text, box_text)
                     for n, (_, text) in enumerate(expressions)]
            self.records.append(_record(base, prefix, turns))
            return
        for key, text in expressions:
            record_id = f"{base}-s{key}"
            turn = self._turn(task, record_id, self._language(record_id), text, box_text)
            self.records.append(_record(record_id, prefix, [turn]))

    def _language(self, record_id: str) -> str:
        languages = self.options.languages
        return languages[0] if len(languages) == 1 else self.picker.language(record_id)

    def _template(self, slot: str, pick_key: str, language: str) -> str:
        templates = self.options.prompts.templates[slot][language]
        if len(templates) == 1:  # the common case needs no hashing
            return templates[0]
        return self.picker.choose(slot, pick_key, language)[1]

    def _turn(
        self, task: Task, pick_key: str, language: str, text: str, box_text: str
    ) -> tuple[str, str]:
        if task == "rec":
            ref = f"<ref>{text}</ref>"
            question = self._template("rec", pick_key, language).format(ref=ref, expression=text)
            answer = ref + box_text if self.options.answer_style == "ref-box" else box_text
            return question, answer
        return self._template("region", pick_key, language).format(box=box_text), text


def _record(record_id: str, picture_prefix: str, turns: list[tuple[str, str]]) -> dict[str, Any]:
    conversations: list[dict[str, str]] = []
    for number, (question, answer) in enumerate(turns):
        value = picture_prefix + question if number == 0 else question
        conversations.append({"from": "user", "value": value})
        conversations.append({"from": "assistant", "value": answer})
    return {"id": record_id, "conversations": conversations}


def _path_problem(image_file: str, path: str, under_root: bool) -> tuple[str, str] | None:
    unsafe = unsafe_relative_path(image_file) if under_root else None
    if unsafe is not None:
        return "unsafe-path", f"{shown(image_file)} {unsafe}"
    if SPECIAL_TEXT_RE.search(path) is not None:
        return "path-has-tag", shown(path)
    size = len(path.encode("utf-8"))
    if size > MAX_IMAGE_PATH_BYTES:
        return "path-too-long", f"{size} bytes (the limit is {MAX_IMAGE_PATH_BYTES})"
    return None
