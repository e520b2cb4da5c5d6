"""Salesforce's view of the firm: Users, resource Contacts, Accounts (some twice), Opportunities."""

from __future__ import annotations

from datetime import timedelta

from connectors.sandbox import _mess
from connectors.sandbox._render_base import COUNTRY_NAMES, Renderer, money
from connectors.sandbox._store import Record
from connectors.sandbox.salesforce import sf_datetime
from golden_records.canonical import ClientStatus, EntityType, ProjectStatus, ResourceStatus

_STAGES = {
    ProjectStatus.PROPOSED: "Proposal/Price Quote",
    ProjectStatus.ACTIVE: "Closed Won",
    ProjectStatus.ON_HOLD: "Closed Won",
    ProjectStatus.COMPLETED: "Closed Won",
    ProjectStatus.CANCELLED: "Closed Lost",
}


def render_salesforce(r: Renderer) -> None:
    owners = {c.account_owner for c in r.firm.clients if c.account_owner}
    owners |= {p.project_manager for p in r.firm.projects if p.project_manager}
    users: dict[str, str] = {}
    for person in r.firm.resources:
        if person.key not in owners:
            continue
        created, modified = r.times(person.hire_date)
        uid = r.sf_id("005")
        users[person.key] = uid
        r.add(
            "salesforce",
            "User",
            {
                "Id": uid,
                "Username": person.email.lower() + ".crm",
                "FirstName": _mess.given_name_variant(person.given_name, r.rng)
                if r.chance(0.3)
                else person.given_name,
                "LastName": person.family_name,
                "Name": None,
                "Email": person.email,
                "Title": person.title,
                "Department": person.department,
                # CRM logins outlive their owners: leavers often stay active.
                "IsActive": person.status != ResourceStatus.TERMINATED or r.chance(0.5),
                "CreatedDate": sf_datetime(created),
                "LastModifiedDate": sf_datetime(modified),
                "SystemModstamp": sf_datetime(modified),
                "IsDeleted": False,
            },
            EntityType.RESOURCE,
            person.key,
            "Id",
        )
    for user in r.out["salesforce"]["User"]:
        user["Name"] = f"{user['FirstName']} {user['LastName']}"
    default_owner = next(iter(users.values()), None)

    for person in r.firm.resources:
        if person.status == ResourceStatus.TERMINATED or r.chance(0.3):
            continue
        created, modified = r.times(person.hire_date)
        first = (
            _mess.given_name_variant(person.given_name, r.rng)
            if r.chance(0.25)
            else person.given_name
        )
        r.add(
            "salesforce",
            "Contact",
            {
                "Id": r.sf_id("003"),
                "AccountId": None,
                "FirstName": first,
                "LastName": person.family_name,
                "Name": f"{first} {person.family_name}",
                "Email": _mess.email_case_variant(person.email, r.rng)
                if r.chance(0.2)
                else person.email,
                "Phone": person.phone,
                "Title": person.title,
                "Department": person.department,
                "ReportsToId": None,
                "OwnerId": default_owner,
                "CreatedDate": sf_datetime(created),
                "LastModifiedDate": sf_datetime(modified),
                "SystemModstamp": sf_datetime(modified),
                "IsDeleted": False,
            },
            EntityType.RESOURCE,
            person.key,
            "Id",
        )

    accounts: dict[str, list[str]] = {}
    for client in r.firm.clients:
        if client.status != ClientStatus.PROSPECT and r.chance(0.05):
            continue  # billing-only customers never made it into the CRM
        copies = 2 if r.chance(0.04) else 1
        for copy_no in range(copies):
            name = client.name
            if copy_no or r.chance(0.3):
                name = _mess.company_variant(client.name, client.legal_name, r.rng)
            account_type = {
                ClientStatus.PROSPECT: "Prospect",
                ClientStatus.ACTIVE: "Customer - Direct",
                # The CRM is rarely told a customer has gone: half still look active.
                ClientStatus.INACTIVE: "Customer - Direct" if r.chance(0.5) else "Other",
            }[client.status]
            address = client.billing_address
            created, modified = r.times(None if copy_no else r.client_since(client))
            record: Record = {
                "Id": r.sf_id("001"),
                "Name": name,
                "Type": account_type,
                "Industry": client.industry if r.chance(0.9) else None,
                "Website": r.website_variant(client.website),
                "Phone": None,
                "ParentId": None,
                "OwnerId": users.get(client.account_owner or "", default_owner),
                "AccountNumber": None,
                "BillingStreet": address.line1 if address else None,
                "BillingCity": address.city if address else None,
                "BillingState": address.region if address else None,
                "BillingPostalCode": address.postal_code if address else None,
                "BillingCountry": COUNTRY_NAMES.get(address.country) if address else None,
                "CurrencyIsoCode": client.currency,
                "Description": None,
                "CreatedDate": sf_datetime(created),
                "LastModifiedDate": sf_datetime(modified),
                "SystemModstamp": sf_datetime(modified),
                "IsDeleted": False,
            }
            accounts.setdefault(client.key, []).append(record["Id"])
            r.add("salesforce", "Account", record, EntityType.CLIENT, client.key, "Id")
    by_id = {r["Id"]: r for r in r.out["salesforce"]["Account"]}
    for client in r.firm.clients:
        if client.parent and client.key in accounts and client.parent in accounts:
            if r.chance(0.8):  # some hierarchies were never linked
                by_id[accounts[client.key][0]]["ParentId"] = accounts[client.parent][0]

    for project in r.firm.projects:
        account_ids = accounts.get(project.client)
        if not account_ids or r.chance(0.15):
            continue
        client = r.clients[project.client]
        stage = _STAGES[project.status]
        if project.status == ProjectStatus.CANCELLED and r.chance(0.4):
            stage = "Closed Won"  # cancelled after signature; nobody updated the CRM
        name = project.name if r.chance(0.5) else f"{client.name} - {project.name}"
        created, modified = r.times(project.start_date - timedelta(days=30))
        r.add(
            "salesforce",
            "Opportunity",
            {
                "Id": r.sf_id("006"),
                # Duplicated accounts split the opportunities between them.
                "AccountId": r.rng.choice(account_ids),
                "Name": name,
                "StageName": stage,
                "CloseDate": project.start_date.isoformat(),
                "Amount": money(project.budget_amount),
                "CurrencyIsoCode": project.currency,
                "Type": "New Customer" if r.chance(0.4) else "Existing Customer - Upgrade",
                "Probability": 100 if stage == "Closed Won" else (0 if "Lost" in stage else 50),
                "IsClosed": stage.startswith("Closed"),
                "IsWon": stage == "Closed Won",
                "OwnerId": users.get(project.project_manager or "", default_owner),
                "Description": None,
                "CreatedDate": sf_datetime(created),
                "LastModifiedDate": sf_datetime(modified),
                "SystemModstamp": sf_datetime(modified),
                "IsDeleted": False,
            },
            EntityType.PROJECT,
            project.key,
            "Id",
        )
