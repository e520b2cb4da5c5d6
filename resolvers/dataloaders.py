"""Per-request DataLoaders: every nested field batches its parents' keys into one `IN` statement.

Each loader is created on first use and kept on the request's `Loaders` for its lifetime. It
builds its objects with the `build` function it was created with (a schema type's `from_row`),
once per row, so a resolver can hand the loader's future straight to GraphQL. For a query, the
executor tells `Loaders` which fields the operation selects (`resolvers.columns`), and golden
record loaders fetch only the columns those need.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, cast

from aiodataloader import DataLoader
from sqlalchemy import ColumnElement, Row, Select, and_, select

from golden_records.models import Crosswalk, GoldenRecord, Lineage, SourceRecord
from resolvers.columns import SelectedFields, needed_columns

if TYPE_CHECKING:
    from resolvers.context import Context

Build = Callable[[Row[Any]], Any]

# A merge chain longer than this is a data error; stop rather than loop forever.
MAX_MERGE_HOPS = 16


class Loaders:
    """The DataLoaders of one request, created lazily and keyed by what they load."""

    def __init__(self, context: Context) -> None:
        self._context = context
        self._cache: dict[Hashable, DataLoader[Any, Any]] = {}
        # Set by the executor for a query operation; None (every column) for anything else.
        self.selected: SelectedFields | None = None
        # Values the look-ahead prefetch (`resolvers.prefetch`) loaded for a whole level at
        # once, per loader and key: what the loader would give for the key, without a future
        # per key. The resolvers and the executor read them before asking the loader.
        self.loaded: dict[DataLoader[Any, Any], dict[Any, Any]] = {}

    def clear(self) -> None:
        """Forget every loaded value (after a write, so later reads see the new rows)."""
        self._cache.clear()
        # Emptied, not only dropped: the executor keeps references to these maps.
        for values in self.loaded.values():
            values.clear()
        self.loaded.clear()

    def columns(self, model: type[GoldenRecord], build: Build) -> list[ColumnElement[Any]] | None:
        """The columns of `model` that `build`'s objects need in this request (None: all)."""
        return needed_columns(model.__table__, getattr(build, "__self__", None), self.selected)

    def _golden_select(self, model: type[GoldenRecord], build: Build) -> Select[Any]:
        """SELECT of the columns `build`'s objects need in this request (all when unknown)."""
        columns = self.columns(model, build)
        return select(model.__table__) if columns is None else select(*columns)

    def by_id(self, model: type[GoldenRecord], build: Build) -> DataLoader[int, Any]:
        """Golden records by primary key, following merges to the survivor; None if absent."""
        key = ("by_id", model, build)
        loader = self._cache.get(key)
        if loader is None:
            ctx = self._context

            statement = self._golden_select(model, build)

            build_rows = _rows_builder(build)

            async def load(keys: list[int]) -> list[Any]:
                found = await load_survivors(ctx, model, keys, statement)
                # Several keys may share one survivor (the same row): one object for it.
                rows = {id(row): row for row in found.values()}
                built = dict(zip(rows, build_rows(list(rows.values())), strict=True))
                return [None if (row := found.get(k)) is None else built[id(row)] for k in keys]

            loader = self._cache[key] = DataLoader(load)
        return loader

    def children(
        self,
        model: type[GoldenRecord],
        parent_column: str,
        build: Build,
        *,
        where: Sequence[ColumnElement[bool]] = (),
        variant: Hashable = None,
        order_by: Sequence[str] = (),
    ) -> DataLoader[int, list[Any]]:
        """Live (unmerged) golden records whose `parent_column` is the key, in one statement."""
        key = ("children", model, parent_column, variant, build)
        loader = self._cache.get(key)
        if loader is None:
            table = model.__table__
            column = table.c[parent_column]
            base = (
                self._golden_select(model, build)
                .where(
                    table.c.tenant_id == self._context.tenant_id,
                    table.c.merged_into_id.is_(None),
                    *where,
                )
                # NULLs last on every backend, so both give the same order.
                .order_by(*(table.c[name].asc().nulls_last() for name in order_by), table.c.id)
            )
            loader = self._cache[key] = self._grouped(base, column, build)
        return loader

    def source_records(self, entity_type: str, build: Build) -> DataLoader[int, list[Any]]:
        key = ("source_records", entity_type, build)
        loader = self._cache.get(key)
        if loader is None:
            t = SourceRecord.__table__
            base = (
                select(t)
                .where(t.c.tenant_id == self._context.tenant_id, t.c.entity_type == entity_type)
                .order_by(t.c.system, t.c.external_id)
            )
            loader = self._cache[key] = self._grouped(base, t.c.golden_id, build)
        return loader

    def crosswalks(self, entity_type: str, build: Build) -> DataLoader[int, list[Any]]:
        key = ("crosswalks", entity_type, build)
        loader = self._cache.get(key)
        if loader is None:
            t = Crosswalk.__table__
            base = (
                select(t.c.system, t.c.external_id, t.c.golden_id, t.c.created_at)
                .where(t.c.tenant_id == self._context.tenant_id, t.c.entity_type == entity_type)
                .order_by(t.c.system, t.c.external_id)
            )
            loader = self._cache[key] = self._grouped(base, t.c.golden_id, build)
        return loader

    def lineage(self, entity_type: str, build: Build) -> DataLoader[int, list[Any]]:
        key = ("lineage", entity_type, build)
        loader = self._cache.get(key)
        if loader is None:
            lin, src = Lineage.__table__, SourceRecord.__table__
            base = (
                select(
                    lin.c.attribute,
                    lin.c.rule,
                    lin.c.updated_at,
                    src.c.system,
                    src.c.external_id,
                )
                # The tenant in the join too: a lineage row can never name another
                # tenant's source record, even if the data were inconsistent.
                .select_from(
                    lin.outerjoin(
                        src,
                        and_(
                            src.c.id == lin.c.source_record_id, src.c.tenant_id == lin.c.tenant_id
                        ),
                    )
                )
                .where(
                    lin.c.tenant_id == self._context.tenant_id,
                    lin.c.entity_type == entity_type,
                )
                .order_by(lin.c.attribute)
            )
            loader = self._cache[key] = self._grouped(base, lin.c.golden_id, build)
        return loader

    def _grouped(
        self, base: Select[Any], column: ColumnElement[Any], build: Build
    ) -> DataLoader[int, list[Any]]:
        ctx = self._context
        keyed = base.add_columns(column.label("_parent_key"))
        # A nested list never holds more than a page, so one deep query stays bounded.
        cap = ctx.settings.max_page_size
        build_rows = _rows_builder(build)

        async def load(keys: list[int]) -> list[list[Any]]:
            groups: dict[int, list[Any]] = defaultdict(list)
            rows = await ctx.execute(keyed.where(column.in_(set(keys))))
            for row, obj in zip(rows, build_rows(rows), strict=True):
                # The key is the last column (added above); by position, cheaper than by name.
                group = groups[row[-1]]
                if len(group) < cap:
                    group.append(obj)
            return [groups.get(k, []) for k in keys]

        return DataLoader(load)


