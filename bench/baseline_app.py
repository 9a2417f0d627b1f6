"""The HTTP benchmark's baseline (issue #7): the obvious FastAPI + eventsourcing case service.

What a team would write in an afternoon from the eventsourcing library's documentation, and nothing cleverer: an
`Aggregate` with `@event` methods, an `Application` whose commands are `get`, call, `save`, persistence chosen by
the library's standard environment variables with every other setting at its default (connection pool, no
snapshots, no aggregate cache, JSON transcoder), and plain `def` FastAPI routes run in FastAPI's threadpool.

    .venv/bin/python -m bench.baseline_app --port 8101 [--host 127.0.0.1] [--database-url postgresql://...]

Without --database-url, the POSTGRES_* (and any other eventsourcing) environment variables apply, each falling
back to the default in `Cases.env`: the database casetrail_bench_baseline on 127.0.0.1:5432 as user postgres. The
database must exist; the library creates its table (cases_events) in it. `seed_baseline` makes signed-for cases
ready for progress notes, directly through the Application rather than over HTTP.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import ClassVar, cast
from urllib.parse import unquote, urlsplit
from uuid import UUID

import uvicorn
from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import Aggregate, event
from eventsourcing.persistence import IntegrityError
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel


class RuleBrokenError(ValueError):
    """A command the case's current state does not allow (HTTP 409)."""


class Case(Aggregate):
    """A case: registered, dispatched to a department, signed for by a handler, then progress notes."""

    @event("Registered")
    def __init__(self, title: str, description: str, enterprise: str) -> None:
        self.title = title
        self.description = description
        self.enterprise = enterprise
        self.department: str | None = None
        self.handler: str | None = None
        self.notes: list[str] = []

    @event("Dispatched")
    def dispatch(self, department: str) -> None:
        self.department = department

    @event("SignedFor")
    def sign_for(self, handler: str) -> None:
        self.handler = handler

    def log_progress(self, note: str) -> None:
        # The rule is checked here, outside the @event method, whose body also runs when the event is replayed.
        if self.handler is None:
            raise RuleBrokenError("progress can be logged only once the case is signed for")
        self._log_progress(note)

    @event("ProgressLogged")
    def _log_progress(self, note: str) -> None:
        self.notes.append(note)


class Cases(Application[UUID]):
    """The case commands, each `repository.get` (replaying the case's every event), call, `save`."""

    # Defaults for the library's standard variables; the process environment overrides them, and `env=` overrides
    # both.
    env: ClassVar[dict[str, str]] = {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": "casetrail_bench_baseline",
        "POSTGRES_HOST": "127.0.0.1",
        "POSTGRES_PORT": "5432",
        "POSTGRES_USER": "postgres",
        "POSTGRES_PASSWORD": "",
        "CREATE_TABLE": "true",
    }

    def register(self, title: str, description: str, enterprise: str) -> UUID:
        case = Case(title=title, description=description, enterprise=enterprise)
        self.save(case)
        return case.id

    def dispatch(self, case_id: UUID, department: str) -> int:
        case = self.get(case_id)
        case.dispatch(department)
        self.save(case)
        return case.version

    def sign_for(self, case_id: UUID, handler: str) -> int:
        case = self.get(case_id)
        case.sign_for(handler)
        self.save(case)
        return case.version

    def progress(self, case_id: UUID, note: str) -> int:
        case = self.get(case_id)
        case.log_progress(note)
        self.save(case)
        return case.version

    def get(self, case_id: UUID) -> Case:
        return cast(Case, self.repository.get(case_id))


def postgres_env(database_url: str) -> dict[str, str]:
    """The library's standard variables for a postgresql://user:password@host:port/dbname URL."""
    url = urlsplit(database_url)
    return {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": unquote(url.path.lstrip("/")),
        "POSTGRES_HOST": url.hostname or "127.0.0.1",
        "POSTGRES_PORT": str(url.port or 5432),
        "POSTGRES_USER": unquote(url.username or "postgres"),
        "POSTGRES_PASSWORD": unquote(url.password or ""),
    }


def open_cases(database_url: str | None = None) -> Cases:
    """The Application on `database_url`, or else as the environment (then `Cases.env`) configures it."""
    return Cases(env=postgres_env(database_url) if database_url else None)


class NewCase(BaseModel):
    title: str
    description: str
    enterprise: str


class Dispatch(BaseModel):
    department: str


