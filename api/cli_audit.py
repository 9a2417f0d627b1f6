"""`casetrail audit`: verify hash chains, take and compare checkpoints, export the global feed."""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any
from uuid import UUID

import typer
from rich.progress import Progress

from api.cli_common import fail, open_container, out
from application.audit import WHY_UNCHAINED
from application.errors import NotFound
from domain.values import Actor, Role
from infrastructure.checkpoint_log import CheckpointLog, as_checkpoint
from infrastructure.container import Container

audit_cli = typer.Typer(
    help="Verify hash chains, take and check checkpoints, export the event feed.", no_args_is_help=True
)
AUDIT_CLI = Actor(id="cli", role=Role.AUDITOR)  # the operator at the console audits with the auditor's rights


def _bar(bar: Progress, label: str) -> Callable[[int, int], None]:
    task = bar.add_task(label, total=None)

    def show(done: int, total: int) -> None:
        bar.update(task, completed=done, total=max(total, 1))

    return show


def _read_checkpoint(path: Path) -> dict[str, Any]:
    """A checkpoint file, or the latest checkpoint of a checkpoint log (one JSON object a line)."""
    try:
        if not path.exists():
            raise FileNotFoundError("no such file")
        saved = CheckpointLog(path).latest() if path.suffix == ".jsonl" else json.loads(path.read_text("utf-8"))
        if saved is None:
            raise ValueError("the checkpoint log holds no checkpoint yet")
        return as_checkpoint(saved)
    except (OSError, ValueError) as e:
        fail(f"checkpoint {path}: {e}")


def _verify_case(container: Container, case: str) -> None:
    try:
        result = container.audit.verify_stream(AUDIT_CLI, UUID(case), "casetrail:CaseRegistered")
    except (ValueError, NotFound):
        container.close()
        fail(f"no case {case}")
    container.close()
    out.print(
        f"case {case}: {'ok' if result.ok else 'BROKEN'}; {result.events_checked} events checked"
        + (f"; first broken version {result.first_broken_version}" if result.first_broken_version else "")
        + (
            f"; snapshots failing their check at versions {list(result.broken_snapshots)}"
            if result.broken_snapshots
            else ""
        )
    )
    raise typer.Exit(0 if result.ok else 1)


@audit_cli.command("verify")
def audit_verify(
    case: Annotated[str | None, typer.Option(help="Verify one case only.")] = None,
    checkpoint: Annotated[
        Path | None,
        typer.Option(
            help="A checkpoint file saved earlier, or the checkpoint log (.jsonl: its latest), to compare with."
        ),
    ] = None,
    public_key: Annotated[
        Path | None,
        typer.Option(help="The signer's public key (PEM): the checkpoint's signature must be present and valid."),
    ] = None,
) -> None:
    """Recompute every hash chain (or one case's); with --checkpoint also detect cut or rewritten history."""
    from infrastructure.signing import Ed25519Verifier

    if public_key and not checkpoint:
        fail("--public-key checks a checkpoint's signature: give --checkpoint too")
    saved = _read_checkpoint(checkpoint) if checkpoint else None
    try:
        verifier_key = Ed25519Verifier.from_file(public_key) if public_key else None
    except ValueError as e:
        fail(str(e))
    container = open_container()
    if case:
        _verify_case(container, case)
    try:
        with Progress(console=out, transient=True) as bar:
            check = container.audit.verify_store(  # with a checkpoint, compared in the same pass over the log
                AUDIT_CLI,
                _bar(bar, "verifying every chain"),
                _bar(bar, "checking snapshots against events"),
                checkpoint=saved,
                public_key=verifier_key,
            )
    finally:
        container.close()
    out.print(
        f"checked {check.streams} streams, {check.events} events up to position {check.position}: "
        f"{len(check.broken)} broken"
    )
    for topic, count in check.unchained.items():
        why = WHY_UNCHAINED.get(topic, "not an aggregate's stream")
        out.print(f"  {count} streams carry no chain ({topic}): {why}")
    for stream, version in sorted(check.broken.items()):
        out.print(f"  stream {stream}: first broken version {version}")
    out.print(f"{check.snapshots} snapshots checked against their events: {len(check.differing_snapshots)} differ")
    for stream_id, version in check.differing_snapshots:
        out.print(
            f"  stream {stream_id}: the snapshot at version {version} differs from the events; reads use it, so "
            "delete it (snapshots are a cache: TRUNCATE casetrail_snapshots is always safe) and investigate"
        )
    ok = check.ok
    if saved is not None:
        report = check.checkpoint
        if report is None:  # the pass compares every checkpoint it is given: never let one pass unchecked
            fail("the checkpoint was not compared with the store")
        missing = public_key is not None and "signature" not in saved
        labels = {True: "valid", False: "MISSING" if missing else "INVALID", None: "not checked"}
        signature = labels[report["signature_valid"]]
        root = "matches" if report["root_matches"] else "DIFFERS"
        out.print(f"checkpoint at position {report['position']}: root {root}, signature {signature}")
        for stream, version in sorted(report["broken"].items()):
            out.print(f"  stream {stream}: differs from the checkpoint from version {version}")
        ok = ok and report["ok"]
    raise typer.Exit(0 if ok else 1)


