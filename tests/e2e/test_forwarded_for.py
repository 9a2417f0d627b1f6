"""The failed-authentication throttle of a real `casetrail serve` keys on the peer address unless proxies are named."""

from __future__ import annotations

import os
from pathlib import Path

import httpx

from tests.e2e.conftest import start, stop


def failures(url: str, count: int) -> list[int]:
    with httpx.Client(base_url=url, timeout=10) as client:
        return [
            client.get(
                "/v1/tokens", headers={"Authorization": f"Bearer ct_guess{i}", "X-Forwarded-For": f"203.0.113.{i}"}
            ).status_code
            for i in range(count)
        ]


def test_rotating_forwarded_for_does_not_dodge_the_throttle(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CASETRAIL_")}
    server = start({**env, "CASETRAIL_DATABASE_URL": f"sqlite:///{tmp_path / 'xff.db'}"}, tmp_path)
    try:
        codes = failures(server.url, 22)
    finally:
        stop(server)
    assert codes[:20] == [401] * 20
    assert codes[20:] == [429, 429]


def test_forwarded_for_from_a_named_proxy_is_the_client(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CASETRAIL_")}
    env |= {"CASETRAIL_DATABASE_URL": f"sqlite:///{tmp_path / 'xff.db'}", "CASETRAIL_TRUSTED_PROXIES": "127.0.0.1"}
    server = start(env, tmp_path)
    try:
        codes = failures(server.url, 22)
    finally:
        stop(server)
    assert codes == [401] * 22  # each forwarded address is its own client behind the trusted proxy
