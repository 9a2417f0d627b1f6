"""A lean closed-loop HTTP/1.1 load generator for the HTTP benchmark (issue #7).

`connections` keep-alive connections each send requests back to back (send, read the whole response, send the
next) for `warmup + seconds`; only responses that complete inside the measured window (after the warm-up) count.
It is plain asyncio streams and a minimal HTTP/1.1 parser rather than an HTTP client library, so that on a
2-core machine the generator takes as little CPU as possible from the server under test.

    from bench.load import ProgressNotes, run_load_in_process

    notes = ProgressNotes([f"/cases/{case_id}/progress" for case_id in ids], {"Authorization": "..."})
    result = run_load_in_process("127.0.0.1", 8101, notes, connections=16, seconds=10.0, warmup=1.0)
    print(result.summary())

`run_load` runs the generator in the calling process; `run_load_in_process` runs it in a fresh ("spawn") process
so that its CPU is not spent in the orchestrating one. For the latter, `make_request` must be picklable: an
instance of a class defined at the top level of an importable module (such as `ProgressNotes`), not a lambda or a
closure, and a script that calls it must guard its own entry point with `if __name__ == "__main__":`.

Requests come from `make_request(connection_index, sequence)`, where `sequence` counts that connection's
requests from 0 (warm-up included). Header values must be Latin-1 and paths already percent-encoded, as HTTP
requires; bodies are any bytes (UTF-8 JSON, typically).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import multiprocessing
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

SAMPLE_ERRORS = 3  # error descriptions kept for diagnosis
SAMPLE_CHARS = 500  # characters kept of each
RECONNECT_PAUSE = 0.05  # seconds between attempts when the server refuses connections
EARLY = 0.3  # the share of the measured window, from its start, that `LoadResult.p99_early_ms` covers


@dataclass(frozen=True)
class Request:
    """One HTTP request; the generator adds Host, Connection, Content-Length and (with a body) Content-Type."""

    method: str
    path: str
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""


MakeRequest = Callable[[int, int], Request]


@dataclass
class LoadResult:
    """What one run measured, over the measured window only (warm-up excluded).

    Latencies are those of every completed response whatever its status, from writing the request to having read
    the whole response. `errors` counts non-2xx responses plus `connection_errors` (a request whose connection
    failed, was closed by the server or timed out before its response was complete). `generator_cpu_seconds` is
    the CPU the generator's own process spent over the whole run, warm-up included, to show what it took from the
    machine.
    """

    requests: int
    seconds: float
    throughput: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    statuses: Counter[int]
    errors: int
    connection_errors: int
    error_samples: list[str]
    generator_cpu_seconds: float
    # p99 of the responses completed in the window's first `EARLY` share (3 s of 10), and of those after: a
    # service that keeps state between requests (casetrail's kept copies of cases) serves its first request to
    # each case, and so the start of a run, slower than the rest.
    p99_early_ms: float = math.nan
    p99_late_ms: float = math.nan

    def summary(self) -> str:
        statuses = ", ".join(f"{status}: {count}" for status, count in sorted(self.statuses.items()))
        lines = [
            f"{self.requests:,} requests in {self.seconds:.1f} s = {self.throughput:,.1f} req/s; "
            f"latency p50 {self.p50_ms:.1f} ms, p90 {self.p90_ms:.1f} ms, p99 {self.p99_ms:.1f} ms, "
            f"max {self.max_ms:.1f} ms",
            f"statuses {{{statuses}}}; errors {self.errors} ({self.connection_errors} connection errors); "
            f"load generator CPU {self.generator_cpu_seconds:.2f} s",
        ]
        lines += [f"  error sample: {sample}" for sample in self.error_samples]
        return "\n".join(lines)


def percentile(ordered: Sequence[float], p: float) -> float:
    """The nearest-rank percentile of an ascending sequence: the smallest value with at least p% of the values
    at or below it (so p100 is the maximum, and every result is an observed value); NaN when there are none."""
    if not ordered:
        return math.nan
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


class ProgressNotes:
    """A picklable `make_request`: `POST {path}` with a JSON body `{"note": "进展 <sequence>"}`.

    Connection c only ever writes to its own share of the paths, paths[c::connections], round-robin, so two
    in-flight requests never write to the same case (no optimistic-concurrency conflicts between connections).
    `connections` must therefore be the number the generator runs with, and there must be at least that many
    paths.
    """

    def __init__(self, paths: Sequence[str], headers: Mapping[str, str] | None = None, connections: int = 16) -> None:
        if len(paths) < connections:
            raise ValueError(f"{len(paths)} paths cannot give each of {connections} connections its own")
        self.headers = dict(headers or {})
        self.shares = [list(paths[c::connections]) for c in range(connections)]

    def __call__(self, connection_index: int, sequence: int) -> Request:
        if connection_index >= len(self.shares):
            raise ValueError(f"ProgressNotes was built for {len(self.shares)} connections, not more")
        share = self.shares[connection_index]
        body = json.dumps({"note": f"进展 {sequence}"}, ensure_ascii=False).encode()
        return Request("POST", share[sequence % len(share)], self.headers, body)


def encode_request(request: Request, host: str) -> bytes:
    """The raw bytes of `request`; its own headers override the generator's of the same name."""
    headers = {"host": ("Host", host), "connection": ("Connection", "keep-alive")}
    if request.body or request.method not in ("GET", "HEAD"):
        headers["content-length"] = ("Content-Length", str(len(request.body)))
    if request.body:
        headers["content-type"] = ("Content-Type", "application/json")
    for name, value in request.headers.items():
        headers[name.lower()] = (name, value)
    head = "".join(f"{name}: {value}\r\n" for name, value in headers.values())
    return f"{request.method} {request.path} HTTP/1.1\r\n{head}\r\n".encode("latin-1") + request.body


