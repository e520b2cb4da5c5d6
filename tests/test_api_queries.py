"""The read API answers what a client app asks: pages, filters, orderings, lookups, traversal."""

from __future__ import annotations

from typing import Any

from api_fixtures import OTHER_TENANT, data, gid, seed
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

Sessions = async_sessionmaker[AsyncSession]

CLIENT_NAMES = """
query($first: Int, $after: String, $filter: ClientFilter, $orderBy: ClientOrder) {
  clients(first: $first, after: $after, filter: $filter, orderBy: $orderBy) {
    totalCount
    edges { cursor node { name } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}
"""


def names(result: dict[str, Any], root: str = "clients", field: str = "name") -> list[str]:
    return [e["node"][field] for e in result[root]["edges"]]


async def test_clients_page_through_all_in_name_order(sessions: Sessions) -> None:
    await seed(sessions)
    first = await data(sessions, CLIENT_NAMES, {"first": 2})
    assert names(first) == ["Acme Corp", "Beta LLC"]  # the merged "Acme Corporation" is gone
    assert first["clients"]["totalCount"] == 4
    info = first["clients"]["pageInfo"]
    assert info["hasNextPage"] is True and info["hasPreviousPage"] is False
    assert info["endCursor"] == first["clients"]["edges"][-1]["cursor"]

    second = await data(sessions, CLIENT_NAMES, {"first": 2, "after": info["endCursor"]})
    assert names(second) == ["Delta 100%", "Gamma Inc"]
    assert second["clients"]["pageInfo"]["hasNextPage"] is False
    assert second["clients"]["pageInfo"]["hasPreviousPage"] is True

    third = await data(
        sessions, CLIENT_NAMES, {"first": 2, "after": second["clients"]["pageInfo"]["endCursor"]}
    )
    assert names(third) == []
    assert third["clients"]["pageInfo"]["endCursor"] is None


async def test_default_page_size_applies_without_first(sessions: Sessions) -> None:
    await seed(sessions)
    result = await data(sessions, CLIENT_NAMES)  # SETTINGS.default_page_size == 3
    assert names(result) == ["Acme Corp", "Beta LLC", "Delta 100%"]


async def test_orderings(sessions: Sessions) -> None:
    await seed(sessions)
    by_created = await data(
        sessions, CLIENT_NAMES, {"first": 10, "orderBy": {"field": "CREATED_AT"}}
    )
    assert names(by_created) == ["Beta LLC", "Delta 100%", "Acme Corp", "Gamma Inc"]
    newest = await data(
        sessions,
        CLIENT_NAMES,
        {"first": 10, "orderBy": {"field": "UPDATED_AT", "direction": "DESC"}},
    )
    assert names(newest) == ["Gamma Inc", "Acme Corp", "Delta 100%", "Beta LLC"]
    by_name_desc = await data(
        sessions, CLIENT_NAMES, {"first": 10, "orderBy": {"field": "NAME", "direction": "DESC"}}
    )
    assert names(by_name_desc) == ["Gamma Inc", "Delta 100%", "Beta LLC", "Acme Corp"]


async def test_descending_pages_continue_where_they_stopped(sessions: Sessions) -> None:
    await seed(sessions)
    order = {"field": "CREATED_AT", "direction": "DESC"}
    seen: list[str] = []
    after = None
    for _ in range(5):
        page = await data(sessions, CLIENT_NAMES, {"first": 1, "after": after, "orderBy": order})
        seen += names(page)
        after = page["clients"]["pageInfo"]["endCursor"]
        if not page["clients"]["pageInfo"]["hasNextPage"]:
            break
    assert seen == ["Gamma Inc", "Acme Corp", "Delta 100%", "Beta LLC"]


