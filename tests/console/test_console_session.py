"""Sign-in sessions and anti-forgery: cookie attributes, CSRF refusal, revoked tokens, throttling."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.console.conftest import form_fields, hidden, sign_in
from tests.http.scenario import Tokens, auth


def test_root_leads_to_the_sign_in_page(client: TestClient) -> None:
    assert client.get("/", follow_redirects=False).headers["location"] == "/console/"
    page = client.get("/console/")
    assert page.status_code == 200
    assert 'type="password"' in page.text and "访问令牌" in page.text


def test_sign_in_sets_an_httponly_strict_cookie_without_the_token(client: TestClient, tokens: Tokens) -> None:
    page = client.get("/console/sign-in")
    answer = client.post(
        "/console/sign-in",
        data={"token": tokens.coordinator, "nonce": hidden(page.text, "nonce"), "next": "/console/"},
        follow_redirects=False,
    )
    cookie = next(v for k, v in answer.headers.multi_items() if k == "set-cookie" and "casetrail_session=" in v)
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie.replace("Strict", "strict")
    assert "Max-Age=43200" in cookie and "Secure" not in cookie
    assert tokens.coordinator not in cookie
    assert "工作台" in client.get("/console/").text


def test_the_cookie_is_secure_when_configured(container, tokens: Tokens) -> None:  # type: ignore[no-untyped-def]
    from api.app import create_app

    container.settings = container.settings.model_copy(update={"cookie_secure": True})
    with TestClient(create_app(lambda: container), base_url="https://testserver") as c:
        page = c.get("/console/sign-in")
        answer = c.post(
            "/console/sign-in",
            data={"token": tokens.coordinator, "nonce": hidden(page.text, "nonce")},
            follow_redirects=False,
        )
        assert "Secure" in answer.headers["set-cookie"]


def test_a_wrong_token_is_refused_and_throttled(client: TestClient) -> None:
    for attempt in range(21):
        page = client.get("/console/sign-in")
        answer = client.post("/console/sign-in", data={"token": "ct_wrong", "nonce": hidden(page.text, "nonce")})
        if attempt < 20:
            assert answer.status_code == 401 and "访问令牌无效" in answer.text
    assert answer.status_code == 429 and "尝试次数过多" in answer.text


def test_sign_in_without_its_form_nonce_is_refused(client: TestClient, tokens: Tokens) -> None:
    client.get("/console/sign-in")
    answer = client.post("/console/sign-in", data={"token": tokens.coordinator, "nonce": "forged"})
    assert answer.status_code == 403
    assert "casetrail_session" not in answer.headers.get("set-cookie", "")


def test_a_form_without_the_anti_forgery_token_is_refused(client: TestClient, tokens: Tokens) -> None:
    sign_in(client, tokens.coordinator)
    answer = client.post("/console/sign-out", data={})
    assert answer.status_code == 403 and "防伪" in answer.text
    assert client.get("/console/").status_code == 200  # still signed in: nothing happened


def test_a_post_from_another_site_is_refused(client: TestClient, tokens: Tokens) -> None:
    sign_in(client, tokens.coordinator)
    csrf = hidden(client.get("/console/").text, "csrf")
    answer = client.post("/console/sign-out", data={"csrf": csrf}, headers={"Origin": "https://evil.example"})
    assert answer.status_code == 403


def test_sign_out_ends_the_session_for_every_copy_of_the_cookie(client: TestClient, tokens: Tokens) -> None:
    sign_in(client, tokens.coordinator)
    stolen = client.cookies.get("casetrail_session")
    csrf = hidden(client.get("/console/").text, "csrf")
    assert client.post("/console/sign-out", data={"csrf": csrf}, follow_redirects=False).status_code == 303
    client.cookies.set("casetrail_session", stolen or "")
    answer = client.get("/console/", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/console/sign-in"


def test_a_revoked_tokens_session_is_refused_on_its_next_request(client: TestClient, tokens: Tokens) -> None:
    sign_in(client, tokens.lead)
    assert client.get("/console/").status_code == 200
    listed = client.get("/v1/tokens", headers=auth(tokens.admin)).json()["items"]
    token_id = next(t["id"] for t in listed if t["role"] == "handler" and "econ-info" in t["name"])
    assert client.delete(f"/v1/tokens/{token_id}", headers=auth(tokens.admin)).status_code == 204
    answer = client.get("/console/", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/console/sign-in"


def test_pages_answer_with_a_content_security_policy_of_self_only(client: TestClient, tokens: Tokens) -> None:
    sign_in(client, tokens.coordinator)
    policy = client.get("/console/").headers["content-security-policy"]
    assert "default-src 'self'" in policy and "http" not in policy
    docs = client.get("/docs").text
    assert "cdn" not in docs and "/console/static/vendor/swagger-ui/swagger-ui-bundle.js" in docs
    assert "fonts.googleapis" not in client.get("/redoc").text
    assert client.get("/console/static/vendor/htmx/htmx.min.js").status_code == 200
    assert form_fields(client.get("/console/cases/new").text, "/console/cases/new")["csrf"]
