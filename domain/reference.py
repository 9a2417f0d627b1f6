"""Human reference numbers (QY-2026-000123): one append-only log per prefix and year, never reused."""

from __future__ import annotations

import re
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import DomainEvent
from eventsourcing.utils import register_topic

from domain.values import Kind

PREFIXES = {Kind.ENTERPRISE_PROBLEM: "QY", Kind.PROJECT_ISSUE: "XM"}
REFERENCE = re.compile(r"^[A-Z]{2}-\d{4}-\d{6}$")  # as `format_reference` writes them


class ReferenceAllocated(DomainEvent):
    """The log's version is the sequence number; saving it beside the case makes allocation atomic."""

    TOPIC = "casetrail:ReferenceAllocated"
    reference: str
    case_id: str


register_topic(ReferenceAllocated.TOPIC, ReferenceAllocated)


def reference_log_id(kind: Kind, year: int) -> UUID:
    return uuid5(NAMESPACE_URL, f"/casetrail/references/{PREFIXES[kind]}-{year}")


def as_reference(text: str) -> str | None:
    """The reference number people typed (in any case, with spaces around), or None when it is not one."""
    reference = text.strip().upper()
    return reference if REFERENCE.match(reference) else None


def format_reference(kind: Kind, year: int, number: int) -> str:
    return f"{PREFIXES[kind]}-{year}-{number:06d}"
