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
        fields = Path(f"/proc/{self.popen.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

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
