"""Reference numbers as people type them, and finding the case behind one."""

from __future__ import annotations

from domain.reference import as_reference
from infrastructure.container import Container
from tests.conftest import COORDINATOR, ENTERPRISE, OTHER_ENTERPRISE
from tests.unit import case_steps as s
from tests.unit.tracking_steps import catch_up


def test_a_reference_number_is_recognised_in_any_case_with_spaces_around_and_nothing_else_is() -> None:
    assert as_reference(" qy-2026-000123 ") == "QY-2026-000123"
    assert as_reference("XM-2026-000001") == "XM-2026-000001"
    assert as_reference("QY-2026-123") is None
    assert as_reference("蒸汽管道") is None
    assert as_reference("5fdb44bc-62f0-489b-abb3-109bdcce9bbe") is None


def test_the_case_behind_a_reference_is_found_only_by_those_who_may_see_it(container: Container) -> None:
    case_id = s.register(container)
    reference = container.queries.get(case_id, COORDINATOR).case.reference
    catch_up(container)  # the lookup reads the case list (a view)
    assert container.view_service.case_by_reference(COORDINATOR, reference.lower()) == str(case_id)
    assert container.view_service.case_by_reference(ENTERPRISE, reference) == str(case_id)
    assert container.view_service.case_by_reference(OTHER_ENTERPRISE, reference) is None
    assert container.view_service.case_by_reference(COORDINATOR, "QY-1999-000001") is None
    assert container.view_service.case_by_reference(COORDINATOR, "not a reference") is None