async def test_ties_are_broken_by_id_across_pages(sessions: Sessions) -> None:
    """Rows with the same sort value are neither skipped nor repeated between pages."""
    from api_fixtures import seed_many

    await seed_many(sessions, 5)  # all created in one transaction: same server timestamp
    seen: list[str] = []
    after = None
    while True:
        page = await data(
            sessions, CLIENT_NAMES, {"first": 2, "after": after, "orderBy": {"field": "CREATED_AT"}}
        )
        seen += names(page)
        after = page["clients"]["pageInfo"]["endCursor"]
        if not page["clients"]["pageInfo"]["hasNextPage"]:
            break
    assert sorted(seen) == [f"Client {i:04d}" for i in range(5)]
    assert len(seen) == 5


async def test_client_filters(sessions: Sessions) -> None:
    await seed(sessions)

    async def matching(filter: dict[str, Any]) -> list[str]:
        return names(await data(sessions, CLIENT_NAMES, {"first": 10, "filter": filter}))

    assert await matching({"search": "acme"}) == ["Acme Corp"]
    assert await matching({"search": "ACME.TEST"}) == ["Acme Corp"]  # domain
    assert await matching({"search": "100%"}) == ["Delta 100%"]  # % is text, not a wildcard
    assert await matching({"status": ["PROSPECT", "INACTIVE"]}) == ["Delta 100%", "Gamma Inc"]
    assert await matching({"currency": "usd"}) == ["Acme Corp", "Gamma Inc"]
    assert await matching({"updatedSince": "2026-01-02T09:25:00Z"}) == ["Acme Corp", "Gamma Inc"]
    # The same instant in another zone means the same thing.
    assert await matching({"updatedSince": "2026-01-02T11:25:00+02:00"}) == [
        "Acme Corp",
        "Gamma Inc",
    ]
    assert await matching({"currency": "USD", "status": ["ACTIVE"]}) == ["Acme Corp"]
    filtered = await data(sessions, CLIENT_NAMES, {"first": 1, "filter": {"currency": "USD"}})
    assert filtered["clients"]["totalCount"] == 2


async def test_project_and_resource_filters(sessions: Sessions) -> None:
    firm = await seed(sessions)
    projects = """query($filter: ProjectFilter) {
      projects(first: 10, filter: $filter) { totalCount edges { node { name } } } }"""
    by_client = await data(sessions, projects, {"filter": {"client": firm.gid("c1")}})
    assert names(by_client, "projects") == ["Apollo", "Zephyr"]
    assert by_client["projects"]["totalCount"] == 2
    active_eur = await data(
        sessions, projects, {"filter": {"status": ["ACTIVE"], "currency": "EUR"}}
    )
    assert names(active_eur, "projects") == ["Borealis"]
    by_code = await data(sessions, projects, {"filter": {"search": "ze-"}})
    assert names(by_code, "projects") == ["Zephyr"]

    resources = """query($filter: ResourceFilter) {
      resources(first: 10, filter: $filter) { edges { node { familyName } } } }"""
    engineers = await data(sessions, resources, {"filter": {"department": "engineering"}})
    assert names(engineers, "resources", "familyName") == ["Hopper", "Lovelace"]
    on_leave = await data(sessions, resources, {"filter": {"status": ["ON_LEAVE"]}})
    assert names(on_leave, "resources", "familyName") == ["Turing"]
    by_mail = await data(sessions, resources, {"filter": {"search": "grace@"}})
    assert names(by_mail, "resources", "familyName") == ["Hopper"]


async def test_lookups_by_id_and_by_any_systems_id(sessions: Sessions) -> None:
    firm = await seed(sessions)
    query = """query($id: ID, $ref: SystemRefInput) {
      client(id: $id, ref: $ref) { id name } }"""
    by_id = await data(sessions, query, {"id": firm.gid("c1")})
    assert by_id["client"] == {"id": firm.gid("c1"), "name": "Acme Corp"}
    for ref in (
        {"system": "salesforce", "externalId": "001A"},
        {"system": "erp", "externalId": "58"},  # a role works as well as a name
        {"system": "Salesforce", "externalId": "001B"},  # the merged loser's ID
    ):
        assert (await data(sessions, query, {"ref": ref}))["client"]["name"] == "Acme Corp"
    missing = await data(sessions, query, {"ref": {"system": "crm", "externalId": "nope"}})
    assert missing["client"] is None
    assert (await data(sessions, query, {"id": gid("Client", 999_999)}))["client"] is None

    project = await data(
        sessions,
        """{ project(ref: {system: "harvest", externalId: "H-1"}) { name client { name } } }""",
    )
    assert project["project"] == {"name": "Apollo", "client": {"name": "Acme Corp"}}
    resource = await data(
        sessions,
        """{ resource(ref: {system: "hris", externalId: "E-2"}) {
              givenName manager { givenName } } }""",
    )
    assert resource["resource"] == {"givenName": "Grace", "manager": {"givenName": "Ada"}}