class ProtocolError(Exception):
    """The server's bytes are not a well-formed HTTP/1.x response."""


async def read_response(reader: asyncio.StreamReader, method: str) -> tuple[int, bytes, bool]:
    """Read one whole response: (status, body, whether the connection may be reused).

    The body is delimited by Content-Length, by chunked transfer coding (trailers read and dropped) or, with
    neither, by the server closing the connection. Interim 1xx responses are skipped.
    """
    while True:
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head[:-4].decode("latin-1").split("\r\n")
        version, _, rest = lines[0].partition(" ")
        if not version.startswith("HTTP/1.") or not rest[:3].isdigit():
            raise ProtocolError(f"bad status line {lines[0]!r}")
        status = int(rest[:3])
        if not 100 <= status < 200:
            break
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    connection = headers.get("connection", "").lower()
    reusable = "keep-alive" in connection if version == "HTTP/1.0" else "close" not in connection

    if method == "HEAD" or status in (204, 304):
        return status, b"", reusable
    if "chunked" in headers.get("transfer-encoding", "").lower():
        return status, await read_chunked(reader), reusable
    if "content-length" in headers:
        return status, await reader.readexactly(int(headers["content-length"])), reusable
    return status, await reader.read(), False


async def read_chunked(reader: asyncio.StreamReader) -> bytes:
    """A chunked body: hex size lines (extensions after ';' ignored), each chunk followed by CRLF, a zero-size
    chunk, then optional trailer fields up to an empty line."""
    chunks = []
    while size := int((await reader.readuntil(b"\r\n")).split(b";", 1)[0], 16):
        chunks.append(await reader.readexactly(size))
        if await reader.readexactly(2) != b"\r\n":
            raise ProtocolError("chunk not followed by CRLF")
    while await reader.readuntil(b"\r\n") != b"\r\n":
        pass
    return b"".join(chunks)


# What a failed exchange raises: socket errors and timeouts (OSError, TimeoutError among them), the server closing
# mid-response (IncompleteReadError), an oversized header block (LimitOverrunError), a malformed response
# (ProtocolError, or ValueError from a bad number).
EXCHANGE_ERRORS = (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ProtocolError, ValueError)


