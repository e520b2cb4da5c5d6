"""Root lookups of golden records: by global ID, by any system's ID, and the crosswalk itself."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from golden_records.canonical import EntityType
from golden_records.errors import ValidationFailed
from golden_records.models import Crosswalk, GoldenRecord
from golden_records.systems import SYSTEMS, get_system
from resolvers.dataloaders import Build
from resolvers.filters import conditions, text_input
from resolvers.global_ids import MODELS, TYPE_NAMES, decode_global_id, decode_typed_id
from resolvers.pagination import Ordering, Page, paginate

if TYPE_CHECKING:
    from resolvers.context import Context


async def node(ctx: Context, global_id: str, builder: Callable[[str], Build]) -> Any | None:
    """Any golden record by global ID, following merges; None if absent.

    `builder(type_name)` gives the function that turns that type's rows into objects.
    """
    type_name, pk = decode_global_id(global_id)
    return await ctx.loaders.by_id(MODELS[type_name], builder(type_name)).load(pk)


async def by_id(
    ctx: Context, model: type[GoldenRecord], build: Build, global_id: str
) -> Any | None:
    pk = decode_typed_id(global_id, TYPE_NAMES[model])
    return await ctx.loaders.by_id(model, build).load(pk)


async def by_ref(
    ctx: Context, model: type[GoldenRecord], build: Build, system: str, external_id: str
) -> Any | None:
    """The golden record a system's own ID maps to (after merges), or None."""
    golden_id = await crosswalk_target(ctx, model.entity_type, system, external_id)
    if golden_id is None:
        return None
    return await ctx.loaders.by_id(model, build).load(golden_id)


async def by_id_or_ref(
    ctx: Context,
    model: type[GoldenRecord],
    build: Build,
    global_id: str | None,
    ref: Any | None,
) -> Any | None:
    if (global_id is None) == (ref is None):
        raise ValidationFailed("Give exactly one of `id` or `ref`.", field="id")
    if ref is not None:
        return await by_ref(ctx, model, build, ref.system, ref.external_id)
    assert global_id is not None
    return await by_id(ctx, model, build, global_id)


async def crosswalk_target(
    ctx: Context, entity_type: EntityType, system: str, external_id: str
) -> int | None:
    """The golden ID (possibly a merged one) that (entity type, system, external ID) maps to."""
    external_id = text_input(external_id, "externalId") or ""
    source = get_system(system)
    if entity_type not in source.holds:
        holders = sorted(s.name for s in SYSTEMS.values() if entity_type in s.holds)
        raise ValidationFailed(
            f"{source.name} holds no {entity_type.value.replace('_', ' ')} records; "
            f"try one of: {', '.join(holders)}.",
            field="system",
        )
    t = Crosswalk.__table__
    golden_id = await ctx.scalar(
        select(t.c.golden_id).where(
            t.c.tenant_id == ctx.tenant_id,
            t.c.entity_type == entity_type.value,
            t.c.system == source.name,
            t.c.external_id == external_id,
        )
    )
    return None if golden_id is None else int(golden_id)


async def connection(
    ctx: Context,
    model: type[GoldenRecord],
    build: Build,
    filter: Any | None,
    ordering: Ordering,
    *,
    first: int | None,
    after: str | None,
) -> Page:
    """One page of `model`'s live records matching `filter`, with the columns `build`'s objects
    need for this request's query."""
    return await paginate(
        ctx,
        model,
        conditions(model, filter),
        ordering,
        first=first,
        after=after,
        columns=ctx.loaders.columns(model, build),
    )
