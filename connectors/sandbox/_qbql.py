"""A parser for the QuickBooks Online query language subset connectors use.

    select * | count(*) | Field[, Field] from Entity
    [where Cond [and Cond...]] [orderby Field [asc|desc]] [startposition n] [maxresults n]
    Cond := Field (= | < | > | <= | >= | like) 'value'  |  Field in ('a', 'b')
Field paths may be dotted (`Metadata.LastUpdatedTime`). Keywords are case-insensitive.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<string>'(?:[^'\\]|\\.)*')
      | (?P<number>-?\d+(?:\.\d+)?)
      | (?P<op><=|>=|!=|=|<|>)
      | (?P<punct>[(),*])
      | (?P<word>[A-Za-z_][A-Za-z0-9_.]*)
    )""",
    re.VERBOSE,
)
MAX_RESULTS = 1000


class QueryError(ValueError):
    """Not a query this emulator (or QuickBooks) accepts."""


@dataclass(frozen=True, slots=True)
class Cond:
    path: str
    op: str  # =, <, >, <=, >=, like, in
    value: Any


@dataclass(slots=True)
class QboQuery:
    entity: str
    count: bool = False
    where: list[Cond] = field(default_factory=list)
    order_by: tuple[str, bool] | None = None  # (path, descending)
    start_position: int = 1
    max_results: int = 100


def parse_query(text: str) -> QboQuery:
    tokens: list[tuple[str, str]] = []
    pos = 0
    text = text.strip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if not match or match.end() == pos:
            raise QueryError(f'Encountered "{text[pos : pos + 10]}" at column {pos + 1}')
        kind = match.lastgroup or ""
        tokens.append((kind, match.group(kind)))
        pos = match.end()
    return _Parser(tokens).parse()


class _Parser:
    def __init__(self, tokens: list[tuple[str, str]]) -> None:
        self.tokens = tokens
        self.pos = 0

    def peek(self) -> str | None:
        return self.tokens[self.pos][1].lower() if self.pos < len(self.tokens) else None

    def take(self, kind: str | None = None, text: str | None = None) -> str:
        if self.pos >= len(self.tokens):
            raise QueryError("unexpected end of query")
        got_kind, got = self.tokens[self.pos]
        if (kind and got_kind != kind) or (text and got.lower() != text):
            raise QueryError(f'Encountered "{got}"')
        self.pos += 1
        return got

    def parse(self) -> QboQuery:
        self.take("word", "select")
        count = False
        if self.peek() == "*":
            self.pos += 1
        elif self.peek() == "count":
            self.pos += 1
            self.take("punct", "(")
            self.take("punct", "*")
            self.take("punct", ")")
            count = True
        else:
            self.take("word")
            while self.peek() == ",":
                self.pos += 1
                self.take("word")
        self.take("word", "from")
        query = QboQuery(entity=self.take("word"), count=count)
        if self.peek() == "where":
            self.pos += 1
            query.where.append(self.cond())
            while self.peek() == "and":
                self.pos += 1
                query.where.append(self.cond())
        if self.peek() == "orderby":
            self.pos += 1
            path = self.take("word")
            descending = False
            if self.peek() in ("asc", "desc"):
                descending = self.take().lower() == "desc"
            query.order_by = (path, descending)
        if self.peek() == "startposition":
            self.pos += 1
            query.start_position = int(self.take("number"))
        if self.peek() == "maxresults":
            self.pos += 1
            query.max_results = int(self.take("number"))
            if not 1 <= query.max_results <= MAX_RESULTS:
                raise QueryError(f"MAXRESULTS must be between 1 and {MAX_RESULTS}")
        if self.pos != len(self.tokens):
            raise QueryError(f'Encountered "{self.tokens[self.pos][1]}"')
        return query

    def cond(self) -> Cond:
        path = self.take("word")
        if self.peek() == "in":
            self.pos += 1
            self.take("punct", "(")
            values = [self.value()]
            while self.peek() == ",":
                self.pos += 1
                values.append(self.value())
            self.take("punct", ")")
            return Cond(path, "in", values)
        if self.peek() == "like":
            self.pos += 1
            return Cond(path, "like", self.value())
        return Cond(path, self.take("op"), self.value())

    def value(self) -> Any:
        kind, text = self.tokens[self.pos] if self.pos < len(self.tokens) else ("", "")
        self.pos += 1
        if kind == "string":
            return text[1:-1].replace("\\'", "'")
        if kind == "number":
            return text
        if kind == "word" and text.lower() in ("true", "false"):
            return text.lower()
        raise QueryError(f'Encountered "{text}"')


def lookup(record: dict[str, Any], path: str) -> Any:
    value: Any = record
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = next((v for k, v in value.items() if k.lower() == part.lower()), None)
    return value
