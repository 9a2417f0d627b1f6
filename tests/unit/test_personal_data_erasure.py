"""Crypto-shredding on in-memory persistence: the contact is sealed in the event, erasure is refused while the
case is worked, is idempotent, and leaves every read showing `已删除`; reads of personal data are logged."""

from __future__ import annotations

from uuid import UUID

import pytest

from application.audit import FeedFilter
from application.case_queries import AsOf
from application.errors import NotFound
from application.personal_data import AccessFilter
from application.ports import ERASED, UNREADABLE
from domain.errors import InvalidCommand, NotPermitted, StateConflict
from domain.values import Actor, Role
from infrastructure.container import Container
from infrastructure.key_table import KeyTable
from tests.conftest import AUDITOR, COORDINATOR, ENTERPRISE, LEAD, OTHER_ENTERPRISE, OUTSIDER, REPORTER
from tests.unit import case_steps as s

ADMIN = Actor("admin-1", Role.ADMIN)
CONTACT = {"name": "李锐", "phone": "13800000000"}
GONE = {"name": ERASED, "phone": ERASED}


def erase(container: Container, case_id: UUID, by: Actor = ADMIN, reason: str = "本人来函要求删除") -> object:
    return container.cases.erase_personal_data(case_id, s.cmd(by), reason=reason)


def test_register_stores_the_contact_sealed_not_in_plaintext(container: Container) -> None:
    case_id = s.register(container)
    stored = s.history(container, case_id)[0]["data"]
    created = next(iter(container.store.events.get(case_id)))
    assert set(created.contact) == {"sealed", "v"}
    assert CONTACT["phone"] not in str(created.contact)
    assert stored["contact"] == CONTACT  # the coordinator's history opens it


def test_command_answers_carry_no_personal_data(container: Container) -> None:
    result = container.cases.register(s.cmd(COORDINATOR), s.new_case())
    assert result.contact is None
    assert container.queries.get(result.case.id, COORDINATOR).contact == CONTACT


def test_erase_personal_data_refused_while_the_case_is_worked(container: Container) -> None:
    case_id = s.dispatched_case(container)
    error = s.refused(container, case_id, StateConflict, "erasure_while_open", lambda: erase(container, case_id))
    assert "dispatched" in error.detail
    assert container.queries.get(case_id, COORDINATOR).contact == CONTACT


def test_erase_personal_data_of_a_withdrawn_case_shows_erased_everywhere(container: Container) -> None:
    case_id = s.dispatched_case(container)
    s.withdraw(container, case_id)
    result = erase(container, case_id)
    case = s.current(container, case_id)
    assert case.personal_data_erased and s.last_event(container, case_id)["type"] == "CasePersonalDataErased"
    assert s.last_event(container, case_id)["data"] == {"reason": "本人来函要求删除"}
    assert container.queries.get(case_id, COORDINATOR).contact == GONE
    for version in range(1, case.version + 1):  # every past version, though it was recorded before the erasure
        assert container.queries.get(case_id, AUDITOR, AsOf(version=version)).contact == GONE
    assert s.history(container, case_id, AUDITOR)[0]["data"]["contact"] == GONE
    items, _ = container.audit.feed(AUDITOR, FeedFilter())
    assert [i["data"]["contact"] for i in items if i["type"] == "CaseRegistered"] == [GONE]
    assert KeyTable(container.store.recorder).get(case_id) is None
    assert result is not None


def test_erase_personal_data_twice_records_it_once(container: Container) -> None:
    case_id = s.closed_case(container)
    erase(container, case_id)
    version = s.version(container, case_id)
    again = container.cases.erase_personal_data(case_id, s.cmd(ADMIN), reason="再次申请")
    assert (again.case.version, s.version(container, case_id)) == (version, version)
    assert s.types(container, case_id).count("CasePersonalDataErased") == 1


def test_erase_personal_data_by_the_enterprise_of_its_own_closed_case(container: Container) -> None:
    case_id = s.closed_case(container)
    erase(container, case_id, by=ENTERPRISE)
    assert container.queries.get(case_id, ENTERPRISE).contact == GONE


def test_erase_personal_data_by_the_enterprise_of_its_own_open_case_is_refused(container: Container) -> None:
    case_id = s.register(container, by=ENTERPRISE)
    s.refused(container, case_id, StateConflict, "erasure_while_open", lambda: erase(container, case_id, ENTERPRISE))


def test_erase_personal_data_of_another_enterprises_case_is_not_found(container: Container) -> None:
    case_id = s.closed_case(container)
    with pytest.raises(NotFound):
        erase(container, case_id, by=OTHER_ENTERPRISE)
    assert not s.current(container, case_id).personal_data_erased


