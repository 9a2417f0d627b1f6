"""Settings from the environment: validated at start, one line per mistake, and passwords never shown."""

from __future__ import annotations

import logging

import pytest

from infrastructure.logs import JsonFormatter, TextFormatter
from infrastructure.settings import Settings, SettingsError, redact


def test_settings_from_env_reads_every_documented_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {
        "CASETRAIL_DATABASE_URL": "postgresql://u:p@db:5432/casetrail",
        "CASETRAIL_HOST": "0.0.0.0",
        "CASETRAIL_PORT": "8080",
        "CASETRAIL_LOG_LEVEL": "DEBUG",
        "CASETRAIL_LOG_FORMAT": "json",
        "CASETRAIL_MAX_BODY_BYTES": "2000",
    }.items():
        monkeypatch.setenv(name, value)
    s = Settings.from_env()
    assert (s.backend, s.host, s.port, s.log_level, s.log_format, s.max_body_bytes) == (
        "postgresql",
        "0.0.0.0",
        8080,
        "debug",
        "json",
        2000,
    )


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("CASETRAIL_MAX_BODY_BYTES", "1MB", "a whole number of bytes"),
        ("CASETRAIL_MAX_BODY_BYTES", "0", "a whole number of bytes"),
        ("CASETRAIL_PORT", "70000", "a TCP port"),
        ("CASETRAIL_LOG_FORMAT", "xml", "text or json"),
        ("CASETRAIL_DATABASE_URL", "mysql://db/x", "sqlite:///"),
        ("CASETRAIL_READ_DATABASE_URL", "sqlite:///replica.db", "a streaming replica"),
    ],
)
def test_settings_from_env_names_a_bad_variable_and_what_it_expects(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, expected: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as caught:
        Settings.from_env()
    message = str(caught.value)
    assert message.startswith(f"{name}={value!r}: expected") and expected in message
    assert "\n" not in message


def test_a_read_replica_is_the_primary_settings_with_the_replica_as_database(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CASETRAIL_DATABASE_URL", "postgresql://u:p@primary:5432/casetrail")
    monkeypatch.setenv("CASETRAIL_READ_DATABASE_URL", "postgresql://u:p@replica:5433/casetrail")
    replica = Settings.from_env().replica
    assert replica is not None
    assert (replica.database_url, replica.read_database_url) == ("postgresql://u:p@replica:5433/casetrail", None)
    assert replica.eventsourcing_env()["POSTGRES_PORT"] == "5433"
    monkeypatch.delenv("CASETRAIL_READ_DATABASE_URL")
    assert Settings.from_env().replica is None


def test_a_bad_database_url_is_reported_without_its_password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CASETRAIL_DATABASE_URL", "mysql://me:hunter2@db/x")
    with pytest.raises(SettingsError) as caught:
        Settings.from_env()
    assert "hunter2" not in str(caught.value) and "me:***@db" in str(caught.value)


def test_redact_hides_passwords_in_urls_and_connection_strings() -> None:
    text = "postgresql://app:s3cret@db:5432/x failed; host=db password=s3cret user=app"
    assert "s3cret" not in redact(text)
    assert redact("postgresql://app@db/x") == "postgresql://app@db/x"


@pytest.mark.parametrize("formatter", [TextFormatter(), JsonFormatter()])
def test_log_lines_redact_passwords_even_in_tracebacks(formatter: logging.Formatter) -> None:
    try:
        raise RuntimeError("cannot connect to postgresql://app:s3cret@db/x")
    except RuntimeError:
        import sys

        record = logging.LogRecord(
            "casetrail", logging.ERROR, __file__, 1, "url %s", ("postgresql://a:s3cret@h/d",), sys.exc_info()
        )
    record.request_id = "-"
    line = formatter.format(record)
    assert "s3cret" not in line and "***" in line


def test_a_replica_url_needs_a_postgresql_primary() -> None:
    from infrastructure.container import build
    from infrastructure.settings import Settings, SettingsError

    with pytest.raises(SettingsError, match="CASETRAIL_READ_DATABASE_URL"):
        build(Settings(database_url="memory://", read_database_url="postgresql://postgres@127.0.0.1:1/casetrail"))
