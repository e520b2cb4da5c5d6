"""Write-back: create/update mutations, their dry run, the ownership table and the outbox queue.

Inputs leave a field out to keep its value and send `null` to clear it. Every mutation takes
`expectedVersion` (updates), an optional `idempotencyKey` (a retry with the same key returns the
first result instead of writing again) and `waitSeconds` (wait up to that long for the systems
to confirm). The payload says, per system, whether the write is APPLIED, PENDING or FAILED.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from golden_records.canonical import (
    BillingType,
    ClientStatus,
    EmploymentType,
    ProjectStatus,
    ResourceStatus,
)
from golden_records.canonical import EntityType as EntityTypeEnum
from golden_records.errors import CrosswalkError, Forbidden
from golden_records.validation import camel_case
from golden_records.write_plan import REFERENCE_TARGETS
from hub.auth.roles import Permission
from hub.outbox_models import WriteBack as WriteBackRow
from hub.outbox_models import WriteBackStatus as WriteBackStatusEnum
from resolvers import writeback, writeback_queue
from resolvers.context import Context
from resolvers.dataloaders import Loaders
from resolvers.global_ids import ENTITY_TYPE_NAMES, MODELS
from schema.common import PageInfo, utc
from schema.enums import EntityType
from schema.mutation import MutationError
from schema.node import GoldenRecord, builder
from schema.permissions import principal_of, redact_attributes, requires

WriteBackStatus = strawberry.enum(
    WriteBackStatusEnum,
    name="WriteBackStatus",
    description=(
        "PENDING: waiting to be sent or retried; IN_FLIGHT: being sent; APPLIED: the system "
        "confirmed it; FAILED / CONFLICT: in the exception queue; DISCARDED: given up."
    ),
)


@strawberry.enum(description="What one system made of its share of a mutation.")
class SystemWriteStatus(enum.Enum):
    APPLIED = "APPLIED"
    PENDING = "PENDING"
    FAILED = "FAILED"


_SYSTEM_STATUS = {
    WriteBackStatusEnum.APPLIED: SystemWriteStatus.APPLIED,
    WriteBackStatusEnum.PENDING: SystemWriteStatus.PENDING,
    WriteBackStatusEnum.IN_FLIGHT: SystemWriteStatus.PENDING,
    WriteBackStatusEnum.FAILED: SystemWriteStatus.FAILED,
    WriteBackStatusEnum.CONFLICT: SystemWriteStatus.FAILED,
    WriteBackStatusEnum.DISCARDED: SystemWriteStatus.FAILED,
}


# -- the queue -------------------------------------------------------------------------------


@strawberry.type(description="One system's share of an accepted mutation, in the outbox.")
class WriteBack:
    id: strawberry.ID
    system: str
    entity_type: EntityType
    action: str = strawberry.field(description="create or update")
    external_id: str | None = strawberry.field(description="The system's ID of the record.")
    status: WriteBackStatus  # type: ignore[valid-type]
    attempts: int
    error_code: str | None = strawberry.field(description="Why it is not APPLIED (stable).")
    last_error: str | None = strawberry.field(description="The system's reason, for people.")
    next_attempt_at: datetime | None
    created_at: datetime
    applied_at: datetime | None
    golden_pk: strawberry.Private[int | None]
    values: strawberry.Private[dict[str, Any]]

    @strawberry.field(description="The values written (guarded ones redacted without the role).")
    def fields(self, info: Info[Context, None]) -> JSON:
        redacted: dict[str, Any] = redact_attributes(info, self.values)
        return {camel_case(k): v for k, v in redacted.items()}  # type: ignore[return-value]

    @strawberry.field(description="The golden record written.")
    async def record(self, info: Info[Context, None]) -> GoldenRecord | None:
        if self.golden_pk is None:
            return None
        type_name = ENTITY_TYPE_NAMES.get(EntityTypeEnum(self.entity_type))
        if type_name is None:
            return None
        found: GoldenRecord | None = await info.context.loaders.by_id(
            MODELS[type_name], builder(type_name)
        ).load(self.golden_pk)
        return found

    @classmethod
    def from_row(cls, row: WriteBackRow) -> WriteBack:
        status = WriteBackStatusEnum(row.status)
        return cls(
            id=strawberry.ID(writeback_queue.encode_id(row.id)),
            system=row.system,
            entity_type=EntityTypeEnum(row.entity_type),
            action=row.action,
            external_id=row.external_id,
            status=status,
            attempts=row.attempts,
            error_code=row.error_code,
            last_error=row.last_error,
            next_attempt_at=utc(row.next_attempt_at) if status.is_open else None,
            created_at=utc(row.created_at),
            applied_at=utc(row.applied_at),
            golden_pk=row.golden_id,
            values=dict(row.fields),
        )


@strawberry.type
class WriteBackEdge:
    cursor: str
    node: WriteBack


@strawberry.type
class WriteBackConnection:
    edges: list[WriteBackEdge]
    page_info: PageInfo
    total_count: int


@strawberry.type(description="One system's part of a mutation: what it was sent and how it went.")
class SystemWrite:
    system: str = strawberry.field(description="A source system, or `hub` for hub-owned fields.")
    status: SystemWriteStatus
    fields: list[str] = strawberry.field(description="The input fields this system receives.")
    reason: str | None = strawberry.field(description="Why it FAILED (or is being retried).")
    write_back: WriteBack | None = strawberry.field(description="The outbox entry (not for hub).")


def system_writes(outcome: writeback.WriteOutcome) -> list[SystemWrite]:
    writes = [
        SystemWrite(
            system=row.system,
            status=_SYSTEM_STATUS[WriteBackStatusEnum(row.status)],
            fields=[camel_case(f) for f in sorted(row.fields)],
            reason=row.last_error,
            write_back=WriteBack.from_row(row),
        )
        for row in outcome.rows
    ]
    if outcome.hub_fields:
        writes.insert(
            0,
            SystemWrite(
                system="hub",
                status=SystemWriteStatus.APPLIED,
                fields=[camel_case(f) for f in outcome.hub_fields],
                reason=None,
                write_back=None,
            ),
        )
    return writes


# -- inputs ----------------------------------------------------------------------------------

UNSET: Any = strawberry.UNSET


@strawberry.input(description="A postal address; leave a line out to leave it empty.")
class AddressInput:
    line1: str | None = None
    line2: str | None = None
    city: str | None = None
    region: str | None = None
    postal_code: str | None = None
    country: str | None = strawberry.field(default=None, description="ISO 3166 alpha-2.")


@strawberry.input(description="A new cost rate, effective from a date (payroll owns it).")
class CostRateInput:
    hourly_cost: Decimal
    currency: str = strawberry.field(description="ISO 4217, e.g. USD.")
    effective_from: date


@strawberry.input
class CreateClientInput:
    name: str
    legal_name: str | None = UNSET
    website: str | None = UNSET
    industry: str | None = UNSET
    status: ClientStatus | None = UNSET
    currency: str | None = strawberry.field(default=UNSET, description="ISO 4217 billing currency.")
    payment_terms: str | None = UNSET
    tax_id: str | None = UNSET
    billing_address: AddressInput | None = UNSET
    parent_id: strawberry.ID | None = UNSET
    account_owner_id: strawberry.ID | None = UNSET


@strawberry.input
class UpdateClientInput:
    id: strawberry.ID
    expected_version: int = strawberry.field(description="The `version` you read; see errors.")
    name: str | None = UNSET
    legal_name: str | None = UNSET
    website: str | None = UNSET
    industry: str | None = UNSET
    status: ClientStatus | None = UNSET
    currency: str | None = UNSET
    payment_terms: str | None = UNSET
    tax_id: str | None = UNSET
    billing_address: AddressInput | None = UNSET
    parent_id: strawberry.ID | None = UNSET
    account_owner_id: strawberry.ID | None = UNSET


@strawberry.input
class CreateProjectInput:
    client_id: strawberry.ID
    name: str
    code: str | None = UNSET
    status: ProjectStatus | None = UNSET
    billing_type: BillingType | None = UNSET
    start_date: date | None = UNSET
    end_date: date | None = UNSET
    currency: str | None = UNSET
    budget_hours: Decimal | None = UNSET
    budget_amount: Decimal | None = UNSET
    bill_rate: Decimal | None = UNSET
    project_manager_id: strawberry.ID | None = UNSET
    allow_below_cost: bool = strawberry.field(
        default=False, description="Accept a bill rate below a cost rate in force."
    )


@strawberry.input
class UpdateProjectInput:
    id: strawberry.ID
    expected_version: int
    client_id: strawberry.ID | None = UNSET
    name: str | None = UNSET
    code: str | None = UNSET
    status: ProjectStatus | None = UNSET
    billing_type: BillingType | None = UNSET
    start_date: date | None = UNSET
    end_date: date | None = UNSET
    currency: str | None = UNSET
    budget_hours: Decimal | None = UNSET
    budget_amount: Decimal | None = UNSET
    bill_rate: Decimal | None = UNSET
    project_manager_id: strawberry.ID | None = UNSET
    allow_below_cost: bool = False


@strawberry.input
class UpdateResourceInput:
    id: strawberry.ID
    expected_version: int
    given_name: str | None = UNSET
    family_name: str | None = UNSET
    email: str | None = UNSET
    phone: str | None = UNSET
    title: str | None = UNSET
    department: str | None = UNSET
    manager_id: strawberry.ID | None = UNSET
    employment_type: EmploymentType | None = UNSET
    status: ResourceStatus | None = UNSET
    hire_date: date | None = UNSET
    termination_date: date | None = UNSET
    office: str | None = UNSET
    region: str | None = UNSET
    date_of_birth: date | None = UNSET
    national_id: str | None = UNSET
    home_address: AddressInput | None = UNSET
    default_bill_rate: Decimal | None = UNSET
    skills: list[str] | None = UNSET
    cost_rate: CostRateInput | None = strawberry.field(
        default=UNSET, description="A new effective-dated cost rate (sent to payroll)."
    )
    allow_below_cost: bool = False


_NOT_VALUES = {"id", "expected_version", "allow_below_cost"}
# Inputs whose values need more than the write permission (as reading them does).
_GUARDED = {
    "date_of_birth": Permission.READ_SENSITIVE,
    "national_id": Permission.READ_SENSITIVE,
    "home_address": Permission.READ_SENSITIVE,
    "cost_rate": Permission.READ_COST,
}


def _plain(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, AddressInput | CostRateInput):
        return {k: _plain(v) for k, v in vars(value).items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def input_values(info: Info[Context, None], data: object) -> dict[str, Any]:
    """The fields the caller gave, under canonical attribute names (`client_id` -> `client`).
    Guarded fields need the permission their reading needs."""
    values: dict[str, Any] = {}
    principal = principal_of(info)
    for name, value in vars(data).items():
        if name in _NOT_VALUES or value is UNSET:
            continue
        permission = _GUARDED.get(name)
        if permission is not None and (principal is None or not principal.has(permission)):
            raise Forbidden(
                f"Writing {camel_case(name)} needs the {permission.value} permission.",
                field=camel_case(name),
            )
        # ID inputs point at other records (`client_id` -> the canonical attribute `client`).
        reference = name.removesuffix("_id")
        attribute = reference if name.endswith("_id") and reference in REFERENCE_TARGETS else name
        values[attribute] = _plain(value)
    return values


# -- payloads ----------------------------------------------------------------------------------


def _errors(outcome: writeback.WriteOutcome) -> list[MutationError]:
    return [MutationError.from_error(e) for e in outcome.errors]


@strawberry.type(description="A client create or update: the record, each system's write, errors.")
class ClientPayload:
    client: GoldenRecord | None = strawberry.field(
        description="The client as the hub holds it now (systems' values once confirmed)."
    )
    writes: list[SystemWrite]
    replayed: bool = strawberry.field(description="An idempotency key's earlier result.")
    errors: list[MutationError]


@strawberry.type(description="A project create or update.")
class ProjectPayload:
    project: GoldenRecord | None
    writes: list[SystemWrite]
    replayed: bool
    errors: list[MutationError]


@strawberry.type(description="A resource update.")
class ResourcePayload:
    resource: GoldenRecord | None
    writes: list[SystemWrite]
    replayed: bool
    errors: list[MutationError]


async def _record(info: Info[Context, None], type_name: str, pk: int | None) -> Any:
    if pk is None:
        return None
    info.context.loaders = Loaders(info.context)  # the mutation changed rows they may cache
    return await info.context.loaders.by_id(MODELS[type_name], builder(type_name)).load(pk)


async def _run(
    info: Info[Context, None],
    operation: str,
    type_name: str,
    data: Any,
    *,
    key: str | None,
    wait: float,
) -> tuple[writeback.WriteOutcome, Any]:
    try:
        values = input_values(info, data)
    except CrosswalkError as error:
        return writeback.WriteOutcome(type_name=type_name, errors=[error]), None
    outcome = await writeback.write(
        info.context,
        operation,
        type_name,
        values,
        global_id=str(data.id) if hasattr(data, "id") else None,
        expected_version=getattr(data, "expected_version", None),
        idempotency_key=key,
        allow_below_cost=bool(getattr(data, "allow_below_cost", False)),
        wait_seconds=max(0.0, wait),
    )
    return outcome, await _record(info, type_name, outcome.golden_id)


IdempotencyKey = Annotated[
    str | None,
    strawberry.argument(description="Retrying with the same key returns the first result."),
]
WaitSeconds = Annotated[
    float,
    strawberry.argument(description="Wait up to this long (max 30 s) for the systems to confirm."),
]


def _write_mutation(
    operation: str, type_name: str, input_type: type, payload: type, description: str
) -> Any:
    """One create/update mutation: the five differ only in these names and types."""
    record_field = type_name.lower()

    async def resolve(
        self: Any,
        info: Info[Context, None],
        input: Any,
        idempotency_key: IdempotencyKey = None,
        wait_seconds: WaitSeconds = 0.0,
    ) -> Any:
        outcome, record = await _run(
            info, operation, type_name, input, key=idempotency_key, wait=wait_seconds
        )
        return payload(
            **{record_field: record},
            writes=system_writes(outcome),
            replayed=outcome.replayed,
            errors=_errors(outcome),
        )

    # Strawberry reads the argument and result types from the annotations.
    resolve.__annotations__ = {
        "info": Info[Context, None],
        "input": input_type,
        "idempotency_key": IdempotencyKey,
        "wait_seconds": WaitSeconds,
        "return": payload,
    }
    return strawberry.mutation(
        resolver=resolve, description=description, extensions=requires(Permission.WRITE)
    )


@strawberry.type
class WriteBackMutation:
    create_client = _write_mutation(
        "client.create",
        "Client",
        CreateClientInput,
        ClientPayload,
        "Create a client in the systems that own its fields.",
    )
    update_client = _write_mutation(
        "client.update",
        "Client",
        UpdateClientInput,
        ClientPayload,
        "Change a client: each field goes to the system that owns it.",
    )
    create_project = _write_mutation(
        "project.create",
        "Project",
        CreateProjectInput,
        ProjectPayload,
        "Create a project (in the PSA, and its client there if it is missing).",
    )
    update_project = _write_mutation(
        "project.update",
        "Project",
        UpdateProjectInput,
        ProjectPayload,
        "Change a project: each field goes to the system that owns it.",
    )
    update_resource = _write_mutation(
        "resource.update",
        "Resource",
        UpdateResourceInput,
        ResourcePayload,
        "Change a person: identity fields go to the HRIS, the bill rate to the PSA, a cost "
        "rate to payroll.",
    )

    @strawberry.mutation(
        description="Send an exception-queue write-back again, from a first attempt (steward).",
        extensions=requires(Permission.STEWARD),
    )
    async def retry_write_back(
        self, info: Info[Context, None], id: strawberry.ID, reason: str | None = None
    ) -> WriteBackActionPayload:
        try:
            row = await writeback_queue.retry(info.context, str(id), reason)
        except CrosswalkError as error:
            return WriteBackActionPayload(write_back=None, errors=[MutationError.from_error(error)])
        return WriteBackActionPayload(write_back=WriteBack.from_row(row), errors=[])

    @strawberry.mutation(
        description="Give up on a write-back: it is never sent (steward).",
        extensions=requires(Permission.STEWARD),
    )
    async def discard_write_back(
        self, info: Info[Context, None], id: strawberry.ID, reason: str
    ) -> WriteBackActionPayload:
        try:
            row = await writeback_queue.discard(info.context, str(id), reason)
        except CrosswalkError as error:
            return WriteBackActionPayload(write_back=None, errors=[MutationError.from_error(error)])
        return WriteBackActionPayload(write_back=WriteBack.from_row(row), errors=[])


@strawberry.type
class WriteBackActionPayload:
    write_back: WriteBack | None
    errors: list[MutationError]


# -- queries ---------------------------------------------------------------------------------


@strawberry.type(description="Who owns one field, and how the golden value is chosen.")
class OwnershipRule:
    entity_type: EntityType
    field: str = strawberry.field(description="The GraphQL field name, e.g. legalName.")
    owner: str = strawberry.field(description="The owning system, or `hub` (stored in the hub).")
    survivorship: list[str] = strawberry.field(
        description="The ordered strategies that pick the golden value among the sources."
    )


@strawberry.type(description="One system's share of a planned write.")
class PlannedWrite:
    system: str
    entity_type: EntityType
    action: str = strawberry.field(description="create or update")
    external_id: str | None
    fields: list[str]
    depends_on: int | None = strawberry.field(
        description="Index in `writes` of a write that must be applied first."
    )


@strawberry.type(description="What a mutation would send where; nothing is sent or stored.")
class WritePlan:
    writes: list[PlannedWrite]
    hub_fields: list[str] = strawberry.field(description="Fields stored in the hub itself.")
    errors: list[MutationError]


@strawberry.input(description="Exactly one: the mutation input to plan.")
class PlanWriteBackInput:
    create_client: CreateClientInput | None = None
    update_client: UpdateClientInput | None = None
    create_project: CreateProjectInput | None = None
    update_project: UpdateProjectInput | None = None
    update_resource: UpdateResourceInput | None = None


_PLANNED = {
    "create_client": "Client",
    "update_client": "Client",
    "create_project": "Project",
    "update_project": "Project",
    "update_resource": "Resource",
}


@strawberry.type
class WriteBackQuery:
    @strawberry.field(
        description="The tenant's source-of-truth table: each field's owner and survivorship.",
        extensions=requires(Permission.READ),
    )
    def source_of_truth(
        self,
        info: Info[Context, None],
        entity_type: EntityType | None = None,
    ) -> list[OwnershipRule]:
        return [
            OwnershipRule(
                entity_type=rule.entity_type,
                field=camel_case(rule.attribute),
                owner=rule.owner,
                survivorship=list(rule.strategies),
            )
            for rule in writeback_queue.source_of_truth(
                info.context, EntityTypeEnum(entity_type) if entity_type else None
            )
        ]

    @strawberry.field(
        description="Which system would receive which field; sends and stores nothing.",
        extensions=requires(Permission.WRITE),
    )
    async def plan_write_back(
        self, info: Info[Context, None], input: PlanWriteBackInput
    ) -> WritePlan:
        given = [(name, value) for name, value in vars(input).items() if value is not None]
        if len(given) != 1:
            error = MutationError(
                code="VALIDATION",
                field="input",
                message="Give exactly one of: " + ", ".join(camel_case(n) for n in _PLANNED) + ".",
            )
            return WritePlan(writes=[], hub_fields=[], errors=[error])
        name, data = given[0]
        type_name = _PLANNED[name]
        try:
            values = input_values(info, data)
        except CrosswalkError as error:
            return WritePlan(writes=[], hub_fields=[], errors=[MutationError.from_error(error)])
        outcome = await writeback.plan(
            info.context,
            type_name,
            str(data.id) if hasattr(data, "id") else None,
            values,
            allow_below_cost=bool(getattr(data, "allow_below_cost", False)),
        )
        plan = outcome.plan
        return WritePlan(
            writes=[
                PlannedWrite(
                    system=w.system,
                    entity_type=w.entity_type,
                    action=w.action.value,
                    external_id=w.external_id,
                    fields=[camel_case(f) for f in sorted(w.fields)],
                    depends_on=w.depends_on,
                )
                for w in (plan.writes if plan is not None and not outcome.errors else ())
            ],
            hub_fields=[camel_case(f) for f in sorted(plan.hub_fields)] if plan else [],
            errors=[MutationError.from_error(e) for e in outcome.errors],
        )

    @strawberry.field(
        description="The outbox, newest first; FAILED and CONFLICT are the exception queue "
        "(steward).",
        extensions=requires(Permission.STEWARD),
    )
    async def write_backs(
        self,
        info: Info[Context, None],
        status: list[WriteBackStatus] | None = None,  # type: ignore[valid-type]
        system: str | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> WriteBackConnection:
        page = await writeback_queue.write_backs(
            info.context,
            statuses=[WriteBackStatusEnum(s) for s in status] if status else None,
            system=system,
            first=first,
            after=after,
        )
        return WriteBackConnection(
            edges=[
                WriteBackEdge(cursor=writeback_queue.cursor(row), node=WriteBack.from_row(row))
                for row in page.rows
            ],
            page_info=PageInfo(
                has_next_page=page.has_next_page,
                has_previous_page=after is not None,
                start_cursor=writeback_queue.cursor(page.rows[0]) if page.rows else None,
                end_cursor=writeback_queue.cursor(page.rows[-1]) if page.rows else None,
            ),
            total_count=page.total_count,
        )
