"""I: image paths and files, checked once per distinct file."""

from __future__ import annotations

import os
import posixpath
import unicodedata

from datakit.findings import Severity
from datakit.qwenvl.tag_scan import image_offsets, image_paths
from datakit.validation.context import RunContext
from datakit.validation.rule import Option, Rule
from datakit.validation.rules.dataset import HOLDOUT_LEAK
from datakit.validation.settings import Settings
from datakit.validation.view import Collector, RecordView

MAX_PATH_BYTES = 254


def _with(path: str) -> str:
    return (
        '[{"id": "a", "conversations": [{"from": "user", "value": "Picture 1: <img>' + path
        + '</img>\\nWhat is it?"}, {"from": "assistant", "value": "a dog"}]}]'
    )


_OK = _with("img/ok.jpg")


def _many(pattern: str) -> str:
    """Three records, each with one picture."""
    return "[" + ", ".join(
        '{"id": "' + str(i) + '", "conversations": [{"from": "user", "value": "Picture 1: <img>'
        + pattern.format(i) + '</img>\\nWhat is it?"}, {"from": "assistant", "value": "a dog '
        + str(i) + '"}]}'
        for i in range(3)
    ) + "]"

PATH_TOO_LONG = Rule(
    "I001", "image-path-too-long", Severity.ERROR, "record",
    "The image path is longer than 254 UTF-8 bytes.",
    "The tokenizer stores the path as one token per byte in 256 slots: over 256 bytes it "
    "raises 'The content in <img>..</img> is too long'; at 255 or 256 bytes it passes the "
    "tokenizer and the model then fails looking for the image pad ('151859 is not in list').",
    "Shorten the path (a shorter image root, or symlink the image folder to a short name).",
    bad=_with("img/" + "a" * 251 + ".jpg"), good=_OK,
)
PATH_NOT_NORMALIZED = Rule(
    "I002", "image-path-not-normalized", Severity.WARNING, "record",
    "The image path has surrounding white space or is not in Unicode NFC form.",
    "The tokenizer NFC-normalises text before it reads the path: an NFD path (as macOS writes "
    "accented names) then names a different file; white space is part of the path.",
    "Strip the white space and write the path in NFC (unicodedata.normalize('NFC', path)).",
    bad=_with(" img/ok.jpg"), good=_OK,
)
MISSING = Rule(
    "I003", "image-missing", Severity.ERROR, "record",
    "The image file does not exist (relative to the image root).",
    "Images are opened inside the model's forward pass: a missing file crashes training at "
    "the step that first draws the sample, possibly hours in.",
    "Fix the path, set --image-root to where the trainer runs, or copy the image there.",
    bad=_with("img/nope.jpg"), good=_OK,
)
NOT_A_FILE = Rule(
    "I004", "image-not-a-file", Severity.ERROR, "record",
    "The image path names a directory, a pipe, a device or a socket.",
    "The trainer's open() fails, or blocks forever on a pipe.",
    "Point the path at the image file itself.",
    bad=_with("img"), good=_OK,
)
UNREADABLE = Rule(
    "I005", "image-unreadable", Severity.ERROR, "record",
    "The image file exists but cannot be read (permissions, I/O error, symlink loop).",
    "The trainer crashes when it opens it.",
    "Fix the file's permissions or restore it.",
    bad=_OK, good=_OK,  # needs an unreadable file; covered by the image tests
)
UNDECODABLE = Rule(
    "I006", "image-undecodable", Severity.ERROR, "record",
    "Pillow cannot read the image (header mode) or decode it (decode mode), or it is a "
    "decompression bomb.",
    "The model converts every image to RGB on every step: a corrupt or truncated file crashes "
    "training; a decompression bomb exhausts memory.",
    "Re-download or re-encode the image.",
    bad=_with("img/broken.jpg"), good=_OK,
)
TOO_SMALL = Rule(
    "I007", "image-too-small", Severity.WARNING, "record",
    "The image's shorter side is below `min-image-side` pixels (28 by default).",
    "Qwen-VL resizes every image to 448x448: a tiny image becomes a blur of upscaled pixels "
    "and boxes on it are meaningless. Usually a thumbnail or an icon by mistake.",
    "Use the full-resolution image.",
    bad=_with("img/tiny.png"), good=_OK,
    options=(Option("min-image-side", int, 28, "smallest acceptable shorter side, in pixels"),),
)
EXTREME_ASPECT = Rule(
    "I008", "image-extreme-aspect", Severity.WARNING, "record",
    "The image's aspect ratio exceeds `max-aspect-ratio` (20 by default).",
    "Qwen-VL squashes every image to 448x448 without keeping the aspect ratio: a 1000x20 "
    "strip becomes 448 columns of smeared pixels; text and small objects vanish.",
    "Crop or tile the image before training.",
    bad=_with("img/wide.png"), good=_OK,
    options=(Option("max-aspect-ratio", float, 20.0, "largest acceptable long/short ratio"),),
)
OUTSIDE_ROOT = Rule(
    "I009", "image-outside-root", Severity.ERROR, "record",
    "A relative image path climbs out of the image root ('..' or a symlink), or an absolute "
    "path lies outside an explicitly set root.",
    "The trainer resolves paths from its working directory: a path that escapes the dataset "
    "works on one machine and not on the next, and can read files it should not.",
    "Keep images under the image root and use paths relative to it.",
    bad=_with("../outside.jpg"), good=_OK,
)
URL = Rule(
    "I010", "image-url", Severity.WARNING, "record",
    "The image is an http(s) URL; datakit never fetches it.",
    "The trainer downloads URLs on every step with no timeout: one slow or dead server stalls "
    "or crashes training, and the data changes under you.",
    "Download the images once and reference local copies.",
    bad=_with("https://example.com/dog.jpg"), good=_OK,
)

