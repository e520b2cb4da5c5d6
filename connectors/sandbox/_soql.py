"""A strict parser for the subset of SOQL a sync connector needs, and its evaluation.

Grammar (keywords case-insensitive):
    SELECT field[, field...] FROM Object
    [WHERE cond [AND cond...]] [ORDER BY field [ASC|DESC][, ...]] [LIMIT n]
    cond := field (= | != | < | <= | > | >=) literal
    literal := 'string' | number | true | false | null | datetime (2026-01-01T00:00:00Z)
Anything else raises `SoqlError`, which the emulator reports as MALFORMED_QUERY.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<string>'(?:[^'\\]|\\.)*')
      | (?P<datetime>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2}))
      | (?P<date>\d{4}-\d{2}-\d{2})
      | (?P<number>-?\d+(?:\.\d+)?)
      | (?P<op><=|>=|!=|=|<|>)
      | (?P<comma>,)
      | (?P<word>[A-Za-z_][A-Za-z0-9_.]*)
    )""",
    re.VERBOSE,
)

_OPS = {
    "=": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<": lambda a, b: a is not None and b is not None and a < b,
    "<=": lambda a, b: a is not None and b is not None and a <= b,
    ">": lambda a, b: a is not None and b is not None and a > b,
    ">=": lambda a, b: a is not None and b is not None and a >= b,
}


class SoqlError(ValueError):
    """The query is outside the supported subset or not valid SOQL."""


@dataclass(frozen=True, slots=True)
class Condition:
    field: str
    op: str
    value: Any


@dataclass(slots=True)
class SoqlQuery:
    fields: list[str]
    sobject: str
    where: list[Condition] = field(default_factory=list)
    order_by: list[tuple[str, bool]] = field(default_factory=list)  # (field, descending)
    limit: int | None = None


def _tokens(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    text = text.rstrip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if not match or match.end() == pos:
            raise SoqlError(f"unexpected token at position {pos}: {text[pos : pos + 20]!r}")
        kind = match.lastgroup or ""
        out.append((kind, match.group(kind)))
        pos = match.end()
    return out


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = _tokens(text)
        self.pos = 0

    def peek_word(self) -> str | None:
        if self.pos < len(self.tokens) and self.tokens[self.pos][0] == "word":
            return self.tokens[self.pos][1].upper()
        return None

    def take(self, kind: str) -> str:
        if self.pos >= len(self.tokens) or self.tokens[self.pos][0] != kind:
            got = self.tokens[self.pos][1] if self.pos < len(self.tokens) else "end of query"
            raise SoqlError(f"expected {kind}, found {got!r}")
        self.pos += 1
        return self.tokens[self.pos - 1][1]

    def keyword(self, word: str) -> None:
        if self.peek_word() != word:
            raise SoqlError(f"expected {word}")
        self.pos += 1

    def literal(self) -> Any:
        if self.pos >= len(self.tokens):
            raise SoqlError("expected a value")
        kind, text = self.tokens[self.pos]
        self.pos += 1
        if kind == "string":
            return text[1:-1].replace("\\'", "'")
        if kind == "datetime":
            return parse_datetime(text)
        if kind == "date":
            return text
        if kind == "number":
            return float(text) if "." in text else int(text)
        if kind == "word" and text.lower() in ("true", "false", "null"):
            return {"true": True, "false": False, "null": None}[text.lower()]
        raise SoqlError(f"unexpected value {text!r}")

    def parse(self) -> SoqlQuery:
        self.keyword("SELECT")
        fields = [self.take("word")]
        while self.pos < len(self.tokens) and self.tokens[self.pos][0] == "comma":
            self.pos += 1
            fields.append(self.take("word"))
        self.keyword("FROM")
        query = SoqlQuery(fields=fields, sobject=self.take("word"))
        if self.peek_word() == "WHERE":
            self.pos += 1
            query.where.append(self.condition())
            while self.peek_word() == "AND":
                self.pos += 1
                query.where.append(self.condition())
        if self.peek_word() == "ORDER":
            self.pos += 1
            self.keyword("BY")
            query.order_by.append(self.ordering())
            while self.pos < len(self.tokens) and self.tokens[self.pos][0] == "comma":
                self.pos += 1
                query.order_by.append(self.ordering())
        if self.peek_word() == "LIMIT":
            self.pos += 1
            query.limit = int(self.take("number"))
        if self.pos != len(self.tokens):
            raise SoqlError(f"unexpected token {self.tokens[self.pos][1]!r}")
        return query

    def condition(self) -> Condition:
        name = self.take("word")
        op = self.take("op")
        return Condition(name, op, self.literal())

    def ordering(self) -> tuple[str, bool]:
        name = self.take("word")
        word = self.peek_word()
        if word in ("ASC", "DESC"):
            self.pos += 1
        return name, word == "DESC"


def parse_soql(text: str) -> SoqlQuery:
    return _Parser(text).parse()


def parse_datetime(text: str) -> datetime:
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _comparable(value: Any, like: Any) -> Any:
    # Records hold Salesforce's textual datetimes; compare them as instants.
    if isinstance(like, datetime) and isinstance(value, str):
        return parse_datetime(value)
    return value


def matches(record: dict[str, Any], conditions: list[Condition]) -> bool:
    return all(_OPS[c.op](_comparable(record.get(c.field), c.value), c.value) for c in conditions)


def sort_value(record: dict[str, Any], name: str) -> tuple[bool, Any]:
    value = record.get(name)
    return (value is None, "" if value is None else value)