class _Run:
    """One run's settings and tallies; every connection coroutine shares it within one event loop (no locking)."""

    def __init__(self, host: str, port: int, make_request: MakeRequest, seconds: float, warmup: float, timeout: float):
        self.host, self.port, self.make_request, self.timeout = host, port, make_request, timeout
        self.host_header = f"{host}:{port}"
        self.cpu_started = time.process_time()
        started = time.perf_counter_ns()
        self.measure_from = started + round(warmup * 1e9)
        self.measure_until = self.measure_from + round(seconds * 1e9)
        self.latencies_ns: list[int] = []
        self.received_ns: list[int] = []
        self.statuses: Counter[int] = Counter()
        self.errors = 0
        self.connection_errors = 0
        self.error_samples: list[str] = []

    def counts(self, at: int) -> bool:
        return self.measure_from <= at < self.measure_until

    def sample(self, description: str) -> None:
        if len(self.error_samples) < SAMPLE_ERRORS:
            self.error_samples.append(description[:SAMPLE_CHARS])

    def response(self, sent: int, received: int, status: int, body: bytes) -> None:
        if not self.counts(received):
            return
        self.latencies_ns.append(received - sent)
        self.received_ns.append(received)
        self.statuses[status] += 1
        if not 200 <= status < 300:
            self.errors += 1
            self.sample(f"HTTP {status}: {body.decode('utf-8', 'replace')}")

    def failure(self, at: int, error: BaseException) -> None:
        if not self.counts(at):
            return
        self.errors += 1
        self.connection_errors += 1
        self.sample(f"{type(error).__name__}: {str(error) or 'no complete response in time'}")

    async def connection(self, index: int) -> None:
        """Closed loop on one keep-alive connection, reconnecting whenever it is lost, until the window ends."""
        reader: asyncio.StreamReader | None = None
        writer: asyncio.StreamWriter | None = None
        sequence = 0
        try:
            while time.perf_counter_ns() < self.measure_until:
                if reader is None or writer is None or reader.at_eof():
                    # Not yet connected, or the server closed an idle connection: no request was in flight.
                    await close(writer)
                    reader = writer = None
                    try:
                        reader, writer = await asyncio.open_connection(self.host, self.port)
                    except OSError as error:
                        self.failure(time.perf_counter_ns(), error)
                        await asyncio.sleep(RECONNECT_PAUSE)
                        continue
                request = self.make_request(index, sequence)
                sequence += 1
                data = encode_request(request, self.host_header)
                sent = time.perf_counter_ns()
                try:
                    async with asyncio.timeout(self.timeout):
                        writer.write(data)
                        await writer.drain()
                        status, body, reusable = await read_response(reader, request.method)
                except EXCHANGE_ERRORS as error:
                    self.failure(time.perf_counter_ns(), error)
                    await close(writer)
                    reader = writer = None
                    continue
                self.response(sent, time.perf_counter_ns(), status, body)
                if not reusable:
                    await close(writer)
                    reader = writer = None
        finally:
            await close(writer)

    def result(self) -> LoadResult:
        ordered = sorted(self.latencies_ns)
        early_until = self.measure_from + round(EARLY * (self.measure_until - self.measure_from))
        early = sorted(lat for lat, at in zip(self.latencies_ns, self.received_ns, strict=True) if at < early_until)
        late = sorted(lat for lat, at in zip(self.latencies_ns, self.received_ns, strict=True) if at >= early_until)
        seconds = (self.measure_until - self.measure_from) / 1e9
        return LoadResult(
            requests=len(ordered),
            seconds=seconds,
            throughput=len(ordered) / seconds,
            p50_ms=percentile(ordered, 50) / 1e6,
            p90_ms=percentile(ordered, 90) / 1e6,
            p99_ms=percentile(ordered, 99) / 1e6,
            max_ms=percentile(ordered, 100) / 1e6,
            statuses=self.statuses,
            errors=self.errors,
            connection_errors=self.connection_errors,
            error_samples=self.error_samples,
            generator_cpu_seconds=time.process_time() - self.cpu_started,
            p99_early_ms=percentile(early, 99) / 1e6,
            p99_late_ms=percentile(late, 99) / 1e6,
        )


async def close(writer: asyncio.StreamWriter | None) -> None:
    if writer is None:
        return
    writer.close()
    with contextlib.suppress(OSError):
        await writer.wait_closed()


async def load(
    host: str,
    port: int,
    make_request: MakeRequest,
    connections: int = 16,
    seconds: float = 10.0,
    warmup: float = 1.0,
    timeout: float = 30.0,
) -> LoadResult:
    """The generator as a coroutine, for a caller already inside an event loop; see `run_load`."""
    run = _Run(host, port, make_request, seconds, warmup, timeout)
    async with asyncio.TaskGroup() as group:
        for index in range(connections):
            group.create_task(run.connection(index))
    return run.result()


def run_load(
    host: str,
    port: int,
    make_request: MakeRequest,
    connections: int = 16,
    seconds: float = 10.0,
    warmup: float = 1.0,
    timeout: float = 30.0,
) -> LoadResult:
    """Load `host:port` from `connections` connections for `warmup + seconds` (plus the last in-flight responses,
    which are not counted) in this process. `timeout` bounds each request, as a connection error."""
    return asyncio.run(load(host, port, make_request, connections, seconds, warmup, timeout))


def run_load_in_process(
    host: str,
    port: int,
    make_request: MakeRequest,
    connections: int = 16,
    seconds: float = 10.0,
    warmup: float = 1.0,
    timeout: float = 30.0,
) -> LoadResult:
    """`run_load` in a fresh spawned process (its CPU is not this process's); `make_request` must be picklable."""
    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(run_load, host, port, make_request, connections, seconds, warmup, timeout).result()