ROOT_WRONG = Rule(
    "I011", "image-root-wrong", Severity.ERROR, "file",
    "Most image paths of a file resolve to nothing (at least 90% of 20 or more references): "
    "the image root is probably wrong. One finding replaces the file's image-missing (I003) "
    "findings.",
    "Run from the wrong folder or with the wrong --image-root, every image looks missing: "
    "tens of thousands of I003 lines bury the one cause, and a trainer started there crashes "
    "on the first sample it draws.",
    "Run where the trainer runs, or set --image-root (image-root in [tool.datakit]) to that "
    "folder; the I003 findings that remain are then real.",
    bad=_many("img/nope-{}.jpg"), good=_many("img/ok.jpg"),
    options=(
        Option("image-root-min-references", int, 20,
               "image references a file needs before its image root is judged"),
        Option("image-root-missing-share", float, 0.9,
               "share of those references that must be missing"),
    ),
    example_settings=(("image_root_min_references", 3),),
)

RULES = (
    PATH_TOO_LONG, PATH_NOT_NORMALIZED, MISSING, NOT_A_FILE, UNREADABLE, UNDECODABLE,
    TOO_SMALL, EXTREME_ASPECT, OUTSIDE_ROOT, URL, ROOT_WRONG,
)

_BY_KIND = {
    "missing": MISSING, "not-a-file": NOT_A_FILE, "unreadable": UNREADABLE,
    "undecodable": UNDECODABLE, "outside-root": OUTSIDE_ROOT, "url": URL,
}

_MESSAGES = {
    "missing": "{path} does not exist (looked for {detail})",
    "not-a-file": "{path} is {detail}",
    "unreadable": "{path} cannot be read: {detail}",
    "undecodable": "{path} cannot be decoded: {detail}",
    "outside-root": "{path} resolves to {detail}, outside the image root",
    "url": "{path} is a URL; it was not fetched or checked",
}


# What a path earns, as (rule, message) pairs: before the holdout check (path text), and after
# it (the file), or None after it when the path is too long to look any further. The same for
# every reference to the path, so it is worked out once per distinct path and process:
# datasets cite each image many times.
Verdicts = tuple[tuple[tuple[Rule, str], ...], "tuple[tuple[Rule, str], ...] | None"]


def check(view: RecordView, emit: Collector, ctx: RunContext) -> None:
    memo: dict[str, Verdicts] = ctx.image_verdicts
    holdout = bool(ctx.holdout)
    for message in view.messages:
        if "<img>" not in message.value:
            continue
        if message.paired:
            paths = image_paths(message.value)
            ctx.image_refs += len(paths)
            for path in paths:  # nearly always: every path is clean
                verdicts = memo.get(path)
                if verdicts is None:
                    verdicts = memo[path] = _verdicts(path, ctx)
                if verdicts[0] or verdicts[1] or holdout:
                    break
            else:
                continue
            found = list(zip(paths, image_offsets(message.value), strict=True))
        else:
            found = [(i.path, i.path_start) for i in message.parsed.images()]
            ctx.image_refs += len(found)
        _report(view, message.index, found, emit, ctx)


