"""Say what a file really is when it is not what its name promises (first bytes only)."""

from __future__ import annotations

_MAGIC = (
    (b"\x1f\x8b", "gzip-compressed data", "add .gz to its name (e.g. data.json.gz)"),
    (b"PAR1", "a Parquet file", "name it .parquet"),
    (b"PK\x03\x04", "a zip archive", "unzip it and pass the dataset file inside"),
    (b"\x89PNG", "a PNG image", "pass the dataset file, not an image"),
    (b"\xff\xd8\xff", "a JPEG image", "pass the dataset file, not an image"),
)
_TEXT_CONTROLS = frozenset(b"\t\n\r\x0c")


def binary_kind(head: bytes) -> tuple[str, str] | None:
    """(what it is, fix) when ``head`` is clearly not text: known magic bytes, NUL or control
    bytes, or bytes that are not UTF-8."""
    for magic, what, fix in _MAGIC:
        if head.startswith(magic):
            return what, fix
    sample = head[:4096]
    controls = sum(1 for byte in sample if byte < 0x20 and byte not in _TEXT_CONTROLS)
    if b"\x00" in sample or controls * 20 > len(sample):
        return "binary data, not text", "check that this is the dataset file and not corrupt"
    try:
        # Cut at a character boundary so a truncated multi-byte sequence is not blamed.
        sample.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(sample) - 3:
            return "binary data or text that is not UTF-8", "save the file as UTF-8"
    return None


def looks_like_json_lines(head: bytes, start: int) -> bool:
    """Whether the text from ``start`` is several JSON values, one per line (JSON Lines)."""
    import orjson

    lines = [line for line in head[start:].split(b"\n")[:3] if line.strip()]
    if len(lines) < 2:
        return False
    try:
        orjson.loads(lines[0])
    except orjson.JSONDecodeError:
        return False
    return lines[1].lstrip()[:1] in (b"{", b"[")


def value_kind(first_byte: int) -> str | None:
    """What JSON value a document starting with ``first_byte`` holds, if it is one."""
    char = chr(first_byte)
    if char == "{":
        return "an object"
    if char == '"':
        return "a string"
    if char == "-" or char.isdigit():
        return "a number"
    if char in "tf":
        return "a boolean"
    if char == "n":
        return "null"
    return None


# (keys that must all appear near the start, what the object is, the fix), first match wins
_OBJECT_KINDS = (
    ((b'"segments_info"', b'"annotations"'), "a COCO panoptic annotation file",
     "it is not training data: convert COCO annotations with `datakit convert coco`"),
    ((b'"images"', b'"annotations"'), "a COCO-style annotation file (images, annotations)",
     "it is not training data: convert it with `datakit convert coco FILE -o train.json`"),
    ((b'"images"', b'"categories"'), "a COCO-style annotation file (images, categories)",
     "it is not training data: convert it with `datakit convert coco FILE -o train.json`"),
    ((b'"formatting"',), "a LLaMA-Factory dataset registry (dataset_info.json)",
     "it names datasets, it holds none: validate the data files it lists"),
    ((b'"columns"', b'"file_name"'), "a LLaMA-Factory dataset registry (dataset_info.json)",
     "it names datasets, it holds none: validate the data files it lists"),
    ((b'"conversations"',), "one record, or records wrapped in an object",
     'the trainer needs one JSON array of records: [{"id": ..., "conversations": [...]}]'),
)


def object_kind(head: bytes) -> tuple[str, str] | None:
    """(what it looks like, fix) for a JSON object that is not a dataset, from its first
    64 KiB; ``None`` when nothing is recognised."""
    sample = head[: 64 << 10]
    for keys, what, fix in _OBJECT_KINDS:
        if all(key in sample for key in keys):
            return what, fix
    return None
