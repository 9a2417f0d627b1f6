"""Tampering with stored events through the real database is detected, and the first bad version named."""

from __future__ import annotations

import json
from pathlib import Path
from uuid import UUID

import pytest

from application.audit import AuditService, FeedFilter, chained_topic
from application.execution import CommandContext
from domain.errors import NotPermitted
from domain.values import Actor, Role, Tier
from infrastructure.container import Container
from tests.conftest import AUDITOR, COORDINATOR, LEAD, new_case
from tests.integration.tamper import Tamperer


def a_case_with_history(container: Container, notes: int = 6) -> UUID:
    case = container.cases.register(CommandContext(COORDINATOR), new_case()).case
    container.cases.dispatch(
        case.id, CommandContext(COORDINATOR), tier=Tier.HANDLING, lead_department="econ-info", co_departments=[]
    )
    container.cases.sign_for(case.id, CommandContext(LEAD))
    for i in range(notes):
        container.cases.progress(case.id, CommandContext(LEAD), note=f"进展记录{i}")
    return case.id


def verify(container: Container, case_id: UUID) -> tuple[bool, int, int | None]:
    result = container.audit.verify_stream(AUDITOR, case_id, "casetrail:CaseRegistered")
    return result.ok, result.events_checked, result.first_broken_version


def test_an_intact_case_verifies_with_its_event_count(durable_container: Container) -> None:
    case_id = a_case_with_history(durable_container)
    assert verify(durable_container, case_id) == (True, 9, None)
    verifier, _ = durable_container.audit.scan()
    assert all(check.ok for check in verifier.streams.values())


def test_one_changed_byte_is_found_at_its_version(durable_container: Container) -> None:
    case_id = a_case_with_history(durable_container)
    Tamperer(durable_container).flip_byte(case_id, 5, "进展记录1".encode(), "进展记录7".encode())
    assert verify(durable_container, case_id) == (False, 9, 5)


def test_an_undecodable_event_counts_as_broken_not_as_a_crash(durable_container: Container) -> None:
    case_id = a_case_with_history(durable_container)
    Tamperer(durable_container).set_state(case_id, 4, b"\xff\xfe not json")
    assert verify(durable_container, case_id) == (False, 9, 4)
    items, _ = durable_container.audit.feed(AUDITOR, FeedFilter())
    assert any(i.get("error") for i in items)


def test_a_deleted_middle_event_is_found(durable_container: Container) -> None:
    case_id = a_case_with_history(durable_container)
    Tamperer(durable_container).delete(case_id, 6)
    assert verify(durable_container, case_id) == (False, 8, 6)


def test_two_swapped_events_are_found_at_the_first(durable_container: Container) -> None:
    case_id = a_case_with_history(durable_container)
    Tamperer(durable_container).swap(case_id, 4, 7)
    assert verify(durable_container, case_id) == (False, 9, 4)


def take_checkpoint(container: Container, tmp_path: Path) -> dict:
    body = container.audit.checkpoint(AUDITOR, with_hashes=True)
    saved = tmp_path / "checkpoint.json"
    saved.write_text(json.dumps(body))  # kept outside the system, as an auditor would
    return dict(json.loads(saved.read_text()))


def test_deleted_tail_events_pass_the_chain_but_not_the_checkpoint(
    durable_container: Container, tmp_path: Path
) -> None:
    case_id = a_case_with_history(durable_container)
    saved = take_checkpoint(durable_container, tmp_path)
    assert durable_container.audit.verify_against(saved)["ok"]
    Tamperer(durable_container).delete(case_id, 8, 9)
    assert verify(durable_container, case_id) == (True, 7, None)  # a shorter chain is still a chain
    report = durable_container.audit.verify_against(saved)
    assert not report["ok"]
    assert not report["root_matches"]
    assert report["broken"] == {str(case_id): 8}