async def test_crosswalk_returns_the_record_and_every_systems_id(sessions: Sessions) -> None:
    firm = await seed(sessions)
    query = """query($system: String!, $ext: String!) {
      crosswalk(entityType: CLIENT, system: $system, externalId: $ext) {
        entityType
        record { id ... on Client { name } }
        crosswalks { system externalId }
      } }"""
    result = await data(sessions, query, {"system": "quickbooks", "ext": "58"})
    assert result["crosswalk"] == {
        "entityType": "CLIENT",
        "record": {"id": firm.gid("c1"), "name": "Acme Corp"},
        "crosswalks": [
            {"system": "quickbooks", "externalId": "58"},
            {"system": "salesforce", "externalId": "001A"},
        ],
    }
    merged = await data(sessions, query, {"system": "salesforce", "ext": "001B"})
    assert merged["crosswalk"]["record"]["id"] == firm.gid("c1")
    assert (await data(sessions, query, {"system": "crm", "ext": "zzz"}))["crosswalk"] is None


async def test_merged_ids_resolve_to_the_survivor(sessions: Sessions) -> None:
    firm = await seed(sessions)
    result = await data(
        sessions,
        """query($id: ID!) { node(id: $id) { id ... on Client { name } }
                             client(id: $id) { id name } }""",
        {"id": firm.gid("c4")},
    )
    assert result["node"] == {"id": firm.gid("c1"), "name": "Acme Corp"}
    assert result["client"] == {"id": firm.gid("c1"), "name": "Acme Corp"}


async def test_node_fetches_every_kind_of_record(sessions: Sessions) -> None:
    firm = await seed(sessions)
    query = """query($id: ID!) { node(id: $id) { __typename id } }"""
    for name, typename in (
        ("c2", "Client"),
        ("p3", "Project"),
        ("r3", "Resource"),
        ("a1", "Assignment"),
        ("t1", "TimeEntry"),
        ("i1", "Invoice"),
    ):
        result = await data(sessions, query, {"id": firm.gid(name)})
        assert result["node"] == {"__typename": typename, "id": firm.gid(name)}


async def test_nested_traversal(sessions: Sessions) -> None:
    firm = await seed(sessions)
    result = await data(
        sessions,
        """query($id: ID!) { client(id: $id) {
            name status currency parent { name } children { name }
            accountOwner { familyName }
            projects { name status billingType budgetHours
              projectManager { givenName }
              assignments { role resource { givenName costRates { hourlyCost currency } } }
              jan: timeEntries(from: "2026-01-01", to: "2026-01-31") { spentDate hours }
              all: timeEntries { hours billable approvalState resource { givenName } }
            }
            invoices { number status totalAmount payments { amount paidDate invoice { number } } }
          } }""",
        {"id": firm.gid("c1")},
    )
    client = result["client"]
    assert client["status"] == "ACTIVE" and client["parent"] is None
    assert client["children"] == [{"name": "Beta LLC"}]
    assert client["accountOwner"] == {"familyName": "Lovelace"}
    apollo, zephyr = client["projects"]
    assert apollo["name"] == "Apollo" and zephyr["name"] == "Zephyr"
    assert apollo["billingType"] == "TIME_AND_MATERIALS"
    assert apollo["budgetHours"] == "120.50"
    assert apollo["projectManager"] == {"givenName": "Ada"}
    assert [(a["role"], a["resource"]["givenName"]) for a in apollo["assignments"]] == [
        ("Lead", "Ada"),
        ("Engineer", "Grace"),
    ]
    assert apollo["assignments"][0]["resource"]["costRates"] == [
        {"hourlyCost": "55.0000", "currency": "USD"}
    ]
    assert apollo["jan"] == [{"spentDate": "2026-01-05", "hours": "8.00"}]
    assert [(t["hours"], t["billable"], t["resource"]["givenName"]) for t in apollo["all"]] == [
        ("8.00", True, "Ada"),
        ("4.50", False, "Grace"),
    ]
    assert zephyr["assignments"] == [] and zephyr["all"] == []
    assert client["invoices"] == [
        {
            "number": "INV-1",
            "status": "PARTIALLY_PAID",
            "totalAmount": "1000.0000",
            "payments": [
                {"amount": "600.0000", "paidDate": "2026-02-20", "invoice": {"number": "INV-1"}}
            ],
        }
    ]
    beta = await data(
        sessions,
        """query($id: ID!) { client(id: $id) { parent { name } projects(first: 1) { name } } }""",
        {"id": firm.gid("c2")},
    )
    assert beta["client"] == {"parent": {"name": "Acme Corp"}, "projects": [{"name": "Borealis"}]}


