"""GET /v1/reports/departments in-process: JSON and CSV, the period, the zone filter and who may read it."""

from __future__ import annotations

import csv
import io

import pytest
from fastapi.testclient import TestClient

from application.reports import COLUMNS
from infrastructure.container import Container
from tests.http.scenario import Tokens, auth, register, step, tier2_life_with_redo

URL = "/v1/reports/departments"
PERIOD = {"from": "2026-11-01", "to": "2026-11-30"}


def scenario(client: TestClient, container: Container, t: Tokens) -> int:
    """One tier-2 case with a redo round (econ-info, co finance and housing) and one withdrawn before dispatch;
    returns the position of the last event, for `min_position` (the app's own projection loop applies it)."""
    tier2_life_with_redo(client, t)
    withdrawn = register(client, t.coordinator)
    return int(step(client, t.coordinator, withdrawn["id"], "withdrawal", {"reason": "企业自行解决"})["position"])


def by_department(items: list[dict[str, object]]) -> dict[object, dict[str, object]]:
    return {row["department"]: row for row in items}


def test_json_report_counts_the_case(client: TestClient, container: Container, tokens: Tokens) -> None:
    position = scenario(client, container, tokens)
    r = client.get(URL, params={**PERIOD, "min_position": position}, headers=auth(tokens.reporter))
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["from"], body["to"], body["policy_version"]) == ("2026-11-01", "2026-11-30", "2026.2")
    rows = by_department(body["items"])
    assert len(rows) == len(container.directory) + 1
    # Signed for and contacted the same day; round 1 dissatisfied and unsolved, round 2 very satisfied and solved.
    assert rows["econ-info"] == {
        "department": "econ-info",
        "name": "区经济和信息化局",
        "zone": None,
        "dispatched": 1,
        "co_handled": 0,
        "response_rate": 1.0,
        "resolution_rate": 0.5,
        "satisfaction_rate": 0.5,
        "composite": 0.65,
        "on_time_rate": 1.0,
        "avg_working_days": 0.0,
        "open": 0,
        "overdue": 0,
        "returns": 0,
        "redos": 1,
        "withdrawals": 0,
        "policy_version": "2026.2",
    }
    assert (rows["finance"]["co_handled"], rows["housing"]["co_handled"]) == (1, 1)
    assert rows["finance"]["response_rate"] is None
    assert (rows["undispatched"]["withdrawals"], rows["undispatched"]["open"]) == (1, 0)


def test_csv_report_has_a_header_and_a_line_per_department(
    client: TestClient, container: Container, tokens: Tokens
) -> None:
    position = scenario(client, container, tokens)
    params = {**PERIOD, "min_position": position}
    r = client.get(URL, params=params, headers=auth(tokens.coordinator, Accept="text/csv"))
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/csv")
    lines = list(csv.reader(io.StringIO(r.text)))
    assert lines[0] == list(COLUMNS)
    assert len(lines) == 1 + len(container.directory) + 1
    econ = next(line for line in lines if line[0] == "econ-info")
    figures = ["1", "0", "1.0", "0.5", "0.5", "0.65", "1.0", "0.0", "0", "0", "0", "1", "0", "2026.2"]
    assert econ == ["econ-info", "区经济和信息化局", "", *figures]


def test_the_period_defaults_to_this_month_to_date(client: TestClient, tokens: Tokens) -> None:
    body = client.get(URL, headers=auth(tokens.auditor)).json()
    assert (body["from"], body["to"]) == ("2026-11-01", "2026-11-26")


def test_zone_filter(client: TestClient, tokens: Tokens) -> None:
    r = client.get(URL, params={**PERIOD, "zone": "zone-2"}, headers=auth(tokens.reporter))
    assert [row["department"] for row in r.json()["items"]] == ["yongning"]


@pytest.mark.parametrize(
    ("params", "rule"),
    [
        ({"from": "2026-12-01", "to": "2026-11-01"}, "invalid_period"),
        ({"from": "2026-13-01"}, "invalid_input"),
        ({"zone": "zone-9"}, "unknown_zone"),
    ],
)
def test_bad_input_is_422(client: TestClient, tokens: Tokens, params: dict[str, str], rule: str) -> None:
    r = client.get(URL, params=params, headers=auth(tokens.reporter))
    assert (r.status_code, r.json()["rule"]) == (422, rule)


@pytest.mark.parametrize("who", ["enterprise", "lead", "admin"])
def test_enterprises_handlers_and_admins_get_403(client: TestClient, tokens: Tokens, who: str) -> None:
    r = client.get(URL, params=PERIOD, headers=auth(getattr(tokens, who)))
    assert (r.status_code, r.json()["rule"]) == (403, "role_not_permitted")


def test_no_token_is_401(client: TestClient) -> None:
    assert client.get(URL).status_code == 401


def test_openapi_documents_the_report(client: TestClient) -> None:
    operation = client.get("/openapi.json").json()["paths"][URL]["get"]
    assert "三率" in operation["description"]
    assert {"application/json", "text/csv"} <= operation["responses"]["200"]["content"].keys()
    assert {p["name"] for p in operation["parameters"]} == {"from", "to", "zone", "min_position"}
