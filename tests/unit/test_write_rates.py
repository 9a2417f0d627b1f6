"""Per-token write rates: a token records only so many commands a minute, enterprises the fewest."""

from __future__ import annotations

import pytest

from application.case_execution import CaseExecutor
from application.errors import TooManyWrites
from application.execution import CommandContext
from application.rates import WriteLimiter, WriteRates
from domain.values import SYSTEM_TRACKING
from infrastructure.container import Container
from tests.conftest import COORDINATOR, ENTERPRISE, new_case
from tests.unit import case_steps as s


def limited(container: Container, rates: WriteRates) -> None:
    executor = container.cases.executor
    assert isinstance(executor, CaseExecutor)
    executor.limiter = WriteLimiter(rates)


def test_register_by_an_enterprise_past_its_rate_is_refused_and_records_nothing(
    container: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = [100.0]
    monkeypatch.setattr("application.rates.time.monotonic", lambda: now[0])
    limited(container, WriteRates(enterprise=3, staff=100))
    for _ in range(3):
        container.cases.register(CommandContext(ENTERPRISE), new_case())
    head = s.head_position(container)

    with pytest.raises(TooManyWrites) as refused:
        container.cases.register(CommandContext(ENTERPRISE), new_case())
    assert refused.value.retry_after == 21  # a third of a minute for one write at 3 a minute
    assert s.head_position(container) == head
    container.cases.register(CommandContext(COORDINATOR), new_case())  # another token is not affected
    now[0] += 20
    container.cases.register(CommandContext(ENTERPRISE), new_case())


def test_write_rates_leave_the_tracking_job_and_zero_unlimited() -> None:
    limiter = WriteLimiter(WriteRates(enterprise=1, staff=0))
    for _ in range(100):
        limiter.admit(SYSTEM_TRACKING)
        limiter.admit(COORDINATOR)
    limiter.admit(ENTERPRISE)
    with pytest.raises(TooManyWrites):
        limiter.admit(ENTERPRISE)
