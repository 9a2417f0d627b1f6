"""Start the processes under test (an HTTP server, a worker), wait for them, and read their peak memory."""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

BIN = Path(sys.executable).parent


def _ticks(stat: str) -> int:
    fields = stat.rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def postgres_cpu_seconds() -> float:
    """User and system CPU time used so far by this machine's PostgreSQL processes (the server's backends and its
    background processes); 0 when PostgreSQL runs elsewhere."""
    ticks = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:  # the process ended meanwhile
            continue
        if stat.split(" (", 1)[1].startswith("postgres"):
            ticks += _ticks(stat)
    return ticks / os.sysconf("SC_CLK_TCK")


def machine_cpu_seconds() -> tuple[float, float]:
    """The machine's busy and idle CPU seconds so far, over all cores (/proc/stat)."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]  # idle and iowait
    tick = os.sysconf("SC_CLK_TCK")
    return (sum(values[:8]) - idle) / tick, idle / tick


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Process:
    name: str
    popen: subprocess.Popen[bytes]
    port: int | None = None

    def peak_rss_mb(self) -> float:
        """The process's peak resident set size (VmHWM), in MiB."""
        for line in Path(f"/proc/{self.popen.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        raise RuntimeError(f"no VmHWM for {self.name}")

    def cpu_seconds(self) -> float:
        """User and system CPU time the process has used so far."""
        return _ticks(Path(f"/proc/{self.popen.pid}/stat").read_text()) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()


def start(name: str, argv: list[str], env: dict[str, str], port: int | None = None, timeout: float = 60) -> Process:
    """Start `argv`; with a port, wait until GET /healthz (casetrail) or /docs (anything FastAPI) answers 200."""
    log = open(Path(os.environ.get("TMPDIR", "/tmp")) / f"bench-{name}.log", "wb")  # noqa: SIM115 - the child owns it
    popen = subprocess.Popen(argv, env={**os.environ, **env}, stdout=log, stderr=subprocess.STDOUT)
    process = Process(name, popen, port)
    if port is None:
        return process
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if popen.poll() is not None:
            raise RuntimeError(f"{name} exited with {popen.returncode}; see {log.name}")
        for path in ("/healthz", "/docs"):
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                conn.request("GET", path)
                if conn.getresponse().status == 200:
                    return process
            except OSError:
                break
            finally:
                conn.close()
        time.sleep(0.2)
    process.stop()
    raise RuntimeError(f"{name} did not answer on port {port} within {timeout:.0f} s; see {log.name}")
