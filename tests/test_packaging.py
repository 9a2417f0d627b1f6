"""The container image and the compose file, checked without a Docker engine (none runs on these machines): every
service runs a real `casetrail` command, all of them share one set of keys on a shared volume, and the image copies
every package the project ships."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from infrastructure.settings import Settings

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent / "casetrail"
SHARED_PATHS = ("CASETRAIL_INTEGRITY_KEY_FILE", "CASETRAIL_MASTER_KEY_FILE", "CASETRAIL_CHECKPOINT_LOG")


def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((REPO / "compose.yaml").read_text(encoding="utf-8"))
    return loaded


def casetrail_services() -> dict[str, Any]:
    return {name: s for name, s in compose()["services"].items() if s.get("build") == "."}


def test_compose_runs_migrate_then_the_api_and_a_worker() -> None:
    services = casetrail_services()
    assert {name: s["command"][0] for name, s in services.items()} == {
        "migrate": "migrate",
        "api": "serve",
        "worker": "worker",
    }
    for name in ("api", "worker"):
        assert services[name]["depends_on"] == {"migrate": {"condition": "service_completed_successfully"}}


@pytest.mark.parametrize("name", ["migrate", "api", "worker"])
def test_each_service_command_is_one_casetrail_accepts(name: str) -> None:
    command = casetrail_services()[name]["command"]
    done = subprocess.run([str(BIN), *command, "--help"], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr


def test_every_process_reads_the_same_keys_and_log_from_a_shared_volume(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keys left to each container's home directory would differ per container: the worker could not open what
    the API sealed, and contacts written by one could not be read by another."""
    services = casetrail_services()
    envs = [s["environment"] for s in services.values()]
    assert all(env == envs[0] for env in envs)
    for name, service in services.items():
        mounted = {volume.split(":")[1] for volume in service["volumes"]}
        for variable in SHARED_PATHS:
            assert str(Path(envs[0][variable]).parent) in mounted, (name, variable)
    for variable, value in envs[0].items():
        monkeypatch.setenv(variable, str(value))
    settings = Settings.from_env()  # every variable valid as the services give it
    assert settings.backend == "postgresql"
    assert settings.signing_key_path is not None and settings.signing_key_path.parent == Path("/keys")


def test_the_image_copies_every_package_and_runs_casetrail() -> None:
    dockerfile = (REPO / "Dockerfile").read_text(encoding="utf-8")
    copied = set(re.findall(r"^COPY (\w+) \./\1$", dockerfile, re.M))
    assert copied == {"domain", "application", "infrastructure", "api"}
    assert "-c requirements.lock" in dockerfile
    assert 'ENTRYPOINT ["casetrail"]' in dockerfile
    volumes = {v.split(":")[1] for v in casetrail_services()["api"]["volumes"]}
    made = re.search(r"mkdir ([/\w ]+) && chown casetrail", dockerfile)
    assert made and set(made.group(1).split()) == volumes  # owned by the user the processes run as
