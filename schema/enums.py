"""The canonical model's enums, declared as GraphQL enums under their own names."""

from __future__ import annotations

import strawberry

from golden_records.canonical import (
    ApprovalState,
    BillingType,
    ClientStatus,
    EmploymentType,
    EntityType,
    InvoiceStatus,
    ProjectStatus,
    ResourceStatus,
)

# strawberry.enum marks the class in place, so the canonical enums are used as they are.
for _enum in (
    ApprovalState,
    BillingType,
    ClientStatus,
    EmploymentType,
    InvoiceStatus,
    ProjectStatus,
    ResourceStatus,
):
    strawberry.enum(_enum)
strawberry.enum(EntityType, description="Kinds of golden record.")

__all__ = [
    "ApprovalState",
    "BillingType",
    "ClientStatus",
    "EmploymentType",
    "EntityType",
    "InvoiceStatus",
    "ProjectStatus",
    "ResourceStatus",
]
