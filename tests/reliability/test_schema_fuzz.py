"""Schemathesis against the served /openapi.json, with a valid token for each role: never a 5xx, and every
answer's status, content type and body as the document says."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import Server, start, stop
from tests.http.scenario import Tokens, issue_tokens

pytestmark = pytest.mark.e2e
SCHEMATHESIS = Path(sys.executable).parent / "schemathesis"
EXAMPLES = 6  # per operation and role: about 45 operations x 6 roles x 6, bounded for CI
CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, Tokens]]:
    tmp = tmp_path_factory.mktemp("fuzz")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CASETRAIL_")}
    server = start({**env, "CASETRAIL_DATABASE_URL": f"sqlite:///{tmp / 'fuzz.db'}"}, tmp)
    admin = server.cli("tokens", "create", "--name", "fuzz", "--role", "admin").strip().splitlines()[-1]
    with httpx.Client(base_url=server.url, timeout=10) as client:
        tokens = issue_tokens(client, admin)
    yield server, tokens
    stop(server)


@pytest.mark.parametrize("role", ["coordinator", "lead", "enterprise", "auditor", "reporter", "admin"])
def test_generated_requests_get_no_server_error_and_only_documented_answers(
    served: tuple[Server, Tokens], role: str
) -> None:
    server, tokens = served
    run = subprocess.run(
        [
            str(SCHEMATHESIS),
            "run",
            f"{server.url}/openapi.json",
            "-H",
            f"Authorization: Bearer {getattr(tokens, role)}",
            "-n",
            str(EXAMPLES),
            "-c",
            CHECKS,
            "--phases",
            "examples,fuzzing",
            "--seed",
            "2026",
        ],
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert run.returncode == 0, run.stdout[-4000:]
