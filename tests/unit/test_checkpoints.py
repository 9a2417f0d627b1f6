"""Checkpoints taken as the log grows: each reads only what is new, and equals a full checkpoint of the head."""

from __future__ import annotations

from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from application.audit import canonical
from application.checkpoints import Checkpointer
from infrastructure.checkpoint_log import CheckpointLog
from infrastructure.container import Container
from infrastructure.signing import Ed25519Signer
from tests.conftest import AUDITOR, LEAD
from tests.unit import case_steps as s


def test_checkpoints_follow_the_log_and_equal_a_full_checkpoint(container: Container, tmp_path: Path) -> None:
    signer = Ed25519Signer(Ed25519PrivateKey.generate())
    log = CheckpointLog(tmp_path / "checkpoints.jsonl")
    checkpointer = Checkpointer(container.audit, signer, log)
    assert checkpointer.take() is None and log.latest() is None  # an empty store: nothing to checkpoint yet
    case_id = s.in_progress_case(container)
    first = checkpointer.take()
    assert first is not None
    assert checkpointer.take() is None  # nothing new since

    container.cases.progress(case_id, s.cmd(LEAD), note="检查点之后")
    s.register(container)
    second = checkpointer.take()

    assert second is not None and second["position"] > first["position"]
    full = container.audit.checkpoint(AUDITOR)
    assert {k: second[k] for k in ("position", "streams", "root")} == {
        k: full[k] for k in ("position", "streams", "root")
    }
    assert log.latest() == second
    signed = {k: second[k] for k in ("position", "streams", "root")}
    assert signer.verify(canonical(signed), second["signature"])
    assert (tmp_path / "checkpoints.jsonl").stat().st_mode & 0o777 == 0o600


def test_the_latest_checkpoint_is_read_from_the_end_of_a_long_log_and_a_broken_last_line_is_refused(
    tmp_path: Path,
) -> None:
    import json

    import pytest

    from infrastructure import checkpoint_log

    log = CheckpointLog(tmp_path / "checkpoints.jsonl")
    long_hashes = {"s": ["0" * 64] * 3000}  # lines longer than one read from the end
    for position in range(1, 40):
        log.append({"position": position, "streams": 1, "root": "r", "hashes": long_hashes})
    assert len((tmp_path / "checkpoints.jsonl").read_bytes()) > 10 * checkpoint_log.TAIL
    latest = log.latest()
    assert latest is not None and latest["position"] == 39 and latest["hashes"] == long_hashes
    with (tmp_path / "checkpoints.jsonl").open("a") as f:
        f.write(json.dumps({"note": "not a checkpoint"}) + "\n\n")
    with pytest.raises(ValueError, match="not a checkpoint"):
        log.latest()
