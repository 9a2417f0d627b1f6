"""The tracking job on SQLite and PostgreSQL: candidates from the real view tables, warnings stored once."""

from __future__ import annotations

from datetime import UTC

from application.views import PageRequest
from domain.values import Tier
from infrastructure.clock import FixedClock
from infrastructure.container import Container
from tests.conftest import COORDINATOR, LEAD
from tests.unit import case_steps as s
from tests.unit.tracking_steps import catch_up, local, raised, track_afresh, warnings


def test_track_raises_once_and_sign_for_clears_on_a_durable_store(
    durable_container: Container, clock: FixedClock
) -> None:
    container = durable_container
    case_id = s.dispatched_case(container, tier=Tier.HANDLING)
    closed = s.closed_case(container)

    first = track_afresh(container, local(2026, 12, 8))
    again = track_afresh(container, local(2026, 12, 8))

    assert raised(first) == {("sign_for", "red"), ("handling", "red")}
    assert first.candidates == 1 and closed not in {w.case_id for w in first.raised}
    assert again.raised == []
    clock.at = local(2026, 12, 8, 10).astimezone(UTC)
    s.sign_for(container, case_id, LEAD)
    catch_up(container)
    assert warnings(container, case_id) == {"handling": "red"}
    view = container.view_service.warnings(COORDINATOR, PageRequest()).items
    assert [(i["kind"], i["level"]) for i in view] == [("handling", "red")]
