"""The `casetrail` command: serve, migrate, tokens and demo data."""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from typing import Annotated, NoReturn

import typer
from rich.progress import Progress, TaskID

from api import __version__
from api.cli_audit import audit_cli
from api.cli_common import fail, open_container, out, settings_or_fail
from api.cli_privacy import privacy_cli
from api.cli_tracking import calendar_cli, track
from domain.errors import DomainError
from domain.rules import Refusal
from domain.values import CLI, Role
from infrastructure.clock import FixedClock
from infrastructure.container import build
from infrastructure.postgres_admin import ensure_database
from infrastructure.sealed_store import SCHEMA_VERSION
from infrastructure.settings import SettingsError

cli = typer.Typer(
    help="casetrail: event-sourced case management.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,  # a bug prints a plain traceback; user mistakes never reach one (main)
)
tokens_cli = typer.Typer(help="Issue, list and revoke access tokens.", no_args_is_help=True)
cli.add_typer(tokens_cli, name="tokens")
projections_cli = typer.Typer(help="Inspect and rebuild the projections (views and reports).", no_args_is_help=True)
cli.add_typer(projections_cli, name="projections")
cli.add_typer(audit_cli, name="audit")
cli.add_typer(calendar_cli, name="calendar")
cli.add_typer(privacy_cli, name="privacy")


def _version(value: bool) -> None:
    if value:
        print(f"casetrail {__version__}")
        raise typer.Exit()


@cli.callback()
def root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """casetrail: event-sourced case management."""


@cli.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Interface to listen on [default: CASETRAIL_HOST].")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on [default: CASETRAIL_PORT].")] = None,
    access_log: Annotated[bool, typer.Option(help="Log every request (uvicorn's access log).")] = True,
    workers: Annotated[
        int, typer.Option(min=1, help="API processes sharing the port (PostgreSQL only; SQLite runs one).")
    ] = 1,
) -> None:
    """Run the HTTP API (on SQLite it creates its tables itself)."""
    import uvicorn

    from infrastructure.logs import configure_logging, logging_config
    from infrastructure.metrics_dir import multiprocess_metrics

    settings = settings_or_fail()
    host, port = host or settings.host, port or settings.port
    configure_logging(settings)
    open_container(create_tables=True).close()  # fail fast, with a clear message, before binding the port
    embedded = settings.backend == "sqlite"
    if embedded and workers > 1:
        fail("on SQLite one process serves (it also runs the projections); use --workers 1")
    out.print(f"casetrail on http://{host}:{port}  (docs: http://{host}:{port}/docs, store: {settings.backend})")
    if not embedded:
        out.print("projections and tracking are not run by this process: start `casetrail worker` beside it")
    with multiprocess_metrics(workers):
        uvicorn.run(
            "api.app:from_environment",
            factory=True,
            workers=workers,
            host=host,
            port=port,
            log_config=logging_config(settings),
            log_level=settings.log_level,
            access_log=access_log,
            # X-Forwarded-For is believed only from the proxies named (none by default): otherwise any client
            # could pose as any address, and dodge the failed-authentication throttle.
            proxy_headers=bool(settings.trusted_proxies),
            forwarded_allow_ips=settings.trusted_proxies or "",
            timeout_keep_alive=5,
            limit_concurrency=settings.max_connections,
        )


@cli.command()
def migrate() -> None:
    """Create the database (PostgreSQL) and the tables; safe to run again."""
    settings = settings_or_fail()
    if settings.backend == "postgresql":
        try:
            created = ensure_database(settings.database_url)
        except Exception as e:  # any failure to reach the server is the operator's to fix: say it in one line
            fail(f"cannot reach PostgreSQL at {settings.safe_database_url}: {e}")
        if created:
            out.print("created the database")
    open_container(create_tables=True).close()
    out.print(f"tables are in place ({settings.backend}, schema version {SCHEMA_VERSION})")


