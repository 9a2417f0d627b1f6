"""/metrics in-process: valid Prometheus text (read by prometheus_client's own parser), every family with HELP
and TYPE, requests by route template and status, commands by outcome, projection position and lag."""

from __future__ import annotations

from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from tests.http.scenario import Tokens, auth, register, step

DISPATCH = {"tier": "handling", "lead_department": "econ-info", "co_departments": []}


def scrape(client: TestClient) -> dict[str, dict[tuple[tuple[str, str], ...], float]]:
    """Every sample by family name, then by its sorted labels; the parser raises on malformed text."""
    r = client.get("/metrics")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/plain; version=0.0.4")
    samples: dict[str, dict[tuple[tuple[str, str], ...], float]] = {}
    for family in text_string_to_metric_families(r.text):
        for s in family.samples:
            samples.setdefault(s.name, {})[tuple(sorted(s.labels.items()))] = s.value
    return samples


def value(samples: dict, name: str, **labels: str) -> float:
    return samples.get(name, {}).get(tuple(sorted(labels.items())), 0.0)


def test_metrics_text_parses_and_every_family_has_help_and_type(client: TestClient) -> None:
    text = client.get("/metrics").text
    families = list(text_string_to_metric_families(text))
    names = {f.name for f in families}
    assert {"casetrail_http_requests", "casetrail_http_request_duration_seconds", "casetrail_commands"} <= names
    assert {"casetrail_projection_lag", "casetrail_projection_position", "casetrail_event_log_head"} <= names
    for family in families:
        assert f"# HELP {family.name}" in text or f"# HELP {family.name}_total" in text, family.name
        assert f"# TYPE {family.name} " in text or f"# TYPE {family.name}_total " in text, family.name
    # a family's TYPE line comes before all of its samples, and its samples are not interleaved with others'
    seen: list[str] = []
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            seen.append(line.split()[2])
    assert len(seen) == len(set(seen))


def test_metrics_count_requests_by_route_template_and_status(client: TestClient, tokens: Tokens) -> None:
    case = register(client, tokens.coordinator)
    route = "/v1/cases/{case_id}"
    before = scrape(client)
    client.get(f"/v1/cases/{case['id']}", headers=auth(tokens.coordinator))
    client.get(f"/v1/cases/{case['id']}", headers=auth(tokens.coordinator))
    after = scrape(client)
    labels = {"method": "GET", "route": route, "status": "200"}
    assert (
        value(after, "casetrail_http_requests_total", **labels)
        - value(before, "casetrail_http_requests_total", **labels)
        == 2
    )
    count = "casetrail_http_request_duration_seconds_count"
    assert value(after, count, route=route, status="200") - value(before, count, route=route, status="200") == 2
    assert not any(case["id"] in dict(k).get("route", "") for k in after["casetrail_http_requests_total"])


def test_metrics_count_commands_by_outcome(client: TestClient, tokens: Tokens) -> None:
    case = register(client, tokens.coordinator)
    before = scrape(client)
    headers = {**auth(tokens.coordinator), "Idempotency-Key": "metrics-1"}
    assert client.post(f"/v1/cases/{case['id']}/dispatch", json=DISPATCH, headers=headers).status_code == 200
    assert client.post(f"/v1/cases/{case['id']}/dispatch", json=DISPATCH, headers=headers).status_code == 200
    refused = client.post(f"/v1/cases/{case['id']}/dispatch", json=DISPATCH, headers=auth(tokens.coordinator))
    stale = {**auth(tokens.coordinator), "If-Match": '"1"'}
    conflict = client.post(f"/v1/cases/{case['id']}/escalation", json={"level": "urge", "reason": "r"}, headers=stale)
    assert (refused.status_code, conflict.status_code) == (409, 412)
    after = scrape(client)
    name = "casetrail_commands_total"

    def delta(outcome: str, rule: str = "", command: str = "cases_dispatch") -> float:
        labels = {"command": command, "outcome": outcome, "rule": rule}
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta("recorded") == 1
    assert delta("replayed") == 1
    assert delta("refused", refused.json()["rule"]) == 1
    assert delta("conflict", "version_mismatch", "cases_escalate") == 1


def test_metrics_report_projection_position_and_lag(client: TestClient, tokens: Tokens) -> None:
    case = register(client, tokens.coordinator)
    step(client, tokens.coordinator, case["id"], "dispatch", DISPATCH)
    client.get("/v1/views/handling", params={"min_position": case["position"]}, headers=auth(tokens.coordinator))
    samples = scrape(client)
    assert value(samples, "casetrail_event_log_head") >= case["position"]
    assert value(samples, "casetrail_projection_position", projection="cases") >= case["position"]
    assert ("projection", "cases") in {k[0] for k in samples["casetrail_projection_lag"]}
