"""A case's history over HTTP comes in pages: bounded answers, a cursor to go on, and a refusal for a forged one."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.http.scenario import Tokens, auth, signed_for_case, step


def test_history_in_pages_of_two_holds_every_event_once(client: TestClient, tokens: Tokens) -> None:
    case = signed_for_case(client, tokens)
    for n in range(3):
        step(client, tokens.lead, case["id"], "progress", {"note": f"进展{n}"})
    versions, cursor, pages = [], None, 0
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = client.get(f"/v1/cases/{case['id']}/history", headers=auth(tokens.auditor), params=params).json()
        assert len(page["events"]) <= 2
        versions += [e["version"] for e in page["events"]]
        pages, cursor = pages + 1, page["next_cursor"]
        if cursor is None:
            break
    assert versions == [1, 2, 3, 4, 5, 6]
    assert pages == 3


def test_history_page_with_a_forged_cursor_is_422(client: TestClient, tokens: Tokens) -> None:
    case = signed_for_case(client, tokens)
    answer = client.get(f"/v1/cases/{case['id']}/history", headers=auth(tokens.auditor), params={"cursor": "eyJ4Ijox"})
    assert answer.status_code == 422
    assert answer.json()["rule"] == "invalid_cursor"


def test_history_pages_of_an_enterprise_are_numbered_as_it_sees_them(client: TestClient, tokens: Tokens) -> None:
    case = signed_for_case(client, tokens)
    first = client.get(f"/v1/cases/{case['id']}/history", headers=auth(tokens.enterprise), params={"limit": 2}).json()
    rest = client.get(
        f"/v1/cases/{case['id']}/history", headers=auth(tokens.enterprise), params={"cursor": first["next_cursor"]}
    ).json()
    assert [e["version"] for e in first["events"] + rest["events"]] == [1, 2, 3]
    assert rest["next_cursor"] is None
