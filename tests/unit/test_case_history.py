"""Case history: full for staff and auditors, the public part only for the owning enterprise."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import pytest

from api.presenters import case_body
from application.case_queries import AsOf
from application.errors import NotFound
from application.views import CaseFilter, PageRequest
from domain.errors import NotPermitted
from domain.values import Actor, Arbitration, Escalation, Satisfaction
from infrastructure.clock import FixedClock
from infrastructure.container import Container
from tests.conftest import AUDITOR, CO, CO2, COORDINATOR, ENTERPRISE, LEAD, OTHER_ENTERPRISE, REPORTER
from tests.unit import case_steps as s

# DOMAIN.md "Decisions clients rely on": registration, dispatch to which department, sign-for, contact made,
# resolution and reply, evaluations, reopen, closure, withdrawal (and a merge points to the surviving case).
PUBLIC_TYPES = {
    "CaseRegistered",
    "CaseDispatched",
    "CaseSignedFor",
    "CaseContacted",
    "CaseResolved",
    "CaseEvaluated",
    "CaseReopened",
    "CaseClosed",
    "CaseWithdrawn",
    "CaseMerged",
}
INTERNAL = ["内部备注", "协办内部意见", "延期内部原因", "督办内部原因", "重办内部原因", "结案内部备注", "审定内部意见"]


def _busy_life(container: Container, clock: FixedClock) -> UUID:
    """A tier-2 life with every kind of internal note, each containing a marker of INTERNAL."""
    case_id = s.register(container, by=ENTERPRISE)
    s.dispatch(container, case_id)
    s.sign_for(container, case_id)
    container.cases.contact(case_id, s.cmd(LEAD), note="内部备注：已电话联系")
    container.cases.progress(case_id, s.cmd(LEAD), note="内部备注：现场踏勘")
    s.co_reply(container, case_id, CO, note="协办内部意见：资金已落实")
    container.cases.waive_co_reply(case_id, s.cmd(), department="housing", reason="协办内部意见：不涉及")
    container.cases.request_extension(case_id, s.cmd(LEAD), extra_working_days=5, reason="延期内部原因：管网改造")
    container.cases.decide_extension(case_id, s.cmd(), approved=True, note="延期内部原因：同意")
    container.cases.escalate(case_id, s.cmd(), level=Escalation.URGE, reason="督办内部原因：进度慢", due=None)
    clock.advance(days=1)
    s.resolve(container, case_id)
    s.evaluate(container, case_id, Satisfaction.DISSATISFIED, by=ENTERPRISE, solved=False)
    container.cases.reopen(case_id, s.cmd(), reason="重办内部原因：方案不可行")
    s.resolve(container, case_id)
    s.evaluate(container, case_id, Satisfaction.SATISFIED, by=ENTERPRISE)
    container.cases.close(case_id, s.cmd(), note="结案内部备注：归档")
    return case_id


def _text(events: list[dict[str, Any]]) -> str:
    return repr([e["data"] for e in events])


def test_history_by_enterprise_shows_only_public_event_types(container: Container, clock: FixedClock) -> None:
    case_id = _busy_life(container, clock)

    public = s.history(container, case_id, ENTERPRISE)

    assert [e["type"] for e in public] == [
        "CaseRegistered",
        "CaseDispatched",
        "CaseSignedFor",
        "CaseContacted",
        "CaseResolved",
        "CaseEvaluated",
        "CaseReopened",
        "CaseResolved",
        "CaseEvaluated",
        "CaseClosed",
    ]
    assert {e["type"] for e in public} <= PUBLIC_TYPES


def test_history_by_enterprise_has_no_internal_notes(container: Container, clock: FixedClock) -> None:
    case_id = _busy_life(container, clock)

    public = s.history(container, case_id, ENTERPRISE)

    text = _text(public)
    assert not [marker for marker in INTERNAL if marker in text]
    assert all(e["actor"]["id"] is None for e in public)
    dispatched = next(e for e in public if e["type"] == "CaseDispatched")
    assert dispatched["data"]["lead_department"] == "econ-info"
    resolved = next(e for e in public if e["type"] == "CaseResolved")
    assert resolved["data"]["reply"] == "已协调蒸汽管道接入方案"
    assert resolved["data"]["outcome"] == "solved"


def test_history_by_staff_shows_everything(container: Container, clock: FixedClock) -> None:
    case_id = _busy_life(container, clock)

    for reader in (COORDINATOR, AUDITOR, LEAD, CO2):
        events = s.history(container, case_id, reader)
        assert len(events) == s.version(container, case_id) == 18  # the escalation's warning raised and cleared
        assert all(marker in _text(events) for marker in INTERNAL if marker != "审定内部意见")
        assert "CaseEscalated" in [e["type"] for e in events]


def test_history_by_enterprise_shows_the_withdrawal_reason(container: Container) -> None:
    case_id = s.register(container, by=ENTERPRISE)
    s.withdraw(container, case_id, ENTERPRISE)

    public = s.history(container, case_id, ENTERPRISE)

    assert [e["type"] for e in public] == ["CaseRegistered", "CaseWithdrawn"]
    assert public[-1]["data"] == {"reason": "企业自行解决"}


@pytest.mark.parametrize("decision", [Arbitration.UPHOLD, Arbitration.REASSIGN])
def test_history_by_enterprise_hides_returns_and_their_arbitration(container: Container, decision: Arbitration) -> None:
    case_id = s.dispatched_case(container, co=["finance"], by=ENTERPRISE)
    s.return_case(container, case_id)
    container.cases.arbitrate(
        case_id, s.cmd(), decision=decision, department="housing", note="审定内部意见：职责在住建局"
    )

    public = s.history(container, case_id, ENTERPRISE)

    assert {e["type"] for e in public} <= PUBLIC_TYPES
    assert "审定内部意见" not in _text(public)


def test_history_by_another_enterprise_is_not_found(container: Container) -> None:
    case_id = s.register(container, by=ENTERPRISE)
    with pytest.raises(NotFound):
        s.history(container, case_id, OTHER_ENTERPRISE)


def test_history_by_reporter_is_not_permitted(container: Container) -> None:
    case_id = s.register(container)
    with pytest.raises(NotPermitted) as e:
        s.history(container, case_id, REPORTER)
    assert e.value.rule == "role_not_permitted"


# -- the enterprise's status matches its public history (settled after the audit, 2026-11-29) ----------------


def test_history_by_enterprise_shows_a_reassignment_as_a_dispatch_to_the_new_department(container: Container) -> None:
    case_id = s.dispatched_case(container, co=["finance"], by=ENTERPRISE)
    s.return_case(container, case_id)
    s.arbitrate(container, case_id, Arbitration.REASSIGN, "housing")

    public = s.history(container, case_id, ENTERPRISE)

    dispatches = [(e["version"], e["data"]) for e in public if e["type"] == "CaseDispatched"]
    assert dispatches == [
        (2, {"tier": "resolution", "lead_department": "econ-info"}),
        (3, {"tier": "resolution", "lead_department": "housing"}),  # numbered as the enterprise sees them
    ]
    assert [e["type"] for e in public] == ["CaseRegistered", "CaseDispatched", "CaseDispatched"]


def test_history_by_enterprise_shows_no_second_dispatch_for_an_upheld_return(container: Container) -> None:
    case_id = s.dispatched_case(container, co=["finance"], by=ENTERPRISE)
    s.return_case(container, case_id)
    s.arbitrate(container, case_id, Arbitration.UPHOLD)

    assert [e["type"] for e in s.history(container, case_id, ENTERPRISE)] == ["CaseRegistered", "CaseDispatched"]


def test_case_list_by_enterprise_shows_a_returned_case_as_dispatched(container: Container) -> None:
    case_id = s.returned_case(container, by=ENTERPRISE)
    for worker in container.workers():
        worker.catch_up()

    def listed(by: Actor, status: str | None = None) -> list[tuple[str, str]]:
        page = container.view_service.list_cases(by, CaseFilter(status=status), PageRequest())
        return [(i["id"], i["status"]) for i in page.items]

    assert listed(COORDINATOR) == [(str(case_id), "returned")]
    assert listed(ENTERPRISE) == [(str(case_id), "dispatched")]
    assert listed(ENTERPRISE, "dispatched") == [(str(case_id), "dispatched")]
    assert listed(ENTERPRISE, "returned") == []


def test_case_answer_to_enterprise_shows_a_returned_case_as_dispatched(container: Container) -> None:
    case_id = s.returned_case(container, by=ENTERPRISE)

    def status(by: Actor) -> str:
        return str(case_body(container.queries.get(case_id, by), by)["status"])

    assert (status(ENTERPRISE), status(COORDINATOR), status(LEAD)) == ("dispatched", "returned", "returned")


# -- scope before everything (security review): what an enterprise reads is its public view, whole --------


def test_history_by_enterprise_is_numbered_without_gaps_and_without_hashes(container: Container) -> None:
    case_id = s.dispatched_case(container, co=["finance"], by=ENTERPRISE)
    s.co_reply(container, case_id)  # internal: not in the public history
    s.sign_for(container, case_id)

    public = s.history(container, case_id, ENTERPRISE)

    assert [e["version"] for e in public] == [1, 2, 3]
    assert {(e["hash"], e["prev_hash"]) for e in public} == {(None, None)}
    assert [e["type"] for e in public] == ["CaseRegistered", "CaseDispatched", "CaseSignedFor"]


def test_get_as_of_a_version_by_enterprise_counts_public_versions_only(container: Container) -> None:
    case_id = s.dispatched_case(container, by=ENTERPRISE)  # public versions 1 (registered) and 2 (dispatched)
    s.return_case(container, case_id)  # recorded version 3: hidden from the enterprise

    second = container.queries.get(case_id, ENTERPRISE, AsOf(version=2))
    assert second.case.version == 2
    with pytest.raises(NotFound):
        container.queries.get(case_id, ENTERPRISE, AsOf(version=3))
    assert case_body(container.queries.get(case_id, ENTERPRISE), ENTERPRISE)["status"] == "dispatched"


def test_merge_into_another_enterprises_case_shows_the_enterprise_nothing_of_it(container: Container) -> None:
    own = s.register(container, by=ENTERPRISE)
    foreign = s.register(
        container, enterprise={"name": "另一家企业", "credit_code": OTHER_ENTERPRISE.credit_code}, title="同一问题"
    )
    container.cases.merge(own, s.cmd(), into=foreign, note=None)

    body = case_body(container.queries.get(own, ENTERPRISE), ENTERPRISE)
    merged = [e for e in s.history(container, own, ENTERPRISE) if e["type"] == "CaseMerged"]

    assert (body["status"], body["merged_into"], body["duplicates"]) == ("merged", None, [])
    assert merged[0]["data"] == {}
    staff = case_body(container.queries.get(own, COORDINATOR), COORDINATOR)
    assert staff["merged_into"] == str(foreign)


def test_merge_into_the_enterprises_own_case_is_shown_to_it(container: Container) -> None:
    first, second = s.register(container, by=ENTERPRISE), s.register(container, by=ENTERPRISE)
    container.cases.merge(first, s.cmd(), into=second, note=None)

    assert case_body(container.queries.get(first, ENTERPRISE), ENTERPRISE)["merged_into"] == str(second)
    assert case_body(container.queries.get(second, ENTERPRISE), ENTERPRISE)["duplicates"] == [str(first)]


def test_as_of_is_a_version_or_a_moment_never_both_and_a_naive_moment_is_shanghai_time() -> None:
    from datetime import datetime

    from domain.errors import InvalidCommand

    assert AsOf.asked(None, None) is None
    assert AsOf.asked(3, None) == AsOf(version=3)
    with pytest.raises(InvalidCommand, match="not both"):
        AsOf.asked(3, datetime(2026, 11, 2, 9, 0))
    moment = AsOf(moment=datetime(2026, 11, 2, 9, 0)).moment
    assert moment is not None and moment.utcoffset() is not None and moment.utcoffset().total_seconds() == 8 * 3600