def _rows_builder(build: Build) -> Callable[[Sequence[Row[Any]]], list[Any]]:
    """`build` for all the rows of one result: the type's `from_rows` where it has one (golden
    types look their row layout up once per result, not per row), else row by row."""
    build_rows = getattr(getattr(build, "__self__", None), "from_rows", None)
    if callable(build_rows):
        return cast(Callable[[Sequence[Row[Any]]], list[Any]], build_rows)
    return lambda rows: [build(row) for row in rows]


async def load_survivors(
    ctx: Context,
    model: type[GoldenRecord],
    keys: Iterable[int],
    statement: Select[Any] | None = None,
) -> dict[int, Row[Any]]:
    """Rows for `keys` in this tenant; a key that lost a merge maps to its survivor's row.

    `statement` selects the columns wanted (every column by default); it must include `id`
    and `merged_into_id`.
    """
    table = model.__table__
    selected = select(table) if statement is None else statement
    base = selected.where(table.c.tenant_id == ctx.tenant_id)
    # By position: a Row's attribute access by name costs ~20 times an index.
    names = [c.name for c in selected.selected_columns]
    at_id, at_merged = names.index("id"), names.index("merged_into_id")
    wanted = set(keys)
    rows = {r[at_id]: r for r in await ctx.execute(base.where(table.c.id.in_(wanted)))}
    result: dict[int, Row[Any]] = {}
    pending: dict[int, int] = {}  # requested key -> ID to look at next
    for k in wanted:
        row = rows.get(k)
        if row is None:
            continue
        if row[at_merged] is None:
            result[k] = row
        else:
            pending[k] = row[at_merged]
    for _ in range(MAX_MERGE_HOPS):
        if not pending:
            break
        missing = {t for t in pending.values() if t not in rows}
        if missing:
            for r in await ctx.execute(base.where(table.c.id.in_(missing))):
                rows[r[at_id]] = r
        following: dict[int, int] = {}
        for k, target in pending.items():
            row = rows.get(target)
            if row is None:
                continue
            if row[at_merged] is None:
                result[k] = row
            else:
                following[k] = row[at_merged]
        pending = following
    return result