@pytest.mark.parametrize("who", [COORDINATOR, LEAD, AUDITOR, REPORTER])
def test_erase_personal_data_by_staff_roles_is_not_permitted(container: Container, who: Actor) -> None:
    case_id = s.closed_case(container)
    s.refused(container, case_id, NotPermitted, "role_not_permitted", lambda: erase(container, case_id, who))


def test_erase_personal_data_without_a_reason_is_refused(container: Container) -> None:
    case_id = s.closed_case(container)
    s.refused(container, case_id, InvalidCommand, "reason_required", lambda: erase(container, case_id, reason=" "))


def test_a_sealed_contact_moved_to_another_case_does_not_open(container: Container) -> None:
    first, second = s.register(container), s.register(container)
    sealed = s.current(container, first).contact
    assert container.personal_data.reveal(second, sealed) == {"name": UNREADABLE, "phone": UNREADABLE}


def test_a_damaged_key_affects_only_its_case(container: Container) -> None:
    damaged, intact = s.register(container), s.register(container)
    KeyTable(container.store.recorder).replace(damaged, b"\x00" * 60)
    container.personal_data.forget(damaged)
    assert container.queries.get(damaged, COORDINATOR).contact == {"name": UNREADABLE, "phone": UNREADABLE}
    assert container.queries.get(intact, COORDINATOR).contact == CONTACT
    assert s.history(container, damaged)[0]["data"]["contact"] == {"name": UNREADABLE, "phone": UNREADABLE}


def reads(container: Container, **filters: object) -> list[dict[str, object]]:
    items, _ = container.access_log.reads(AUDITOR, AccessFilter(**filters))  # type: ignore[arg-type]
    return items


def test_reading_a_case_records_who_read_its_personal_data(container: Container) -> None:
    case_id = s.register(container)
    container.queries.get(case_id, COORDINATOR)
    s.history(container, case_id, COORDINATOR)
    logged = reads(container, case_id=case_id)
    assert [(r["actor_id"], r["role"], r["via"]) for r in logged] == [
        (COORDINATOR.id, "coordinator", "case"),
        (COORDINATOR.id, "coordinator", "history"),
    ]
    assert s.types(container, case_id) == ["CaseRegistered"]  # the case's own stream is untouched


def test_the_case_page_as_of_a_version_logs_one_read_of_the_case(container: Container) -> None:
    """The console's story of a case as of an earlier version reads the case once (and its history once)."""
    from application.case_story import CaseStories

    case_id = s.in_progress_case(container)
    story = CaseStories(container.queries, container.tokens.names).story(case_id, COORDINATOR, as_of_version=1)
    assert story.as_of and story.result is not None and story.result.case.version == 1 and story.head > 1
    assert [r["via"] for r in reads(container, case_id=case_id)] == ["case", "history"]


def test_roles_that_never_see_the_contact_leave_no_read_in_the_log(container: Container) -> None:
    case_id = s.register(container)
    for who in (REPORTER, ADMIN):
        with pytest.raises(NotPermitted):
            container.queries.get(case_id, who)
    with pytest.raises(NotFound):
        container.queries.get(case_id, OUTSIDER)
    s.dispatch(container, case_id)  # a command answers without personal data, and logs nothing
    assert reads(container) == []


def test_reads_of_an_erased_case_are_not_logged_as_reads_of_personal_data(container: Container) -> None:
    case_id = s.closed_case(container)
    erase(container, case_id)
    before = reads(container, case_id=case_id)
    container.queries.get(case_id, COORDINATOR)
    s.history(container, case_id, COORDINATOR)
    assert reads(container, case_id=case_id) == before


def test_the_access_log_filters_by_actor_and_pages(container: Container) -> None:
    first, second = s.register(container), s.register(container)
    for case_id in (first, second, first):
        container.queries.get(case_id, COORDINATOR)
    container.queries.get(first, AUDITOR)
    assert [r["case_id"] for r in reads(container, actor=COORDINATOR.id)] == [str(first), str(second), str(first)]
    page, cursor = container.access_log.reads(AUDITOR, AccessFilter(limit=2))
    rest, end = container.access_log.reads(AUDITOR, AccessFilter(after=cursor or 0, limit=2))
    assert (len(page), len(rest), end) == (2, 2, None)
    assert [r["actor_id"] for r in rest] == [COORDINATOR.id, AUDITOR.id]
    with pytest.raises(NotPermitted):
        container.access_log.reads(COORDINATOR, AccessFilter())
