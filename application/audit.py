"""Audit: recompute hash chains, take checkpoints (a Merkle root over stream heads), verify against them.

A chain proves a stream was not edited in place; a checkpoint kept outside the system also proves
that nothing was cut from a stream's end and that no stream was rewritten with recomputed hashes.
"""

from __future__ import annotations

import hashlib
import json
import time
from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, cast
from uuid import UUID

import orjson
from eventsourcing.persistence import StoredEvent

from application.access import require_role
from application.case_queries import history_entry
from application.errors import NotFound
from application.names import Names, named
from application.personal_data import PersonalDataReader
from application.ports import RawRow
from application.single_flight import SingleFlight
from application.store import EventStore
from domain.chain import GENESIS, event_hash
from domain.values import Actor

NOT_CONTENT = {"originator_id", "originator_version", "originator_topic", "hash", "prev_hash"}
# A whole-log pass holds the GIL for seconds when every check is pure Python: every this many rows (about half a
# millisecond) it lets the process's other threads run. Otherwise a thread back from PostgreSQL waits a whole switch
# interval (5 ms) for the GIL at every round trip: the worker's projections fell 400 ms behind while its first
# checkpoint ran (docs/performance.md, 2026-11-29 session 2).
YIELD_EVERY = 100
CHAINED_PREFIX = "casetrail:"  # streams of aggregates; append-only logs (reference numbers, token index) have no chain
UNCHAINED = {"casetrail:ReferenceAllocated", "casetrail:TokenIndexed"}
# Why those logs carry no chain (and stay out of the feed): each entry is a lookup written in the same transaction
# as the chained event that made it, which records who and when (docs/decisions.md).
WHY_UNCHAINED = {
    "casetrail:ReferenceAllocated": "reference-number logs: each number is also in the chained CaseRegistered",
    "casetrail:TokenIndexed": "the token index: each entry is also in the chained TokenIssued of its token",
}


@dataclass
class StreamCheck:
    """One stream's chain as far as it was read: how many events, its head, and the first bad version."""

    events: int = 0
    version: int = 0
    head: str = GENESIS
    first_broken_version: int | None = None
    hashes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.first_broken_version is None


def recomputed_hash(event: Any, prev_hash: str) -> str:
    content = {k: v for k, v in vars(event).items() if k not in NOT_CONTENT}
    return event_hash(type(event).TOPIC, event.originator_id, event.originator_version, content, prev_hash)


def chained_topic(topic: str) -> bool:
    return topic.startswith(CHAINED_PREFIX) and topic not in UNCHAINED


class ChainVerifier:
    """Feeds stored events of many streams (each in version order) and keeps every stream's verdict."""

    def __init__(self, store: EventStore, keep_hashes: bool = False) -> None:
        self.store = store
        self.keep_hashes = keep_hashes
        self.streams: dict[str, StreamCheck] = {}  # by the stream id's canonical text form, str(UUID)
        self.unchained: dict[str, set[str]] = {}  # topic -> streams of the logs that carry no chain
        self.plain = store.mapper.cipher is None and store.mapper.compressor is None
        self._open = store.row_opener()
        self._chained: dict[str, bool] = {}  # topic -> chained_topic(topic): a log holds few topics

    def feed(self, stored: StoredEvent) -> None:
        """One stored event (or notification) of a stream, after the stream's events fed before it."""
        self.feed_row(str(self._uuid(stored)), stored.originator_version, stored.topic, bytes(stored.state))

    def feed_rows(self, rows: Iterable[RawRow]) -> None:
        """Rows of the log in position order: each chained stream's events are checked, the unchained logs'
        streams counted."""
        chained = self._chained
        for i, (_, stream, version, topic, state) in enumerate(rows, 1):
            if not i % YIELD_EVERY:
                time.sleep(0)  # lets this process's other threads have the GIL now, not after a switch interval
            is_chained = chained.get(topic)
            if is_chained is None:
                is_chained = chained[topic] = chained_topic(topic)
            if is_chained:
                self.feed_row(stream, version, topic, state)
            else:
                self.unchained.setdefault(topic, set()).add(stream)

    def feed_row(self, stream: str, version: int, topic: str, state: bytes) -> None:
        """One stored row of a stream given as plain values (the stream id as `str(UUID)`)."""
        check = self.streams.get(stream)
        if check is None:
            check = self.streams[stream] = StreamCheck()
        check.events += 1
        if check.first_broken_version is not None:
            return
        expected = check.version + 1
        digest = self._digest(stream, version, topic, state, check.head) if version == expected else None
        if digest is None:
            check.first_broken_version = expected  # missing, moved, undecodable or altered
            return
        check.version, check.head = expected, digest
        if self.keep_hashes:
            check.hashes.append(digest)

    def _digest(self, stream: str, version: int, topic: str, state: bytes, prev_hash: str) -> str | None:
        """The event's hash if its seal opens, it decodes and its chain holds, else None. Never raises for bad
        data."""
        try:
            payload = self._open(topic, stream, version, state)  # None when the row's seal does not open
            if payload is None:
                return None
            fast = fast_digest(topic, stream, version, payload, prev_hash) if self.plain else None
            if fast is not None:
                return fast
            stream_id = UUID(stream)
            fields = self._state(StoredEvent(stream_id, version, topic, state), payload)
            content = {k: v for k, v in fields.items() if k not in NOT_CONTENT}
            recomputed = event_hash(topic, stream_id, version, content, prev_hash)
            if fields["prev_hash"] != prev_hash or recomputed != fields["hash"]:
                return None
            return str(fields["hash"])
        except Exception:  # an event that no longer decodes is broken evidence, not a crash
            return None

    def _state(self, stored: StoredEvent, payload: bytes) -> dict[str, Any]:
        """The stored event's fields as the mapper would restore them, without building the event object."""
        mapper = self.store.mapper
        data: Any = payload
        if mapper.cipher:
            data = mapper.cipher.decrypt(data)
        if mapper.compressor:
            data = mapper.compressor.decompress(data)
        state: dict[str, Any] = mapper.transcoder.decode(data)
        if "class_version" in state:  # an older schema: let the mapper upcast it
            state = dict(vars(mapper.to_domain_event(stored)))
        return state

    @staticmethod
    def _uuid(stored: StoredEvent) -> UUID:
        stream = stored.originator_id
        return stream if type(stream) is UUID else UUID(str(stream))


