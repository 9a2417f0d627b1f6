"""Problem answers point at the service's own page of their rule, and the OpenAPI document lists the rules."""

from __future__ import annotations

from fastapi.testclient import TestClient

from domain.rules import Rule


def test_problem_type_is_the_page_of_its_rule(client: TestClient) -> None:
    refused = client.get("/v1/cases")
    assert refused.status_code == 401
    assert refused.json()["type"] == "/problems/unauthenticated"
    page = client.get(refused.json()["type"])
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert Rule.UNAUTHENTICATED.zh in page.text and Rule.UNAUTHENTICATED.en in page.text


def test_problem_pages_index_lists_every_rule(client: TestClient) -> None:
    page = client.get("/problems").text
    assert all(f'href="/problems/{rule}"' in page for rule in Rule)


def test_problem_page_of_an_unknown_rule_is_not_found(client: TestClient) -> None:
    answer = client.get("/problems/no_such_rule")
    assert answer.status_code == 404
    assert answer.json()["rule"] == "not_found"


def test_openapi_problem_schema_enumerates_the_rules(client: TestClient) -> None:
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    assert set(schemas["Rule"]["enum"]) == {str(rule) for rule in Rule}
    assert schemas["Problem"]["properties"]["rule"]["anyOf"][0] == {"$ref": "#/components/schemas/Rule"}