class SignFor(BaseModel):
    handler: str


class Progress(BaseModel):
    note: str


class Created(BaseModel):
    id: UUID


class Changed(BaseModel):
    id: UUID
    version: int


class CaseView(BaseModel):
    id: UUID
    version: int
    title: str
    description: str
    enterprise: str
    department: str | None
    handler: str | None
    notes: list[str]


def create_app(cases: Cases) -> FastAPI:
    """The HTTP API over `cases`: unknown case 404; a broken rule or a concurrent write to the same case 409."""

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        cases.close()

    app = FastAPI(title="casetrail benchmark baseline", lifespan=lifespan)

    @app.exception_handler(AggregateNotFoundError)
    async def not_found(_: Request, error: AggregateNotFoundError) -> JSONResponse:
        return JSONResponse({"detail": "no such case"}, status_code=404)

    @app.exception_handler(RuleBrokenError)
    async def rule_broken(_: Request, error: RuleBrokenError) -> JSONResponse:
        return JSONResponse({"detail": str(error)}, status_code=409)

    @app.exception_handler(IntegrityError)
    async def conflict(_: Request, error: IntegrityError) -> JSONResponse:
        # Optimistic concurrency: another request saved a new version of the case first.
        return JSONResponse({"detail": "the case was changed at the same time; try again"}, status_code=409)

    @app.post("/cases", status_code=201)
    def register(body: NewCase) -> Created:
        return Created(id=cases.register(body.title, body.description, body.enterprise))

    @app.post("/cases/{case_id}/dispatch")
    def dispatch(case_id: UUID, body: Dispatch) -> Changed:
        return Changed(id=case_id, version=cases.dispatch(case_id, body.department))

    @app.post("/cases/{case_id}/sign-for")
    def sign_for(case_id: UUID, body: SignFor) -> Changed:
        return Changed(id=case_id, version=cases.sign_for(case_id, body.handler))

    @app.post("/cases/{case_id}/progress")
    def progress(case_id: UUID, body: Progress) -> Changed:
        return Changed(id=case_id, version=cases.progress(case_id, body.note))

    @app.get("/cases/{case_id}")
    def get(case_id: UUID) -> CaseView:
        case = cases.get(case_id)
        return CaseView(
            id=case.id,
            version=case.version,
            title=case.title,
            description=case.description,
            enterprise=case.enterprise,
            department=case.department,
            handler=case.handler,
            notes=case.notes,
        )

    return app


def seed_baseline(cases: Cases | str, count: int) -> list[UUID]:
    """Save `count` registered, dispatched and signed-for cases in one transaction; returns their ids.

    `cases` is the Application or a database URL (opened and closed here).
    """
    if isinstance(cases, str):
        app = open_cases(cases)
        try:
            return seed_baseline(app, count)
        finally:
            app.close()
    seeded = []
    for n in range(count):
        case = Case(
            title=f"诉求{n} 蒸汽管道",
            description="核药车间需要蒸汽保证洁净环境，原有蒸汽通道没有接入路径。",
            enterprise="远大医药（中国）有限公司",
        )
        case.dispatch("econ-info")
        case.sign_for("bench-lead")
        seeded.append(case)
    cases.save(*seeded)
    return [case.id for case in seeded]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.baseline_app", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8101)
    parser.add_argument("--database-url", help="postgresql://user:password@host:port/dbname (else POSTGRES_* vars)")
    parser.add_argument("--workers", type=int, default=1, help="processes sharing the port (uvicorn's workers)")
    args = parser.parse_args(argv)
    if args.workers == 1:
        uvicorn.run(create_app(open_cases(args.database_url)), host=args.host, port=args.port, log_level="warning")
        return
    if args.database_url:  # each worker process builds its app from the environment
        os.environ.update(postgres_env(args.database_url))
    uvicorn.run(
        "bench.baseline_app:from_environment",
        factory=True,
        workers=args.workers,
        host=args.host,
        port=args.port,
        log_level="warning",
    )


def from_environment() -> FastAPI:
    """The app of one worker process of `--workers N`, on the database the POSTGRES_* variables name."""
    return create_app(open_cases())


if __name__ == "__main__":
    # Run the module imported under its own name rather than this `__main__` copy: the library stores each event's
    # class as "module:Class", and "__main__:Case.Registered" is not readable by any other process (the seeder).
    from bench.baseline_app import main as imported_main

    imported_main()
