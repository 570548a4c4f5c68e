"""F: the file itself (JSON syntax, top level, encoding). Findings come from the readers."""

from __future__ import annotations

from datakit.findings import Severity
from datakit.validation.rule import Rule

_S = '[{"id": "a", "conversations": [{"from": "user", "value": "hi"}, {"from": "assistant", "value": "hello"}]}]'  # noqa: E501

INVALID_JSON = Rule(
    "F001", "invalid-json", Severity.ERROR, "file",
    "The file (or one JSON Lines record) is not valid JSON.",
    "The trainer loads the whole file with json.load; one stray comma stops it before step 0, "
    "after the job was queued and the model loaded.",
    "Fix the syntax at the line and column given.",
    bad='[{"id": "a", "conversations": [{"from": "user", "value": "hi"},]}]',
    good=_S,
)
WRONG_TOP_LEVEL = Rule(
    "F002", "wrong-top-level", Severity.ERROR, "file",
    "A .json dataset is not one JSON array of records.",
    "Qwen-VL's finetune.py iterates the loaded JSON as a list of samples; an object or JSON Lines "
    "content in a .json file fails or iterates over keys.",
    "Wrap the records in [ ... ], or rename JSON Lines files to .jsonl and convert them.",
    bad='{"id": "a", "conversations": []}',
    good=_S,
)
EMPTY_FILE = Rule(
    "F003", "empty-file", Severity.ERROR, "file",
    "The file is empty or holds an empty array.",
    "An empty dataset trains on nothing; usually a failed export or a wrong path.",
    "Re-export the dataset, or remove the file from the training mix.",
    bad="[]",
    good=_S,
)
INVALID_UTF8 = Rule(
    "F004", "invalid-utf8", Severity.ERROR, "file",
    "The file is not valid UTF-8, or a string holds a lone surrogate escape (\\udcff).",
    "json.load reads text as UTF-8 and fails on the first invalid byte.",
    "Re-encode the file as UTF-8 (e.g. iconv -f GB18030 -t UTF-8).",
    bad='[{"id": "\udcff", "conversations": [{"from": "user", "value": "x"}]}]',
    good=_S,
)
BOM = Rule(
    "F005", "utf8-bom", Severity.ERROR, "file",
    "The file starts with a UTF-8 byte-order mark.",
    "Python's json.load refuses a BOM ('Unexpected UTF-8 BOM'), so the trainer stops at once.",
    "Save the file as UTF-8 without BOM.",
    bad="\ufeff" + _S,
    good=_S,
)
RECORD_TOO_LARGE = Rule(
    "F006", "record-too-large", Severity.ERROR, "file",
    "One record is larger than the reader's limit (64 MiB by default).",
    "A record that large is almost always a broken export (a whole file in one value).",
    "Find the record at the position given and split or remove it.",
    bad=_S, good=_S,  # needs a record over the limit; covered by the io tests
)
UNREADABLE_FILE = Rule(
    "F007", "unreadable-file", Severity.ERROR, "file",
    "The dataset file cannot be read (missing, a directory, no permission, broken gzip, "
    "bad Parquet).",
    "The trainer cannot open it either.",
    "Check the path and permissions, or re-create the file.",
    bad=_S, good=_S,  # needs a file that is not there; covered by the CLI tests
)
NONSTANDARD_CONSTANT = Rule(
    "F008", "nonstandard-json-constant", Severity.WARNING, "file",
    "NaN, Infinity or -Infinity appears in the JSON.",
    "Python's json accepts them but they are not JSON: other tools (and datakit's converters) "
    "reject the file, and a NaN never belongs in a training sample.",
    "Replace the constant with a real value or remove the field.",
    bad='[{"id": "a", "score": NaN, "conversations": [{"from": "user", "value": "hi"}, '
    '{"from": "assistant", "value": "x"}]}]',
    good=_S,
)
DUPLICATE_KEY = Rule(
    "F009", "duplicate-key", Severity.ERROR, "file",
    "An object has the same key twice.",
    "json.load keeps the last one silently: a duplicated \"value\" or \"conversations\" drops "
    "data without a word.",
    "Merge or rename the duplicated keys.",
    bad='[{"id": "a", "conversations": [{"from": "user", "value": "hi", "value": "again"}, '
    '{"from": "assistant", "value": "x"}]}]',
    good=_S,
)

RULES = (
    INVALID_JSON, WRONG_TOP_LEVEL, EMPTY_FILE, INVALID_UTF8, BOM, RECORD_TOO_LARGE,
    UNREADABLE_FILE, NONSTANDARD_CONSTANT, DUPLICATE_KEY,
)

# Reader problem kinds and parse-note kinds -> rule.
BY_KIND = {
    "invalid-json": INVALID_JSON,
    "wrong-top-level": WRONG_TOP_LEVEL,
    "empty-file": EMPTY_FILE,
    "invalid-utf8": INVALID_UTF8,
    "bom": BOM,
    "record-too-large": RECORD_TOO_LARGE,
    "unreadable": UNREADABLE_FILE,
    "bad-gzip": UNREADABLE_FILE,
    "bad-parquet": UNREADABLE_FILE,
    "nonstandard-constant": NONSTANDARD_CONSTANT,
    "duplicate-key": DUPLICATE_KEY,
    # "\udcff" escapes are valid JSON but no UTF-8 text: the tokenizer cannot encode them.
    "lone-surrogate": INVALID_UTF8,
}