@audit_cli.command("checkpoint")
def audit_checkpoint(out_file: Annotated[Path, typer.Option("--out", help="Where to write the checkpoint.")]) -> None:
    """Write a checkpoint (Merkle root, every stream's version hashes, signature) to keep outside the system."""
    container = open_container()
    try:
        with Progress(console=out) as bar:
            body = container.audit.checkpoint(AUDIT_CLI, with_hashes=True, progress=_bar(bar, "hashing"))
    finally:
        container.close()
    out_file.write_text(json.dumps(body, indent=1), encoding="utf-8")
    signed = "signed" if "signature" in body else "unsigned (set CASETRAIL_SIGNING_KEY_FILE to sign)"
    out.print(
        f"checkpoint at position {body['position']}: {body['streams']} streams, root {body['root'][:16]}…, "
        f"{signed}; written to {out_file}"
    )


@audit_cli.command("export")
def audit_export(
    since: Annotated[datetime | None, typer.Option(help="ISO time; naive means Asia/Shanghai.")] = None,
    until: Annotated[datetime | None, typer.Option(help="ISO time; naive means Asia/Shanghai.")] = None,
    fmt: Annotated[str, typer.Option("--format", help="jsonl or csv")] = "jsonl",
) -> None:
    """Stream the global feed to standard output, in position order."""
    from application.audit import FeedFilter
    from domain.schedule import as_local

    if fmt not in ("jsonl", "csv"):
        fail("--format is jsonl or csv")
    aware = [as_local(t) if t else None for t in (since, until)]
    container = open_container()
    writer = csv.writer(sys.stdout) if fmt == "csv" else None
    if writer:
        writer.writerow(["position", "stream", "version", "type", "at", "actor", "data", "hash"])
    after: int | None = 0
    try:
        while after is not None:
            items, after = container.audit.feed(AUDIT_CLI, FeedFilter(after, 500, None, aware[0], aware[1]))
            for item in items:
                row = {**item, "at": item["at"].isoformat() if item.get("at") else None}
                if writer:
                    writer.writerow(
                        [
                            row["position"],
                            row["stream"],
                            row["version"],
                            row["type"],
                            row["at"],
                            json.dumps(row["actor"], ensure_ascii=False),
                            json.dumps(row["data"], ensure_ascii=False, default=str),
                            row["hash"],
                        ]
                    )
                else:
                    print(json.dumps(row, ensure_ascii=False, default=str))
    finally:
        container.close()


@audit_cli.command("keygen")
def audit_keygen(
    out_file: Annotated[Path, typer.Option("--out", help="Where to write the private key (PEM).")],
) -> None:
    """Create an Ed25519 signing key for checkpoints (point CASETRAIL_SIGNING_KEY_FILE at it) and its public key
    beside it (`<out>.pub`), which `audit verify --public-key` needs instead of the private key."""
    from infrastructure.signing import Ed25519Signer

    public = out_file.with_name(out_file.name + ".pub")
    for path in (out_file, public):
        if path.exists():
            fail(f"{path} exists; refusing to overwrite a key")
    Ed25519Signer.generate(out_file, public)
    out.print(f"wrote {out_file} (private: keep it off the database host) and {public} (public); public key:")
    print(public.read_text(encoding="utf-8"), end="")
