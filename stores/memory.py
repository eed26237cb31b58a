"""An in-memory store: the reference backend, and LangGraph's ``InMemorySaver`` role.

Rows are kept exactly as given (payloads are never decoded). Memory items are kept as the
same JSON the SQLite backend stores, so both return the same values for the same input and
a caller mutating a dict after ``put_item`` cannot change what is stored.
"""

from __future__ import annotations

import logging
import threading
import time
from bisect import bisect_left, bisect_right, insort
from collections.abc import Iterable, Sequence
from typing import Any

import msgspec

from ._check import check_rows, check_thread, readable_threads
from ._protocol import check_namespace
from ._stats import Counters, MemoryStoreStatistics
from .codec import serialization_error
from .errors import StoreError, StoreUnavailableError
from .records import CheckpointRow, Item, ThreadRow, WriteBatch

__all__ = ["InMemorySaver", "MemorySaver", "MemoryStore"]

log = logging.getLogger("stores.memory")

_json_encode = msgspec.json.Encoder().encode
_json_decode = msgspec.json.Decoder(dict[str, Any]).decode


# -- helpers shared with the SQLite backend (same semantics in every backend) --------------
def encode_item_value(value: dict[str, Any]) -> bytes:
    """Encode an item value as JSON, or raise ``SerializationError`` naming the bad key."""
    if not isinstance(value, dict):
        raise TypeError(f"an item value must be a dict, got {type(value).__name__}")
    try:
        return _json_encode(value)
    except (TypeError, ValueError, OverflowError) as exc:
        raise serialization_error(value, exc, what="value") from exc


def decode_item_value(data: bytes | str) -> dict[str, Any]:
    return _json_decode(data)


def item_matches(value: dict[str, Any], filter: dict[str, Any]) -> bool:
    """Equality on every filter key (Python ``==``: ``1 == 1.0 == True``, like JSON)."""
    for k, want in filter.items():
        got = value.get(k, _MISSING)
        if got is _MISSING or got != want:
            return False
    return True


_MISSING: Any = object()


def check_prefix(prefix: tuple[str, ...]) -> tuple[str, ...]:
    """A namespace prefix: like a namespace, but may be empty (everything)."""
    return check_namespace(prefix) if prefix else ()


def check_batch(limit: int) -> None:
    if not isinstance(limit, int) or limit < 1:
        raise ValueError(f"limit must be a positive int, got {limit!r}")


def check_window(limit: int | None, offset: int = 0) -> None:
    if (limit is not None and limit < 0) or offset < 0:
        raise ValueError(f"limit and offset must be >= 0, got limit={limit}, offset={offset}")


class ItemClock:
    """Timestamps for items that strictly increase within one store, so that "most recently
    updated first" holds even for puts within one tick of ``time.time()``."""

    __slots__ = ("_last",)

    def __init__(self) -> None:
        self._last = 0.0

    def now(self) -> float:
        t = time.time()
        if t <= self._last:
            t = self._last + 1e-6  # several ulps at today's epoch, so it is a real increase
        self._last = t
        return t


def namespaces_page(
    found: Iterable[tuple[str, ...]], max_depth: int | None, limit: int, offset: int
) -> list[tuple[str, ...]]:
    if max_depth is not None:
        if max_depth < 1:
            raise ValueError(f"max_depth must be >= 1, got {max_depth}")
        found = {ns[:max_depth] for ns in found}
    return sorted(set(found))[offset : offset + limit]


# -- the store -------------------------------------------------------------------------------
class _Chain:
    """One thread's checkpoints: rows by seq plus the seqs in ascending order."""

    __slots__ = ("rows", "seqs")

    def __init__(self) -> None:
        self.rows: dict[int, CheckpointRow] = {}
        self.seqs: list[int] = []

    def cut(self, seq: int) -> None:
        i = bisect_left(self.seqs, seq)
        for s in self.seqs[i:]:
            del self.rows[s]
        del self.seqs[i:]


