"""Each system's JSON, shaped as in its public API docs, maps to the right canonical attributes."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from connectors.bamboohr import mapping as bamboohr
from connectors.bamboohr.client import map_row
from connectors.base import Ref
from connectors.gusto import mapping as gusto
from connectors.gusto.client import compensations_of
from connectors.harvest import mapping as harvest
from connectors.quickbooks import mapping as quickbooks
from connectors.salesforce import mapping as salesforce
from golden_records.canonical import EntityType

# --- Salesforce (REST API query results) -------------------------------------------------------


def test_salesforce_account() -> None:
    record = {
        "attributes": {
            "type": "Account",
            "url": "/services/data/v59.0/sobjects/Account/001D000000IRFmaIAH",
        },
        "Id": "001D000000IRFmaIAH",
        "Name": "Edge Communications",
        "Website": "http://www.edgecomm.com/about",
        "Industry": "Electronics",
        "Type": "Customer - Direct",
        "ParentId": "001D000000IRFmbIAH",
        "OwnerId": "005D0000001KyEIIA0",
        "BillingStreet": "312 Constitution Place\nSuite 100",
        "BillingCity": "Austin",
        "BillingState": "TX",
        "BillingPostalCode": "78767",
        "BillingCountry": "US",
        "LastModifiedDate": "2024-03-05T17:21:09.000+0000",
        "SystemModstamp": "2024-03-05T17:21:10.000+0000",
        "IsDeleted": False,
    }
    mapped = salesforce.map_account(record)
    assert mapped.external_id == "001D000000IRFmaIAH"
    assert mapped.attributes["name"] == "Edge Communications"
    assert mapped.attributes["domain"] == "edgecomm.com"
    assert mapped.attributes["status"] == "ACTIVE"
    assert mapped.attributes["billing_address"] == {
        "line1": "312 Constitution Place",
        "line2": "Suite 100",
        "city": "Austin",
        "region": "TX",
        "postal_code": "78767",
        "country": "US",
    }
    assert mapped.refs == {
        "parent_id": Ref(EntityType.CLIENT, "001D000000IRFmbIAH"),
        "account_owner_id": Ref(EntityType.RESOURCE, "005D0000001KyEIIA0"),
    }
    assert mapped.source_updated_at == datetime(2024, 3, 5, 17, 21, 10, tzinfo=UTC)
    assert mapped.concurrency_token == "2024-03-05T17:21:09.000+0000"
    assert not mapped.deleted


def test_salesforce_opportunity_stages() -> None:
    base = {
        "Id": "006D000000CqPjQIAV",
        "Name": "Edge SLA",
        "AccountId": "001D000000IRFmaIAH",
        "CloseDate": "2024-06-30",
        "Amount": 60000.0,
        "IsDeleted": True,
        "SystemModstamp": "2024-03-05T17:21:10.000+0000",
    }
    won = salesforce.map_opportunity(
        {**base, "StageName": "Closed Won", "IsClosed": True, "IsWon": True}
    )
    lost = salesforce.map_opportunity(
        {**base, "StageName": "Closed Lost", "IsClosed": True, "IsWon": False}
    )
    open_ = salesforce.map_opportunity(
        {**base, "StageName": "Prospecting", "IsClosed": False, "IsWon": False}
    )
    assert (won.attributes["status"], lost.attributes["status"], open_.attributes["status"]) == (
        "ACTIVE",
        "CANCELLED",
        "PROPOSED",
    )
    assert won.attributes["budget_amount"] == "60000"
    assert won.refs["client_id"] == Ref(EntityType.CLIENT, "001D000000IRFmaIAH")
    assert won.deleted  # in the recycle bin (queryAll)


def test_salesforce_contact_and_user() -> None:
    contact = salesforce.map_contact(
        {
            "Id": "003D000000QV9n2IAD",
            "FirstName": "Rose",
            "LastName": "Gonzalez",
            "Email": "Rose@Edge.example",
            "Phone": "(512) 757-6000",
            "Title": "SVP, Procurement",
            "Department": "Procurement",
            "ReportsToId": None,
            "IsDeleted": False,
            "SystemModstamp": "2024-01-02T03:04:05.000+0000",
        }
    )
    assert contact.attributes["email"] == "rose@edge.example"
    assert contact.attributes["family_name"] == "Gonzalez"
    user = salesforce.map_user(
        {
            "Id": "005D0000001KyEIIA0",
            "FirstName": "Ann",
            "LastName": "Lee",
            "Email": "ann@firm.example",
            "IsActive": False,
            "IsDeleted": False,
        }
    )
    assert user.attributes["status"] == "TERMINATED"


# --- Harvest v2 --------------------------------------------------------------------------------


def test_harvest_project_budget_and_billing() -> None:
    record = {
        "id": 14308069,
        "name": "Online Store - Phase 1",
        "code": "OS1",
        "is_active": True,
        "bill_by": "Project",
        "budget": 200.0,
        "budget_by": "project",
        "budget_is_monthly": False,
        "notify_when_over_budget": True,
        "over_budget_notification_percentage": 80.0,
        "show_budget_to_all": False,
        "created_at": "2017-06-26T21:52:18Z",
        "updated_at": "2017-06-26T21:54:06Z",
        "starts_on": "2017-06-01",
        "ends_on": None,
        "is_billable": True,
        "is_fixed_fee": False,
        "notes": "",
        "hourly_rate": 100.0,
        "cost_budget": None,
        "cost_budget_include_expenses": False,
        "fee": None,
        "client": {"id": 5735776, "name": "123 Industries", "currency": "EUR"},
    }
    mapped = harvest.map_project(record)
    assert mapped.attributes == {
        "name": "Online Store - Phase 1",
        "code": "OS1",
        "status": "ACTIVE",
        "billing_type": "TIME_AND_MATERIALS",
        "start_date": "2017-06-01",
        "end_date": None,
        "budget_hours": "200",
        "budget_amount": None,
        "bill_rate": "100",
        "currency": "EUR",
    }
    assert mapped.refs == {"client_id": Ref(EntityType.CLIENT, "5735776")}
    assert mapped.source_updated_at == datetime(2017, 6, 26, 21, 54, 6, tzinfo=UTC)
    archived = harvest.map_project({**record, "is_active": False, "is_billable": False})
    assert archived.deleted and archived.attributes["billing_type"] == "NON_BILLABLE"
    assert archived.attributes["status"] == "COMPLETED"


def test_harvest_user_assignment_and_time_entry_refs() -> None:
    assignment = harvest.map_user_assignment(
        {
            "id": 125068553,
            "is_project_manager": True,
            "is_active": True,
            "use_default_rates": True,
            "budget": None,
            "created_at": "2017-06-26T22:32:52Z",
            "updated_at": "2017-06-26T22:32:52Z",
            "hourly_rate": 100.0,
            "project": {"id": 14308069, "name": "Online Store - Phase 1", "code": "OS1"},
            "user": {"id": 1782959, "name": "Kim Allen"},
        }
    )
    assert assignment.refs == {
        "project_id": Ref(EntityType.PROJECT, "14308069"),
        "resource_id": Ref(EntityType.RESOURCE, "1782959"),
    }
    assert assignment.attributes == {"role": "Project Manager", "bill_rate": "100"}
    entry = harvest.map_time_entry(
        {
            "id": 636709355,
            "spent_date": "2017-03-02",
            "hours": 2.11,
            "notes": "Adding CSS",
            "is_locked": True,
            "is_closed": True,
            "is_billed": False,
            "billable": True,
            "is_running": False,
            "created_at": "2017-06-27T15:50:15Z",
            "updated_at": "2017-06-27T16:47:14Z",
            "user": {"id": 1782959, "name": "Kim Allen"},
            "client": {"id": 5735774, "name": "ABC Corp"},
            "project": {"id": 14307913, "name": "Marketing Website"},
            "task": {"id": 8083365, "name": "Graphic Design"},
        }
    )
    assert entry.attributes["hours"] == "2.11"
    assert entry.attributes["approval_state"] == "APPROVED"
    assert entry.refs["resource_id"] == Ref(EntityType.RESOURCE, "1782959")


def test_harvest_user_and_client() -> None:
    user = harvest.map_user(
        {
            "id": 1782974,
            "first_name": "Jim",
            "last_name": "Allen",
            "email": "jim@example.com",
            "telephone": "",
            "timezone": "Mountain Time (US & Canada)",
            "has_access_to_all_future_projects": False,
            "is_contractor": True,
            "is_active": True,
            "weekly_capacity": 126000,
            "default_hourly_rate": 100.0,
            "cost_rate": 50.0,
            "roles": ["Developer"],
            "created_at": "2017-06-26T22:32:52Z",
            "updated_at": "2017-06-26T22:32:52Z",
        }
    )
    assert user.attributes["employment_type"] == "CONTRACTOR"
    assert user.attributes["default_bill_rate"] == "100"
    assert user.attributes["phone"] is None
    client = harvest.map_client(
        {
            "id": 5735776,
            "name": "123 Industries",
            "is_active": True,
            "address": "123 Main St.",
            "currency": "EUR",
            "created_at": "2017-06-26T21:02:12Z",
            "updated_at": "2017-06-26T21:34:11Z",
        }
    )
    assert client.attributes == {"name": "123 Industries", "status": "ACTIVE", "currency": "EUR"}


# --- QuickBooks Online -------------------------------------------------------------------------

QBO_CUSTOMER = {
    "Taxable": False,
    "Job": False,
    "BillWithParent": False,
    "Balance": 0,
    "BillAddr": {
        "Id": "2",
        "Line1": "4581 Finch St.",
        "City": "Bayshore",
        "CountrySubDivisionCode": "CA",
        "PostalCode": "94326",
        "Country": "USA",
    },
    "CurrencyRef": {"value": "USD", "name": "United States Dollar"},
    "SalesTermRef": {"value": "3", "name": "Net 30"},
    "PreferredDeliveryMethod": "Print",
    "domain": "QBO",
    "sparse": False,
    "Id": "1",
    "SyncToken": "4",
    "MetaData": {
        "CreateTime": "2014-09-11T16:48:43-07:00",
        "LastUpdatedTime": "2015-07-01T10:09:45-07:00",
    },
    "FullyQualifiedName": "Amy's Bird Sanctuary",
    "CompanyName": "Amy's Bird Sanctuary LLC",
    "DisplayName": "Amy's Bird Sanctuary",
    "PrintOnCheckName": "Amy's Bird Sanctuary",
    "Active": True,
    "PrimaryEmailAddr": {"Address": "Birds@Intuit.com"},
    "WebAddr": {"URI": "https://www.amysbirds.example/"},
    "BusinessNumber": "12-3456789",
}


def test_quickbooks_customer() -> None:
    mapped = quickbooks.map_customer(QBO_CUSTOMER)
    assert mapped.external_id == "1"
    assert mapped.concurrency_token == "4"
    assert mapped.attributes["legal_name"] == "Amy's Bird Sanctuary LLC"
    assert mapped.attributes["payment_terms"] == "NET_30"
    assert mapped.attributes["currency"] == "USD"
    assert mapped.attributes["domain"] == "amysbirds.example"
    assert mapped.attributes["tax_id"] == "12-3456789"
    assert mapped.attributes["billing_address"]["region"] == "CA"
    assert mapped.source_updated_at == datetime(2015, 7, 1, 17, 9, 45, tzinfo=UTC)
    assert not quickbooks.is_job(QBO_CUSTOMER)


def test_quickbooks_job_is_a_project_of_its_parent() -> None:
    job = {
        **QBO_CUSTOMER,
        "Id": "7",
        "Job": True,
        "ParentRef": {"value": "1"},
        "DisplayName": "Bird survey",
        "Active": False,
    }
    mapped = quickbooks.map_job(job)
    assert quickbooks.is_job(job)
    assert mapped.refs == {"client_id": Ref(EntityType.CLIENT, "1")}
    assert mapped.attributes["status"] == "COMPLETED"
    assert mapped.deleted  # made inactive: QuickBooks' way of deleting a customer


def test_quickbooks_invoice_and_payment() -> None:
    invoice = quickbooks.map_invoice(
        {
            "Id": "130",
            "SyncToken": "0",
            "DocNumber": "1037",
            "TxnDate": "2014-11-14",
            "DueDate": "2014-12-14",
            "CurrencyRef": {"value": "USD", "name": "United States Dollar"},
            "CustomerRef": {"value": "24", "name": "Sonnenschein Family Store"},
            "TotalAmt": 362.07,
            "Balance": 100.0,
            "EmailStatus": "NotSet",
            "Line": [],
            "MetaData": {
                "CreateTime": "2014-11-14T09:35:33-08:00",
                "LastUpdatedTime": "2014-11-14T09:35:33-08:00",
            },
        }
    )
    assert invoice.attributes["status"] == "PARTIALLY_PAID"
    assert invoice.attributes["total_amount"] == "362.07"
    assert invoice.refs["client_id"] == Ref(EntityType.CLIENT, "24")
    payment = quickbooks.map_payment(
        {
            "Id": "163",
            "SyncToken": "0",
            "TxnDate": "2015-01-16",
            "TotalAmt": 65.0,
            "PaymentRefNum": "CHK-4411",
            "CurrencyRef": {"value": "USD"},
            "CustomerRef": {"value": "20", "name": "Red Rock Diner"},
            "Line": [{"Amount": 65.0, "LinkedTxn": [{"TxnId": "130", "TxnType": "Invoice"}]}],
            "MetaData": {
                "CreateTime": "2015-01-16T15:08:12-08:00",
                "LastUpdatedTime": "2015-01-16T15:08:12-08:00",
            },
        }
    )
    assert payment.refs["invoice_id"] == Ref(EntityType.INVOICE, "130")
    assert payment.attributes == {
        "paid_date": "2015-01-16",
        "currency": "USD",
        "amount": "65",
        "reference": "CHK-4411",
    }


def test_quickbooks_cdc_deletion() -> None:
    deleted = quickbooks.map_invoice(
        {
            "domain": "QBO",
            "status": "Deleted",
            "Id": "130",
            "MetaData": {"LastUpdatedTime": "2015-12-14T13:21:09-08:00"},
        }
    )
    assert deleted.deleted


# --- BambooHR ----------------------------------------------------------------------------------


def test_bamboohr_employee() -> None:
    record = {
        "id": "123",
        "firstName": "Charlotte",
        "lastName": "Abbott",
        "workEmail": "CAbbott@efficientoffice.com",
        "workPhone": "801-724-6600",
        "mobilePhone": "801-555-1234",
        "jobTitle": "Sr. HR Administrator",
        "department": "Human Resources",
        "division": "North America",
        "location": "Lindon, Utah",
        "status": "Active",
        "employmentHistoryStatus": "Full-Time",
        "hireDate": "2012-04-01",
        "terminationDate": "0000-00-00",
        "dateOfBirth": "1983-07-05",
        "ssn": "123-45-6789",
        "address1": "335 S 560 W",
        "address2": "",
        "city": "Lindon",
        "state": "UT",
        "zipcode": "84042",
        "country": "United States",
        "supervisorEId": "110",
        "lastChanged": "2024-02-20T19:18:37+00:00",
    }
    mapped = bamboohr.map_employee(record)
    assert mapped.attributes["email"] == "cabbott@efficientoffice.com"
    assert mapped.attributes["termination_date"] is None
    assert mapped.attributes["status"] == "ACTIVE"
    assert mapped.attributes["national_id"] == "123-45-6789"
    assert mapped.attributes["office"] == "Lindon, Utah"
    assert mapped.attributes["home_address"]["postal_code"] == "84042"
    assert mapped.refs == {"manager_id": Ref(EntityType.RESOURCE, "110")}
    gone = bamboohr.map_employee({**record, "status": "Inactive", "terminationDate": "2024-01-31"})
    assert gone.attributes["status"] == "TERMINATED"
    assert gone.attributes["termination_date"] == "2024-01-31"


def test_bamboohr_deleted_marker() -> None:
    mapped = map_row({"id": "41", "lastChanged": "2024-02-20T19:18:37+00:00", "__deleted__": True})
    assert mapped.deleted and mapped.external_id == "41" and mapped.attributes == {}


# --- Gusto -------------------------------------------------------------------------------------

GUSTO_EMPLOYEE: dict[str, Any] = {
    "uuid": "9779767c-6044-48e0-bf68-aeb370b9a2e7",
    "first_name": "Soren",
    "middle_initial": "A",
    "last_name": "Kierkegaard",
    "email": "knight0faith@example.com",
    "work_email": "soren@firm.example",
    "company_uuid": "c44d66dc-c41b-4a60-9e25-5e93ff8583f2",
    "manager_uuid": "3a2b1c0d-0000-4000-8000-000000000001",
    "version": "db0edd04aaac4506f7edab03ac855d56",
    "department": "Stoic Philosophy",
    "terminated": False,
    "two_percent_shareholder": False,
    "onboarded": True,
    "onboarding_status": "onboarding_completed",
    "jobs": [
        {
            "uuid": "d6d1035e-8a21-4e1d-89d5-fa894f9aff97",
            "version": "6f9b7a1b",
            "employee_uuid": "9779767c-6044-48e0-bf68-aeb370b9a2e7",
            "hire_date": "2020-01-20",
            "title": "Account Director",
            "primary": True,
            "rate": "78000.00",
            "payment_unit": "Year",
            "current_compensation_uuid": "ea8b0b90-1112-4f9d-bb93-bf029bc8537a",
            "compensations": [
                {
                    "uuid": "ea8b0b90-1112-4f9d-bb93-bf029bc8537a",
                    "version": "98jr3289h3298hr9329gf9egskt3kagri32qqgiqe3872",
                    "job_uuid": "d6d1035e-8a21-4e1d-89d5-fa894f9aff97",
                    "rate": "78000.00",
                    "payment_unit": "Year",
                    "flsa_status": "Exempt",
                    "effective_date": "2021-01-20",
                    "adjust_for_minimum_wage": False,
                }
            ],
        }
    ],
    "terminations": [],
    "phone": "1234567890",
    "date_of_birth": "1985-05-05",
    "has_ssn": True,
    "ssn": "",
    "payment_method": "Direct Deposit",
}


def test_gusto_employee_prefers_work_email() -> None:
    mapped = gusto.map_employee(GUSTO_EMPLOYEE)
    assert mapped.external_id == "9779767c-6044-48e0-bf68-aeb370b9a2e7"
    assert mapped.attributes["email"] == "soren@firm.example"
    assert mapped.attributes["title"] == "Account Director"
    assert mapped.attributes["hire_date"] == "2020-01-20"
    assert mapped.concurrency_token == "db0edd04aaac4506f7edab03ac855d56"
    assert mapped.refs["manager_id"].external_id == "3a2b1c0d-0000-4000-8000-000000000001"
    personal = gusto.map_employee({**GUSTO_EMPLOYEE, "work_email": None})
    assert personal.attributes["email"] == "knight0faith@example.com"


def test_gusto_compensation_becomes_an_hourly_cost_rate() -> None:
    [compensation] = compensations_of(GUSTO_EMPLOYEE)
    mapped = gusto.map_compensation(compensation)
    assert mapped.attributes["hourly_cost"] == "37.5"  # 78,000 / 2,080 hours
    assert mapped.attributes["effective_from"] == "2021-01-20"
    assert mapped.refs["resource_id"] == Ref(EntityType.RESOURCE, str(GUSTO_EMPLOYEE["uuid"]))
    assert gusto.hourly_cost("55.5", "Hour") == "55.5"
    assert gusto.hourly_cost("100", "Paycheck") is None