async def test_source_records_crosswalks_and_lineage(sessions: Sessions) -> None:
    firm = await seed(sessions)
    result = await data(
        sessions,
        """query($id: ID!) { client(id: $id) {
            version createdAt updatedAt
            sourceRecords { system externalId payload attributes concurrencyToken deleted
                            sourceUpdatedAt fetchedAt }
            crosswalks { system externalId }
            lineage { attribute system externalId rule }
          } }""",
        {"id": firm.gid("c1")},
    )
    client = result["client"]
    assert client["version"] == 1
    assert client["createdAt"].startswith("2026-01-01T09:30:00")
    assert client["updatedAt"].startswith("2026-01-02T09:30:00")
    qb, sf = client["sourceRecords"]
    assert qb["system"] == "quickbooks" and qb["payload"]["SyncToken"] == "3"
    assert qb["concurrencyToken"] == "3" and qb["deleted"] is False
    assert qb["sourceUpdatedAt"] is None
    assert sf["attributes"] == {"name": "Acme Corp"}
    assert sf["sourceUpdatedAt"].startswith("2026-01-01T09:00:00")
    assert client["crosswalks"] == [
        {"system": "quickbooks", "externalId": "58"},
        {"system": "salesforce", "externalId": "001A"},
    ]
    assert client["lineage"] == [
        {
            "attribute": "legal_name",
            "system": "quickbooks",
            "externalId": "58",
            "rule": "owner:erp",
        },
        {"attribute": "name", "system": "salesforce", "externalId": "001A", "rule": "owner:crm"},
    ]


async def test_another_tenants_rows_never_appear(sessions: Sessions) -> None:
    firm = await seed(sessions)
    other = firm.ids["x1"]
    listed = await data(sessions, CLIENT_NAMES, {"first": 100, "filter": {"search": "acme"}})
    assert names(listed) == ["Acme Corp"]
    query = """query($id: ID!) { node(id: $id) { id } client(id: $id) { id }
      byRef: client(ref: {system: "salesforce", externalId: "001X"}) { id }
      crosswalk(entityType: CLIENT, system: "salesforce", externalId: "001X") { entityType } }"""
    result = await data(sessions, query, {"id": gid("Client", other)})
    assert result == {"node": None, "client": None, "byRef": None, "crosswalk": None}

    # And the other way round: the other tenant sees only its own client.
    theirs = await data(sessions, CLIENT_NAMES, {"first": 100}, tenant=OTHER_TENANT)
    assert names(theirs) == ["Acme Corp (other firm)"]
    assert theirs["clients"]["totalCount"] == 1
    mine = await data(
        sessions,
        """query($id: ID!) { node(id: $id) { id } }""",
        {"id": firm.gid("c1")},
        tenant=OTHER_TENANT,
    )
    assert mine["node"] is None
