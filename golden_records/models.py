"""Persistence models: golden records, their source records, crosswalks and lineage.

Every table carries `tenant_id`; every golden record carries `version` (optimistic concurrency)
and `merged_into_id`, so that an ID lost to a merge keeps resolving to its survivor.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from golden_records.canonical import EntityType

# Integer on SQLite so that the primary key is the rowid (auto-increment); BIGINT elsewhere.
Id = BigInteger().with_variant(Integer(), "sqlite")
Money = Numeric(18, 4, asdecimal=True)
Hours = Numeric(10, 2, asdecimal=True)

DEFAULT_TENANT = "default"

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        dict[str, Any]: JSON,
        list[str]: JSON,
        Decimal: Money,
        datetime: DateTime(timezone=True),
        date: Date,
    }


class Tenant(Base):
    __tablename__ = "tenants"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


def tenant_column() -> Mapped[str]:
    return mapped_column(String(64), ForeignKey("tenants.id"), index=True)


class GoldenRecord(Base):
    """Columns every golden entity shares."""

    __abstract__ = True
    entity_type: ClassVar[EntityType]

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    tenant_id: Mapped[str] = tenant_column()
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), index=True)
    # Set when this record lost a merge: reads of this ID resolve to the survivor.
    merged_into_id: Mapped[int | None] = mapped_column(Id, default=None)


class ClientRecord(GoldenRecord):
    __tablename__ = "clients"
    entity_type = EntityType.CLIENT

    name: Mapped[str] = mapped_column(String(300))
    legal_name: Mapped[str | None] = mapped_column(String(300))
    website: Mapped[str | None] = mapped_column(String(300))
    domain: Mapped[str | None] = mapped_column(String(200), index=True)
    industry: Mapped[str | None] = mapped_column(String(100))
    parent_id: Mapped[int | None] = mapped_column(Id, ForeignKey("clients.id"), index=True)
    account_owner_id: Mapped[int | None] = mapped_column(Id, ForeignKey("resources.id"))
    status: Mapped[str] = mapped_column(String(20), index=True)
    currency: Mapped[str] = mapped_column(String(3), index=True)
    payment_terms: Mapped[str | None] = mapped_column(String(40))
    tax_id: Mapped[str | None] = mapped_column(String(40))
    billing_address: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    __table_args__ = (Index("ix_clients_tenant_name", "tenant_id", "name"),)


class ProjectRecord(GoldenRecord):
    __tablename__ = "projects"
    entity_type = EntityType.PROJECT

    client_id: Mapped[int | None] = mapped_column(Id, ForeignKey("clients.id"), index=True)
    name: Mapped[str] = mapped_column(String(300))
    code: Mapped[str | None] = mapped_column(String(60))
    status: Mapped[str] = mapped_column(String(20), index=True)
    billing_type: Mapped[str] = mapped_column(String(30))
    start_date: Mapped[date | None]
    end_date: Mapped[date | None]
    currency: Mapped[str] = mapped_column(String(3), index=True)
    budget_hours: Mapped[Decimal | None] = mapped_column(Hours)
    budget_amount: Mapped[Decimal | None]
    bill_rate: Mapped[Decimal | None]
    project_manager_id: Mapped[int | None] = mapped_column(Id, ForeignKey("resources.id"))

    __table_args__ = (Index("ix_projects_tenant_name", "tenant_id", "name"),)


class ResourceRecord(GoldenRecord):
    __tablename__ = "resources"
    entity_type = EntityType.RESOURCE

    given_name: Mapped[str] = mapped_column(String(120))
    family_name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str | None] = mapped_column(String(254), index=True)
    phone: Mapped[str | None] = mapped_column(String(40))
    title: Mapped[str | None] = mapped_column(String(120))
    department: Mapped[str | None] = mapped_column(String(120), index=True)
    manager_id: Mapped[int | None] = mapped_column(Id, ForeignKey("resources.id"), index=True)
    employment_type: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), index=True)
    hire_date: Mapped[date | None]
    termination_date: Mapped[date | None]
    office: Mapped[str | None] = mapped_column(String(120))
    region: Mapped[str | None] = mapped_column(String(60))
    date_of_birth: Mapped[date | None]  # sensitive
    national_id: Mapped[str | None] = mapped_column(String(40))  # sensitive
    home_address: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # sensitive
    default_bill_rate: Mapped[Decimal | None]
    currency: Mapped[str] = mapped_column(String(3))
    skills: Mapped[list[str]] = mapped_column(JSON, default=list)

    __table_args__ = (Index("ix_resources_tenant_family_name", "tenant_id", "family_name"),)


class AssignmentRecord(GoldenRecord):
    __tablename__ = "assignments"
    entity_type = EntityType.ASSIGNMENT

    project_id: Mapped[int] = mapped_column(Id, ForeignKey("projects.id"), index=True)
    resource_id: Mapped[int] = mapped_column(Id, ForeignKey("resources.id"), index=True)
    role: Mapped[str | None] = mapped_column(String(120))
    allocation: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
    start_date: Mapped[date | None]
    end_date: Mapped[date | None]
    bill_rate: Mapped[Decimal | None]


class TimeEntryRecord(GoldenRecord):
    __tablename__ = "time_entries"
    entity_type = EntityType.TIME_ENTRY

    project_id: Mapped[int] = mapped_column(Id, ForeignKey("projects.id"))
    resource_id: Mapped[int] = mapped_column(Id, ForeignKey("resources.id"))
    spent_date: Mapped[date]
    hours: Mapped[Decimal] = mapped_column(Hours)
    billable: Mapped[bool] = mapped_column(Boolean)
    approval_state: Mapped[str] = mapped_column(String(20))
    notes: Mapped[str | None] = mapped_column(Text)
    # Priced time, kept by golden_records.pricing.reprice so that margin is a plain GROUP BY.
    # NULL amount = no rate in force (uncosted / unpriced hours); revenue 0 = earns nothing.
    cost_amount: Mapped[Decimal | None]
    cost_currency: Mapped[str | None] = mapped_column(String(3))
    revenue_amount: Mapped[Decimal | None]
    revenue_currency: Mapped[str | None] = mapped_column(String(3))

    __table_args__ = (
        Index("ix_time_entries_project_date", "project_id", "spent_date"),
        Index("ix_time_entries_resource_date", "resource_id", "spent_date"),
        # Margin scans a tenant's period: this leads its range scan on both backends.
        Index("ix_time_entries_tenant_date", "tenant_id", "spent_date"),
    )


class InvoiceRecord(GoldenRecord):
    __tablename__ = "invoices"
    entity_type = EntityType.INVOICE

    client_id: Mapped[int | None] = mapped_column(Id, ForeignKey("clients.id"), index=True)
    project_id: Mapped[int | None] = mapped_column(Id, ForeignKey("projects.id"), index=True)
    number: Mapped[str] = mapped_column(String(40))
    issue_date: Mapped[date]
    due_date: Mapped[date | None]
    currency: Mapped[str] = mapped_column(String(3))
    total_amount: Mapped[Decimal]
    balance: Mapped[Decimal]
    status: Mapped[str] = mapped_column(String(20))


class PaymentRecord(GoldenRecord):
    __tablename__ = "payments"
    entity_type = EntityType.PAYMENT

    client_id: Mapped[int | None] = mapped_column(Id, ForeignKey("clients.id"), index=True)
    invoice_id: Mapped[int | None] = mapped_column(Id, ForeignKey("invoices.id"), index=True)
    paid_date: Mapped[date]
    currency: Mapped[str] = mapped_column(String(3))
    amount: Mapped[Decimal]
    reference: Mapped[str | None] = mapped_column(String(60))


class CostRateRecord(GoldenRecord):
    __tablename__ = "cost_rates"
    entity_type = EntityType.COST_RATE

    resource_id: Mapped[int] = mapped_column(Id, ForeignKey("resources.id"), index=True)
    effective_from: Mapped[date]
    effective_to: Mapped[date | None]
    hourly_cost: Mapped[Decimal]
    currency: Mapped[str] = mapped_column(String(3))


GOLDEN_MODELS: dict[EntityType, type[GoldenRecord]] = {
    m.entity_type: m
    for m in (
        ClientRecord,
        ProjectRecord,
        ResourceRecord,
        AssignmentRecord,
        TimeEntryRecord,
        InvoiceRecord,
        PaymentRecord,
        CostRateRecord,
    )
}


class SourceRecord(Base):
    """One system's copy of an entity, as fetched, and the canonical attributes mapped from it."""

    __tablename__ = "source_records"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    tenant_id: Mapped[str] = tenant_column()
    entity_type: Mapped[str] = mapped_column(String(20))
    golden_id: Mapped[int] = mapped_column(Id)
    system: Mapped[str] = mapped_column(String(30))
    external_id: Mapped[str] = mapped_column(String(100))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    attributes: Mapped[dict[str, Any]] = mapped_column(JSON)
    source_updated_at: Mapped[datetime | None]
    fetched_at: Mapped[datetime] = mapped_column(server_default=func.now())
    concurrency_token: Mapped[str | None] = mapped_column(String(100))
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)

    __table_args__ = (
        UniqueConstraint("tenant_id", "entity_type", "system", "external_id"),
        Index("ix_source_records_golden", "entity_type", "golden_id"),
    )


