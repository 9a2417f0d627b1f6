"""An auditor against a real server: an event edited in the SQLite file is named by verification."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import Server, start, stop
from tests.e2e.test_serve import admin_token
from tests.http.scenario import auth, issue_tokens, signed_for_case

pytestmark = pytest.mark.e2e


@pytest.fixture
def sqlite_server(tmp_path: Path) -> Iterator[Server]:
    """This test edits the SQLite file itself; tampering on PostgreSQL is in tests/integration/test_audit.py."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CASETRAIL_")}
    server = start({**env, "CASETRAIL_DATABASE_URL": f"sqlite:///{tmp_path / 'audit.db'}"}, tmp_path)
    yield server
    stop(server)


def test_an_event_edited_in_the_sqlite_file_fails_verification_at_its_version(sqlite_server: Server) -> None:
    server = sqlite_server
    url = server.env["CASETRAIL_DATABASE_URL"]
    with httpx.Client(base_url=server.url, timeout=10) as client:
        tokens = issue_tokens(client, admin_token(server))
        case = signed_for_case(client, tokens)
        path = f"/v1/cases/{case['id']}/verification"
        assert client.get(path, headers=auth(tokens.auditor)).json() == {
            "ok": True,
            "events_checked": 3,
            "first_broken_version": None,
            "snapshots_checked": 0,
            "broken_snapshots": [],
        }
        with sqlite3.connect(url.removeprefix("sqlite:///")) as db:
            state = db.execute(
                "SELECT state FROM stored_events WHERE originator_id = ? AND originator_version = 2",
                (case["id"].replace("-", ""),),
            ).fetchone()[0]
            db.execute(
                "UPDATE stored_events SET state = ? WHERE originator_id = ? AND originator_version = 2",
                (state.replace(b"econ-info", b"econ-infx"), case["id"].replace("-", "")),
            )
        assert client.get(path, headers=auth(tokens.auditor)).json() == {
            "ok": False,
            "events_checked": 3,
            "first_broken_version": 2,
            "snapshots_checked": 0,
            "broken_snapshots": [],
        }
        for token in (tokens.coordinator, tokens.reporter):
            assert client.get(path, headers=auth(token)).status_code == 403
            assert client.get("/v1/audit/events", headers=auth(token)).status_code == 403
        feed = client.get("/v1/audit/events", headers=auth(tokens.auditor), params={"limit": 500}).json()["items"]
        assert [i["position"] for i in feed] == sorted(i["position"] for i in feed)
        checkpoint = client.get("/v1/audit/checkpoint", headers=auth(tokens.auditor)).json()
        assert checkpoint["position"] == feed[-1]["position"] and len(checkpoint["root"]) == 64
