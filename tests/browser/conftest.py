"""A real `casetrail serve` on a temporary SQLite file, driven through Debian's Chromium by Playwright.

Under CI=true a missing Chromium or Playwright fails these tests (as a missing PostgreSQL does), never skips them.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import BIN, Server, start, stop

ARTIFACTS = Path(__file__).parent / "artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = pytest.mark.browser


def _require(what: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{what} is required under CI=true (.ci/run installs chromium)")
    pytest.skip(f"{what} not available")


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _require("playwright (pip install -e '.[dev]')")
    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if executable is None:
        _require("chromium (apt-get install -y chromium fonts-noto-cjk)")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CASETRAIL_")}
    env["CASETRAIL_DATABASE_URL"] = f"sqlite:///{tmp_path / 'console.db'}"
    s = start(env, tmp_path)
    yield s
    stop(s)


def issue(server: Server, role: str, **scope: str) -> str:
    args = [f"--{k.replace('_', '-')}={v}" for k, v in scope.items()]
    return server.cli("tokens", "create", "--name", NAMES.get((role, *scope.values()), role), "--role", role, *args)


NAMES = {
    ("coordinator",): "王敏",
    ("handler", "econ-info"): "张伟",
    ("handler", "ecology"): "刘洋",
}


@dataclass
class Person:
    """One person's browser context: every request and console message is kept for the assertions."""

    page: Any
    host: str
    requests: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def goto(self, path: str) -> None:
        self.page.goto(self.host + path)

    def shot(self, name: str) -> None:
        ARTIFACTS.mkdir(exist_ok=True)
        self.page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)

    def sign_in(self, token: str) -> None:
        self.goto("/")
        self.page.get_by_label("访问令牌").fill(token)
        self.page.get_by_role("button", name="登录").click()
        self.page.wait_for_url("**/console/**")

    def open_action(self, name: str) -> None:
        details = self.page.locator(f"#act-{name}")
        if details.get_attribute("open") is None:
            details.locator("summary").click()


@pytest.fixture
def people(chromium: Any, server: Server) -> Iterator[Any]:
    contexts = []

    def person(width: int = 1366, height: int = 768) -> Person:
        context = chromium.new_context(viewport={"width": width, "height": height}, locale="zh-CN")
        contexts.append(context)
        page = context.new_page()
        p = Person(page, server.url)
        page.on("request", lambda r: p.requests.append(r.url))
        page.on("console", lambda m: p.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: p.errors.append(str(e)))
        return p

    yield person
    for c in contexts:
        c.close()


def token_of(output: str) -> str:
    return output.strip().splitlines()[-1].strip()


__all__ = ["BIN", "Person", "issue", "token_of"]