@tokens_cli.command("create")
def tokens_create(
    name: Annotated[str, typer.Option(help="Who or what the token is for.")],
    role: Annotated[Role, typer.Option(help="The role it carries.")],
    department: Annotated[str | None, typer.Option(help="Department code (handlers).")] = None,
    credit_code: Annotated[str | None, typer.Option(help="Unified social credit code (enterprises).")] = None,
) -> None:
    """Issue a token; its secret is printed once, as the last line."""
    container = open_container()
    try:
        issued = container.tokens.issue(CLI, name=name, role=role, department=department, credit_code=credit_code)
    except DomainError as e:
        codes = ", ".join(d.code for d in container.directory) if e.rule == "unknown_department" else ""
        fail(f"refused ({e.rule}): {e.detail}" + (f"; valid department codes: {codes}" if codes else ""))
    finally:
        container.close()
    token = issued.token
    out.print(
        f"token {token.id} for {token.name}: role {token.role}, department {token.department or '-'}, "
        f"credit code {token.credit_code or '-'}. Keep the secret below; it is not shown again.",
        markup=False,  # a name is what a person typed: never read as Rich markup
    )
    print(issued.secret)


@tokens_cli.command("list")
def tokens_list() -> None:
    """List every token (without secrets)."""
    container = open_container()
    try:
        for t in container.tokens.list_all(CLI):
            state = f"revoked {t.revoked_at:%Y-%m-%d %H:%M}" if t.revoked_at else "active"
            line = f"{t.id}  {t.role:<11} {t.department or t.credit_code or '-':<20} {state:<24} {t.name}"
            out.print(line, markup=False, highlight=False)
    finally:
        container.close()


@tokens_cli.command("revoke")
def tokens_revoke(token_id: Annotated[str, typer.Argument(help="The token's id (from `tokens list`).")]) -> None:
    """Revoke a token at once."""
    from uuid import UUID

    try:
        parsed = UUID(token_id)
    except ValueError:
        fail(f"{token_id!r} is not a token id (see `casetrail tokens list`)")
    container = open_container()
    try:
        container.tokens.revoke(CLI, parsed)
    except Refusal as e:
        fail(f"refused ({e.rule}): {e.detail}")
    finally:
        container.close()
    out.print(f"revoked {token_id}")


@cli.command()
def demo(
    cases: Annotated[int, typer.Option(help="How many cases to load.")] = 100,
    seed: Annotated[int, typer.Option(help="Random seed, for a repeatable data set.")] = 2026,
) -> None:
    """Load a realistic data set: ~20 enterprises, cases in every state, and one token per role."""
    from api.demo import DEMO_DAYS, has_demo_data, load_demo

    settings = settings_or_fail()
    clock = FixedClock(datetime.now(UTC) - timedelta(days=DEMO_DAYS))
    try:
        container = build(settings, clock=clock, create_tables=True)
    except (SettingsError, ValueError) as e:
        fail(str(e))
    try:
        if has_demo_data(container):
            fail("this store already holds the demo data; nothing was changed (use an empty store for another)")
        with Progress(console=out) as bar:
            task = bar.add_task("loading demo cases", total=cases)
            summary = load_demo(
                container, clock, cases=cases, seed=seed, progress=lambda done: bar.update(task, completed=done)
            )
    finally:
        container.close()
    out.print(f"loaded {summary.cases} cases; statuses: {summary.statuses}")
    out.print("tokens, one per role (keep them; they are not shown again):")
    for label, secret in summary.tokens.items():
        out.print(f"  {label}:")
        print(f"    {secret}")  # plain print: no wrapping, so the secret copies whole
    out.print("sign in to the console at http://127.0.0.1:8000/ (after `casetrail serve`) with one of these tokens")


@cli.command()
def worker(
    metrics_port: Annotated[
        int | None, typer.Option(help="Serve this worker's Prometheus metrics (tracking runs) on this port.")
    ] = None,
) -> None:
    """Run the projections and the minutely tracking job (PostgreSQL: several may run; one does each job)."""
    import signal
    import threading

    from infrastructure.checkpoint_runner import start_checkpoints
    from infrastructure.logs import configure_logging
    from infrastructure.tracking_runner import start_tracking
    from infrastructure.views.runner import AdvisoryLocks, ProjectionLoop, collect_less_often

    settings = settings_or_fail()
    configure_logging(settings)
    collect_less_often()
    if metrics_port:
        from prometheus_client import start_http_server

        start_http_server(metrics_port, addr=settings.host)
    container = open_container()
    locks = AdvisoryLocks(settings.database_url) if settings.backend == "postgresql" else None
    loop = ProjectionLoop(container.workers(settings.projection_batch), lock=locks)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    out.print(f"worker running {', '.join(p.name for p in container.projections)} on {settings.backend}")
    loop.start()
    stop_tracking = start_tracking(container)
    stop_checkpoints = start_checkpoints(container)
    stop.wait()
    stop_tracking()
    if stop_checkpoints:
        stop_checkpoints()
    loop.stop()
    if locks:
        locks.close()
    container.close()


