"""The result of a crosswalk lookup: one system's ID -> the golden record and all of its IDs."""

from __future__ import annotations

import strawberry

from schema.common import Crosswalk
from schema.enums import EntityType
from schema.node import GoldenRecord


@strawberry.type(description="The golden record a system's ID maps to, and its ID everywhere.")
class CrosswalkResult:
    entity_type: EntityType
    record: GoldenRecord = strawberry.field(description="The golden record (after merges).")
    crosswalks: list[Crosswalk] = strawberry.field(
        description="The record's ID in every system that holds it."
    )