def fast_digest(topic: str, stream: str, version: int, payload: bytes, prev_hash: str) -> str | None:
    """The stored hash when a fast recomputation (orjson on the raw JSON) confirms it, else None.

    None is no verdict: the caller then recomputes exactly as the domain does. A match is conclusive,
    since equal SHA-256 digests mean byte-identical canonical encodings.
    """
    content = orjson.loads(payload)  # parsed afresh, so it is ours to trim into the hashed content
    stored_hash = content.pop("hash", None)
    if content.pop("prev_hash", None) != prev_hash or "class_version" in content:
        return None
    content.pop("originator_topic", None)
    stamp = content.get("timestamp")
    if type(stamp) is dict and stamp.get("_type_") == "datetime_iso":
        # The one custom type every event has, stored as the very string the canonical encoding uses. Any
        # other custom value stays a marker here, so the digests differ and the exact recomputation decides.
        content["timestamp"] = stamp["_data_"]
    hashed = {
        "topic": topic,
        "id": stream.replace("-", ""),  # the UUID's hex, as the domain hashes it
        "version": version,
        "prev_hash": prev_hash,
        "data": content,
    }
    digest = hashlib.sha256(orjson.dumps(hashed, option=orjson.OPT_SORT_KEYS)).hexdigest()
    return digest if digest == stored_hash else None


def merkle_root(leaves: list[str]) -> str:
    """SHA-256 Merkle root over hex leaves (an odd node is paired with itself); empty -> hash of nothing."""
    level = [bytes.fromhex(leaf) for leaf in leaves] or [hashlib.sha256(b"").digest()]
    while len(level) > 1:
        if len(level) % 2:
            level.append(level[-1])
        level = [hashlib.sha256(level[i] + level[i + 1]).digest() for i in range(0, len(level), 2)]
    return level[0].hex()


def leaf(stream_id: str, check: StreamCheck) -> str:
    return hashlib.sha256(f"{stream_id}:{check.version}:{check.head}".encode()).hexdigest()


@dataclass(frozen=True)
class StoreCheck:
    """Every chain of the store recomputed and every snapshot compared with its events, at one position."""

    position: int
    streams: int
    events: int
    broken: dict[str, int]  # stream -> its first broken version
    unchained: dict[str, int]  # topic -> how many streams carry no chain (WHY_UNCHAINED says why)
    snapshots: int
    differing_snapshots: list[tuple[UUID, int]]
    checkpoint: dict[str, Any] | None = None  # the comparison with a saved checkpoint, when one was given

    @property
    def ok(self) -> bool:
        return not self.broken and not self.differing_snapshots


