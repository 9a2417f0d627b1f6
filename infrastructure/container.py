"""Builds the service from settings: the one place where layers are wired together."""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from eventsourcing.persistence import InfrastructureFactory, OperationalError, ProgrammingError
from eventsourcing.utils import Environment, get_topic

from application.aggregate_cache import AggregateCache
from application.audit import AuditService
from application.case_execution import CaseExecutor
from application.case_queries import CaseQueries
from application.cases import CaseService
from application.personal_data import AccessLogQueries, PersonalDataReader
from application.ports import Clock
from application.project_execution import ProjectExecutor
from application.project_views import ProjectViews
from application.projections import all_projections
from application.projections.base import Projection, Worker
from application.projections.cases import CasesProjection
from application.projects import ProjectService
from application.rates import WriteLimiter
from application.reports import ReportService
from application.retention import PrivacyService
from application.store import EventStore
from application.tokens import TokenService
from application.tracking import TrackingService
from application.views import PositionWaiter, ViewService
from application.zone_report import ZoneReportService
from domain.directory import Directory
from domain.policy import DEFAULT_POLICY
from domain.schedule import Schedule
from infrastructure.access_log import MemoryAccessLog, SqlAccessLog
from infrastructure.calendar import ChinaWorkingCalendar, Overrides
from infrastructure.clock import SystemClock
from infrastructure.directory import load_directory
from infrastructure.integrity import Seal, SealingMapper, load_key
from infrastructure.key_table import KeyTable
from infrastructure.personal_data import AesPersonalData, MasterKeyError, load_master_key
from infrastructure.replica import ReplicaCaseQueries, ReplicaRecorder, ReplicaRoute, ReplicaViews, replica_status
from infrastructure.sealed_store import StoreRefused, check_schema, open_sealed, record_schema
from infrastructure.settings import POOL, Settings, SettingsError, redact
from infrastructure.signing import Ed25519Signer
from infrastructure.token_cache import TokenCache
from infrastructure.views.project_reader import SqlProjectReader
from infrastructure.views.reader import SqlViewReader
from infrastructure.views.report_reader import SqlReportReader
from infrastructure.views.store import PostgresViewStore, SQLiteViewStore, SqlViews
from infrastructure.views.tracking_reader import SqlTrackingReader


@dataclass
class Container:
    settings: Settings
    store: EventStore
    clock: Clock
    directory: Directory
    schedule: Schedule
    cases: CaseService
    queries: CaseQueries
    tokens: TokenService
    views: SqlViews
    projections: list[Projection]
    view_service: ViewService
    audit: AuditService
    tracking: TrackingService
    projects: ProjectService
    project_views: ProjectViews
    zone_reports: ZoneReportService
    reports: ReportService
    personal_data: AesPersonalData
    access_log: AccessLogQueries
    privacy: PrivacyService
    replica: ReadReplica | None = None

    def workers(self, batch_size: int = 1000) -> list[Worker]:
        return [Worker(self.store, p, self.views, batch_size) for p in self.projections]

    def close(self) -> None:
        """Close the store's connections; safe to call more than once."""
        if not getattr(self, "_closed", False):
            self._closed = True
            self.store.close()
            self.views.close()
            if self.replica is not None:
                self.replica.close()
            if self.tokens.cache is not None:
                self.tokens.cache.close()


