"""One run of an expensive call for everyone who asks while it runs (the console's whole-store check)."""

from __future__ import annotations

import threading
import time

import pytest

from application.single_flight import SingleFlight


def wait_for(flight: SingleFlight[int], key: str, waiting: int) -> None:
    deadline = time.monotonic() + 5
    while flight.waiting(key) < waiting:
        assert time.monotonic() < deadline, "the callers never joined the running call"
        time.sleep(0.005)


def test_callers_who_ask_while_a_call_runs_get_its_result_and_the_next_caller_starts_anew() -> None:
    flight: SingleFlight[int] = SingleFlight()
    started, release = threading.Event(), threading.Event()
    calls: list[int] = []

    def slow() -> int:
        calls.append(1)
        started.set()
        assert release.wait(5)
        return len(calls)

    answers: list[int] = []
    leader = threading.Thread(target=lambda: answers.append(flight.run("store", slow)))
    leader.start()
    assert started.wait(5)
    joiners = [threading.Thread(target=lambda: answers.append(flight.run("store", slow))) for _ in range(3)]
    for t in joiners:
        t.start()
    wait_for(flight, "store", 3)
    assert flight.run("other", lambda: 7) == 7  # another key runs at once, beside it
    release.set()
    for t in [leader, *joiners]:
        t.join(5)
    assert answers == [1, 1, 1, 1] and calls == [1]
    assert flight.run("store", slow) == 2  # finished: the next caller runs it again


def test_the_exception_of_the_running_call_is_raised_to_everyone_who_joined_it() -> None:
    flight: SingleFlight[int] = SingleFlight()
    started, release = threading.Event(), threading.Event()

    def failing() -> int:
        started.set()
        assert release.wait(5)
        raise RuntimeError("the store is unavailable")

    errors: list[str] = []

    def ask() -> None:
        try:
            flight.run("store", failing)
        except RuntimeError as e:
            errors.append(str(e))

    threads = [threading.Thread(target=ask)]
    threads[0].start()
    assert started.wait(5)
    threads.append(threading.Thread(target=ask))
    threads[1].start()
    wait_for(flight, "store", 1)
    release.set()
    for t in threads:
        t.join(5)
    assert errors == ["the store is unavailable"] * 2
    with pytest.raises(ZeroDivisionError):  # nothing is left running for the key
        flight.run("store", lambda: 1 // 0)