class Crosswalk(Base):
    """(entity type, system, external ID) -> exactly one golden ID."""

    __tablename__ = "crosswalks"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    tenant_id: Mapped[str] = tenant_column()
    entity_type: Mapped[str] = mapped_column(String(20))
    system: Mapped[str] = mapped_column(String(30))
    external_id: Mapped[str] = mapped_column(String(100))
    golden_id: Mapped[int] = mapped_column(Id)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())

    __table_args__ = (
        UniqueConstraint("tenant_id", "entity_type", "system", "external_id"),
        Index("ix_crosswalks_golden", "entity_type", "golden_id"),
    )


class Lineage(Base):
    """Where one attribute of a golden record got its value, and by which survivorship rule."""

    __tablename__ = "lineage"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    tenant_id: Mapped[str] = tenant_column()
    entity_type: Mapped[str] = mapped_column(String(20))
    golden_id: Mapped[int] = mapped_column(Id)
    attribute: Mapped[str] = mapped_column(String(60))
    source_record_id: Mapped[int | None] = mapped_column(Id, ForeignKey("source_records.id"))
    rule: Mapped[str] = mapped_column(String(60))
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now())

    __table_args__ = (
        UniqueConstraint("tenant_id", "entity_type", "golden_id", "attribute"),
        Index("ix_lineage_golden", "entity_type", "golden_id"),
    )
