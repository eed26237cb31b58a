"""SQLite backend: one writer connection, one reader connection, WAL.

A batch's consecutive checkpoints of a thread are stored as one packed row
(stores/_sqlite_pack.py); reads unpack them, so the store API still sees one row per
checkpoint.

Every write (``write_batch``, ``delete_thread``, items) is one ``BEGIN IMMEDIATE`` ...
``COMMIT`` transaction on the single writer connection, run as *one* call: a whole batch
(``DELETE``, multi-row inserts, ``COMMIT``) crosses to the writer's thread once, not once per
statement. Reads use their own aiosqlite connection, which WAL lets run beside a write;
``":memory:"`` has one connection for both.

Where the writer runs is ``writer=``:

``"loop"`` (default)
    On the event loop thread itself, and WAL checkpoints on the reader's thread. The loop
    stalls for the length of each commit (a few microseconds per row), but no thread has to win
    the GIL back from a busy loop: every sqlite3 call releases the GIL and must retake it,
    and a loop that keeps calling ``select()`` keeps retaking it first, so under load a
    writer thread waits for it again and again. If another process holds the write lock,
    the write moves to the thread and waits there (``busy_timeout``), never on the loop.
    Measured on the tutorial bench (S=1000, T=10, C=100, 2 cores, one run): 25.2k turns/s,
    p99 9 ms, against 17.7k turns/s, p99 61 ms with ``"thread"``.
``"thread"``
    On a private thread: the event loop never waits for SQLite; better when the process
    has a core to spare that the loop does not compete for (little Python load).

Errors: a failed write is rolled back completely. Disk full, I/O errors, a lock held too
long and the like raise :class:`StoreUnavailableError` (try again later); a batch that can
never apply (a duplicate checkpoint, a row over SQLite's length limit, a malformed row, a
constraint or trigger refusing it) raises plain :class:`StoreError`, naming the thread when
it can (a duplicate). A duplicate is seen when it starts a stored run or comes twice in one
batch; a run that starts inside a stored one is not (see stores/_sqlite_pack.py). The
runtime retries the first kind and splits a batch refused with the second until it finds
the thread to quarantine.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import os
import socket
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from typing import Any, Literal

import aiosqlite
import msgspec

from . import _leases
from . import _sqlite_pack as pack
from . import _sqlite_schema as sql
from ._check import check_thread, readable_threads
from ._protocol import check_namespace
from ._stats import Counters, SqliteStoreStatistics
from .errors import StaleOwnerError, StoreError, StoreFileGoneError, StoreUnavailableError
from .memory import (
    ItemClock,
    check_batch,
    check_prefix,
    check_window,
    decode_item_value,
    encode_item_value,
    item_matches,
    namespaces_page,
)
from .records import CheckpointRow, Item, ThreadRow, WriteBatch

__all__ = ["AsyncSqliteSaver", "SqliteSaver", "SqliteStore"]

log = logging.getLogger("stores.sqlite")


#: Seconds between the WAL checkpoints a loop-writer store runs (see _start_checkpoint).
WAL_CHECKPOINT_EVERY = 0.25


def _daemonize(conn: aiosqlite.Connection) -> None:
    # aiosqlite's worker thread is not a daemon: a store that is never closed would keep
    # the interpreter from exiting. Committed data is safe either way (SQLite is atomic).
    thread = getattr(conn, "_thread", None)
    if isinstance(thread, threading.Thread) and not thread.is_alive():
        thread.daemon = True


class SqliteStore:
    """A :class:`~stores.Store` in one SQLite file (see the module docstring).

    ``synchronous="NORMAL"`` survives an application crash (WAL); ``"FULL"`` also an OS crash
    or power loss, at the price of an fsync per commit. ``busy_timeout`` (seconds) is how long
    a write waits for another process holding the file's write lock.
    """

    def __init__(
        self,
        path: str | os.PathLike[str] | sqlite3.Connection,
        *,
        synchronous: Literal["NORMAL", "FULL"] = "NORMAL",
        busy_timeout: float = 5.0,
        writer: Literal["thread", "loop"] = "loop",
        lease_ttl: float | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if synchronous not in ("NORMAL", "FULL"):
            raise ValueError(f"synchronous must be 'NORMAL' or 'FULL', got {synchronous!r}")
        if writer not in ("thread", "loop"):
            raise ValueError(f"writer must be 'thread' or 'loop', got {writer!r}")
        if busy_timeout < 0:
            raise ValueError(f"busy_timeout must be >= 0 seconds, got {busy_timeout}")
        if lease_ttl is not None and lease_ttl <= 0:
            raise ValueError(
                f"lease_ttl must be a positive number of seconds or None, got {lease_ttl}"
            )
        self.lease_ttl = lease_ttl
        """Seconds a thread's lease lasts unless renewed; ``None``: no leases (one process)."""
        if isinstance(path, sqlite3.Connection):
            # LangGraph's SqliteSaver(conn): the same file, through connections of our own
            # (the store needs a writer thread and a reader of its own)
            path = path.execute("PRAGMA database_list").fetchone()[2] or ":memory:"
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        """Who this store is in the leases table (one value per store object)."""
        self.clock = clock
        """Wall clock for lease expiry (tests inject one)."""
        self._epochs: dict[str, int] = {}
        """The leases this store holds: thread -> the epoch it took."""
        self.path = os.fspath(path)
        self.synchronous = synchronous
        self.busy_timeout = busy_timeout
        self.writer = writer
        self._shared = self.path in (":memory:", "")  # one private database per connection
        self._identity: tuple[int, int] | None = None
        """``(st_dev, st_ino)`` of the file as opened: every write checks the path still
        names it (see sql.same_file)."""
        # nothing here touches an event loop: open() may run in another loop or thread
        self._w: sql.Writer | None = None
        self._reader: aiosqlite.Connection | None = None
        self._lock: asyncio.Lock | None = None
        self._lock_loop: asyncio.AbstractEventLoop | None = None
        self._checkpoint: asyncio.Future[Any] | None = None
        self._checkpoint_at = float("-inf")
        self._version = 0
        self._clock = ItemClock()
        self._n = Counters()

    def __repr__(self) -> str:
        state = "open" if self._w is not None else "closed"
        return f"<SqliteStore {self.path!r} {state}>"

    @classmethod
    def from_conn_string(cls, conn_string: str) -> _Opened:
        """LangGraph's ``with SqliteSaver.from_conn_string(path) as saver:`` (and ``async
        with``, as its ``AsyncSqliteSaver`` does). Leaving the block closes nothing: the
        graph that uses the store flushes and closes it (``aclose()``, or at exit), so a
        turn acknowledged inside the block is never lost by leaving it."""
        return _Opened(cls(conn_string))

    # -- lifecycle ---------------------------------------------------------------------
    async def open(self) -> None:
        if self._w is not None:
            return
        loop = asyncio.get_running_loop()
        if self._lock is None or self._lock_loop is not loop:
            self._lock, self._lock_loop = asyncio.Lock(), loop
        async with self._lock:
            if self._w is None:
                await self._open()

    async def _open(self) -> None:
        busy_ms = int(self.busy_timeout * 1000)
        w = sql.Writer(inline=self.writer == "loop", busy_ms=busy_ms)
        reader = None
        try:
            w.db, found, self._version = await w.in_thread(self._open_writer, busy_ms)
            if found != self._version:
                log.info("%s: schema migrated from v%d to v%d", self.path, found, self._version)
            if not self._shared:
                reader = aiosqlite.connect(self.path, timeout=self.busy_timeout)
                _daemonize(reader)
                await reader
                await reader.execute(f"PRAGMA busy_timeout = {busy_ms}")
                await reader.execute("PRAGMA query_only = 1")  # a read can never write
        except BaseException as exc:
            if reader is not None:
                await reader.close()
            await w.close()
            if isinstance(exc, sqlite3.Error):
                raise sql.unavailable(exc, "open the store", self.path) from exc
            raise
        self._w, self._reader = w, reader
        log.debug("%s: open (schema v%d, writer=%s)", self.path, self._version, self.writer)

    def _open_writer(self, busy_ms: int) -> tuple[sqlite3.Connection, int, int]:
        db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        try:
            db.execute(f"PRAGMA busy_timeout = {busy_ms}")
            mode = sql.journal_wal(db, busy_ms)
            if not self._shared and str(mode).lower() != "wal":
                log.warning("%s: WAL journal refused (got %r); writes block reads", self.path, mode)
            db.execute(f"PRAGMA synchronous = {self.synchronous}")
            db.execute("PRAGMA journal_size_limit = 67108864")  # shrink the WAL after bursts
            found, now = sql.migrate(db, self.path)
            self._identity = None if self._shared else sql.file_identity(self.path)
            if self.writer == "loop":
                db.execute("PRAGMA busy_timeout = 0")  # see sql.Writer.run
                if not self._shared:
                    db.execute("PRAGMA wal_autocheckpoint = 0")  # no fsync on the loop
        except BaseException:
            db.close()
            raise
        return db, found, now

    async def close(self) -> None:
        if self._epochs and self._w is not None:
            # hand our threads to other processes now rather than when the leases expire
            held, self._epochs = list(self._epochs), {}
            try:
                await self._w.run(sql.in_transaction, _leases.release, self.owner, held)
            except (sqlite3.Error, ValueError):
                log.warning("%s: could not release %d leases; they expire", self.path, len(held))
        w, reader, ckpt = self._w, self._reader, self._checkpoint
        self._w = self._reader = self._checkpoint = None
        if ckpt is not None and ckpt.get_loop() is asyncio.get_running_loop():
            await asyncio.wait([ckpt])
        if reader is not None:
            await reader.close()
        if w is not None:
            await w.close()
            log.debug("%s: closed", self.path)

    def _writer(self) -> sql.Writer:
        if self._w is None:
            raise StoreUnavailableError(f"{self.path} is closed: await store.open() first")
        return self._w

    # -- plumbing ----------------------------------------------------------------------
    async def _write(
        self,
        steps: Sequence[sql.Step],
        doing: str,
        check: Callable[[sqlite3.Connection], None] | None = None,
    ) -> list[int]:
        """Run ``steps`` as one transaction on the writer; map errors (see module doc)."""
        w = self._writer()
        if self._identity is not None:
            steps = [*steps, (sql.same_file, (self.path, self._identity), sql.CALL)]
        try:
            if check is None:
                counts = await w.run(sql.transaction, steps)
            else:
                counts = await w.run(sql.transaction, steps, check)
        except _leases.Stale as exc:
            for tid in exc.thread_ids:
                self._epochs.pop(tid, None)
            raise StaleOwnerError(
                f"another process owns {len(exc.thread_ids)} thread(s) of this batch now "
                f"(their leases expired and were taken over); nothing was written",
                thread_id=exc.thread_ids[0],
            ) from exc
        except sql.FileGone as exc:
            self._n.write_errors += 1
            gone = StoreFileGoneError(
                f"cannot {doing}: {self.path} was {exc} since this store opened it; nothing "
                "was written, and nothing will be into the file this store has open (reopen "
                "the store to use the file now at that path)",
                path=self.path,
            )
            log.warning("%s", gone)
            raise gone from None
        except sql.REFUSED as exc:
            self._n.write_errors += 1
            raise StoreError(f"cannot {doing}: refused ({exc}); nothing was written") from exc
        except (sqlite3.Error, ValueError) as exc:  # ValueError: closed under our feet
            self._n.write_errors += 1
            err = sql.unavailable(exc, doing, self.path)
            log.warning("%s", err)
            raise err from exc
        if w.inline and self._reader is not None:
            self._start_checkpoint(self._reader)
        return counts

    def _start_checkpoint(self, reader: aiosqlite.Connection) -> None:
        # With writer="loop" the WAL is checkpointed here, beside the loop, not in COMMIT;
        # a task left on a loop that has since ended (no close()) is simply replaced. At
        # most every WAL_CHECKPOINT_EVERY seconds: a checkpoint that catches up with the
        # whole WAL makes the next commit restart the WAL, which syncs its header on the
        # loop (~3 ms against ~0.02 ms for a small commit, measured on this machine).
        now = time.monotonic()
        if now - self._checkpoint_at < WAL_CHECKPOINT_EVERY:
            return
        ckpt = self._checkpoint
        if ckpt is None or ckpt.done() or ckpt.get_loop() is not asyncio.get_running_loop():
            self._checkpoint_at = now
            self._checkpoint = asyncio.ensure_future(self._run_checkpoint(reader))

    async def _run_checkpoint(self, reader: aiosqlite.Connection) -> None:
        try:
            await reader.execute("PRAGMA wal_checkpoint(PASSIVE)")
            self._n.wal_checkpoints += 1
        except (sqlite3.Error, ValueError):
            log.debug("%s: background WAL checkpoint failed", self.path, exc_info=True)

    async def _read(
        self, query: str, params: Sequence[Any] = (), *, point: bool = False
    ) -> list[Any]:
        """Run a read; ``point``: a few rows found by key, which with ``writer="loop"`` are
        read on the loop through the writer connection (tens of microseconds) instead of a
        round trip through the reader's thread, which must win the GIL back from a busy loop
        twice (milliseconds under load: it made every activation of a new thread wait)."""
        reader = self._reader
        self._n.reads += 1
        try:
            if reader is None or (point and self.writer == "loop"):
                return await self._writer().run(sql.fetchall, query, params)
            return list(await reader.execute_fetchall(query, params))
        except (sqlite3.Error, ValueError) as exc:  # ValueError: closed under our feet
            raise sql.unavailable(exc, "read", self.path) from exc

    # -- checkpoints -------------------------------------------------------------------
    async def write_batch(self, batch: WriteBatch) -> None:
        steps: list[sql.Step] = []
        if batch.discard:
            steps.append((pack.discard, batch.discard, sql.CALL))
        if batch.checkpoints:
            steps.append((pack.insert, batch.checkpoints, sql.CALL))
        if batch.threads:
            steps.append((sql.UPSERT_THREAD, batch.threads, sql.BULK))
        if not steps:
            return
        check = None
        if self.lease_ttl is not None:
            check = functools.partial(
                _leases.fence,
                owner=self.owner,
                epochs=self._fenced(batch),
                until=self.clock() + self.lease_ttl,
            )
        t0 = time.perf_counter()
        try:
            await self._write(steps, "write a batch", check)
        except StoreError as err:
            cause = err.__cause__
            if isinstance(err, StoreUnavailableError) or not isinstance(cause, sqlite3.Error):
                raise
            raise await self._refused(batch, cause) from cause
        n = self._n
        n.write_seconds += time.perf_counter() - t0
        n.batches += 1
        n.rows_written += len(batch.checkpoints)
        n.threads_written += len(batch.threads)
        n.discards += len(batch.discard)

    def _fenced(self, batch: WriteBatch) -> list[tuple[str, int]]:
        # a thread this store never leased has epoch 0, which no lease row has: refused
        tids = {r.thread_id for r in batch.checkpoints}
        tids.update(t.thread_id for t in batch.threads)
        tids.update(tid for tid, _ in batch.discard)
        return [(tid, self._epochs.get(tid, 0)) for tid in tids]

    # -- leases ------------------------------------------------------------------------
    async def acquire_lease(self, thread_id: str) -> None:
        """Own ``thread_id`` before serving it (see stores/_leases.py); a no-op without
        ``lease_ttl``. Raises :class:`StaleOwnerError` while another process owns it."""
        if self.lease_ttl is None:
            return
        try:
            epoch = await self._writer().run(
                sql.in_transaction,
                _leases.acquire,
                thread_id,
                self.owner,
                self.clock(),
                self.lease_ttl,
            )
        except _leases.Held as held:
            left = max(0.0, held.expires - self.clock())
            raise StaleOwnerError(
                f"another process ({held.owner}) owns this thread for up to {left:.1f}s more; "
                "retry then, or send this thread's requests to that process",
                thread_id=thread_id,
            ) from None
        except (sqlite3.Error, ValueError) as exc:
            raise sql.unavailable(exc, "take a thread's lease", self.path) from exc
        self._epochs[thread_id] = epoch

    async def renew_leases(self) -> int:
        """Extend every lease this store holds by ``lease_ttl``; how many it still held."""
        if self.lease_ttl is None or not self._epochs:
            return 0
        until = self.clock() + self.lease_ttl
        tids = list(self._epochs)
        try:
            return await self._writer().run(
                sql.in_transaction, _leases.renew, self.owner, tids, until
            )
        except (sqlite3.Error, ValueError) as exc:
            raise sql.unavailable(exc, "renew leases", self.path) from exc

    async def release_leases(self, thread_ids: Sequence[str]) -> None:
        """Give up the leases of ``thread_ids`` (threads that left memory)."""
        mine = [tid for tid in thread_ids if self._epochs.pop(tid, None) is not None]
        if self.lease_ttl is None or not mine:
            return
        try:
            await self._writer().run(sql.in_transaction, _leases.release, self.owner, mine)
        except (sqlite3.Error, ValueError) as exc:
            raise sql.unavailable(exc, "release leases", self.path) from exc

    async def _refused(self, batch: WriteBatch, exc: sqlite3.Error) -> StoreError:
        """Name the checkpoint that made a batch fail, like the memory store does."""
        cut: dict[str, int] = {}
        for tid, seq in batch.discard:
            cut[tid] = min(seq, cut.get(tid, seq))
        seen: set[tuple[str, int]] = set()
        for row in batch.checkpoints:
            if (row.thread_id, row.seq) in seen:
                return _duplicate(row.thread_id, row.seq)
            seen.add((row.thread_id, row.seq))
        if isinstance(exc, sqlite3.IntegrityError) and batch.checkpoints:
            keys = msgspec.json.encode([[r.thread_id, r.seq] for r in batch.checkpoints])
            for tid, seq in await self._read(sql.EXISTING, (keys.decode(),)):
                if tid not in cut or seq < cut[tid]:
                    return _duplicate(tid, seq)
        return StoreError(f"the batch was refused ({exc}); nothing was written")

    async def load_chain(self, thread_id: str, seq: int | None = None) -> list[CheckpointRow]:
        stored = await self._read(sql.CHAIN, (thread_id, seq), point=True)
        if not stored:
            return []
        target = stored[0][-1]
        rows = pack.rows_of(s[:-1] for s in stored)
        base = rows[-1].base
        if rows[-1].seq != target:  # the target sits inside the last stored row
            base = next(r.base for r in rows if r.seq == target)
            rows = [r for r in rows if r.seq <= target]
        if rows[0].seq < base:
            rows = [r for r in rows if r.seq >= base]
        return rows

    async def list_checkpoints(
        self,
        thread_id: str,
        *,
        before: int | None = None,
        limit: int | None = None,
        ascending: bool = False,
    ) -> list[CheckpointRow]:
        check_window(limit)
        query = sql.ROWS
        params: list[Any] = [thread_id]
        if before is not None:
            query += " AND first < ?"
            params.append(before)
        # a stored row holds one checkpoint or more, each with first < before at least one
        # below it: LIMIT rows gives at least LIMIT checkpoints
        query += f" ORDER BY first {'ASC' if ascending else 'DESC'} LIMIT ?"
        params.append(-1 if limit is None else limit)
        stored = await self._read(query, params)
        if limit is not None and not ascending:
            # newest first: unpack stored rows only until ``limit`` checkpoints are in (a
            # packed row holds dozens: a page of history unpacked them all before)
            rows = []
            found = used = 0
            for s in stored:
                used += 1
                got = pack.expand(s)
                rows.extend(got)
                # only the first stored row can reach past ``before`` (rows do not overlap)
                found += sum(r.seq < before for r in got) if before is not None else len(got)
                if found >= limit:
                    break
            packed = len(rows) != used
        else:
            rows = pack.rows_of(stored)
            packed = len(rows) != len(stored)
        if not packed:  # the rows are the checkpoints, one a stored row, in order
            return rows
        if before is not None:
            rows = [r for r in rows if r.seq < before]
        if not ascending:  # each row's checkpoints came ascending
            rows.sort(key=_seq, reverse=True)
        return rows if limit is None else rows[:limit]

    # -- threads -----------------------------------------------------------------------
    async def get_thread(self, thread_id: str) -> ThreadRow | None:
        rows = await self._read(sql.THREADS + " WHERE thread_id = ?", (thread_id,), point=True)
        return check_thread(rows[0]) if rows else None

    async def list_threads(
        self, *, status: str | None = None, limit: int | None = None, offset: int = 0
    ) -> list[ThreadRow]:
        check_window(limit, offset)
        where, params = ("", []) if status is None else (" WHERE status = ?", [status])
        query = f"{sql.THREADS}{where} ORDER BY updated_at DESC, thread_id DESC LIMIT ? OFFSET ?"
        rows = await self._read(query, [*params, -1 if limit is None else limit, offset])
        return list(readable_threads(rows))

    async def delete_thread(self, thread_id: str) -> bool:
        steps: list[sql.Step] = [(q, (thread_id,), sql.ONE) for q in sql.DELETE_THREAD]
        return sum(await self._write(steps, "delete a thread")) > 0

    async def set_thread_status(self, thread_id: str, status: str, *, updated_at: float) -> bool:
        step: sql.Step = (sql.SET_STATUS, (status, updated_at, thread_id), False)
        return (await self._write([step], "set a thread's status"))[0] > 0

    # -- retention ---------------------------------------------------------------------
    async def prune_checkpoints(
        self, thread_id: str, before: int, *, limit: int, snapshot: bytes | None = None
    ) -> int:
        check_batch(limit)
        step: sql.Step = (_prune, (thread_id, before, limit, snapshot), sql.CALL)
        return (await self._write([step], "prune checkpoints"))[0]

    async def expired_threads(
        self, before: float, *, limit: int, after: tuple[float, str] | None = None
    ) -> list[ThreadRow]:
        check_batch(limit)
        start = after or (float("-inf"), "")
        rows = await self._read(sql.EXPIRED, (before, *start, limit))
        return list(readable_threads(rows))

    # -- cross-session memory ----------------------------------------------------------
    async def put_item(self, namespace: tuple[str, ...], key: str, value: dict[str, Any]) -> None:
        ns = ".".join(check_namespace(namespace))
        data = encode_item_value(value).decode()
        now = self._clock.now()
        await self._write([(sql.PUT_ITEM, (ns, key, data, now, now), sql.ONE)], "put an item")
        self._n.item_writes += 1

    async def get_item(self, namespace: tuple[str, ...], key: str) -> Item | None:
        ns = check_namespace(namespace)
        rows = await self._read(sql.GET_ITEM, (".".join(ns), key), point=True)
        if not rows:
            return None
        value, created, updated = rows[0]
        return Item(ns, key, decode_item_value(value), created, updated)

    async def delete_item(self, namespace: tuple[str, ...], key: str) -> None:
        ns = ".".join(check_namespace(namespace))
        if (await self._write([(sql.DELETE_ITEM, (ns, key), sql.ONE)], "delete an item"))[0]:
            self._n.item_writes += 1

    async def search_items(
        self,
        namespace_prefix: tuple[str, ...],
        *,
        filter: dict[str, Any] | None = None,
        limit: int = 10,
        offset: int = 0,
    ) -> list[Item]:
        check_window(limit, offset)
        query, params = sql.search_query(check_prefix(namespace_prefix), filter, limit, offset)
        if not filter:
            offset = 0  # LIMIT/OFFSET were done in SQL
        out: list[Item] = []
        for ns, key, data, created, updated in await self._read(query, params):
            if len(out) >= limit:
                break
            value = decode_item_value(data)
            if filter and not item_matches(value, filter):
                continue
            if offset:
                offset -= 1
                continue
            out.append(Item(tuple(ns.split(".")), key, value, created, updated))
        return out

    async def list_item_namespaces(
        self,
        *,
        prefix: tuple[str, ...] = (),
        max_depth: int | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[tuple[str, ...]]:
        check_window(limit, offset)
        where, params = sql.prefix_clause(check_prefix(prefix))
        query = sql.NAMESPACES + (" WHERE " + " AND ".join(where) if where else "")
        found = [tuple(r[0].split(".")) for r in await self._read(query, params)]
        return namespaces_page(found, max_depth, limit, offset)

    def statistics(self) -> SqliteStoreStatistics:
        n = self._n
        return SqliteStoreStatistics(
            path=self.path,
            is_open=self._w is not None,
            writer=self.writer,
            schema_version=self._version,
            batches=n.batches,
            rows_written=n.rows_written,
            threads_written=n.threads_written,
            discards=n.discards,
            write_errors=n.write_errors,
            write_seconds=n.write_seconds,
            reads=n.reads,
            item_writes=n.item_writes,
            wal_checkpoints=n.wal_checkpoints,
        )


def _prune(db: sqlite3.Connection, args: tuple[str, int, int, bytes | None]) -> int:
    return pack.prune(db, *args)


def _seq(row: CheckpointRow) -> int:
    return row.seq


def _duplicate(thread_id: str, seq: int) -> StoreError:
    return StoreError(
        f"checkpoint {seq} already exists; the batch was not applied", thread_id=thread_id
    )


class _Opened:
    """What ``from_conn_string`` returns: a context manager, sync and async, giving a store."""

    __slots__ = ("store",)

    def __init__(self, store: SqliteStore) -> None:
        self.store = store

    def __enter__(self) -> SqliteStore:
        return self.store

    def __exit__(self, *exc: object) -> None:
        return None

    async def __aenter__(self) -> SqliteStore:
        return self.store

    async def __aexit__(self, *exc: object) -> None:
        return None


#: LangGraph's names for the SQLite checkpointer: ``SqliteSaver("chat.db")``; the same store
#: serves sync and async code, so ``AsyncSqliteSaver`` is it too.
SqliteSaver = SqliteStore
AsyncSqliteSaver = SqliteStore