def build(settings: Settings, *, clock: Clock | None = None, create_tables: bool = True) -> Container:
    """Construct every long-lived object once (the library's applications own connection pools)."""
    clock = clock or SystemClock()
    directory = load_directory(settings.directory_file)
    overrides = Overrides.load(settings.calendar_file) if settings.calendar_file else None
    schedule = Schedule(ChinaWorkingCalendar(overrides), DEFAULT_POLICY)
    seal = integrity_seal(settings, create=create_tables)
    try:
        store = EventStore(
            env=settings.eventsourcing_env(create_table=create_tables), sealing=lambda m: SealingMapper(m, seal)
        )
        stored_schema = check_schema(store.recorder, may_upgrade=create_tables)
        open_sealed(store.recorder, seal, may_seal=create_tables)
    except OperationalError as e:
        raise SettingsError(
            f"cannot open the store at {settings.safe_database_url}: {redact(str(e)).strip()}. Check that the "
            "database is running and CASETRAIL_DATABASE_URL is right, then run `casetrail migrate`."
        ) from e
    except StoreRefused as e:
        raise SettingsError(str(e)) from e
    personal_data = open_personal_data(settings, store, create=create_tables)
    if settings.backend == "sqlite" and create_tables:
        private(settings.sqlite_path)
    limiter = WriteLimiter(settings.write_rates)
    executor = CaseExecutor(store, clock, limiter, AggregateCache(settings.aggregate_cache))
    access_log = SqlAccessLog(store.recorder) if settings.backend != "memory" else MemoryAccessLog()
    reader = PersonalDataReader(personal_data, access_log, clock, lambda i: executor.load(i).personal_data_erased)
    views = build_views(settings, create_tables)
    projections = all_projections(store.mapper)
    if create_tables:
        for projection in projections:
            views.ensure(projection)
        record_schema(store.recorder, stored_schema)  # every step above has run: the store is at this release's version
    tokens = TokenService(
        store, clock, directory, TokenCache(settings.database_url) if settings.backend == "postgresql" else None
    )
    queries = CaseQueries(executor, reader, tokens.names)
    opened = open_replica(settings, views, seal, clock, reader, queries)
    replica = opened[0] if opened else None
    if opened:
        queries = opened[1]
    # Views, reports and case reads go to the replica when there is one; commands (and what they check, such as
    # a project's visibility) to the primary.
    read_views = cast(SqlViews, replica.views) if replica else views
    view_reader = SqlViewReader(read_views)
    head = lambda: store.recorder.max_notification_id() or 0  # noqa: E731 - the primary's head: what was written
    wait = PositionWaiter(view_reader.position, head=head)
    project_reader = SqlProjectReader(views)
    primary_wait = PositionWaiter(project_reader.position, head=head) if replica else wait
    project_executor = ProjectExecutor(store, clock, limiter, AggregateCache(settings.aggregate_cache))
    projects = ProjectService(project_executor, project_reader, tokens.names, primary_wait)
    read_projects = SqlProjectReader(read_views) if replica else project_reader
    project_views = ProjectViews(read_projects, clock, wait)
    report_reader = SqlReportReader(read_views)
    cases = CaseService(executor, schedule, directory, personal_data, projects.is_visible)
    return Container(
        settings=settings,
        store=store,
        clock=clock,
        directory=directory,
        schedule=schedule,
        cases=cases,
        queries=queries,
        tokens=tokens,
        views=views,
        projections=projections,
        view_service=ViewService(view_reader, project_views.warnings, wait, directory),
        audit=AuditService(
            store,
            Ed25519Signer.from_file(settings.signing_key_file) if settings.signing_key_file else None,
            personal=reader,
            names=tokens.names,
        ),
        tracking=TrackingService(
            executor, schedule, SqlTrackingReader(views), preview=CasesProjection(store.mapper).decode
        ),
        projects=projects,
        project_views=project_views,
        zone_reports=ZoneReportService(report_reader, read_projects, directory, clock, wait),
        reports=ReportService(report_reader, directory, clock, wait),
        personal_data=personal_data,
        access_log=AccessLogQueries(access_log),
        privacy=PrivacyService(store, cases),
        replica=replica,
    )


class ReadReplica:
    """The read side on a streaming replica: its event store (reads only, opened at its first use, since opening
    it connects and the replica may be down when the service starts), its views, and the route that falls back to
    the primary when it does not answer."""

    def __init__(self, open_store: Callable[[], EventStore], views: ReplicaViews) -> None:
        self._open_store = open_store
        self._store: EventStore | None = None
        self._lock = threading.Lock()
        self.views, self.route = views, views.route

    @property
    def store(self) -> EventStore:
        with self._lock:
            if self._store is None:
                self._store = self._open_store()
            return self._store

    def status(self, projections: list[str], head: int) -> dict[str, Any]:
        return replica_status(self.views.replica, self.route, projections, head)

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
        self.views.close()  # the replica's own views


