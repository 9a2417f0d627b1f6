"""The house rules of STYLE.md: which layer may import which."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DRIVERS = {
    "psycopg",
    "psycopg_pool",
    "sqlite3",
    "fastapi",
    "starlette",
    "uvicorn",
    "typer",
    "rich",
    "chinese_calendar",
    "holidays",
}
FORBIDDEN = {
    "domain": {
        "application",
        "infrastructure",
        "api",
        "eventsourcing.application",
        "eventsourcing.persistence",
        "eventsourcing.postgres",
        "eventsourcing.sqlite",
        "eventsourcing.popo",
        *DRIVERS,
    },
    "application": {"infrastructure", "api", "eventsourcing.postgres", "eventsourcing.sqlite", *DRIVERS},
    "infrastructure": {"api", "fastapi", "starlette", "typer"},
}


def imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def violations(layer: str) -> list[str]:
    bad = []
    for path in sorted((ROOT / layer).rglob("*.py")):
        for name in imports(path):
            if any(name == f or name.startswith(f + ".") for f in FORBIDDEN[layer]):
                bad.append(f"{path.relative_to(ROOT)} imports {name}")
    return bad


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_layer_imports_only_what_it_may(layer: str) -> None:
    assert violations(layer) == []


def test_the_layering_check_catches_a_violation(tmp_path: Path) -> None:
    module = tmp_path / "bad.py"
    module.write_text("import psycopg\nfrom api.app import create_app\n")
    assert imports(module) == {"psycopg", "api.app"}