@projections_cli.command("status")
def projections_status() -> None:
    """Position, generation and lag of every projection, and any generation being rebuilt or left unfinished."""
    from infrastructure.views.status import generations_not_live, projection_status

    container = open_container()
    try:
        status = projection_status(container)
        others = generations_not_live(container)
    finally:
        container.close()
    out.print(f"event log head: {status['head']}")
    for p in status["projections"]:
        out.print(f"  {p['name']:<10} generation {p['generation']:<3} position {p['position']:<10} lag {p['lag']}")
        for g in others.get(p["name"], []):
            what = (
                "being rebuilt"
                if g["building"]
                else "left unfinished by a rebuild that stopped; the next `casetrail projections rebuild` drops it"
            )
            out.print(f"  {'':<10} generation {g['generation']:<3} position {g['position']:<10} {what}")


@projections_cli.command("rebuild")
def projections_rebuild(
    name: Annotated[str | None, typer.Argument(help="One projection; all when omitted.")] = None,
) -> None:
    """Rebuild into new tables; readers see the old view until the new one has caught up."""
    from infrastructure.views.rebuild import processes_for, rebuild, rebuild_all

    container = open_container()  # a rebuild runs with the garbage collector paused (`paused_gc`)
    chosen = [p for p in container.projections if name in (None, p.name)]
    if not chosen:
        known = ", ".join(p.name for p in container.projections)
        container.close()
        fail(f"no projection {name!r}; known: {known}")
    try:
        with Progress(console=out) as bar:
            count = processes_for(container)
            folded = f" (folded in {count} processes)" if count > 1 else ""
            if len(chosen) > 1:  # one read of the log for all of them
                task = bar.add_task(f"rebuilding {', '.join(p.name for p in chosen)}{folded}", total=None)
                generations = rebuild_all(
                    container,
                    chosen,
                    lambda done, head: bar.update(task, completed=done, total=max(head, 1)),
                    notice=out.print,
                )
                live = ", ".join(f"{n}: generation {g}" for n, g in generations.items())
                bar.update(task, description=f"live: {live}{folded}")
                return
            for projection in chosen:
                task = bar.add_task(f"rebuilding {projection.name}{folded}", total=None)

                def show(done: int, head: int, task: TaskID = task) -> None:
                    bar.update(task, completed=done, total=max(head, 1))

                generation = rebuild(container, projection, show, notice=out.print)
                bar.update(task, description=f"{projection.name}: generation {generation} is live{folded}")
    finally:
        container.close()


cli.command()(track)


def main() -> None:
    """The entry point: a user's mistake that surfaces as an exception ends in one line, never a traceback."""
    from eventsourcing.persistence import InterfaceError, OperationalError

    from infrastructure.integrity import Tampered
    from infrastructure.views.rebuild import RebuildFailed

    try:
        cli()
    except SettingsError as e:
        _last_words(str(e))
    except (OperationalError, InterfaceError) as e:
        _last_words(f"the database is unreachable or refused the request: {e}")
    except Refusal as e:
        _last_words(f"refused ({e.rule}): {e.detail}")
    except OSError as e:  # a file named on the command line or in a setting: missing, unreadable
        _last_words(str(e))
    except RebuildFailed as e:  # its process logged any unexpected error's traceback; the live view is unchanged
        _last_words(str(e))
    except Tampered as e:  # a row changed behind casetrail's back, met while reading the whole log
        _last_words(f"a stored row fails its integrity check: {e}; run `casetrail audit verify` to find every one")


def _last_words(message: str) -> NoReturn:
    try:
        fail(message)
    except typer.Exit as e:
        sys.exit(e.exit_code)
