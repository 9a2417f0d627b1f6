"""The integrity seal is HMAC-SHA256 over the row's topic, stream, version and payload, whatever the key's length;
a row changed in any of them, or carrying no seal, does not open."""

from __future__ import annotations

import hmac
from uuid import UUID, uuid4

import pytest
from eventsourcing.persistence import StoredEvent

from infrastructure.integrity import PREFIX, Seal, Tampered

STREAM = UUID("6f1c3a52-9b0e-4c57-8a51-3d2f0e9b7c41")
PAYLOAD = '{"note":"进展记录","hash":"ab"}'.encode()


@pytest.mark.parametrize("length", [32, 63, 64, 65, 128])
def test_seal_tag_is_hmac_sha256_for_keys_of_any_length(length: int) -> None:
    key = bytes(range(length))
    expected = hmac.digest(key, f"casetrail:CaseProgressLogged\n{STREAM}\n7\n".encode() + PAYLOAD, "sha256")
    assert Seal(key).tag("casetrail:CaseProgressLogged", STREAM, 7, PAYLOAD) == expected


def test_seal_opens_a_row_given_as_plain_values_only_when_nothing_changed() -> None:
    seal = Seal(b"k" * 32)
    state = seal.close(StoredEvent(STREAM, 7, "casetrail:CaseProgressLogged", PAYLOAD)).state
    stream = str(STREAM)
    assert seal.open_text("casetrail:CaseProgressLogged", stream, 7, state) == PAYLOAD
    assert seal.open_text("casetrail:CaseClosed", stream, 7, state) is None
    assert seal.open_text("casetrail:CaseProgressLogged", str(uuid4()), 7, state) is None
    assert seal.open_text("casetrail:CaseProgressLogged", stream, 8, state) is None
    assert seal.open_text("casetrail:CaseProgressLogged", stream, 7, state[:-1] + b"}}") is None
    assert seal.open_text("casetrail:CaseProgressLogged", stream, 7, PAYLOAD) is None  # no seal at all
    assert Seal(b"x" * 32).open_text("casetrail:CaseProgressLogged", stream, 7, state) is None  # another key


def test_seal_open_raises_for_a_stored_event_that_does_not_open() -> None:
    seal = Seal(b"k" * 32)
    sealed = seal.close(StoredEvent(STREAM, 7, "casetrail:CaseProgressLogged", PAYLOAD))
    assert seal.open(sealed) == PAYLOAD
    with pytest.raises(Tampered, match="does not match"):
        seal.open(StoredEvent(STREAM, 8, sealed.topic, sealed.state))
    with pytest.raises(Tampered, match="carries no seal"):
        seal.open(StoredEvent(STREAM, 7, sealed.topic, sealed.state[len(PREFIX) :]))
