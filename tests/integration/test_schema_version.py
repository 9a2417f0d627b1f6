"""The store records its schema version: set-up (`migrate`, `serve`) brings an older store up to date and records
it; a worker refuses an older store until `migrate` has run; every command refuses a store newer than itself, in
one line, changing nothing."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import psycopg
import pytest

from infrastructure.container import build
from infrastructure.sealed_store import SCHEMA_VERSION
from infrastructure.settings import Settings, SettingsError
from tests.integration.test_cli_mistakes import assert_one_line_failure, run


def _execute(url: str, statement: str) -> str | None:
    """Run one statement on the store's database; the first column of its first row, if any."""
    if url.startswith("sqlite"):
        with sqlite3.connect(url.removeprefix("sqlite:///")) as conn:
            row = conn.execute(statement).fetchone()
    else:
        with psycopg.connect(url, autocommit=True) as conn:
            cursor = conn.execute(statement)
            row = cursor.fetchone() if cursor.description else None
    return None if row is None else str(row[0])


def _table(url: str) -> str:
    """The store's schema table: named after its events table, as tests/integration/tamper.py names them."""
    return "stored_schema" if url.startswith("sqlite") else "casetrail_schema"


def _stored(url: str) -> str | None:
    return _execute(url, f"SELECT value FROM {_table(url)} WHERE name = 'version'")


def _set_stored(url: str, value: int) -> None:
    _execute(url, f"UPDATE {_table(url)} SET value = '{value}'")


def _set_up(url: str) -> None:
    build(Settings(database_url=url), create_tables=True).close()


def test_a_new_store_records_this_releases_schema_version(store_url: str) -> None:
    _set_up(store_url)
    assert _stored(store_url) == str(SCHEMA_VERSION)


def test_an_older_store_is_refused_without_set_up_until_set_up_brings_it_up_to_date(store_url: str) -> None:
    _set_up(store_url)
    _execute(store_url, f"DELETE FROM {_table(store_url)}")  # as a store from before versions were recorded
    with pytest.raises(SettingsError, match=r"schema version 0 and this release needs .*casetrail migrate"):
        build(Settings(database_url=store_url), create_tables=False)
    _set_up(store_url)  # what `casetrail migrate` does
    assert _stored(store_url) == str(SCHEMA_VERSION)


def test_a_newer_store_is_refused_and_left_as_it_was(store_url: str) -> None:
    _set_up(store_url)
    _set_stored(store_url, SCHEMA_VERSION + 1)
    for may_set_up in (True, False):
        with pytest.raises(SettingsError, match=rf"schema version {SCHEMA_VERSION + 1}, newer than this release"):
            build(Settings(database_url=store_url), create_tables=may_set_up)
    assert _stored(store_url) == str(SCHEMA_VERSION + 1)


def test_serve_and_migrate_refuse_a_newer_store_in_one_line(env: dict[str, str], tmp_path: Path) -> None:
    assert run(env, "migrate").returncode == 0
    _set_stored(env["CASETRAIL_DATABASE_URL"], SCHEMA_VERSION + 1)
    for command in ("serve", "migrate"):
        done = run(env, command)
        assert_one_line_failure(done, f"schema version {SCHEMA_VERSION + 1}", "newer than this release")


def test_migrate_says_the_schema_version_it_left(env: dict[str, str]) -> None:
    done = run(env, "migrate")
    assert done.returncode == 0, done.stderr
    assert f"schema version {SCHEMA_VERSION}" in done.stdout