def _report(view: RecordView, index: int, found: list[tuple[str, int]], emit: Collector,
            ctx: RunContext) -> None:
    """Judge each (path, offset) of one message, once per distinct path and process."""
    memo: dict[str, Verdicts] = ctx.image_verdicts
    path_in_json = view.path(index)
    for path, offset in found:
        verdicts = memo.get(path)
        if verdicts is None:
            verdicts = memo[path] = _verdicts(path, ctx)
        before, after = verdicts
        for rule, text in before:
            emit(rule, text, path_in_json, offset)
        if after is None:
            continue
        if ctx.holdout:
            _check_holdout(ctx, path, emit, path_in_json, offset)
        for rule, text in after:
            emit(rule, text, path_in_json, offset)


def report_listed(paths: list[tuple[str, str]], emit: Collector, ctx: RunContext) -> None:
    """The same findings for images a record lists beside its text (Qwen-family layouts):
    ``paths`` holds (path, JSON path of the list item)."""
    memo: dict[str, Verdicts] = ctx.image_verdicts
    ctx.image_refs += len(paths)
    for path, json_path in paths:
        verdicts = memo.get(path)
        if verdicts is None:
            verdicts = memo[path] = _verdicts(path, ctx)
        before, after = verdicts
        for rule, text in before:
            emit(rule, text, json_path)
        if after is None:
            continue
        if ctx.holdout:
            _check_holdout(ctx, path, emit, json_path, 0)
        for rule, text in after:
            emit(rule, text, json_path)


def _check_holdout(ctx: RunContext, path: str, emit: Collector, json_path: str,
                   offset: int) -> None:
    name = posixpath.basename(path.replace("\\", "/"))
    if name in ctx.holdout:
        emit(HOLDOUT_LEAK, f"{path}: {name} is in the holdout set", json_path, offset)


def _verdicts(path: str, ctx: RunContext) -> Verdicts:
    size = len(path) if path.isascii() else len(path.encode("utf-8", "surrogatepass"))
    if size > MAX_PATH_BYTES:
        text = f"image path is {size} bytes; the limit is {MAX_PATH_BYTES}"
        return ((PATH_TOO_LONG, text),), None
    before: tuple[tuple[Rule, str], ...] = ()
    if path != path.strip() or not unicodedata.is_normalized("NFC", path):
        what = "surrounding white space" if path != path.strip() else "not NFC"
        before = ((PATH_NOT_NORMALIZED, f"image path {path!r} has {what}"),)
    if ctx.images is None:
        return before, ()
    status = ctx.images.check(path)
    rule = _BY_KIND.get(status.kind)
    if rule is not None:
        return before, ((rule, _MESSAGES[status.kind].format(path=path, detail=status.detail)),)
    if status.width is None or status.height is None:
        return before, ()
    settings = ctx.settings
    short, long = sorted((status.width, status.height))
    if short < settings.min_image_side:
        return before, ((TOO_SMALL, f"{path} is {status.width}x{status.height} pixels"),)
    if long / max(short, 1) > settings.max_aspect_ratio:
        return before, ((EXTREME_ASPECT, f"{path} is {status.width}x{status.height} pixels "
                         f"(ratio {long / short:.0f}:1)"),)
    return before, ()


def image_root(settings: Settings) -> str:
    """The folder image paths resolve against, as ``context`` builds the image checker."""
    if settings.image_root is None:
        return os.getcwd()
    return os.path.abspath(os.path.join(settings.base_dir, settings.image_root))


def root_wrong(references: int, missing: int, settings: Settings) -> bool:
    """Whether so many of a file's image references are missing that the root must be wrong."""
    return (references >= max(1, settings.image_root_min_references)
            and missing >= settings.image_root_missing_share * references)


def root_wrong_message(references: int, missing: int, root: str, first: str) -> str:
    """``first`` says where the first missing image is and what its I003 said."""
    return (f"{references - missing:,} of {references:,} images found under {root}; is "
            f"--image-root right? {missing:,} image-missing (I003) findings are folded into "
            f"this one, the first at {first}")