def open_replica(
    settings: Settings, views: SqlViews, seal: Seal, clock: Clock, personal: PersonalDataReader, primary: CaseQueries
) -> tuple[ReadReplica, CaseQueries] | None:
    """The replica of CASETRAIL_READ_DATABASE_URL and the case queries on it, opened without touching it (it may be
    down: reads then go to the primary); None without one. Nothing is created there: a hot standby is read-only,
    and its tables are the primary's, streamed."""
    if settings.read_database_url is None:
        return None
    replica_settings = settings.replica
    if replica_settings is None:
        raise SettingsError(
            "CASETRAIL_READ_DATABASE_URL: a read replica streams from a PostgreSQL primary; "
            "CASETRAIL_DATABASE_URL is not PostgreSQL"
        )
    env = {
        **replica_settings.eventsourcing_env(create_table=False),
        "APPLICATION_RECORDER_TOPIC": get_topic(ReplicaRecorder),
    }
    raw = build_views(replica_settings, create_tables=False)
    pools: list[Any] = [raw.datastore.pool]

    def open_store() -> EventStore:
        store = EventStore(env=env, sealing=lambda m: SealingMapper(m, seal))  # the same key opens the same rows
        pools.append(store.recorder.datastore.pool)  # type: ignore[attr-defined]
        return store

    # When a replica read fails, every idle pooled connection is tested and the dead ones replaced (after a replica
    # restart all of them are dead), so one read falls back instead of one per pooled connection.
    route = ReplicaRoute(redact(settings.read_database_url), on_failure=lambda: [pool.check() for pool in pools])
    replica = ReadReplica(open_store, ReplicaViews(raw, views, route))
    queries = ReplicaCaseQueries(
        lambda: CaseQueries(CaseExecutor(replica.store, clock), personal, primary.names), primary, route
    )
    return replica, queries


def private(path: Path) -> None:
    """The SQLite file and its journal readable by the service's user alone: the database holds personal data."""
    for part in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        if part.exists():
            part.chmod(0o600)


def integrity_seal(settings: Settings, *, create: bool) -> Seal:
    """The seal of this store's rows, from the key file (created with the store); in memory, a key of the
    process."""
    path = settings.integrity_key_path
    if path is None:
        return Seal(secrets.token_bytes(32))
    try:
        return Seal(load_key(path, create=create))
    except (OSError, ValueError) as e:
        raise SettingsError(f"CASETRAIL_INTEGRITY_KEY_FILE: {e}") from e


def open_personal_data(settings: Settings, store: EventStore, *, create: bool) -> AesPersonalData:
    """The personal-data sealer under the master key, checked against the store's keys: a missing or wrong
    master key stops start-up here with what to do, never later as a failed or empty read. The key file is
    created only for a store that has no personal data sealed yet."""
    keys = KeyTable(store.recorder)
    path = settings.master_key_path
    try:
        if path is None:
            master = secrets.token_bytes(32)
        else:
            fresh = keys.check_value() is None and keys.count() == 0
            master = load_master_key(path, create=create and fresh)
        sealer = AesPersonalData(master, keys)
        sealer.check_master_key(may_set=create)
    except (MasterKeyError, OSError) as e:
        raise SettingsError(f"CASETRAIL_MASTER_KEY_FILE: {e}") from e
    except (ProgrammingError, OperationalError) as e:
        raise SettingsError(f"the personal-data key table cannot be read ({e}): run `casetrail migrate`") from e
    return sealer


def open_log_and_views(
    settings: Settings, pool: tuple[int, int] = (1, 2)
) -> tuple[EventStore, SqlViews, list[Projection]]:
    """What a rebuild's folding process needs (`infrastructure/views/rebuild.py`): the log, read and unsealed, the
    views and the projections, on small pools (its three threads use one store and two view connections at most)
    and nothing else of the service: no tables made, no key created, no token cache."""
    seal = integrity_seal(settings, create=False)
    store = EventStore(
        env=settings.eventsourcing_env(create_table=False, pool=pool), sealing=lambda m: SealingMapper(m, seal)
    )
    open_sealed(store.recorder, seal, may_seal=False)  # the wrong key stops it here, not as a failed decode
    return store, build_views(settings, False, pool), all_projections(store.mapper)


def build_views(settings: Settings, create_tables: bool, pool: tuple[int, int] = POOL) -> SqlViews:
    env = Environment("casetrail_views", settings.views_env(create_table=create_tables, pool=pool))
    factory = InfrastructureFactory.construct(env)
    view_class = PostgresViewStore if settings.backend == "postgresql" else SQLiteViewStore
    views = factory.tracking_recorder(view_class)
    assert isinstance(views, SqlViews)
    return views
