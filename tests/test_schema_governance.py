"""The committed schema makes no breaking change to the last released one unless recorded.

`schema.graphql` (committed, kept in step with the code by the API's own test) is compared with
`schema/released.graphql` using graphql-core's breaking-change detection. A breaking change must
be listed in `schema/breaking_changes.yaml` with a reason, and a removed field must have been
`@deprecated` in the released schema first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from graphql import GraphQLObjectType, GraphQLSchema, build_schema, find_breaking_changes

ROOT = Path(__file__).resolve().parents[1]
CURRENT = ROOT / "schema.graphql"
RELEASED = ROOT / "schema" / "released.graphql"
RECORDED = ROOT / "schema" / "breaking_changes.yaml"

_REMOVED_FIELD = re.compile(r"^Field (\w+)\.(\w+) was removed\.$")


@dataclass(frozen=True)
class Change:
    change: str
    description: str


def recorded_changes(text: str) -> dict[Change, str]:
    """The deliberate changes listed in breaking_changes.yaml, each with its reason."""
    entries = yaml.safe_load(text) or []
    assert isinstance(entries, list), "breaking_changes.yaml must be a list"
    recorded: dict[Change, str] = {}
    for entry in entries:
        assert {"change", "description", "reason"} <= set(entry), f"incomplete entry: {entry}"
        assert str(entry["reason"]).strip(), f"entry without a reason: {entry}"
        recorded[Change(entry["change"], entry["description"])] = entry["reason"]
    return recorded


def governance_problems(released_sdl: str, current_sdl: str, recorded_yaml: str) -> list[str]:
    """Everything wrong with going from the released schema to the current one."""
    released, current = build_schema(released_sdl), build_schema(current_sdl)
    recorded = recorded_changes(recorded_yaml)
    problems = []
    for found in find_breaking_changes(released, current):
        change = Change(found.type.name, found.description)
        if change not in recorded:
            problems.append(
                f"unrecorded breaking change {change.change}: {change.description} "
                "(add it to schema/breaking_changes.yaml with a reason, or undo it)"
            )
        removed = _REMOVED_FIELD.match(found.description)
        if removed and not _was_deprecated(released, removed.group(1), removed.group(2)):
            problems.append(
                f"{removed.group(1)}.{removed.group(2)} was removed without being "
                "@deprecated in the released schema first"
            )
    return problems


def _was_deprecated(schema: GraphQLSchema, type_name: str, field_name: str) -> bool:
    graphql_type = schema.get_type(type_name)
    if not isinstance(graphql_type, GraphQLObjectType):
        return False
    field = graphql_type.fields.get(field_name)
    return field is not None and field.deprecation_reason is not None


def test_committed_schema_has_no_unrecorded_breaking_change() -> None:
    if not CURRENT.exists() or not RELEASED.exists():
        pytest.skip("schema.graphql or schema/released.graphql not created yet")
    problems = governance_problems(RELEASED.read_text(), CURRENT.read_text(), RECORDED.read_text())
    assert problems == [], "\n".join(problems)


def test_recorded_changes_file_is_well_formed() -> None:
    recorded_changes(RECORDED.read_text())


RELEASED_EXAMPLE = """
type Query { client(id: ID!): Client }
type Client {
  id: ID!
  name: String!
  legacyCode: String @deprecated(reason: "Use code.")
  website: String
}
"""


def test_adding_fields_is_not_breaking() -> None:
    current = RELEASED_EXAMPLE.replace("website: String", "website: String\n  industry: String")
    assert governance_problems(RELEASED_EXAMPLE, current, "[]") == []


def test_unrecorded_removal_or_type_change_fails() -> None:
    current = RELEASED_EXAMPLE.replace("website: String", "website: Int")
    (problem,) = governance_problems(RELEASED_EXAMPLE, current, "[]")
    assert "FIELD_CHANGED_KIND" in problem and "Client.website" in problem


def test_recorded_removal_of_a_deprecated_field_passes() -> None:
    current = RELEASED_EXAMPLE.replace('legacyCode: String @deprecated(reason: "Use code.")', "")
    assert governance_problems(RELEASED_EXAMPLE, current, "[]") != []
    recorded = """
- change: FIELD_REMOVED
  description: Field Client.legacyCode was removed.
  reason: Deprecated for two releases in favour of code.
"""
    assert governance_problems(RELEASED_EXAMPLE, current, recorded) == []


def test_removing_a_field_that_was_never_deprecated_fails_even_if_recorded() -> None:
    current = RELEASED_EXAMPLE.replace("website: String", "")
    recorded = """
- change: FIELD_REMOVED
  description: Field Client.website was removed.
  reason: Nobody uses it.
"""
    (problem,) = governance_problems(RELEASED_EXAMPLE, current, recorded)
    assert "without being @deprecated" in problem