@dataclass(frozen=True)
class Verification:
    events_checked: int
    first_broken_version: int | None
    snapshots_checked: int = 0
    broken_snapshots: tuple[int, ...] = ()  # versions whose snapshot fails its seal or differs from the events

    @property
    def ok(self) -> bool:
        return self.first_broken_version is None and not self.broken_snapshots


class SignatureCheck(Protocol):
    def verify(self, message: bytes, signature: str) -> bool: ...


class Signer(SignatureCheck, Protocol):
    def sign(self, message: bytes) -> str: ...


def canonical(body: dict[str, Any]) -> bytes:
    return json.dumps(body, sort_keys=True, separators=(",", ":")).encode()


class AuditService:
    """Chain verification, checkpoints and the global feed, for auditors."""

    def __init__(
        self,
        store: EventStore,
        signer: Signer | None = None,
        batch_size: int = 5000,
        personal: PersonalDataReader | None = None,
        names: Names | None = None,
    ) -> None:
        self.store = store
        self.signer = signer
        self.batch_size = batch_size
        self.personal = personal  # opens (and logs) the personal data the feed shows; None: shown as stored
        self.names = names  # the actors' names beside their ids in the feed; None: ids only
        # Passes over the whole log that callers asking meanwhile join (`shared_store_check`), by checkpoint.
        self.store_checks: SingleFlight[StoreCheck] = SingleFlight()

    def verify_stream(self, by: Actor, stream_id: UUID, registered_topic: str) -> Verification:
        """Recompute one stream's hash chain and check every row's integrity seal, naming the first broken
        version; check each snapshot of the stream against its seal and a fold of the events (reads ignore one
        that fails, but it is reported here)."""
        require_role(by, "audit")
        stored = list(self.store.recorder.select_events(stream_id))
        if not stored or stored[0].topic != registered_topic:
            raise NotFound()
        verifier = ChainVerifier(self.store)
        for event in stored:
            verifier.feed(event)
        check = verifier.streams[str(stream_id)]
        versions = self._snapshot_versions(stream_id)
        differ = self._differing_snapshots(stream_id, versions) if versions and check.ok else []
        broken = tuple(v for _, v in differ) if check.ok else tuple(sorted(versions))
        return Verification(check.events, check.first_broken_version, len(versions), broken)

    def _snapshot_versions(self, stream_id: UUID) -> set[int]:
        if self.store.snapshots is None or not hasattr(self.store.recorder, "snapshot_versions"):
            return set()  # in memory: snapshots live in the process and are not an attack surface
        return {s.originator_version for s in self.store.snapshots.recorder.select_events(stream_id)}

    def scan(
        self,
        upto: int | None = None,
        *,
        keep_hashes: bool = False,
        progress: Progress | None = None,
        at: tuple[int, Callable[[ChainVerifier], None]] | None = None,
    ) -> tuple[ChainVerifier, int]:
        """Verify every chained stream in one pass over the global log, up to position `upto` (default: head).
        `at` (position, look): `look` sees the verifier as it stood at that position, once the pass has fed every
        row up to it (at the end, if the log ends before it)."""
        verifier = ChainVerifier(self.store, keep_hashes)
        head = upto if upto is not None else self.store.recorder.max_notification_id() or 0
        for batch in self.batches(0, head):
            if at is not None and batch[-1][0] >= at[0]:
                cut = bisect_right([row[0] for row in batch], at[0])
                verifier.feed_rows(batch[:cut])
                at[1](verifier)
                at = None
                verifier.feed_rows(batch[cut:])
            else:
                verifier.feed_rows(batch)
            if progress:
                progress(batch[-1][0], head)
        if at is not None:
            at[1](verifier)
        return verifier, head

    def verify_store(
        self,
        by: Actor,
        progress: Progress | None = None,
        snapshot_progress: Progress | None = None,
        *,
        checkpoint: dict[str, Any] | None = None,
        public_key: SignatureCheck | None = None,
    ) -> StoreCheck:
        """Recompute every hash chain and check every row's seal in one pass over the log, then compare every
        snapshot with a fold of its stream's events; names each broken stream's first bad version. With a
        `checkpoint` saved earlier, the same pass compares the store with it (`verify_against`'s report)."""
        require_role(by, "audit")
        compared: dict[str, Any] = {}
        at = None
        if checkpoint is not None:
            at = (int(checkpoint["position"]), lambda v: compared.update(self._compared(checkpoint, v, public_key)))
        keep = checkpoint is not None and "hashes" in checkpoint
        verifier, head = self.scan(keep_hashes=keep, progress=progress, at=at)
        snapshots, differ = self.verify_snapshots(snapshot_progress)
        return StoreCheck(
            position=head,
            streams=len(verifier.streams),
            events=sum(c.events for c in verifier.streams.values()),
            broken={i: c.first_broken_version for i, c in verifier.streams.items() if c.first_broken_version},
            unchained={topic: len(streams) for topic, streams in sorted(verifier.unchained.items())},
            snapshots=snapshots,
            differing_snapshots=differ,
            checkpoint=compared or None,
        )

    def shared_store_check(
        self, by: Actor, *, checkpoint: dict[str, Any] | None = None, public_key: SignatureCheck | None = None
    ) -> StoreCheck:
        """`verify_store`, but a caller who asks while a pass against the same checkpoint runs in this process gets
        that pass's result instead of starting another beside it (a pass takes the process's CPU for tens of seconds
        on a large store: a second click, a second auditor). The caller's role is checked before it joins."""
        require_role(by, "audit")
        key = None if checkpoint is None else (checkpoint["position"], checkpoint["root"])
        return self.store_checks.run(key, lambda: self.verify_store(by, checkpoint=checkpoint, public_key=public_key))

    def verify_snapshots(self, progress: Progress | None = None) -> tuple[int, list[tuple[UUID, int]]]:
        """Fold every snapshotted stream from its events and compare each snapshot with the state at its
        version; returns how many were checked and the (stream, version) of those that differ. Reads use
        snapshots, so one that differs would mislead them: delete it (snapshots are only a cache)."""
        listed = getattr(self.store.recorder, "snapshot_versions", None)
        if listed is None or self.store.snapshots is None:
            return 0, []  # in memory: snapshots live in the process and are not an attack surface
        by_stream: dict[UUID, list[int]] = {}
        for stream_id, version in listed():
            by_stream.setdefault(stream_id, []).append(version)
        differ: list[tuple[UUID, int]] = []
        for done, (stream_id, versions) in enumerate(by_stream.items(), 1):
            differ += self._differing_snapshots(stream_id, set(versions))
            if progress:
                progress(done, len(by_stream))
        return sum(len(v) for v in by_stream.values()), differ

    def _differing_snapshots(self, stream_id: UUID, versions: set[int]) -> list[tuple[UUID, int]]:
        assert self.store.snapshots is not None
        taken: dict[int, dict[str, Any] | None] = {}
        for stored in self.store.snapshots.recorder.select_events(stream_id):
            try:
                snapshot: Any = self.store.mapper.to_domain_event(stored)
                taken[stored.originator_version] = dict(vars(snapshot.mutate(None)))
            except Exception:  # undecodable: as wrong as a changed one
                taken[stored.originator_version] = None
        differ: list[tuple[UUID, int]] = []
        aggregate: Any = None
        for event in self.store.events.get(stream_id, lte=max(versions)):
            aggregate = cast(Any, event).mutate(aggregate)
            if event.originator_version in versions and taken.get(event.originator_version) != vars(aggregate):
                differ.append((stream_id, event.originator_version))
        folded = aggregate.version if aggregate is not None else 0
        return differ + [(stream_id, v) for v in sorted(versions) if v > folded]  # beyond the events: forged

    def checkpoint(self, by: Actor, *, with_hashes: bool = False, progress: Progress | None = None) -> dict[str, Any]:
        """A Merkle root over every stream's head at the current position, signed when a key is configured."""
        require_role(by, "audit")
        verifier, head = self.scan(keep_hashes=with_hashes, progress=progress)
        body = checkpoint_body(verifier, head)
        if self.signer:
            body["signature"] = self.signer.sign(canonical(body))
        if with_hashes:
            body["hashes"] = {i: c.hashes for i, c in sorted(verifier.streams.items())}
        return body

    def verify_against(
        self, saved: dict[str, Any], progress: Progress | None = None, public_key: SignatureCheck | None = None
    ) -> dict[str, Any]:
        """Compare today's store with a checkpoint saved earlier; names each stream's first bad version. With a
        `public_key` the signature must be present and valid; else it is checked with the signing key, if any."""
        then, _ = self.scan(upto=int(saved["position"]), keep_hashes="hashes" in saved, progress=progress)
        return self._compared(saved, then, public_key)

    def _compared(
        self, saved: dict[str, Any], then: ChainVerifier, public_key: SignatureCheck | None
    ) -> dict[str, Any]:
        """The checkpoint's report, from the verifier as it stood at the checkpoint's position."""
        signed = {k: saved[k] for k in ("position", "streams", "root")}
        signature_ok = None
        check = public_key or self.signer
        if public_key is not None and "signature" not in saved:
            signature_ok = False
        elif "signature" in saved and check:
            signature_ok = check.verify(canonical(signed), str(saved["signature"]))
        now = checkpoint_body(then, int(saved["position"]))
        root_ok = now["root"] == saved["root"]
        streams_ok = now["streams"] == saved["streams"]  # a whole stream removed or added shows here too
        broken = compare(saved, then) if "hashes" in saved else {}
        return {
            "ok": root_ok and streams_ok and not broken and signature_ok is not False,
            "root_matches": root_ok,
            "streams_match": streams_ok,
            "signature_valid": signature_ok,
            "broken": broken,
            "position": saved["position"],
        }

    def feed(self, by: Actor, f: FeedFilter) -> tuple[list[dict[str, Any]], int | None]:
        """Every event in global order with its actor and hash; scans at most `SCAN_LIMIT` events a call. A case's
        contact is shown opened (`已删除` once erased), and the read is logged (`/v1/audit/personal-data-access`)."""
        require_role(by, "audit")
        head = self.store.recorder.max_notification_id() or 0
        items: list[dict[str, Any]] = []
        position, scanned = f.after, 0
        while position < head and len(items) < f.limit and scanned < SCAN_LIMIT:
            rows = self.store.extras.scan(position, 500)
            for n in rows:
                position, scanned = n.id, scanned + 1
                if not chained_topic(n.topic):
                    continue  # lookups without an actor of their own: see WHY_UNCHAINED
                entry = self.feed_entry(n)
                if f.matches(entry):
                    items.append(entry)
                    if len(items) == f.limit:
                        break
            if not rows:
                break
        if self.personal is not None:
            items = self.personal.in_feed(items, by, "audit_feed")
        if self.names is not None:
            items = named(items, self.names)
        return items, position if position < head else None

    def feed_entry(self, n: Any) -> dict[str, Any]:
        base = {"position": n.id, "stream": str(n.originator_id), "version": n.originator_version}
        try:
            return {**base, **history_entry(self.store.mapper.to_domain_event(n))}
        except Exception as e:  # an undecodable event is shown as such, never hidden or crashed on
            return {
                **base,
                "type": n.topic,
                "at": None,
                "actor": None,
                "data": None,
                "hash": None,
                "error": f"cannot decode: {type(e).__name__}",
            }

    def batches(self, after: int, head: int) -> Iterator[list[RawRow]]:
        """Batches of stored rows up to `head`; the next batch is read while the caller works on this one."""
        with ThreadPoolExecutor(1, "audit-prefetch") as reader:
            rows = self.store.extras.scan_rows(after, self.batch_size, stop=head)
            while rows:
                ahead = reader.submit(self.store.extras.scan_rows, rows[-1][0], self.batch_size, head)
                yield rows
                rows = ahead.result()


