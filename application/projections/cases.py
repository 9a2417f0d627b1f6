"""The case views: the case list, the two tier queues and open warnings, from one fold per case.

The fold is the aggregate's own: each event mutates a Case rebuilt from the stored snapshot, so the
views can never disagree with the case a handler reads.
"""

from __future__ import annotations

from typing import Any

import orjson
from eventsourcing.domain import Snapshot
from eventsourcing.persistence import JSONTranscoder, Mapper
from eventsourcing.utils import get_topic

from application.projections.base import Row, Table, table
from domain.case import Case
from domain.values import Status
from domain.warnings import open_warnings

CASE_TOPIC = get_topic(Case)
CASE_VERSION = getattr(Case, "class_version", 1)
LEVEL_RANK = {None: 0, "yellow": 1, "red": 2}

SUMMARY = table(
    "summary",
    "reference kind title description enterprise_name credit_code project_id category channel urgency status "
    "is_open:int tier lead_department co_departments round:int escalation_level warning_level due main_due co_replies "
    "extension registered_at updated_at version:int position:int",
    ("registered_at", "stream_id"),
    ("reference",),
    ("credit_code",),
    ("project_id",),
    ("tier", "is_open", "main_due"),
    one_per_stream=True,
)
DEPARTMENTS = table("departments", "department role", ("department",))
WARNINGS = table("warnings", "key level kind since department subject reference", ("department",))


class CasesProjection:
    name = "cases"
    tables: tuple[Table, ...] = (SUMMARY, DEPARTMENTS, WARNINGS)
    topics: tuple[str, ...] = ()  # every case event changes the summary (version, position, updated_at)

    def __init__(self, mapper: Mapper[Any]) -> None:
        self.mapper = mapper
        transcoder = mapper.transcoder
        self.transcodings: dict[type, Any] = dict(transcoder.types) if isinstance(transcoder, JSONTranscoder) else {}

    def fold(self, state: Case | None, event: Any) -> Case | None:
        if not isinstance(event, Case.Event):
            return state
        return event.mutate(state)

    def encode(self, state: Case) -> bytes:
        """The library's snapshot of the case in the event store's JSON format (what the store's transcoder
        decodes), written by orjson: the library's encoder costs a rebuild about a tenth of its time. Types
        orjson writes by itself are JSON's own, plus the originator's UUID, marked here as the library marks it
        (a round trip over random histories is tested equal)."""
        fields = dict(vars(state))  # what `Snapshot.take` keeps, without making a Snapshot (a tenth of a rebuild)
        del fields["_id"], fields["_version"], fields["_pending_events"]
        if CASE_VERSION > 1:  # as `Snapshot.take` marks it, so that `decode` upcasts only older states
            fields["class_version"] = CASE_VERSION
        fields["contact"] = {}  # views need no personal data, sealed or not
        snapshot = {
            "originator_id": {"_type_": "uuid_hex", "_data_": state.id.hex},
            "originator_version": state.version,
            "timestamp": state.modified_on,  # a snapshot's own time: not read back (`decode` folds `state`)
            "topic": CASE_TOPIC,
            "state": fields,
        }
        return orjson.dumps(snapshot, default=self._marked, option=orjson.OPT_PASSTHROUGH_DATETIME)

    def _marked(self, value: Any) -> dict[str, Any]:
        """A value of a type the store's transcoder knows (datetimes, decimals...), marked as it marks them."""
        transcoding = self.transcodings.get(type(value))
        if transcoding is None:
            raise TypeError(f"no transcoding for {type(value).__name__}")
        return {"_type_": transcoding.name, "_data_": transcoding.encode(value)}

    def decode(self, data: bytes) -> Case:
        snapshot = object.__new__(Snapshot)
        snapshot.__dict__.update(self.mapper.transcoder.decode(data))
        case = snapshot.mutate(None)
        assert isinstance(case, Case)
        return case

    def rows(self, case: Case, position: int) -> dict[str, list[Row]]:
        return {
            "summary": [summary_row(case, position)],
            "departments": department_rows(case),
            "warnings": warning_rows(case),
        }


def summary_row(case: Case, position: int) -> Row:
    main = case.due.get(case.main_clock)
    return {
        "reference": case.reference,
        "kind": case.kind,
        "title": case.title,
        "description": case.description,
        "enterprise_name": case.enterprise.get("name"),
        "credit_code": case.enterprise.get("credit_code"),
        "project_id": case.project_id,
        "category": case.category,
        "channel": case.channel,
        "urgency": case.urgency,
        "status": str(case.status),
        "is_open": int(Status(case.status).is_open),
        "tier": case.tier,
        "lead_department": case.lead_department,
        "co_departments": dumps(case.co_departments),
        "round": case.round,
        "escalation_level": case.escalation_level,
        "warning_level": warning_level(case),
        "due": dumps(case.due),
        "main_due": main["due"] if main else None,
        "co_replies": dumps(co_reply_status(case)),
        "extension": dumps(extension(case)),
        "registered_at": case.created_on.isoformat(),
        "updated_at": case.modified_on.isoformat(),
        "version": case.version,
        "position": position,
    }


def dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


def co_reply_status(case: Case) -> list[dict[str, Any]]:
    def status(d: str) -> str:
        return "replied" if d in case.co_replies else "waived" if d in case.waived else "pending"

    return [
        {"department": d, "status": status(d), "due": case.due.get(f"co_reply:{d}", {}).get("due")}
        for d in case.co_departments
    ]


def extension(case: Case) -> dict[str, Any]:
    return {"extended_working_days": case.extended_days, "pending": case.pending_extension}


def department_rows(case: Case) -> list[Row]:
    rows = [{"department": case.lead_department, "role": "lead"}] if case.lead_department else []
    return rows + [{"department": d, "role": "co"} for d in case.co_departments]


def warning_level(case: Case) -> str | None:
    levels = [w["level"] for w in open_warnings(case)]
    return max(levels, key=lambda lv: LEVEL_RANK.get(lv, 0)) if levels else None


def warning_rows(case: Case) -> list[Row]:
    subject = f"{case.reference} {case.title}"
    return [
        {
            "key": w["key"],
            "level": w["level"],
            "kind": w["kind"],
            "since": w["since"],
            "department": w.get("department") or case.lead_department or "service-center",
            "subject": subject,
            "reference": case.reference,
        }
        for w in open_warnings(case)
    ]
