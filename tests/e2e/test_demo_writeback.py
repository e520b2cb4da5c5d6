"""`crosswalk demo` end to end: a mutation over HTTP reaches the sandbox system that owns the
field, through the outbox worker running inside the served process."""

from __future__ import annotations

import httpx

from connectors.sandbox.apps import CREDENTIALS
from tests.e2e.server import free_port, start_server


def test_a_mutation_in_the_demo_is_written_to_the_owning_sandbox_system(
    server_env: dict[str, str],
) -> None:
    sandbox_port = free_port()
    proc, server = start_server(
        ["demo", "--scale", "0.05", "--sandbox-port", str(sandbox_port)], server_env
    )
    try:
        with httpx.Client(base_url=server.base_url, headers=server.headers, timeout=30) as api:
            found = api.post(
                "/graphql",
                json={
                    "query": """{ clients(first: 50) { edges { node { id version
                        crosswalks { system externalId } } } } }"""
                },
            ).json()["data"]["clients"]["edges"]
            client = next(
                e["node"]
                for e in found
                if "salesforce" in {c["system"] for c in e["node"]["crosswalks"]}
            )
            account_id = next(
                c["externalId"] for c in client["crosswalks"] if c["system"] == "salesforce"
            )
            result = api.post(
                "/graphql",
                json={
                    "query": """mutation($input: UpdateClientInput!) {
                        updateClient(input: $input, waitSeconds: 20) {
                          writes { system status reason } errors { code message } } }""",
                    "variables": {
                        "input": {
                            "id": client["id"],
                            "expectedVersion": client["version"],
                            "industry": "Demo Aerospace",
                        }
                    },
                },
            ).json()["data"]["updateClient"]
        assert result["errors"] == []
        assert result["writes"] == [{"system": "salesforce", "status": "APPLIED", "reason": None}]
        creds = CREDENTIALS["salesforce"]
        account = httpx.get(
            f"http://127.0.0.1:{sandbox_port}/salesforce/services/data/"
            f"{creds['api_version']}/sobjects/Account/{account_id}",
            headers={"Authorization": f"Bearer {creds['access_token']}"},
        ).json()
        assert account["Industry"] == "Demo Aerospace"
    finally:
        proc.terminate()
        proc.wait(timeout=20)
