"""The real `casetrail` command on a user's ordinary mistakes: one line, a non-zero exit, never a traceback."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from api import __version__

BIN = Path(sys.executable).parent / "casetrail"
pytestmark = pytest.mark.sqlite


def run(env: dict[str, str], *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN), *args], env=env, capture_output=True, text=True, timeout=120, check=False, cwd=cwd)


def assert_one_line_failure(done: subprocess.CompletedProcess[str], *words: str) -> str:
    assert done.returncode != 0, done.stdout
    assert "Traceback" not in done.stderr + done.stdout
    # a fresh store's first command also says it created its keys; the failure itself is one line
    lines = [line for line in done.stderr.strip().splitlines() if not line.startswith("created the ")]
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("error:"), done.stderr
    for word in words:
        assert word in lines[0]
    return lines[0]


def test_version_prints_the_package_version(env: dict[str, str]) -> None:
    done = run(env, "--version")
    assert (done.returncode, done.stdout.strip()) == (0, f"casetrail {__version__}")


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("CASETRAIL_MAX_BODY_BYTES", "1MB"),
        ("CASETRAIL_PORT", "eighty"),
        ("CASETRAIL_LOG_FORMAT", "xml"),
        ("CASETRAIL_DATABASE_URL", "mysql://db/casetrail"),
    ],
)
def test_an_invalid_setting_names_the_variable_and_exits_2(env: dict[str, str], variable: str, value: str) -> None:
    done = run({**env, variable: value}, "tokens", "list")
    line = assert_one_line_failure(done, variable, "expected")
    assert done.returncode == 2, line


def test_an_unreachable_database_never_prints_its_password(env: dict[str, str]) -> None:
    url = "postgresql://casetrail:s3cret-pw@127.0.0.1:1/casetrail"
    for command in (["tokens", "list"], ["migrate"], ["audit", "verify"]):
        done = run({**env, "CASETRAIL_DATABASE_URL": url}, *command)
        line = assert_one_line_failure(done, "127.0.0.1")
        assert "s3cret-pw" not in done.stderr + done.stdout, command
        assert "***" in line, command


def test_audit_verify_of_an_unknown_case_is_one_line(env: dict[str, str]) -> None:
    assert_one_line_failure(run(env, "audit", "verify", "--case", "00000000-0000-0000-0000-000000000000"), "no case")
    assert_one_line_failure(run(env, "audit", "verify", "--case", "not-a-uuid"), "no case")


def test_audit_verify_of_a_missing_or_bad_checkpoint_is_one_line(env: dict[str, str], tmp_path: Path) -> None:
    assert_one_line_failure(run(env, "audit", "verify", "--checkpoint", str(tmp_path / "none.json")), "none.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    assert_one_line_failure(run(env, "audit", "verify", "--checkpoint", str(bad)), "bad.json")


def test_tokens_revoke_of_an_unknown_token_is_one_line(env: dict[str, str]) -> None:
    assert_one_line_failure(run(env, "tokens", "revoke", "nope"), "not a token id")
    assert_one_line_failure(run(env, "tokens", "revoke", "00000000-0000-0000-0000-000000000000"), "refused")


def test_tokens_create_with_an_unknown_department_lists_the_valid_codes(env: dict[str, str]) -> None:
    done = run(env, "tokens", "create", "--name", "x", "--role", "handler", "--department", "nowhere")
    assert_one_line_failure(done, "unknown_department", "econ-info")


def test_a_bad_directory_file_is_one_line(env: dict[str, str], tmp_path: Path) -> None:
    done = run({**env, "CASETRAIL_DIRECTORY_FILE": str(tmp_path / "missing.json")}, "tokens", "list")
    assert_one_line_failure(done, "missing.json")


def test_piped_output_is_not_wrapped_at_80_columns(env: dict[str, str]) -> None:
    name = "a token whose name is long enough to pass eighty columns when listed " * 2
    assert run(env, "tokens", "create", "--name", name, "--role", "auditor").returncode == 0
    listed = run(env, "tokens", "list").stdout
    assert any(line.rstrip().endswith(name.strip()) for line in listed.splitlines()), listed


def test_demo_on_a_store_with_demo_data_changes_nothing_and_exits_non_zero(env: dict[str, str]) -> None:
    assert run(env, "demo", "--cases", "3").returncode == 0
    before = run(env, "tokens", "list").stdout
    done = run(env, "demo", "--cases", "3")
    assert_one_line_failure(done, "already holds the demo data")
    assert run(env, "tokens", "list").stdout == before


def test_track_in_the_future_is_refused_without_dry_run_or_allow_future(env: dict[str, str]) -> None:
    later = (datetime.now(UTC) + timedelta(days=30)).isoformat()
    assert run(env, "tokens", "create", "--name", "x", "--role", "auditor").returncode == 0
    assert_one_line_failure(run(env, "track", "--now", later), "future", "--dry-run", "--allow-future")
    dry = run(env, "track", "--now", later, "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "dry run: nothing was recorded" in dry.stdout
    allowed = run(env, "track", "--now", later, "--allow-future")
    assert allowed.returncode == 0, allowed.stderr
    assert "dry run" not in allowed.stdout


def test_audit_keygen_writes_the_public_key_and_verify_checks_the_signature_with_it(
    env: dict[str, str], tmp_path: Path
) -> None:
    key = tmp_path / "signing.pem"
    assert run(env, "audit", "keygen", "--out", str(key)).returncode == 0
    public = tmp_path / "signing.pem.pub"
    assert public.read_text(encoding="utf-8").startswith("-----BEGIN PUBLIC KEY-----")
    assert run(env, "tokens", "create", "--name", "x", "--role", "auditor").returncode == 0
    checkpoint = tmp_path / "checkpoint.json"
    signed_env = {**env, "CASETRAIL_SIGNING_KEY_FILE": str(key)}
    assert run(signed_env, "audit", "checkpoint", "--out", str(checkpoint)).returncode == 0

    good = run(env, "audit", "verify", "--checkpoint", str(checkpoint), "--public-key", str(public))
    assert good.returncode == 0, good.stdout + good.stderr
    assert "signature valid" in good.stdout

    saved = json.loads(checkpoint.read_text(encoding="utf-8"))
    unsigned = tmp_path / "unsigned.json"
    unsigned.write_text(json.dumps({k: v for k, v in saved.items() if k != "signature"}), encoding="utf-8")
    missing = run(env, "audit", "verify", "--checkpoint", str(unsigned), "--public-key", str(public))
    assert missing.returncode == 1
    assert "signature MISSING" in missing.stdout

    forged = tmp_path / "forged.json"
    forged.write_text(json.dumps({**saved, "signature": saved["signature"][::-1]}), encoding="utf-8")
    bad = run(env, "audit", "verify", "--checkpoint", str(forged), "--public-key", str(public))
    assert bad.returncode == 1
    assert "signature INVALID" in bad.stdout


def test_audit_verify_counts_what_it_checked_and_names_streams_without_a_chain(env: dict[str, str]) -> None:
    assert run(env, "tokens", "create", "--name", "x", "--role", "auditor").returncode == 0
    done = run(env, "audit", "verify")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "checked 1 streams, 1 events" in done.stdout
    assert "1 streams carry no chain (casetrail:TokenIndexed): the token index" in done.stdout


def test_tokens_with_markup_in_their_name_are_created_and_listed_verbatim(env: dict[str, str]) -> None:
    name = "[/]科室[bold]"
    created = run(env, "tokens", "create", "--name", name, "--role", "admin")
    listed = run(env, "tokens", "list")
    assert (created.returncode, listed.returncode) == (0, 0), created.stderr + listed.stderr
    assert name in created.stdout and name in listed.stdout
