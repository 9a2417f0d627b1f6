"""`casetrail audit`: verify hash chains, take and compare checkpoints, export the global feed."""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import Progress

from api.cli_common import err, open_container, out
from domain.values import Actor, Role

audit_cli = typer.Typer(
    help="Verify hash chains, take and check checkpoints, export the event feed.", no_args_is_help=True
)
AUDIT_CLI = Actor(id="cli", role=Role.AUDITOR)  # the operator at the console audits with the auditor's rights


def _bar(bar: Progress, label: str) -> Callable[[int, int], None]:
    task = bar.add_task(label, total=None)

    def show(done: int, total: int) -> None:
        bar.update(task, completed=done, total=max(total, 1))

    return show


@audit_cli.command("verify")
def audit_verify(
    case: Annotated[str | None, typer.Option(help="Verify one case only.")] = None,
    checkpoint: Annotated[Path | None, typer.Option(help="A checkpoint file saved earlier, to compare with.")] = None,
) -> None:
    """Recompute every hash chain (or one case's); with --checkpoint also detect cut or rewritten history."""
    from uuid import UUID

    container = open_container()
    try:
        if case:
            result = container.audit.verify_stream(AUDIT_CLI, UUID(case), "casetrail:CaseRegistered")
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
        with Progress(console=out) as bar:
            if checkpoint:
                saved = json.loads(checkpoint.read_text(encoding="utf-8"))
                report = container.audit.verify_against(saved, _bar(bar, "comparing with the checkpoint"))
            verifier, head = container.audit.scan(progress=_bar(bar, "verifying every chain"))
            snapshots, forged = container.audit.verify_snapshots(_bar(bar, "checking snapshots against events"))
    finally:
        container.close()
    broken = {str(i): c.first_broken_version for i, c in verifier.streams.items() if not c.ok}
    out.print(
        f"{len(verifier.streams)} streams, {sum(c.events for c in verifier.streams.values())} events "
        f"up to position {head}: {len(broken)} broken"
    )
    for stream, version in sorted(broken.items()):
        out.print(f"  stream {stream}: first broken version {version}")
    out.print(f"{snapshots} snapshots checked against their events: {len(forged)} differ")
    for stream_id, version in forged:
        out.print(
            f"  stream {stream_id}: the snapshot at version {version} differs from the events; reads use it, so "
            "delete it (snapshots are a cache: TRUNCATE casetrail_snapshots is always safe) and investigate"
        )
    ok = not broken and not forged
    if checkpoint:
        signature = {True: "valid", False: "INVALID", None: "not checked"}[report["signature_valid"]]
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
        err.print("[red]error:[/red] --format is jsonl or csv")
        raise typer.Exit(2)
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
    """Create an Ed25519 signing key for checkpoints; point CASETRAIL_SIGNING_KEY_FILE at it."""
    from infrastructure.signing import Ed25519Signer

    if out_file.exists():
        err.print(f"[red]error:[/red] {out_file} exists; refusing to overwrite a key")
        raise typer.Exit(2)
    Ed25519Signer.generate(out_file)
    out.print(f"wrote {out_file}; public key:")
    print(Ed25519Signer.from_file(out_file).public_key_pem())
