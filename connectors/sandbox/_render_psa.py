"""Harvest's view of the firm: clients, users, projects, user assignments and time entries."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

from connectors.sandbox import _mess
from connectors.sandbox._render_base import SEEDED_UNTIL, Renderer, money
from connectors.sandbox._store import Record
from connectors.sandbox.harvest import harvest_datetime
from golden_records.canonical import (
    ApprovalState,
    BillingType,
    ClientStatus,
    EmploymentType,
    EntityType,
    ProjectStatus,
    ResourceStatus,
)


def render_harvest(r: Renderer) -> None:
    next_id = [r.rng.randrange(5_000_000, 6_000_000)]

    def new_id() -> int:
        next_id[0] += r.rng.randrange(1, 40)
        return next_id[0]

    live = [p for p in r.firm.projects if p.status != ProjectStatus.PROPOSED]
    client_ids: dict[str, int] = {}
    for client in r.firm.clients:
        if not any(p.client == client.key for p in live):
            continue
        created, modified = r.times(r.client_since(client))
        address = client.billing_address
        active = client.status != ClientStatus.INACTIVE or r.chance(0.2)
        record: Record = {
            "id": new_id(),
            "name": client.name
            if r.chance(0.7)
            else _mess.company_variant(client.name, client.legal_name, r.rng),
            "is_active": active,
            "address": None
            if address is None or r.chance(0.4)
            else f"{address.line1}\n{address.city} {address.postal_code or ''}".strip(),
            "statement_key": f"{r.rng.getrandbits(64):016x}",
            "currency": client.currency,
            "created_at": harvest_datetime(created),
            "updated_at": harvest_datetime(modified),
        }
        client_ids[client.key] = record["id"]
        r.add("harvest", "clients", record, EntityType.CLIENT, client.key, "id")

    user_ids: dict[str, int] = {}
    latest_cost: dict[str, Decimal] = {}
    for rate in sorted(r.firm.cost_rates, key=lambda r: r.effective_from):
        latest_cost[rate.resource] = rate.hourly_cost
    for person in r.firm.resources:
        created, modified = r.times(person.hire_date)
        record = {
            "id": new_id(),
            "first_name": person.given_name,
            "last_name": person.family_name,
            "email": _mess.email_case_variant(person.email, r.rng)
            if r.chance(0.2)
            else person.email,
            "telephone": person.phone or "",
            "timezone": "Eastern Time (US & Canada)",
            "weekly_capacity": 144000 if r.chance(0.9) else 115200,
            "has_access_to_all_future_projects": False,
            "is_contractor": person.employment_type == EmploymentType.CONTRACTOR,
            "is_active": person.status != ResourceStatus.TERMINATED,
            "roles": [person.department],
            "access_roles": ["member"],
            "default_hourly_rate": money(person.default_bill_rate),
            # PSA cost rates are typed in by hand and often missing.
            "cost_rate": money(latest_cost.get(person.key)) if r.chance(0.6) else None,
            "created_at": harvest_datetime(created),
            "updated_at": harvest_datetime(modified),
        }
        user_ids[person.key] = record["id"]
        r.add("harvest", "users", record, EntityType.RESOURCE, person.key, "id")

    project_ids: dict[str, int] = {}
    for project in live:
        if project.client not in client_ids:
            continue
        active = project.status in (ProjectStatus.ACTIVE, ProjectStatus.ON_HOLD)
        if project.status == ProjectStatus.COMPLETED and r.chance(0.25):
            active = True  # finished, but nobody archived it in the PSA
        fixed = project.billing_type == BillingType.FIXED_FEE
        created, modified = r.times(project.start_date)
        record = {
            "id": new_id(),
            "client": {"id": client_ids[project.client]},
            "name": project.name,
            "code": project.code if r.chance(0.9) else None,
            "is_active": active,
            "is_billable": project.billing_type != BillingType.NON_BILLABLE,
            "is_fixed_fee": fixed,
            "bill_by": "Project" if project.bill_rate else "People",
            "hourly_rate": money(project.bill_rate),
            "budget": money(project.budget_hours),
            "budget_by": "project",
            "budget_is_monthly": False,
            "notify_when_over_budget": True,
            "over_budget_notification_percentage": 80.0,
            "show_budget_to_all": False,
            "cost_budget": None,
            "cost_budget_include_expenses": False,
            "fee": money(project.budget_amount) if fixed else None,
            "notes": "",
            "starts_on": project.start_date.isoformat(),
            "ends_on": project.end_date.isoformat() if project.end_date else None,
            "created_at": harvest_datetime(created),
            "updated_at": harvest_datetime(modified),
        }
        project_ids[project.key] = record["id"]
        r.add("harvest", "projects", record, EntityType.PROJECT, project.key, "id")

    for assignment in r.firm.assignments:
        if assignment.project not in project_ids or assignment.resource not in user_ids:
            continue
        project = r.projects[assignment.project]
        created, modified = r.times(assignment.start_date)
        r.add(
            "harvest",
            "user_assignments",
            {
                "id": new_id(),
                "project": {"id": project_ids[assignment.project]},
                "user": {"id": user_ids[assignment.resource]},
                "is_active": assignment.end_date is None
                or assignment.end_date >= SEEDED_UNTIL.date(),
                "is_project_manager": project.project_manager == assignment.resource,
                "use_default_rates": assignment.bill_rate is None,
                "hourly_rate": money(assignment.bill_rate),
                "budget": None,
                "created_at": harvest_datetime(created),
                "updated_at": harvest_datetime(modified),
            },
            EntityType.ASSIGNMENT,
            assignment.key,
            "id",
        )

    task = {"id": 8083365, "name": "Consulting"}
    for entry in r.firm.time_entries:
        if entry.project not in project_ids or entry.resource not in user_ids:
            continue
        created = datetime.combine(entry.date, time(17), UTC)
        modified = min(created + timedelta(days=r.rng.randrange(0, 10)), SEEDED_UNTIL)
        approved = entry.approval_state == ApprovalState.APPROVED
        r.add(
            "harvest",
            "time_entries",
            {
                "id": new_id(),
                "spent_date": entry.date.isoformat(),
                "user": {"id": user_ids[entry.resource]},
                "client": {"id": client_ids[r.projects[entry.project].client]},
                "project": {"id": project_ids[entry.project]},
                "task": task,
                "hours": float(entry.hours),
                "rounded_hours": float(entry.hours),
                "notes": entry.notes,
                "billable": entry.billable,
                "is_locked": approved,
                "is_closed": approved,
                "is_billed": False,
                "is_running": False,
                "approval_status": {
                    ApprovalState.DRAFT: "unsubmitted",
                    ApprovalState.SUBMITTED: "submitted",
                    ApprovalState.APPROVED: "approved",
                    ApprovalState.REJECTED: "unsubmitted",
                }[entry.approval_state],
                "created_at": harvest_datetime(created),
                "updated_at": harvest_datetime(modified),
            },
            EntityType.TIME_ENTRY,
            entry.key,
            "id",
        )
