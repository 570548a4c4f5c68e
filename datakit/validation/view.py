"""One record as the record rules see it: parsed once, shared by every rule."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from datakit.findings import Finding, Location, Severity
from datakit.io.records import RawRecord
from datakit.qwenvl.tag_scan import tags_paired
from datakit.validation.finding_cap import FindingCap
from datakit.validation.rule import Rule

if TYPE_CHECKING:
    from datakit.qwenvl.grammar import ParsedValue


@dataclass(slots=True)
class Message:
    """A message that has a string ``value`` (others are reported by the record rules)."""

    index: int
    role: Any
    value: str
    _parsed: ParsedValue | None = None
    _paired: bool | None = None

    @property
    def parsed(self) -> ParsedValue:
        """The full parse, for values that are not ``paired`` (and for findings)."""
        if self._parsed is None:
            from datakit.qwenvl.grammar import parse_value  # only values that need it

            self._parsed = parse_value(self.value)
        return self._parsed

    @property
    def paired(self) -> bool:
        """Every tag directly followed by its own closing tag: ``tag_scan`` answers for it."""
        if self._paired is None:
            self._paired = tags_paired(self.value)
        return self._paired


@dataclass(slots=True)
class RecordView:
    """A record plus what the rules need to locate findings in it."""

    file: str
    index: int
    line: int | None
    record: Any
    record_id: str | None
    messages: list[Message]
    # Every message's role, ``None`` where the message is not an object with ``from``.
    roles: list[Any]
    shape_ok: bool
    # True only when the record plainly has the schema's shape (see ``make_view``); False
    # means "ask the schema".
    plain: bool = False
    extras: dict[str, Any] = field(default_factory=dict)

    def path(self, message: int | None = None, key: str = "value") -> str:
        base = f"$[{self.index}]"
        if message is None:
            return base
        message_path = f"{base}.conversations[{message}]"
        return f"{message_path}.{key}" if key else message_path


_ROLES = ("user", "assistant")
MAX_MESSAGE_CHARS = 400

Emit = Callable[[Rule, str, str, "int | None", "dict[str, Any] | None"], None]


class Collector:
    """Turns (rule, message, path, offset) into findings with the record's location, kept in
    the batch's ``FindingCap``: a code the run already holds enough of is only counted."""

    __slots__ = ("cap", "raw", "severities", "view")

    def __init__(self, view: RecordView, severities: dict[str, Severity], cap: FindingCap,
                 raw: RawRecord | None = None) -> None:
        self.view = view
        self.severities = severities
        self.cap = cap
        # where the record's first byte is: its findings are placed on their value once
        # reported (io.positions)
        self.raw = raw

    def __call__(
        self,
        rule: Rule,
        message: str,
        json_path: str,
        char_offset: int | None = None,
        data: dict[str, Any] | None = None,
    ) -> None:
        view = self.view
        severity = self.severities.get(rule.code)
        if severity is None:  # rule not selected
            return
        cap = self.cap
        raw = self.raw
        if rule.code in cap.saturated:
            cap.omit(view.file, rule.code)
            return
        if len(message) > MAX_MESSAGE_CHARS:  # it quotes the input, which can be megabytes
            cut = len(message) - MAX_MESSAGE_CHARS
            message = f"{message[:MAX_MESSAGE_CHARS]}... ({cut:,} more characters)"
        cap.add(
            Finding(
                code=rule.code,
                name=rule.name,
                severity=severity,
                message=message,
                location=Location(
                    file=view.file,
                    line=view.line,
                    record_index=view.index,
                    record_id=view.record_id,
                    json_path=json_path,
                    char_offset=char_offset,
                    record_offset=raw.offset if raw is not None else None,
                    record_column=raw.column if raw is not None else None,
                ),
                fix=rule.fix,
                data=data or {},
            )
        )


def make_view(file: str, index: int, line: int | None, record: Any) -> RecordView:
    """Build the view without judging anything: rules judge.

    ``plain`` is set for the shape nearly every record has: an object whose ``id`` is absent, a
    string or an integer, and whose ``conversations`` is a non-empty list of objects with
    ``from`` "user" or "assistant" and a string ``value``. Such a record passes the record
    schema, so the schema rule can skip the validator (``rules.record`` checks that the schema
    still says exactly this).
    """
    record_id: str | None = None
    messages: list[Message] = []
    roles: list[Any] = []
    shape_ok = False
    plain = False
    if isinstance(record, dict):
        raw_id = record.get("id")
        id_type = type(raw_id)
        if isinstance(raw_id, (str, int)) and not isinstance(raw_id, bool):
            record_id = str(raw_id)
        conversations = record.get("conversations")
        if isinstance(conversations, list):
            shape_ok = True
            plain = bool(conversations) and (
                id_type is str or id_type is int or "id" not in record
            )
            for i, message in enumerate(conversations):
                if isinstance(message, dict):
                    role = message.get("from")
                    roles.append(role)
                    value = message.get("value")
                    if isinstance(value, str):
                        messages.append(Message(i, role, value))
                        if plain and not (type(value) is str and role in _ROLES):
                            plain = False
                    else:
                        plain = False
                else:
                    roles.append(None)
                    plain = False
    return RecordView(file, index, line, record, record_id, messages, roles, shape_ok, plain)
