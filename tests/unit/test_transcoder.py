"""The fast reader decodes exactly what the library's own transcoder decodes."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from uuid import uuid4

import pytest
from eventsourcing.persistence import (
    DatetimeAsISO,
    DecimalAsStr,
    JSONTranscoder,
    TranscodingNotRegisteredError,
    UUIDAsHex,
)

from infrastructure.clock import FixedClock
from infrastructure.container import Container
from infrastructure.transcoder import FastJSONTranscoder
from tests.projections.random_commands import random_history


def transcoders() -> tuple[JSONTranscoder, FastJSONTranscoder]:
    pair = JSONTranscoder(), FastJSONTranscoder()
    for t in pair:
        for transcoding in (UUIDAsHex(), DatetimeAsISO(), DecimalAsStr()):
            t.register(transcoding)
    return pair


def test_fast_decoding_equals_the_library_on_nested_custom_types() -> None:
    library, fast = transcoders()
    value = {"a": [uuid4(), {"b": datetime.now(UTC), "c": [Decimal("1.5"), {"_type_": "x"}]}], "d": "字", "e": None}
    data = library.encode(value)
    assert fast.decode(data) == library.decode(data) == value


def test_fast_decoding_equals_the_library_on_every_stored_event(container: Container, clock: FixedClock) -> None:
    random_history(container, clock, seed=5, cases=8, steps=80)
    library, fast = transcoders()
    seal = container.store.mapper.seal  # type: ignore[attr-defined]
    for n in container.store.recorder.select_notifications(start=None, limit=10**6):
        state = seal.open(n)  # the transcoder's bytes, inside the row's integrity seal
        assert fast.decode(state) == library.decode(state)


def test_an_unknown_custom_type_is_refused_as_by_the_library() -> None:
    _, fast = transcoders()
    with pytest.raises(TranscodingNotRegisteredError):
        fast.decode(b'{"_type_": "nope", "_data_": 1}')