def test_a_history_rewritten_by_a_writer_holding_the_integrity_key_is_exposed_by_the_checkpoint(
    durable_container: Container, tmp_path: Path
) -> None:
    case_id = a_case_with_history(durable_container)
    other = a_case_with_history(durable_container, notes=2)
    saved = take_checkpoint(durable_container, tmp_path)
    Tamperer(durable_container).rewrite_from(case_id, 5, "note", "伪造的进展", with_key=True)
    assert verify(durable_container, case_id) == (True, 9, None)
    report = durable_container.audit.verify_against(saved)
    assert report["broken"] == {str(case_id): 5}
    assert str(other) not in report["broken"]
    assert not report["ok"]


def test_events_after_a_checkpoint_do_not_disturb_it(durable_container: Container, tmp_path: Path) -> None:
    case_id = a_case_with_history(durable_container)
    saved = take_checkpoint(durable_container, tmp_path)
    durable_container.cases.progress(case_id, CommandContext(LEAD), note="检查点之后")
    a_case_with_history(durable_container, notes=1)
    assert durable_container.audit.verify_against(saved) == {
        "ok": True,
        "root_matches": True,
        "streams_match": True,
        "signature_valid": None,
        "broken": {},
        "position": saved["position"],
    }


def test_one_pass_over_the_store_reports_what_a_separate_checkpoint_comparison_reports(
    durable_container: Container, tmp_path: Path
) -> None:
    """`verify_store(checkpoint=…)` compares the checkpoint in its own pass over the log (the console and the CLI
    read the log once): its report equals `verify_against`'s, before and after history is rewritten or cut, with
    rows after the checkpoint's position that the comparison must not see."""
    audit = durable_container.audit
    case_id = a_case_with_history(durable_container)
    saved = take_checkpoint(durable_container, tmp_path)
    later = a_case_with_history(durable_container, notes=2)  # after the checkpoint: the store goes on
    check = audit.verify_store(AUDITOR, checkpoint=saved)
    assert check.checkpoint == audit.verify_against(saved) and check.checkpoint is not None
    assert check.checkpoint["ok"] and check.ok
    Tamperer(durable_container).rewrite_from(case_id, 5, "note", "伪造的进展", with_key=True)
    Tamperer(durable_container).delete(later, 3)
    for rows_a_read in (audit.batch_size, 3):  # the checkpoint's position inside a read, or at its end
        audit.batch_size = rows_a_read
        check = audit.verify_store(AUDITOR, checkpoint=saved)
        assert check.checkpoint == audit.verify_against(saved)
        assert check.checkpoint["broken"] == {str(case_id): 5}  # the rewrite, seen against the checkpoint
        assert check.broken == {str(later): 3}  # the cut after it, seen by the chain
    assert audit.verify_store(AUDITOR).checkpoint is None


def test_the_feed_is_in_strict_position_order_with_hashes_and_actors(durable_container: Container) -> None:
    a_case_with_history(durable_container, notes=3)
    items, cursor = durable_container.audit.feed(AUDITOR, FeedFilter(limit=5))
    more, _ = durable_container.audit.feed(AUDITOR, FeedFilter(after=int(cursor or 0), limit=500))
    positions = [i["position"] for i in items + more]
    assert positions == sorted(positions) and len(set(positions)) == len(positions)
    case_events = [i for i in items + more if i["type"].startswith("Case")]
    assert all(i["hash"] and i["actor"]["role"] in ("coordinator", "handler") for i in case_events)
    by_lead, _ = durable_container.audit.feed(AUDITOR, FeedFilter(actor=LEAD.id, limit=500))
    assert {i["actor"]["id"] for i in by_lead} == {LEAD.id} and len(by_lead) == 4


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.REPORTER, Role.HANDLER, Role.ADMIN])
def test_only_auditors_verify_or_read_the_feed(durable_container: Container, role: Role) -> None:
    case_id = a_case_with_history(durable_container, notes=0)
    someone = Actor("x", role, "econ-info" if role is Role.HANDLER else None)
    with pytest.raises(NotPermitted):
        durable_container.audit.verify_stream(someone, case_id, "casetrail:CaseRegistered")
    with pytest.raises(NotPermitted):
        durable_container.audit.feed(someone, FeedFilter())
    with pytest.raises(NotPermitted):
        durable_container.audit.checkpoint(someone)


