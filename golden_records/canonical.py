"""The canonical model: what a client, project or person *is*, whatever system it came from.

These are plain value objects shared by the generator, the connectors' mappings and the store.
They carry no database or GraphQL concerns.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal


class EntityType(enum.StrEnum):
    CLIENT = "client"
    PROJECT = "project"
    RESOURCE = "resource"
    ASSIGNMENT = "assignment"
    TIME_ENTRY = "time_entry"
    INVOICE = "invoice"
    PAYMENT = "payment"
    COST_RATE = "cost_rate"


class ClientStatus(enum.StrEnum):
    PROSPECT = "PROSPECT"
    ACTIVE = "ACTIVE"
    INACTIVE = "INACTIVE"


class ProjectStatus(enum.StrEnum):
    PROPOSED = "PROPOSED"
    ACTIVE = "ACTIVE"
    ON_HOLD = "ON_HOLD"
    COMPLETED = "COMPLETED"
    CANCELLED = "CANCELLED"


class BillingType(enum.StrEnum):
    TIME_AND_MATERIALS = "TIME_AND_MATERIALS"
    FIXED_FEE = "FIXED_FEE"
    NON_BILLABLE = "NON_BILLABLE"


class EmploymentType(enum.StrEnum):
    EMPLOYEE = "EMPLOYEE"
    CONTRACTOR = "CONTRACTOR"


class ResourceStatus(enum.StrEnum):
    ACTIVE = "ACTIVE"
    ON_LEAVE = "ON_LEAVE"
    TERMINATED = "TERMINATED"


class ApprovalState(enum.StrEnum):
    DRAFT = "DRAFT"
    SUBMITTED = "SUBMITTED"
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"


class InvoiceStatus(enum.StrEnum):
    DRAFT = "DRAFT"
    SENT = "SENT"
    PARTIALLY_PAID = "PARTIALLY_PAID"
    PAID = "PAID"
    VOID = "VOID"


@dataclass(frozen=True, slots=True)
class Address:
    line1: str
    city: str
    country: str  # ISO 3166-1 alpha-2
    postal_code: str | None = None
    region: str | None = None
    line2: str | None = None


# Entities reference each other by `key`: a stable natural key within one generated or
# mapped data set (not a golden ID, which only the store assigns).


@dataclass(slots=True)
class Client:
    key: str
    name: str
    legal_name: str
    website: str | None
    industry: str | None
    status: ClientStatus
    currency: str  # ISO 4217
    payment_terms: str | None  # e.g. "NET_30"
    tax_id: str | None
    billing_address: Address | None
    account_owner: str | None = None  # key of a Resource
    parent: str | None = None  # key of a Client


@dataclass(slots=True)
class Project:
    key: str
    client: str
    name: str
    code: str
    status: ProjectStatus
    billing_type: BillingType
    start_date: date
    end_date: date | None
    currency: str
    budget_hours: Decimal | None = None
    budget_amount: Decimal | None = None
    bill_rate: Decimal | None = None  # project-level bill-rate override
    project_manager: str | None = None  # key of a Resource


@dataclass(slots=True)
class Resource:
    key: str
    given_name: str
    family_name: str
    email: str
    title: str
    department: str
    employment_type: EmploymentType
    status: ResourceStatus
    hire_date: date
    office: str
    region: str
    phone: str | None = None
    manager: str | None = None  # key of a Resource
    termination_date: date | None = None
    date_of_birth: date | None = None
    national_id: str | None = None
    home_address: Address | None = None
    default_bill_rate: Decimal | None = None
    currency: str = "USD"
    skills: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Assignment:
    key: str
    project: str
    resource: str
    role: str
    allocation: Decimal  # share of the person's week, 0..1
    start_date: date
    end_date: date | None
    bill_rate: Decimal | None = None  # override of project / default rate


@dataclass(slots=True)
class TimeEntry:
    key: str
    project: str
    resource: str
    date: date
    hours: Decimal
    billable: bool
    approval_state: ApprovalState
    notes: str | None = None


@dataclass(slots=True)
class Invoice:
    key: str
    client: str
    project: str | None
    number: str
    issue_date: date
    due_date: date
    currency: str
    total_amount: Decimal
    balance: Decimal
    status: InvoiceStatus


@dataclass(slots=True)
class Payment:
    key: str
    client: str
    invoice: str | None
    date: date
    currency: str
    amount: Decimal
    reference: str | None = None


@dataclass(slots=True)
class CostRate:
    key: str
    resource: str
    effective_from: date
    effective_to: date | None
    hourly_cost: Decimal
    currency: str


@dataclass(slots=True)
class Firm:
    """One professional-services firm's master data, in canonical terms."""

    name: str
    clients: list[Client] = field(default_factory=list)
    projects: list[Project] = field(default_factory=list)
    resources: list[Resource] = field(default_factory=list)
    assignments: list[Assignment] = field(default_factory=list)
    time_entries: list[TimeEntry] = field(default_factory=list)
    invoices: list[Invoice] = field(default_factory=list)
    payments: list[Payment] = field(default_factory=list)
    cost_rates: list[CostRate] = field(default_factory=list)
