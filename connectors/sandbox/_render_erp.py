"""QuickBooks' view of the firm: customers (projects as sub-customers), invoices, payments."""

from __future__ import annotations

from datetime import datetime

from connectors.sandbox import _mess
from connectors.sandbox._render_base import CURRENCY_NAMES, TERMS, Renderer
from connectors.sandbox._store import Record
from connectors.sandbox.quickbooks import qbo_datetime
from golden_records.canonical import ClientStatus, EntityType, InvoiceStatus, ProjectStatus


def render_quickbooks(r: Renderer) -> None:
    counter = [r.rng.randrange(50, 150)]

    def new_id() -> str:
        counter[0] += 1
        return str(counter[0])

    def meta(created: datetime, modified: datetime) -> Record:
        return {"CreateTime": qbo_datetime(created), "LastUpdatedTime": qbo_datetime(modified)}

    invoiced_clients = {i.client for i in r.firm.invoices}
    customers: dict[str, str] = {}
    names: set[str] = set()

    def unique(name: str) -> str:
        # QuickBooks refuses two customers with one DisplayName; people add a suffix.
        out, n = name, 2
        while out in names:
            out, n = f"{name} ({n})", n + 1
        names.add(out)
        return out

    for client in r.firm.clients:
        if client.status == ClientStatus.PROSPECT and client.key not in invoiced_clients:
            continue
        copies = 2 if r.chance(0.03) else 1
        for copy_no in range(copies):
            display = client.legal_name
            if copy_no or r.chance(0.4):
                display = _mess.company_variant(client.name, client.legal_name, r.rng)
            display = unique(display)
            address = client.billing_address
            created, modified = r.times(r.client_since(client))
            active = client.status != ClientStatus.INACTIVE or r.chance(0.4)
            term = TERMS.get(client.payment_terms or "")
            record: Record = {
                "Id": new_id(),
                "SyncToken": str(r.rng.randrange(0, 4)),
                "DisplayName": display,
                "FullyQualifiedName": display,
                "CompanyName": client.legal_name if r.chance(0.85) else None,
                "PrintOnCheckName": client.legal_name,
                "Active": active,
                "Job": False,
                "BillWithParent": False,
                "Taxable": False,
                "Balance": 0.0,
                "PrimaryTaxIdentifier": client.tax_id,
                "CurrencyRef": {
                    "value": client.currency,
                    "name": CURRENCY_NAMES.get(client.currency),
                },
                "PreferredDeliveryMethod": "Email",
                "domain": "QBO",
                "sparse": False,
                "MetaData": meta(created, modified),
            }
            if term:
                record["SalesTermRef"] = {"value": term[0], "name": term[1]}
            if address:
                record["BillAddr"] = {
                    "Id": new_id(),
                    "Line1": address.line1,
                    "Line2": address.line2,
                    "City": address.city,
                    "CountrySubDivisionCode": address.region,
                    "PostalCode": address.postal_code,
                    "Country": address.country,
                }
            if client.website and r.chance(0.5):
                record["WebAddr"] = {"URI": client.website}
            customers.setdefault(client.key, record["Id"])
            r.add("quickbooks", "Customer", record, EntityType.CLIENT, client.key, "Id")

    by_id = {r["Id"]: r for r in r.out["quickbooks"]["Customer"]}
    jobs: dict[str, str] = {}
    for project in r.firm.projects:
        parent = customers.get(project.client)
        if parent is None or not any(i.project == project.key for i in r.firm.invoices):
            continue
        created, modified = r.times(project.start_date)
        display = unique(f"{project.name} ({project.code})")
        record = {
            "Id": new_id(),
            "SyncToken": "0",
            "DisplayName": display,
            "FullyQualifiedName": f"{by_id[parent]['DisplayName']}:{display}",
            "CompanyName": None,
            "Active": project.status not in (ProjectStatus.CANCELLED, ProjectStatus.COMPLETED)
            or r.chance(0.5),
            "Job": True,
            "IsProject": True,
            "BillWithParent": True,
            "ParentRef": {"value": parent},
            "Level": 1,
            "Balance": 0.0,
            "CurrencyRef": {
                "value": project.currency,
                "name": CURRENCY_NAMES.get(project.currency),
            },
            "domain": "QBO",
            "sparse": False,
            "MetaData": meta(created, modified),
        }
        jobs[project.key] = record["Id"]
        by_id[record["Id"]] = record
        r.add("quickbooks", "Customer", record, EntityType.PROJECT, project.key, "Id")

    invoice_ids: dict[str, tuple[str, str]] = {}
    for invoice in r.firm.invoices:
        customer = customers.get(invoice.client)
        if invoice.project in jobs and r.chance(0.9):
            customer = jobs[invoice.project]  # the rest were billed to the parent
        if customer is None:
            continue
        void = invoice.status == InvoiceStatus.VOID
        created, modified = r.times(invoice.issue_date)
        billed = r.projects.get(invoice.project or "")
        total = 0.0 if void else float(invoice.total_amount)
        record = {
            "Id": new_id(),
            "SyncToken": "0",
            "DocNumber": invoice.number,
            "TxnDate": invoice.issue_date.isoformat(),
            "DueDate": invoice.due_date.isoformat(),
            "CustomerRef": {"value": customer, "name": by_id[customer]["DisplayName"]},
            "CurrencyRef": {
                "value": invoice.currency,
                "name": CURRENCY_NAMES.get(invoice.currency),
            },
            "TotalAmt": total,
            "Balance": 0.0 if void else float(invoice.balance),
            "EmailStatus": "NotSet" if invoice.status == InvoiceStatus.DRAFT else "EmailSent",
            "PrivateNote": "Voided" if void else "",
            "Line": [
                {
                    "Id": "1",
                    "LineNum": 1,
                    "Amount": total,
                    "Description": f"Professional services - "
                    f"{billed.name if billed else 'consulting'}",
                    "DetailType": "SalesItemLineDetail",
                    "SalesItemLineDetail": {"ItemRef": {"value": "1", "name": "Services"}},
                },
                {"Amount": total, "DetailType": "SubTotalLineDetail", "SubTotalLineDetail": {}},
            ],
            "domain": "QBO",
            "sparse": False,
            "MetaData": meta(created, modified),
        }
        invoice_ids[invoice.key] = (record["Id"], customer)
        r.add("quickbooks", "Invoice", record, EntityType.INVOICE, invoice.key, "Id")
        by_id[customer]["Balance"] = round(by_id[customer]["Balance"] + record["Balance"], 2)

    for payment in r.firm.payments:
        linked = invoice_ids.get(payment.invoice or "")
        customer = linked[1] if linked else customers.get(payment.client)
        if customer is None:
            continue
        created, modified = r.times(payment.date)
        amount = float(payment.amount)
        r.add(
            "quickbooks",
            "Payment",
            {
                "Id": new_id(),
                "SyncToken": "0",
                "TxnDate": payment.date.isoformat(),
                "CustomerRef": {"value": customer, "name": by_id[customer]["DisplayName"]},
                "CurrencyRef": {
                    "value": payment.currency,
                    "name": CURRENCY_NAMES.get(payment.currency),
                },
                "TotalAmt": amount,
                "UnappliedAmt": 0.0 if linked else amount,
                "PaymentRefNum": payment.reference,
                "Line": [
                    {
                        "Amount": amount,
                        "LinkedTxn": [{"TxnId": linked[0], "TxnType": "Invoice"}],
                    }
                ]
                if linked
                else [],
                "ProcessPayment": False,
                "domain": "QBO",
                "sparse": False,
                "MetaData": meta(created, modified),
            },
            EntityType.PAYMENT,
            payment.key,
            "Id",
        )
