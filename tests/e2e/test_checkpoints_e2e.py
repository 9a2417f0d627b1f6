"""A real `casetrail serve` takes signed checkpoints by itself; an auditor checks them with the public key alone."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import time
from pathlib import Path

import httpx

from tests.e2e.conftest import BIN, Server, start, stop
from tests.e2e.test_serve import admin_token
from tests.http.scenario import issue_tokens, signed_for_case


def verify(env: dict[str, str], log: Path, public: Path) -> subprocess.CompletedProcess[str]:
    args = [str(BIN), "audit", "verify", "--checkpoint", str(log), "--public-key", str(public)]
    return subprocess.run(args, env=env, capture_output=True, text=True, timeout=120, check=False)


def checkpointing_server(tmp_path: Path) -> tuple[Path, dict[str, str], Server, Path, Path]:
    """`serve` on a fresh SQLite store, checkpointing every half second; its checkpoint log and public key."""
    db = tmp_path / "cp.db"
    env = {k: v for k, v in os.environ.items() if not k.startswith("CASETRAIL_")}
    env |= {"CASETRAIL_DATABASE_URL": f"sqlite:///{db}", "CASETRAIL_CHECKPOINT_EVERY": "0.5"}
    server = start(env, tmp_path)
    return db, env, server, tmp_path / "cp.db.checkpoints.jsonl", tmp_path / "cp.db.signing-key.pem.pub"


def test_serve_checkpoints_by_itself_and_a_cut_history_fails_against_them(tmp_path: Path) -> None:
    db, env, server, log, public = checkpointing_server(tmp_path)
    try:
        with httpx.Client(base_url=server.url, timeout=10) as client:
            case = signed_for_case(client, issue_tokens(client, admin_token(server)))
        head = sqlite3.connect(db).execute("SELECT max(rowid) FROM stored_events").fetchone()[0]
        deadline = time.monotonic() + 30
        while not (log.exists() and json.loads(log.read_text().splitlines()[-1])["position"] >= head):
            assert time.monotonic() < deadline, "no checkpoint of the head within 30 s"
            time.sleep(0.2)
    finally:
        stop(server)

    assert (public.exists(), log.stat().st_mode & 0o777) == (True, 0o600)
    intact = verify(env, log, public)
    assert intact.returncode == 0, intact.stdout + intact.stderr

    with sqlite3.connect(db) as conn:  # a writer cuts the case's last event: every seal that is left still opens
        conn.execute(
            "DELETE FROM stored_events WHERE originator_id = ? AND originator_version = 3",
            (case["id"].replace("-", ""),),
        )
    cut = verify(env, log, public)
    assert cut.returncode != 0
    assert "Traceback" not in cut.stderr


def test_a_checkpoint_without_its_signature_fails_with_the_public_key(tmp_path: Path) -> None:
    _, env, server, log, public = checkpointing_server(tmp_path)
    try:
        admin_token(server)  # the store's first events (an empty store is not checkpointed)
        deadline = time.monotonic() + 30
        while not log.exists():
            assert time.monotonic() < deadline, "no checkpoint within 30 s"
            time.sleep(0.2)
    finally:
        stop(server)
    stripped = tmp_path / "stripped.jsonl"
    checkpoint = json.loads(log.read_text().splitlines()[-1])
    checkpoint.pop("signature")
    stripped.write_text(json.dumps(checkpoint) + "\n")

    assert verify(env, log, public).returncode == 0
    assert verify(env, stripped, public).returncode != 0
