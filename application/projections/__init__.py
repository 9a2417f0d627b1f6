"""The projections casetrail runs, by name."""

from __future__ import annotations

from typing import Any

from eventsourcing.persistence import Mapper

from application.projections.base import Projection
from application.projections.cases import CasesProjection
from application.projections.projects import ProjectsProjection
from application.projections.reports import ReportsProjection


def all_projections(mapper: Mapper[Any]) -> list[Projection]:
    """Every projection, in the order workers apply them; names are stored data."""
    return [CasesProjection(mapper), ReportsProjection(mapper), ProjectsProjection(mapper)]