Progress = Callable[[int, int], None]
SCAN_LIMIT = 20_000


@dataclass(frozen=True)
class FeedFilter:
    after: int = 0
    limit: int = 100
    actor: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    stream: str | None = None  # a case's or project's id

    def matches(self, entry: dict[str, Any]) -> bool:
        at, actor = entry.get("at"), entry.get("actor") or {}
        if self.actor is not None and actor.get("id") != self.actor:
            return False
        if self.stream is not None and entry.get("stream") != self.stream:
            return False
        if self.since is not None and (at is None or at < self.since):
            return False
        return not (self.until is not None and (at is None or at > self.until))


def checkpoint_body(verifier: ChainVerifier, position: int) -> dict[str, Any]:
    """The signed part of a checkpoint: position, stream count and the Merkle root over stream heads."""
    heads = sorted(verifier.streams.items())
    return {"position": position, "streams": len(heads), "root": merkle_root([leaf(i, c) for i, c in heads])}


def compare(saved: dict[str, Any], now: ChainVerifier) -> dict[str, int]:
    """Streams whose history differs from a saved checkpoint's, with the first version that differs."""
    broken: dict[str, int] = {}
    for stream, hashes in saved["hashes"].items():
        current = now.streams.get(str(UUID(stream)), StreamCheck())
        pairs = zip(hashes, current.hashes, strict=False)
        mismatch = next((v for v, (a, b) in enumerate(pairs, 1) if a != b), None)
        if mismatch is None and len(current.hashes) < len(hashes):
            mismatch = len(current.hashes) + 1  # events cut from the end
        if mismatch is not None:
            broken[stream] = mismatch
    return broken
