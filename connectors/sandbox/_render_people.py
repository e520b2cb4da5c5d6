"""The people systems' view of the firm: BambooHR employees, Gusto employees and pay."""

from __future__ import annotations

import random
from collections import defaultdict

from connectors.sandbox import _mess
from connectors.sandbox._ids import gusto_uuid
from connectors.sandbox._render_base import COUNTRY_NAMES, Renderer
from connectors.sandbox.bamboohr import bamboo_datetime
from connectors.sandbox.gusto import COMPANY_UUID, new_version
from golden_records.canonical import (
    CostRate,
    EmploymentType,
    EntityType,
    Resource,
    ResourceStatus,
)


def render_bamboohr(r: Renderer) -> None:
    ids: dict[str, str] = {}
    people = [
        p for p in r.firm.resources if p.employment_type == EmploymentType.EMPLOYEE or r.chance(0.5)
    ]
    next_id = 100
    for person in sorted(people, key=lambda p: p.hire_date):
        next_id += r.rng.randrange(1, 4)  # gaps: deleted test hires and imports
        ids[person.key] = str(next_id)
    for number, person in enumerate(sorted(people, key=lambda p: p.hire_date), start=1):
        _, modified = r.times(person.hire_date)
        home = person.home_address
        nickname = _mess.given_name_variant(person.given_name, r.rng)
        manager = ids.get(person.manager or "") if r.chance(0.95) else None
        status = person.status
        r.add(
            "bamboohr",
            "employees",
            {
                "id": ids[person.key],
                "employeeNumber": str(number),
                "firstName": person.given_name,
                "lastName": person.family_name,
                "preferredName": nickname if nickname != person.given_name else None,
                "displayName": f"{nickname} {person.family_name}",
                "workEmail": person.email,
                "homeEmail": _mess.personal_email(person.given_name, person.family_name, r.rng)
                if r.chance(0.8)
                else None,
                "jobTitle": person.title,
                "department": person.department,
                "division": person.region,
                "location": person.office,
                "status": "Inactive" if status == ResourceStatus.TERMINATED else "Active",
                "employmentHistoryStatus": "Terminated"
                if status == ResourceStatus.TERMINATED
                else "Leave of Absence"
                if status == ResourceStatus.ON_LEAVE
                else "Contractor"
                if person.employment_type == EmploymentType.CONTRACTOR
                else "Full-Time",
                "hireDate": person.hire_date.isoformat(),
                # BambooHR's famous "no date" value.
                "terminationDate": person.termination_date.isoformat()
                if person.termination_date
                else "0000-00-00",
                "dateOfBirth": person.date_of_birth.isoformat()
                if person.date_of_birth
                else "0000-00-00",
                "ssn": person.national_id,
                "supervisorEId": manager,
                "supervisor": None,
                "address1": home.line1 if home else None,
                "address2": home.line2 if home else None,
                "city": home.city if home else None,
                "state": home.region if home else None,
                "zipcode": home.postal_code if home else None,
                "country": COUNTRY_NAMES.get(home.country) if home else None,
                "mobilePhone": person.phone,
                "workPhone": None,
                "lastChanged": bamboo_datetime(modified),
            },
            EntityType.RESOURCE,
            person.key,
            "id",
        )
    by_id = {r["id"]: r for r in r.out["bamboohr"]["employees"]}
    for record in by_id.values():
        boss = by_id.get(record["supervisorEId"] or "")
        if boss:
            record["supervisor"] = f"{boss['lastName']}, {boss['firstName']}"


def render_gusto(r: Renderer) -> None:
    rng = random.Random(r.rng.random())
    staff = [p for p in r.firm.resources if p.employment_type == EmploymentType.EMPLOYEE]
    uuids = {p.key: gusto_uuid(rng) for p in staff}
    rates: dict[str, list[CostRate]] = defaultdict(list)
    for rate in r.firm.cost_rates:
        rates[rate.resource].append(rate)
    for person in staff:
        uid = uuids[person.key]
        personal = r.chance(0.35)  # payroll was set up with the home address
        email = (
            _mess.personal_email(person.given_name, person.family_name, r.rng)
            if personal
            else person.email
        )
        first = (
            _mess.given_name_variant(person.given_name, r.rng)
            if r.chance(0.15)
            else person.given_name
        )
        terminated = person.status == ResourceStatus.TERMINATED
        _gusto_employee(
            r,
            person,
            uid,
            first,
            email,
            personal,
            terminated,
            uuids.get(person.manager or "") if r.chance(0.7) else None,
        )
        job_uuid = gusto_uuid(rng)
        r.out["gusto"]["jobs"].append(
            {
                "uuid": job_uuid,
                "version": new_version(job_uuid, 0),
                "employee_uuid": uid,
                "hire_date": person.hire_date.isoformat(),
                "title": person.title,
                "primary": True,
                "location_uuid": None,
            }
        )
        salaried = r.chance(0.6)
        for rate in sorted(rates[person.key], key=lambda r: r.effective_from):
            comp_uuid = gusto_uuid(rng)
            hourly = rate.hourly_cost
            r.add(
                "gusto",
                "compensations",
                {
                    "uuid": comp_uuid,
                    "version": new_version(comp_uuid, 0),
                    "job_uuid": job_uuid,
                    # Salaried people are paid per year: 2080 working hours.
                    "rate": f"{hourly * 2080:.2f}" if salaried else f"{hourly:.2f}",
                    "payment_unit": "Year" if salaried else "Hour",
                    "flsa_status": "Exempt" if salaried else "Nonexempt",
                    "effective_date": rate.effective_from.isoformat(),
                    "adjust_for_minimum_wage": False,
                },
                EntityType.COST_RATE,
                rate.key,
                "uuid",
            )


def _gusto_employee(
    r,
    person: Resource,
    uid: str,
    first: str,
    email: str,
    personal: bool,
    terminated: bool,
    manager: str | None,
) -> None:
    r.add(
        "gusto",
        "employees",
        {
            "uuid": uid,
            "version": new_version(uid, 0),
            "company_uuid": COMPANY_UUID,
            "first_name": first,
            "middle_initial": None,
            "last_name": person.family_name,
            "preferred_first_name": None,
            "email": email,
            "work_email": person.email if personal and r.chance(0.5) else None,
            "date_of_birth": person.date_of_birth.isoformat() if person.date_of_birth else None,
            "has_ssn": person.national_id is not None,
            "phone": person.phone,
            "department": person.department,
            "manager_uuid": manager,
            "terminated": terminated,
            "onboarded": True,
            "onboarding_status": "onboarding_completed",
            "current_employment_status": "full_time",
            "payment_method": "Direct Deposit",
            "two_percent_shareholder": False,
            "terminations": [{"effective_date": person.termination_date.isoformat()}]
            if terminated and person.termination_date
            else [],
        },
        EntityType.RESOURCE,
        person.key,
        "uuid",
    )
