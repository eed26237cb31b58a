"""SQLite backend (aiosqlite): one writer connection, one reader connection, WAL.

Writes (``write_batch``, ``delete_thread``, items) go through the single writer connection
in explicit ``BEGIN IMMEDIATE`` ... ``COMMIT`` transactions; reads use their own connection,
which WAL lets run beside a write. ``":memory:"`` uses one connection for both.

Hot path: aiosqlite runs every awaited call as one hop to the connection's thread and one
back to the event loop. A whole transaction (``BEGIN``, two or three ``executemany``,
``COMMIT``) therefore runs as *one* function in the writer's thread through aiosqlite's
``Connection._execute``; if a future aiosqlite drops that private method the store falls
back to one awaited call per statement (same semantics, more hops).

Errors: a failed write is rolled back completely. Disk full, I/O errors, a lock held too
long and the like raise :class:`StoreUnavailableError` (try again later); a batch that can
never apply (a duplicate checkpoint, a malformed row) raises plain :class:`StoreError`.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import sqlite3
import threading
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Literal

import aiosqlite
import msgspec

from . import _sqlite_schema as schema
from ._protocol import check_namespace
from ._stats import Counters, SqliteStoreStatistics
from .errors import StoreError, StoreUnavailableError
from .memory import (
    ItemClock,
    check_prefix,
    check_window,
    decode_item_value,
    encode_item_value,
    item_matches,
    namespaces_page,
)
from .records import CheckpointRow, Item, ThreadRow, WriteBatch

__all__ = ["SqliteSaver", "SqliteStore"]

log = logging.getLogger("stores.sqlite")

#: Whether aiosqlite still has the private hooks the one-hop write path uses.
ONE_HOP_AVAILABLE = callable(getattr(aiosqlite.Connection, "_execute", None)) and isinstance(
    getattr(aiosqlite.Connection, "_conn", None), property
)

_DISCARD = "DELETE FROM checkpoints WHERE thread_id = ? AND seq >= ?"
_INSERT = "INSERT INTO checkpoints (thread_id, seq, parent, base, payload) VALUES (?, ?, ?, ?, ?)"
_UPSERT_THREAD = """
    INSERT INTO threads (thread_id, status, created_at, updated_at, metadata, head)
    VALUES (?, ?, ?, ?, ?, ?)
    ON CONFLICT (thread_id) DO UPDATE SET
        status = excluded.status,
        updated_at = excluded.updated_at,
        metadata = coalesce(excluded.metadata, threads.metadata),
        head = excluded.head"""
_CHAIN = """
    WITH target AS (
        SELECT seq, base FROM checkpoints
        WHERE thread_id = ?1 AND seq = coalesce(
            ?2,
            (SELECT head FROM threads WHERE thread_id = ?1),
            (SELECT max(seq) FROM checkpoints WHERE thread_id = ?1))
    )
    SELECT c.thread_id, c.seq, c.parent, c.base, c.payload
    FROM target, checkpoints AS c
    WHERE c.thread_id = ?1 AND c.seq BETWEEN target.base AND target.seq
    ORDER BY c.seq"""
_ROW = "SELECT thread_id, seq, parent, base, payload FROM checkpoints WHERE thread_id = ?"
_THREAD = "SELECT thread_id, status, created_at, updated_at, metadata, head FROM threads"
_EXISTING = """
    SELECT c.thread_id, c.seq FROM json_each(?) AS j JOIN checkpoints AS c
    ON c.thread_id = json_extract(j.value, '$[0]') AND c.seq = json_extract(j.value, '$[1]')"""
_PUT_ITEM = """
    INSERT INTO items (namespace, key, value, created_at, updated_at) VALUES (?, ?, ?, ?, ?)
    ON CONFLICT (namespace, key) DO UPDATE SET
        value = excluded.value, updated_at = excluded.updated_at"""
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")

#: Errors that retrying cannot cure: the write itself is wrong.
_REFUSED = (sqlite3.IntegrityError, sqlite3.ProgrammingError, sqlite3.InterfaceError)

#: (sql, parameters, executemany?)
Step = tuple[str, Any, bool]

# primary result codes (sqlite3.SQLITE_* constants exist only from Python 3.11 on)
_REASONS = {
    5: "the database stayed locked by another connection past busy_timeout",  # BUSY
    6: "a table is locked",  # LOCKED
    7: "SQLite ran out of memory",  # NOMEM
    8: "the database is read-only",  # READONLY
    10: "disk I/O error",  # IOERR
    11: "the database file is corrupt",  # CORRUPT
    13: "the database or disk is full",  # FULL
    14: "the database file cannot be opened",  # CANTOPEN
    26: "the file is not a database",  # NOTADB
}


def _transaction(db: sqlite3.Connection, steps: Sequence[Step]) -> list[int]:
    """Run ``steps`` in one ``BEGIN IMMEDIATE`` transaction; returns their row counts.

    Runs in the connection's own thread. Anything that fails rolls everything back.
    """
    if db.in_transaction:  # left open by a cancelled multi-hop write: start clean
        db.execute("ROLLBACK")
    db.execute("BEGIN IMMEDIATE")
    try:
        counts = [
            (db.executemany(sql, params) if many else db.execute(sql, params)).rowcount
            for sql, params, many in steps
        ]
        db.execute("COMMIT")
    except BaseException:
        if db.in_transaction:  # SQLite may have rolled back by itself (FULL, IOERR...)
            try:
                db.execute("ROLLBACK")
            except sqlite3.Error:
                log.exception("ROLLBACK failed; the next write starts with a new attempt")
        raise
    return counts


def _unavailable(exc: BaseException, doing: str, path: str) -> StoreUnavailableError:
    code = getattr(exc, "sqlite_errorcode", None)
    reason = _REASONS.get(code & 0xFF) if isinstance(code, int) else None
    name = getattr(exc, "sqlite_errorname", None) or type(exc).__name__
    what = f"{reason} ({name}: {exc})" if reason else f"{name}: {exc}"
    return StoreUnavailableError(f"cannot {doing} in {path}: {what}; nothing was written")


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
        path: str | os.PathLike[str],
        *,
        synchronous: Literal["NORMAL", "FULL"] = "NORMAL",
        busy_timeout: float = 5.0,
    ) -> None:
        if synchronous not in ("NORMAL", "FULL"):
            raise ValueError(f"synchronous must be 'NORMAL' or 'FULL', got {synchronous!r}")
        if busy_timeout < 0:
            raise ValueError(f"busy_timeout must be >= 0 seconds, got {busy_timeout}")
        self.path = os.fspath(path)
        self.synchronous = synchronous
        self.busy_timeout = busy_timeout
        self._shared = self.path in (":memory:", "")  # one private database per connection
        self._one_hop = ONE_HOP_AVAILABLE
        # nothing here touches an event loop: open() may run in another loop or thread
        self._writer: aiosqlite.Connection | None = None
        self._reader: aiosqlite.Connection | None = None
        self._lock: asyncio.Lock | None = None
        self._lock_loop: asyncio.AbstractEventLoop | None = None
        self._version = 0
        self._clock = ItemClock()
        self._n = Counters()

    def __repr__(self) -> str:
        state = "open" if self._writer is not None else "closed"
        return f"<SqliteStore {self.path!r} {state}>"

    # -- lifecycle ---------------------------------------------------------------------
    async def open(self) -> None:
        if self._writer is not None:
            return
        loop = asyncio.get_running_loop()
        if self._lock is None or self._lock_loop is not loop:
            self._lock, self._lock_loop = asyncio.Lock(), loop
        async with self._lock:
            if self._writer is None:
                await self._open()

    async def _open(self) -> None:
        writer = reader = None
        try:
            writer = await self._connect()
            async with writer.execute("PRAGMA journal_mode = WAL") as cur:
                row = await cur.fetchone()
            if not self._shared and (row is None or str(row[0]).lower() != "wal"):
                log.warning("%s: WAL journal refused (got %r); writes block reads", self.path, row)
            await writer.execute(f"PRAGMA synchronous = {self.synchronous}")
            found, self._version = await schema.migrate(writer, self.path)
            if found != self._version:
                log.info("%s: schema migrated from v%d to v%d", self.path, found, self._version)
            if self._shared:
                reader = writer
            else:
                reader = await self._connect()
                await reader.execute("PRAGMA query_only = 1")  # a read can never write
        except BaseException as exc:
            for conn in {id(c): c for c in (reader, writer) if c is not None}.values():
                try:
                    await conn.close()
                except Exception:
                    log.debug("closing after a failed open", exc_info=True)
            if isinstance(exc, sqlite3.Error):
                raise _unavailable(exc, "open the store", self.path) from exc
            raise
        self._writer, self._reader = writer, reader
        log.debug("%s: open (schema v%d, one_hop=%s)", self.path, self._version, self._one_hop)

    async def _connect(self) -> aiosqlite.Connection:
        conn = aiosqlite.connect(self.path, timeout=self.busy_timeout, isolation_level=None)
        _daemonize(conn)
        await conn
        await conn.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout * 1000)}")
        return conn

    async def close(self) -> None:
        writer, reader = self._writer, self._reader
        self._writer = self._reader = None
        if reader is not None and reader is not writer:
            await reader.close()
        if writer is not None:
            await writer.close()
            log.debug("%s: closed", self.path)

    def _conns(self) -> tuple[aiosqlite.Connection, aiosqlite.Connection]:
        writer, reader = self._writer, self._reader
        if writer is None or reader is None:
            raise StoreUnavailableError(
                f"the store {self.path} is closed: await store.open() first"
            )
        return writer, reader

    # -- plumbing ----------------------------------------------------------------------
    async def _write(self, steps: Sequence[Step], doing: str) -> list[int]:
        """Run ``steps`` as one transaction on the writer; map errors (see module doc)."""
        writer = self._conns()[0]
        try:
            if self._one_hop:
                # one hop: the whole transaction runs in the writer's thread
                run_in_thread: Callable[..., Awaitable[list[int]]] = writer._execute
                return await run_in_thread(_transaction, writer._conn, steps)
            return await self._write_hops(writer, steps)
        except _REFUSED as exc:
            self._n.write_errors += 1
            raise StoreError(f"cannot {doing}: refused ({exc}); nothing was written") from exc
        except (sqlite3.Error, ValueError) as exc:  # ValueError: closed under our feet
            self._n.write_errors += 1
            err = _unavailable(exc, doing, self.path)
            log.warning("%s", err)
            raise err from exc

    async def _write_hops(self, writer: aiosqlite.Connection, steps: Sequence[Step]) -> list[int]:
        if writer.in_transaction:
            await writer.execute("ROLLBACK")
        await writer.execute("BEGIN IMMEDIATE")
        try:
            counts = []
            for sql, params, many in steps:
                run = writer.executemany if many else writer.execute
                counts.append((await run(sql, params)).rowcount)
            await writer.execute("COMMIT")
        except BaseException:
            if writer.in_transaction:
                try:
                    await writer.execute("ROLLBACK")
                except sqlite3.Error:
                    log.exception("ROLLBACK failed; the next write starts with a new attempt")
            raise
        return counts

    async def _read(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        reader = self._conns()[1]
        self._n.reads += 1
        try:
            return list(await reader.execute_fetchall(sql, params))
        except (sqlite3.Error, ValueError) as exc:  # ValueError: closed under our feet
            raise _unavailable(exc, "read", self.path) from exc

    # -- checkpoints -------------------------------------------------------------------
    async def write_batch(self, batch: WriteBatch) -> None:
        steps: list[Step] = []
        if batch.discard:
            steps.append((_DISCARD, batch.discard, True))
        if batch.checkpoints:
            steps.append((_INSERT, batch.checkpoints, True))
        if batch.threads:
            steps.append((_UPSERT_THREAD, batch.threads, True))
        if not steps:
            return
        t0 = time.perf_counter()
        try:
            await self._write(steps, "write a batch")
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
            found = await self._read(_EXISTING, (keys.decode(),))
            for tid, seq in found:
                if tid not in cut or seq < cut[tid]:
                    return _duplicate(tid, seq)
        return StoreError(f"the batch was refused ({exc}); nothing was written")

    async def load_chain(self, thread_id: str, seq: int | None = None) -> list[CheckpointRow]:
        return list(map(CheckpointRow._make, await self._read(_CHAIN, (thread_id, seq))))

    async def list_checkpoints(
        self,
        thread_id: str,
        *,
        before: int | None = None,
        limit: int | None = None,
        ascending: bool = False,
    ) -> list[CheckpointRow]:
        check_window(limit)
        sql = _ROW
        params: list[Any] = [thread_id]
        if before is not None:
            sql += " AND seq < ?"
            params.append(before)
        sql += f" ORDER BY seq {'ASC' if ascending else 'DESC'} LIMIT ?"
        params.append(-1 if limit is None else limit)
        return list(map(CheckpointRow._make, await self._read(sql, params)))

    # -- threads -----------------------------------------------------------------------
    async def get_thread(self, thread_id: str) -> ThreadRow | None:
        rows = await self._read(_THREAD + " WHERE thread_id = ?", (thread_id,))
        return ThreadRow._make(rows[0]) if rows else None

    async def list_threads(
        self, *, status: str | None = None, limit: int | None = None, offset: int = 0
    ) -> list[ThreadRow]:
        check_window(limit, offset)
        where, params = ("", []) if status is None else (" WHERE status = ?", [status])
        sql = f"{_THREAD}{where} ORDER BY updated_at DESC, thread_id DESC LIMIT ? OFFSET ?"
        rows = await self._read(sql, [*params, -1 if limit is None else limit, offset])
        return list(map(ThreadRow._make, rows))

    async def delete_thread(self, thread_id: str) -> bool:
        steps: list[Step] = [
            ("DELETE FROM checkpoints WHERE thread_id = ?", (thread_id,), False),
            ("DELETE FROM threads WHERE thread_id = ?", (thread_id,), False),
        ]
        return sum(await self._write(steps, "delete a thread")) > 0

    # -- cross-session memory ----------------------------------------------------------
    async def put_item(self, namespace: tuple[str, ...], key: str, value: dict[str, Any]) -> None:
        ns = ".".join(check_namespace(namespace))
        data = encode_item_value(value).decode()
        now = self._clock.now()
        await self._write([(_PUT_ITEM, (ns, key, data, now, now), False)], "put an item")
        self._n.item_writes += 1

    async def get_item(self, namespace: tuple[str, ...], key: str) -> Item | None:
        ns = check_namespace(namespace)
        sql = "SELECT value, created_at, updated_at FROM items WHERE namespace = ? AND key = ?"
        rows = await self._read(sql, (".".join(ns), key))
        if not rows:
            return None
        value, created, updated = rows[0]
        return Item(ns, key, decode_item_value(value), created, updated)

    async def delete_item(self, namespace: tuple[str, ...], key: str) -> None:
        ns = ".".join(check_namespace(namespace))
        sql = "DELETE FROM items WHERE namespace = ? AND key = ?"
        if (await self._write([(sql, (ns, key), False)], "delete an item"))[0]:
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
        where, params = _prefix_clause(check_prefix(namespace_prefix))
        for k, v in (filter or {}).items():
            # json_extract only narrows the scan (its equality is looser than Python's
            # for nested values); the exact test runs below, as in the memory store
            if _IDENTIFIER.match(k) and (
                type(v) is str or (type(v) is int and -(2**63) <= v < 2**63)
            ):
                where.append("json_extract(value, ?) = ?")
                params += [f"$.{k}", v]
        sql = "SELECT namespace, key, value, created_at, updated_at FROM items"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY updated_at DESC, namespace, key"
        if not filter:
            sql += " LIMIT ? OFFSET ?"
            params += [limit, offset]
            offset = 0
        out: list[Item] = []
        for ns, key, data, created, updated in await self._read(sql, params):
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

    async def list_namespaces(
        self,
        *,
        prefix: tuple[str, ...] = (),
        max_depth: int | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[tuple[str, ...]]:
        check_window(limit, offset)
        where, params = _prefix_clause(check_prefix(prefix))
        sql = "SELECT DISTINCT namespace FROM items"
        if where:
            sql += " WHERE " + " AND ".join(where)
        found = [tuple(r[0].split(".")) for r in await self._read(sql, params)]
        return namespaces_page(found, max_depth, limit, offset)

    def statistics(self) -> SqliteStoreStatistics:
        n = self._n
        return SqliteStoreStatistics(
            path=self.path,
            is_open=self._writer is not None,
            one_hop=self._one_hop,
            schema_version=self._version,
            batches=n.batches,
            rows_written=n.rows_written,
            threads_written=n.threads_written,
            discards=n.discards,
            write_errors=n.write_errors,
            write_seconds=n.write_seconds,
            reads=n.reads,
            item_writes=n.item_writes,
        )


def _duplicate(thread_id: str, seq: int) -> StoreError:
    return StoreError(
        f"checkpoint {seq} already exists; the batch was not applied", thread_id=thread_id
    )


def _prefix_clause(prefix: tuple[str, ...]) -> tuple[list[str], list[Any]]:
    """``namespace`` is ``prefix`` or under it, as a range on the primary key.

    Labels hold no ``.``, and ``/`` is the character after ``.``, so everything under
    ``a.b`` sorts in ``("a.b.", "a.b/")``; unlike ``LIKE`` this is exact (``_`` and ``%`` in
    labels are plain characters) and uses the index.
    """
    if not prefix:
        return [], []
    p = ".".join(prefix)
    return ["(namespace = ? OR (namespace > ? AND namespace < ?))"], [p, p + ".", p + "/"]


#: LangGraph's name for the SQLite checkpointer: ``SqliteSaver("chat.db")``.
SqliteSaver = SqliteStore
