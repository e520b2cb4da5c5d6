"""The executor's shortcuts (`resolvers.execution`) answer exactly as graphql-core would:
nulls, errors with their full paths, coercion and field order, on a small schema of its own."""

from __future__ import annotations

from typing import Any

import pytest
import strawberry
from strawberry.types import Info

from resolvers.execution import PlainFieldExecutor, streamline


@strawberry.type
class Child:
    name: str
    nickname: str | None


def _children(root: Parent, info: Info) -> list[Child]:
    return root.kids


@strawberry.type
class Parent:
    id: strawberry.ID
    title: str
    flag: bool | None
    kids: strawberry.Private[list[Child]]
    children: list[Child] = strawberry.field(resolver=_children)
    # Object fields with no resolver of their own: read off the attribute.
    favorite: Child | None = None
    friends: list[Child] = strawberry.field(default_factory=list)


PARENTS: list[Parent] = []


@strawberry.type
class Query:
    @strawberry.field
    def parents(self) -> list[Parent]:
        return PARENTS


@pytest.fixture
def schema() -> strawberry.Schema:
    built = strawberry.Schema(Query, execution_context_class=PlainFieldExecutor)
    streamline(built)
    return built


# graphql-core's own executor, which the shortcuts must agree with.
REFERENCE = strawberry.Schema(Query)


def _parent(pk: int, title: Any, kids: list[Child], flag: Any = True) -> Parent:
    return Parent(id=strawberry.ID(str(pk)), title=title, flag=flag, kids=kids)


def _run(schema: strawberry.Schema, query: str) -> tuple[Any, list[dict[str, Any]]]:
    result = schema.execute_sync(query)
    errors = [{"path": e.path, "message": e.message} for e in result.errors or []]
    return result.data, errors


def test_plain_fields_read_together_keep_the_selection_order(schema: strawberry.Schema) -> None:
    PARENTS[:] = [_parent(1, "One", [Child(name="a", nickname=None)])]
    data, errors = _run(schema, "{ parents { children { nickname name } title id flag } }")
    assert errors == []
    parent = data["parents"][0]
    assert list(parent) == ["children", "title", "id", "flag"]
    assert parent == {
        "children": [{"nickname": None, "name": "a"}],
        "title": "One",
        "id": "1",
        "flag": True,
    }
    assert list(parent["children"][0]) == ["nickname", "name"]


def test_a_null_in_a_non_null_field_deep_in_a_list_has_its_full_path(
    schema: strawberry.Schema,
) -> None:
    kids = [Child(name="a", nickname="x"), Child(name=None, nickname="y")]  # type: ignore[arg-type]
    PARENTS[:] = [_parent(1, "One", []), _parent(2, "Two", kids)]
    data, errors = _run(schema, "{ parents { title children { name nickname } } }")
    assert [e["path"] for e in errors] == [["parents", 1, "children", 1, "name"]]
    assert "Cannot return null for non-nullable field Child.name" in errors[0]["message"]
    # The non-null list item is nulled, and with it the non-null list, then its parent.
    assert data is None


def test_values_of_another_type_are_coerced_or_refused_as_graphql_core_does(
    schema: strawberry.Schema,
) -> None:
    PARENTS[:] = [_parent(1, 42, [], flag=None), _parent(2, "Two", [], flag="yes")]
    data, errors = _run(schema, "{ parents { title flag } }")
    # An int for a String is serialized as its text; a str for a Boolean is an error.
    assert [e["path"] for e in errors] == [["parents", 1, "flag"]]
    assert data == {"parents": [{"title": "42", "flag": None}, {"title": "Two", "flag": None}]}


def test_a_missing_attribute_is_an_error_on_that_field(schema: strawberry.Schema) -> None:
    broken = _parent(1, "One", [])
    del broken.__dict__["title"]
    PARENTS[:] = [broken]
    data, errors = _run(schema, "{ parents { id title } }")
    assert [e["path"] for e in errors] == [["parents", 0, "title"]]
    assert data is None


@pytest.mark.parametrize(
    ("favorite", "friends"),
    [
        (
            Child(name="f", nickname=None),
            [Child(name="a", nickname="x"), Child(name="b", nickname=None)],
        ),
        (None, []),
        # A null item in a non-null list: the list and its parent are nulled.
        (None, [Child(name="a", nickname="x"), None]),
        # A null in a non-null field of an object read off an attribute.
        (Child(name=None, nickname="n"), []),  # type: ignore[arg-type]
        # Not a Child at all: graphql-core reads its fields and reports each one missing.
        ("not a child", []),
    ],
    ids=["objects", "empty", "null-item", "null-field", "other-class"],
)
def test_object_fields_without_resolvers_answer_as_graphql_core_does(
    schema: strawberry.Schema, favorite: Any, friends: Any
) -> None:
    parent = _parent(1, "One", [])
    parent.favorite, parent.friends = favorite, friends
    PARENTS[:] = [_parent(2, "Two", []), parent]
    query = "{ parents { title favorite { nickname name } friends { name nickname } } }"

    ours = _run(schema, query)

    assert ours == _run(REFERENCE, query)
    data, errors = ours
    if favorite is not None and not errors:
        assert data["parents"][1]["favorite"] == {"nickname": None, "name": "f"}
        assert list(data["parents"][1]["favorite"]) == ["nickname", "name"]