class MemoryStore:
    """A :class:`~stores.Store` that keeps everything in dicts; data lives as long as the
    object (``close()`` then ``open()`` keeps it)."""

    def __init__(self) -> None:
        # a plain lock: calls may come from more than one thread (sync portals), and each
        # method is short and never awaits while holding it
        self._lock = threading.Lock()
        self._open = False
        self._chains: dict[str, _Chain] = {}
        self._threads: dict[str, ThreadRow] = {}
        self._items: dict[tuple[str, ...], dict[str, tuple[bytes, float, float]]] = {}
        self._clock = ItemClock()
        self._n = Counters()

    def __repr__(self) -> str:
        state = "open" if self._open else "closed"
        return f"<MemoryStore {state} threads={len(self._threads)}>"

    async def open(self) -> None:
        if not self._open:
            self._open = True
            log.debug("memory store %#x: open", id(self))

    async def close(self) -> None:
        if self._open:
            self._open = False
            log.debug("memory store %#x: closed (data kept for the next open)", id(self))

    def _check_open(self) -> None:
        if not self._open:
            raise StoreUnavailableError("the store is closed: await store.open() first")

    # -- checkpoints -------------------------------------------------------------------
    async def write_batch(self, batch: WriteBatch) -> None:
        with self._lock:
            self._check_open()
            cut: dict[str, int] = {}
            for tid, seq in batch.discard:
                cut[tid] = min(seq, cut.get(tid, seq))
            # validate everything before touching anything: the batch is all or nothing
            # (rows are indexed, not read by field name: this loop is the flusher's hot path)
            seen: set[tuple[str, int]] = set()
            chains = self._chains
            for row in batch.checkpoints:
                key = (row[0], row[1])
                chain = chains.get(key[0])
                if key in seen or (
                    chain is not None
                    and key[1] in chain.rows
                    and not (key[0] in cut and key[1] >= cut[key[0]])
                ):
                    self._n.write_errors += 1
                    raise StoreError(
                        f"checkpoint {key[1]} already exists; the batch was not applied",
                        thread_id=key[0],
                    )
                seen.add(key)
            for tid, seq in cut.items():
                chain = chains.get(tid)
                if chain is not None:
                    chain.cut(seq)
            for row in batch.checkpoints:
                chain = chains.get(row[0])
                if chain is None:
                    chain = chains[row[0]] = _Chain()
                seqs, seq = chain.seqs, row[1]
                chain.rows[seq] = row
                if not seqs or seq > seqs[-1]:
                    seqs.append(seq)  # the usual case: ids only grow
                else:
                    insort(seqs, seq)
            for tid in cut:
                if tid in chains and not chains[tid].seqs:
                    del chains[tid]
            threads = self._threads
            for t in batch.threads:
                old = threads.get(t.thread_id)
                if old is not None:
                    t = t._replace(
                        created_at=old.created_at,
                        metadata=old.metadata if t.metadata is None else t.metadata,
                    )
                threads[t.thread_id] = t
            n = self._n
            n.batches += 1
            n.rows_written += len(batch.checkpoints)
            n.threads_written += len(batch.threads)
            n.discards += len(batch.discard)

    async def load_chain(self, thread_id: str, seq: int | None = None) -> list[CheckpointRow]:
        with self._lock:
            self._check_open()
            self._n.reads += 1
            chain = self._chains.get(thread_id)
            if chain is None or not chain.seqs:
                return []
            seqs = chain.seqs
            if seq is None:
                t = self._threads.get(thread_id)
                seq = seqs[-1]
                if t is not None and type(t.head) is int and t.head < seq:
                    # the head, or the latest stored below it; a head past the latest (a
                    # crash could leave one) reads as the latest
                    below = bisect_right(seqs, t.head)
                    seq = seqs[below - 1] if below else t.head
            target = chain.rows.get(seq)
            if target is None:
                return []
            check_rows((target,), thread_id)
            lo, hi = bisect_left(seqs, target.base), bisect_right(seqs, seq)
            return list(check_rows([chain.rows[s] for s in seqs[lo:hi]], thread_id))

    async def list_checkpoints(
        self,
        thread_id: str,
        *,
        before: int | None = None,
        limit: int | None = None,
        ascending: bool = False,
    ) -> list[CheckpointRow]:
        check_window(limit)
        with self._lock:
            self._check_open()
            self._n.reads += 1
            chain = self._chains.get(thread_id)
            if chain is None:
                return []
            seqs = chain.seqs
            if before is not None:
                seqs = seqs[: bisect_left(seqs, before)]
            if not ascending:
                # the newest ``limit`` first, before reversing: a page costs its length
                seqs = (seqs if limit is None else seqs[max(len(seqs) - limit, 0) :])[::-1]
            elif limit is not None:
                seqs = seqs[:limit]
            return list(check_rows([chain.rows[s] for s in seqs], thread_id))

    # -- threads -----------------------------------------------------------------------
    async def get_thread(self, thread_id: str) -> ThreadRow | None:
        with self._lock:
            self._check_open()
            self._n.reads += 1
            row = self._threads.get(thread_id)
        return None if row is None else check_thread(row)

    async def list_threads(
        self, *, status: str | None = None, limit: int | None = None, offset: int = 0
    ) -> list[ThreadRow]:
        check_window(limit, offset)
        with self._lock:
            self._check_open()
            self._n.reads += 1
            rows = [t for t in self._threads.values() if status is None or t.status == status]
        rows = list(readable_threads(rows))
        rows.sort(key=lambda t: (t.updated_at, t.thread_id), reverse=True)
        return rows[offset:] if limit is None else rows[offset : offset + limit]

    async def delete_thread(self, thread_id: str) -> bool:
        with self._lock:
            self._check_open()
            chain = self._chains.pop(thread_id, None)
            row = self._threads.pop(thread_id, None)
            return chain is not None or row is not None

    async def set_thread_status(self, thread_id: str, status: str, *, updated_at: float) -> bool:
        with self._lock:
            self._check_open()
            row = self._threads.get(thread_id)
            if row is None:
                return False
            self._threads[thread_id] = row._replace(status=status, updated_at=updated_at)
            return True

    # -- retention ---------------------------------------------------------------------
    async def prune_checkpoints(
        self, thread_id: str, before: int, *, limit: int, snapshot: bytes | None = None
    ) -> int:
        check_batch(limit)
        with self._lock:
            self._check_open()
            chain = self._chains.get(thread_id)
            if chain is None:
                return 0
            rows, seqs = chain.rows, chain.seqs
            if snapshot is not None:
                target = rows.get(before)
                if target is None:
                    return 0
                rows[before] = target._replace(base=before, payload=snapshot)
                for s in seqs[bisect_right(seqs, before) :]:
                    if rows[s].base < before:
                        rows[s] = rows[s]._replace(base=before)
            hi = bisect_left(seqs, before)
            lo = max(hi - limit, 0)
            for s in seqs[lo:hi]:
                del rows[s]
            del seqs[lo:hi]
            if not seqs:
                del self._chains[thread_id]
            return hi - lo

    async def expired_threads(
        self, before: float, *, limit: int, after: tuple[float, str] | None = None
    ) -> list[ThreadRow]:
        check_batch(limit)
        start = after or (float("-inf"), "")
        with self._lock:
            self._check_open()
            self._n.reads += 1
            rows = [
                t
                for t in readable_threads(self._threads.values())
                if t.updated_at < before
                and t.status != "archived"
                and (t.updated_at, t.thread_id) > start
            ]
        rows.sort(key=lambda t: (t.updated_at, t.thread_id))
        return rows[:limit]

    # -- leases: one process holds the data, so it always owns every thread ------------
    async def acquire_lease(self, thread_id: str) -> None:
        return None

    async def renew_leases(self) -> int:
        return 0

    async def release_leases(self, thread_ids: Sequence[str]) -> None:
        return None

    # -- cross-session memory ----------------------------------------------------------
    async def put_item(self, namespace: tuple[str, ...], key: str, value: dict[str, Any]) -> None:
        ns = check_namespace(namespace)
        data = encode_item_value(value)
        with self._lock:
            self._check_open()
            now = self._clock.now()
            bucket = self._items.setdefault(ns, {})
            old = bucket.get(key)
            bucket[key] = (data, now if old is None else old[1], now)
            self._n.item_writes += 1

    async def get_item(self, namespace: tuple[str, ...], key: str) -> Item | None:
        ns = check_namespace(namespace)
        with self._lock:
            self._check_open()
            self._n.reads += 1
            found = self._items.get(ns, {}).get(key)
        if found is None:
            return None
        return Item(ns, key, decode_item_value(found[0]), found[1], found[2])

    async def delete_item(self, namespace: tuple[str, ...], key: str) -> None:
        ns = check_namespace(namespace)
        with self._lock:
            self._check_open()
            bucket = self._items.get(ns)
            if bucket is not None and bucket.pop(key, None) is not None:
                self._n.item_writes += 1
                if not bucket and self._drop_empty_namespaces:
                    del self._items[ns]

    async def search_items(
        self,
        namespace_prefix: tuple[str, ...],
        *,
        filter: dict[str, Any] | None = None,
        limit: int = 10,
        offset: int = 0,
    ) -> list[Item]:
        prefix = check_prefix(namespace_prefix)
        check_window(limit, offset)
        n = len(prefix)
        with self._lock:
            self._check_open()
            self._n.reads += 1
            found = [
                (ns, key, rec)
                for ns, bucket in self._items.items()
                if ns[:n] == prefix
                for key, rec in bucket.items()
            ]
        found = self._search_order(found)
        out: list[Item] = []
        skip = offset
        for ns, key, (data, created, updated) in found:
            if len(out) >= limit:
                break
            value = decode_item_value(data)
            if filter and not item_matches(value, filter):
                continue
            if skip:
                skip -= 1
                continue
            out.append(Item(ns, key, value, created, updated))
        return out

    #: A namespace whose last item is deleted is no longer listed (as in SQL).
    _drop_empty_namespaces = True

    def _search_order(self, found: list[Any]) -> list[Any]:
        # the SQL backend's order: newest first, then namespace text, then key
        found.sort(key=lambda f: (-f[2][2], ".".join(f[0]), f[1]))
        return found

    async def list_item_namespaces(
        self,
        *,
        prefix: tuple[str, ...] = (),
        max_depth: int | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[tuple[str, ...]]:
        prefix = check_prefix(prefix)
        check_window(limit, offset)
        n = len(prefix)
        with self._lock:
            self._check_open()
            self._n.reads += 1
            found = [ns for ns in self._items if ns[:n] == prefix]
        return namespaces_page(found, max_depth, limit, offset)

    def statistics(self) -> MemoryStoreStatistics:
        n = self._n
        with self._lock:
            threads = len(self._threads.keys() | self._chains.keys())
            checkpoints = sum(len(c.seqs) for c in self._chains.values())
        return MemoryStoreStatistics(
            is_open=self._open,
            batches=n.batches,
            rows_written=n.rows_written,
            threads_written=n.threads_written,
            discards=n.discards,
            write_errors=n.write_errors,
            reads=n.reads,
            item_writes=n.item_writes,
            threads=threads,
            checkpoints=checkpoints,
        )


#: LangGraph's name for the in-memory checkpointer.
InMemorySaver = MemoryStore
MemorySaver = MemoryStore  # LangGraph's older name, still in many of its documents