def test_a_signed_checkpoint_detects_a_forged_signature(durable_container: Container, tmp_path: Path) -> None:
    from infrastructure.signing import Ed25519Signer

    key = tmp_path / "operator.pem"
    Ed25519Signer.generate(key, tmp_path / "operator.pub.pem")
    durable_container.audit.signer = Ed25519Signer.from_file(key)
    a_case_with_history(durable_container, notes=1)
    saved = take_checkpoint(durable_container, tmp_path)
    assert saved["signature"]
    assert durable_container.audit.verify_against(saved)["signature_valid"] is True
    forged = {**saved, "root": "0" * 64}
    report = durable_container.audit.verify_against(forged)
    assert (report["signature_valid"], report["ok"]) == (False, False)


def test_a_whole_stream_removed_after_a_checkpoint_changes_the_stream_count(
    durable_container: Container, tmp_path: Path
) -> None:
    saved = take_checkpoint(durable_container, tmp_path)
    gone = a_case_with_history(durable_container, notes=0)  # recorded after the checkpoint: not in it
    later = take_checkpoint(durable_container, tmp_path)
    Tamperer(durable_container).delete(gone, 1, 2, 3)

    report = durable_container.audit.verify_against(later)
    assert (report["streams_match"], report["ok"]) == (False, False)
    assert durable_container.audit.verify_against(saved)["ok"]  # the earlier checkpoint never saw that stream


def chained_positions(container: Container) -> list[int]:
    """Each chained row's index in the log (0 is the first row)."""
    rows = container.store.extras.scan_rows(0, 10_000)
    return [i for i, row in enumerate(rows) if chained_topic(row[3])]


@pytest.mark.parametrize("where", ["last row of a chunk", "first row of the next chunk"])
def test_a_tamper_at_a_chunk_boundary_is_found_by_the_whole_log_scan(
    durable_container: Container, where: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("application.audit.YIELD_EVERY", 3)  # the pass also yields the GIL between rows
    a_case_with_history(durable_container)
    case_id = a_case_with_history(durable_container)
    index = chained_positions(durable_container)[12]  # a row of the second case, well inside the log
    row = durable_container.store.extras.scan_rows(0, 10_000)[index]
    assert row[1] == str(case_id)
    Tamperer(durable_container).set_state(case_id, row[2], row[4].replace(b'"', b"'", 1))
    chunk = index + 1 if where == "last row of a chunk" else index  # rows are read `chunk` at a time

    audit = AuditService(durable_container.store, batch_size=chunk)
    verifier, _ = audit.scan()
    assert sum(check.events for check in verifier.streams.values()) == len(chained_positions(durable_container))
    assert {stream: check.first_broken_version for stream, check in verifier.streams.items() if not check.ok} == {
        str(case_id): row[2]
    }
    assert audit.verify_store(AUDITOR).broken == {str(case_id): row[2]}


def test_the_exact_recomputation_gives_the_same_verdicts_as_the_fast_one(
    durable_container: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    intact = a_case_with_history(durable_container)
    swapped = a_case_with_history(durable_container)
    Tamperer(durable_container).swap(swapped, 4, 7)
    fast, _ = durable_container.audit.scan()
    monkeypatch.setattr("application.audit.fast_digest", lambda *args: None)  # no fast verdict: recompute all
    exact, _ = durable_container.audit.scan()

    for verifier in (fast, exact):
        assert verifier.streams[str(intact)].ok and verifier.streams[str(intact)].version == 9
        assert verifier.streams[str(swapped)].first_broken_version == 4
    assert {i: c.head for i, c in fast.streams.items()} == {i: c.head for i, c in exact.streams.items()}
