"""The SQLite layer under the store: schema, migrations (versioned in ``PRAGMA
user_version``), the SQL the store runs, the functions that run it on a ``sqlite3``
connection, and :class:`Writer`, which owns the one writer connection and its thread.

``MIGRATIONS[i]`` takes a file from version ``i`` to ``i + 1``; a fresh file is version 0.
Never edit a released migration: append a new one. All pending migrations run in one
``BEGIN IMMEDIATE`` transaction, so two processes opening an old file at once migrate it
once, and a failed migration leaves the file at its old version.

Layout notes:

* ``checkpoints`` is a rowid table with a ``(thread_id, first)`` key index rather than
  ``WITHOUT ROWID``: rows then append at the end of the table and only the small index
  entries land between other threads' rows. With many sessions interleaving, writes
  measured 1.5-2x faster this way (examples/bench_store.py).
* Since v3 a ``checkpoints`` row holds a thread's run of consecutive checkpoints
  ``first``..``seq`` from one batch (stores/_sqlite_pack.py): one row and one index entry
  per run instead of per checkpoint, ~45% less write cost per checkpoint at three per
  thread and batch, ~55% at twelve (``examples/bench_store.py --per-thread``).
* ``threads`` is ``WITHOUT ROWID``: small rows always reached by their key.
* ``items.value`` is JSON text (``msgspec.json``): readable with ``json_extract`` for
  ad-hoc queries; search filters are checked in Python (exact ``==``), with ``json_extract``
  only narrowing the scan. A namespace is its labels joined by ``.`` (labels hold no dot).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
import logging
import os
import queue
import re
import sqlite3
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from .errors import StoreUnavailableError

log = logging.getLogger("stores.sqlite")
T = TypeVar("T")

#: One migration: the SQL statements that take the schema one version up.
Migration = Sequence[str]

MIGRATIONS: list[Migration] = [
    # v1: the initial schema
    (
        """CREATE TABLE checkpoints (
            thread_id TEXT NOT NULL,
            seq INTEGER NOT NULL,
            parent INTEGER,
            base INTEGER NOT NULL,
            payload BLOB NOT NULL,
            PRIMARY KEY (thread_id, seq)
        )""",
        """CREATE TABLE threads (
            thread_id TEXT PRIMARY KEY,
            status TEXT NOT NULL,
            created_at REAL NOT NULL,
            updated_at REAL NOT NULL,
            metadata BLOB,
            head INTEGER NOT NULL
        ) WITHOUT ROWID""",
        # index entries end with the primary key, so this also orders ties by thread_id
        "CREATE INDEX threads_by_updated ON threads (updated_at)",
        """CREATE TABLE items (
            namespace TEXT NOT NULL,
            key TEXT NOT NULL,
            value TEXT NOT NULL,
            created_at REAL NOT NULL,
            updated_at REAL NOT NULL,
            PRIMARY KEY (namespace, key)
        )""",
        "CREATE INDEX items_by_updated ON items (updated_at)",
    ),
    # v2: one owner per thread across processes (see stores/_leases.py)
    (
        """CREATE TABLE leases (
            thread_id TEXT PRIMARY KEY,
            owner TEXT NOT NULL,
            epoch INTEGER NOT NULL,
            expires REAL NOT NULL
        ) WITHOUT ROWID""",
    ),
    # v3: a row holds a run of checkpoints first..seq (stores/_sqlite_pack.py), keyed by
    # (thread_id, first) alone; the table is rebuilt to drop the (thread_id, seq) key
    (
        """CREATE TABLE checkpoints_v3 (
            thread_id TEXT NOT NULL,
            first INTEGER NOT NULL,
            seq INTEGER NOT NULL,
            parent INTEGER,
            base INTEGER NOT NULL,
            payload BLOB NOT NULL,
            UNIQUE (thread_id, first)
        )""",
        """INSERT INTO checkpoints_v3 (thread_id, first, seq, parent, base, payload)
            SELECT thread_id, seq, seq, parent, base, payload FROM checkpoints ORDER BY rowid""",
        "DROP TABLE checkpoints",
        "ALTER TABLE checkpoints_v3 RENAME TO checkpoints",
    ),
]


def migrate(
    db: sqlite3.Connection, path: str, migrations: Sequence[Migration] | None = None
) -> tuple[int, int]:
    """Bring the schema up to date; return the ``(found, now)`` versions.

    ``db`` must be in autocommit mode (``isolation_level=None``).
    """
    steps = MIGRATIONS if migrations is None else migrations
    latest = len(steps)
    found = _version(db)
    if found == latest:
        return found, found  # the common case takes no write lock
    _check_not_newer(found, latest, path)
    db.execute("BEGIN IMMEDIATE")
    try:
        found = _version(db)  # another process may have migrated meanwhile
        _check_not_newer(found, latest, path)
        if found == 0:
            _check_foreign_tables(db, path)
        for version in range(found, latest):
            for sql in steps[version]:
                db.execute(sql)
        db.execute(f"PRAGMA user_version = {latest:d}")
        db.execute("COMMIT")
    except BaseException:
        if db.in_transaction:
            db.execute("ROLLBACK")
        raise
    return found, latest


def _version(db: sqlite3.Connection) -> int:
    return int(db.execute("PRAGMA user_version").fetchone()[0])


def _check_not_newer(found: int, latest: int, path: str) -> None:
    if found > latest:
        raise StoreUnavailableError(
            f"{path} has schema version {found}, newer than this version of session-actors "
            f"understands (up to {latest}): upgrade session-actors to open it"
        )


def _check_foreign_tables(db: sqlite3.Connection, path: str) -> None:
    # A version-0 file with tables is someone else's database (LangGraph's own SqliteSaver
    # also has a "checkpoints" table): say so instead of failing on CREATE TABLE.
    sql = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    names = sorted(str(r[0]) for r in db.execute(sql))
    if names:
        raise StoreUnavailableError(
            f"{path} is not a session-actors database (schema version 0 with tables "
            f"{', '.join(names)}); use a new file"
        )


# -- the statements the store runs ----------------------------------------------------------
# A checkpoint row holds the checkpoints first..seq (stores/_sqlite_pack.py): checkpoint s
# is in the row with the greatest first <= s, if that row's seq >= s. Every statement below
# walks the (thread_id, first) key index.
COLS = "thread_id, first, seq, parent, base, payload"
INSERT = f"INSERT INTO checkpoints ({COLS}) VALUES (?, ?, ?, ?, ?, ?)"
DISCARD = "DELETE FROM checkpoints WHERE thread_id = ? AND first >= ?"
DELETE_ROW = "DELETE FROM checkpoints WHERE rowid = ?"
#: the row that would hold checkpoint ?2 (the caller checks its seq)
HOLDING = f"""
    SELECT rowid, {COLS} FROM checkpoints WHERE thread_id = ?1 AND first <= ?2
    ORDER BY first DESC LIMIT 1"""
UPSERT_THREAD = """
    INSERT INTO threads (thread_id, status, created_at, updated_at, metadata, head)
    VALUES (?, ?, ?, ?, ?, ?)
    ON CONFLICT (thread_id) DO UPDATE SET
        status = excluded.status,
        updated_at = excluded.updated_at,
        metadata = coalesce(excluded.metadata, threads.metadata),
        head = excluded.head"""
# One query: find the target checkpoint T (the given seq, else the thread row's head, else the
# latest), then every row of the thread from the one holding the smallest base of T's row up
# to T's row, with T last in each (the caller unpacks them and keeps T's base..T).
# A head past the stored checkpoints (a crash could leave one: thread rows once counted a
# running turn's checkpoints before they were stored) reads as the latest stored checkpoint
# at or below it, not as an empty thread: the row with the greatest first <= head holds
# first..seq, so that checkpoint is min(head, seq).
# Scalar subqueries, not joins: the rows then come in index order, with no temporary
# B-tree to sort them (15% faster than joins, with or without rows, on 2000 threads).
CHAIN = """
    WITH h(s) AS (
        SELECT head FROM threads WHERE thread_id = ?1
    ), t(s) AS (
        SELECT coalesce(
            ?2,
            (SELECT min(h.s, c.seq) FROM h, checkpoints AS c
             WHERE c.thread_id = ?1 AND c.first <= h.s ORDER BY c.first DESC LIMIT 1),
            (SELECT s FROM h),
            (SELECT seq FROM checkpoints WHERE thread_id = ?1 ORDER BY first DESC LIMIT 1))
    ), target(first, seq, base) AS (
        SELECT c.first, c.seq, c.base FROM checkpoints AS c
        WHERE c.thread_id = ?1 AND c.first <= (SELECT s FROM t) ORDER BY c.first DESC LIMIT 1
    )
    SELECT c.thread_id, c.first, c.seq, c.parent, c.base, c.payload, (SELECT s FROM t)
    FROM checkpoints AS c
    WHERE c.thread_id = ?1
    AND c.first <= (SELECT first FROM target)
    AND c.first >= coalesce(
        (SELECT max(first) FROM checkpoints
         WHERE thread_id = ?1 AND first <= (SELECT base FROM target)),
        (SELECT base FROM target))
    AND (SELECT seq FROM target) >= (SELECT s FROM t)
    ORDER BY c.first"""
ROWS = f"SELECT {COLS} FROM checkpoints WHERE thread_id = ?"
THREADS = "SELECT thread_id, status, created_at, updated_at, metadata, head FROM threads"
# which of the (thread_id, seq) pairs in JSON array ?1 a stored row holds
EXISTING = """
    SELECT j.tid, j.s FROM (
        SELECT json_extract(value, '$[0]') AS tid, json_extract(value, '$[1]') AS s
        FROM json_each(?1)
    ) AS j
    WHERE (SELECT seq FROM checkpoints AS c WHERE c.thread_id = j.tid AND c.first <= j.s
           ORDER BY c.first DESC LIMIT 1) >= j.s"""
DELETE_THREAD = (
    "DELETE FROM checkpoints WHERE thread_id = ?",
    "DELETE FROM threads WHERE thread_id = ?",
)
SET_STATUS = "UPDATE threads SET status = ?, updated_at = ? WHERE thread_id = ?"
# -- retention (stores/_sqlite_pack.py prune): the later rows that may hold a checkpoint based
# below ?3, and the rows holding checkpoints below ?2, newest first
BASED_BELOW = f"""
    SELECT rowid, {COLS} FROM checkpoints WHERE thread_id = ?1 AND first > ?2 AND base < ?3"""
BELOW = f"""
    SELECT rowid, {COLS} FROM checkpoints WHERE thread_id = ?1 AND first < ?2
    ORDER BY first DESC LIMIT ?3"""
# the threads_by_updated index holds (updated_at, thread_id): a range scan in this order
EXPIRED = """
    SELECT thread_id, status, created_at, updated_at, metadata, head FROM threads
    WHERE updated_at < ? AND (updated_at, thread_id) > (?, ?) AND status != 'archived'
    ORDER BY updated_at, thread_id LIMIT ?"""
PUT_ITEM = """
    INSERT INTO items (namespace, key, value, created_at, updated_at) VALUES (?, ?, ?, ?, ?)
    ON CONFLICT (namespace, key) DO UPDATE SET
        value = excluded.value, updated_at = excluded.updated_at"""
GET_ITEM = "SELECT value, created_at, updated_at FROM items WHERE namespace = ? AND key = ?"
DELETE_ITEM = "DELETE FROM items WHERE namespace = ? AND key = ?"
SEARCH_ITEMS = "SELECT namespace, key, value, created_at, updated_at FROM items"
NAMESPACES = "SELECT DISTINCT namespace FROM items"


def prefix_clause(prefix: tuple[str, ...]) -> tuple[list[str], list[Any]]:
    """SQL conditions for "``namespace`` is ``prefix`` or under it", as a key range.

    Labels hold no ``.``, and ``/`` is the character after ``.``, so everything under
    ``a.b`` sorts in ``("a.b.", "a.b/")``; unlike ``LIKE`` this is exact (``_`` and ``%`` in
    labels are plain characters) and uses the primary key.
    """
    if not prefix:
        return [], []
    p = ".".join(prefix)
    return ["(namespace = ? OR (namespace > ? AND namespace < ?))"], [p, p + ".", p + "/"]


_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def search_query(
    prefix: tuple[str, ...], filter: dict[str, Any] | None, limit: int, offset: int
) -> tuple[str, list[Any]]:
    """The item search: newest first; ``LIMIT``/``OFFSET`` in SQL only without a filter.

    ``json_extract`` only narrows the scan for plain string and integer filter values (its
    equality is looser than Python's for nested values); the caller runs the exact test.
    """
    where, params = prefix_clause(prefix)
    for k, v in (filter or {}).items():
        if _IDENTIFIER.match(k) and (type(v) is str or (type(v) is int and -(2**63) <= v < 2**63)):
            where.append("json_extract(value, ?) = ?")
            params += [f"$.{k}", v]
    query = SEARCH_ITEMS + (" WHERE " + " AND ".join(where) if where else "")
    query += " ORDER BY updated_at DESC, namespace, key"
    if not filter:
        query += " LIMIT ? OFFSET ?"
        params += [limit, offset]
    return query, params


# -- running statements on a connection -------------------------------------------------------
#: Errors that retrying cannot cure: the write itself is wrong (a constraint, a row over
#: the length limit: SQLITE_TOOBIG is a DataError, a misuse). Every other sqlite3 error
#: (FULL, IOERR, BUSY, ...) may pass and is reported as unavailable.
REFUSED = (
    sqlite3.IntegrityError,
    sqlite3.DataError,
    sqlite3.ProgrammingError,
    sqlite3.InterfaceError,
)
BUSY = 5
# primary result codes (sqlite3.SQLITE_* constants exist only from Python 3.11 on)
_REASONS = {
    BUSY: "the database stayed locked by another connection past busy_timeout",
    6: "a table is locked",  # LOCKED
    7: "SQLite ran out of memory",  # NOMEM
    8: "the database is read-only",  # READONLY
    10: "disk I/O error",  # IOERR
    11: "the database file is corrupt",  # CORRUPT
    13: "the database or disk is full",  # FULL
    14: "the database file cannot be opened",  # CANTOPEN
    26: "the file is not a database",  # NOTADB
}

#: How a step runs its statement: once, once per parameter row, in bulk (see :func:`bulk`),
#: or CALL: the step is a function, called as ``fn(db, parameters)``, that returns a count.
ONE, MANY, BULK, CALL = 0, 1, 2, 3
#: (sql or function, parameters, ONE | MANY | BULK | CALL)
Step = tuple[Any, Any, int]
_Job = tuple["concurrent.futures.Future[Any]", Callable[..., Any], tuple[Any, ...]]


def transaction(
    db: sqlite3.Connection,
    steps: Sequence[Step],
    check: Callable[[sqlite3.Connection], None] | None = None,
) -> list[int]:
    """Run ``steps`` in one ``BEGIN IMMEDIATE`` transaction; return their row counts.

    ``check`` runs first, inside the transaction (with the write lock held): it may raise
    to refuse the whole write (lease fencing). Anything that fails rolls everything back.
    """
    return in_transaction(db, _run_steps, steps, check)


def _run_steps(
    db: sqlite3.Connection,
    steps: Sequence[Step],
    check: Callable[[sqlite3.Connection], None] | None,
) -> list[int]:
    if check is not None:
        check(db)
    return [
        bulk(db, q, params)
        if how == BULK
        else q(db, params)
        if how == CALL
        else (db.executemany(q, params) if how else db.execute(q, params)).rowcount
        for q, params, how in steps
    ]


def in_transaction(db: sqlite3.Connection, fn: Callable[..., T], *args: Any) -> T:
    """``fn(db, *args)`` in one ``BEGIN IMMEDIATE`` transaction, committed if it returns and
    rolled back if anything fails."""
    if db.in_transaction:  # left open by an interrupted call: start clean
        db.execute("ROLLBACK")
    db.execute("BEGIN IMMEDIATE")
    try:
        result = fn(db, *args)
        db.execute("COMMIT")
    except BaseException:
        if db.in_transaction:  # SQLite may have rolled back by itself (FULL, IOERR...)
            try:
                db.execute("ROLLBACK")
            except sqlite3.Error:
                log.exception("ROLLBACK failed; the next write starts with a new attempt")
        raise
    return result


#: Rows per bulk statement. Statements are cached per size, a power of two (16 ...
#: BULK_ROWS), so at most seven shapes per query stay prepared.
BULK_ROWS = 1024


def bulk(db: sqlite3.Connection, query: str, rows: Sequence[Sequence[Any]]) -> int:
    """``executemany(query, rows)`` as a few multi-row statements; returns the row count.

    ``query`` is a single-row ``INSERT ... VALUES (?, ...)`` (an upsert tail is kept).
    ``executemany`` steps the statement once per row, taking the GIL back for each; one
    statement for up to :data:`BULK_ROWS` rows costs a fifth less CPU, and with
    ``writer="thread"`` nearly all of SQLite's work then runs with the GIL released.

    The rows go in order, each statement taking the largest power of two of them left
    (400 rows: 256, 128, 16); only a last part under 16 rows is padded with NULL rows,
    which the statement filters out. Padding is dear: the sqlite3 module binds a ``None``
    (or ``bytes``) only after asking the adapter registry about it, ~0.25 us a value here,
    so padding 400 rows up to 512 cost more than a tenth of the insert.
    """
    n = len(rows)
    if not n:
        return 0
    ncols = len(rows[0])
    count = 0
    i = 0
    while i < n:
        left = n - i
        size = BULK_ROWS if left >= BULK_ROWS else max(16, 1 << (left.bit_length() - 1))
        part = rows[i : i + size]
        i += size
        params = [value for row in part for value in row]
        if size > len(part):  # padding rows are all NULL and filtered out by the statement
            params.extend([None] * ((size - len(part)) * ncols))
        count += db.execute(_padded(query, ncols, size), params).rowcount
    return count


@functools.lru_cache(maxsize=64)
def _padded(query: str, ncols: int, nrows: int) -> str:
    head, values, tail = query.partition("VALUES")
    if not values or not tail.lstrip().startswith("("):
        raise ValueError(f"not a single-row INSERT ... VALUES statement: {query!r}")
    conflict = tail[tail.find("ON CONFLICT") :] if "ON CONFLICT" in tail else ""
    row = "(" + ", ".join("?" * ncols) + ")"
    # A WHERE clause also keeps SQLite's parser from reading ON CONFLICT as a join
    # constraint (see "parsing ambiguity" in SQLite's upsert documentation).
    return (
        f"{head}SELECT * FROM (VALUES {', '.join([row] * nrows)}) "
        f"WHERE column1 IS NOT NULL {conflict}"
    )


def journal_wal(db: sqlite3.Connection, busy_ms: int) -> str:
    """``PRAGMA journal_mode = WAL``; the journal mode now in force.

    Switching a new file to WAL takes an exclusive lock, and when another process is
    switching it at the same moment SQLite answers "database is locked" without calling
    the busy handler (seen with two processes opening one new file): try again, within
    ``busy_ms``. Runs on the writer's thread, never on the loop.
    """
    deadline = time.monotonic() + busy_ms / 1000
    while True:
        try:
            return str(db.execute("PRAGMA journal_mode = WAL").fetchone()[0])
        except sqlite3.OperationalError as exc:
            if primary_code(exc) != BUSY or time.monotonic() >= deadline:
                raise
            time.sleep(0.005)


class FileGone(Exception):
    """The store's path no longer names the file its writer has open."""


def file_identity(path: str) -> tuple[int, int]:
    st = os.stat(path)
    return st.st_dev, st.st_ino


def same_file(db: sqlite3.Connection, args: tuple[str, tuple[int, int]]) -> int:
    """The last step of every write, just before its COMMIT: the path still names the file
    the writer opened (a file deleted or replaced under a running process would take
    commits nobody can read). One ``stat``, about a microsecond."""
    path, identity = args
    try:
        found = file_identity(path)
    except FileNotFoundError:
        raise FileGone("deleted") from None
    except OSError as exc:
        raise FileGone(f"not reachable ({exc})") from None
    if found != identity:
        raise FileGone("replaced by another file")
    return 0


def fetchall(db: sqlite3.Connection, query: str, params: Sequence[Any]) -> list[Any]:
    return db.execute(query, params).fetchall()


def primary_code(exc: BaseException) -> int | None:
    code = getattr(exc, "sqlite_errorcode", None)
    return code & 0xFF if isinstance(code, int) else None


def unavailable(exc: BaseException, doing: str, path: str) -> StoreUnavailableError:
    """The error for a failure that may pass: says what SQLite reported, in words."""
    reason = _REASONS.get(primary_code(exc) or 0)
    name = getattr(exc, "sqlite_errorname", None) or type(exc).__name__
    what = f"{reason} ({name}: {exc})" if reason else f"{name}: {exc}"
    return StoreUnavailableError(f"cannot {doing} in {path}: {what}; nothing was written")


class Writer:
    """The store's one writer connection and the thread it runs on.

    ``inline`` (``writer="loop"``): calls run on the caller's thread, with a 0 ms busy
    timeout; a call that finds the file locked by another process, and every call queued
    behind it, runs on the thread instead, waiting up to ``busy_ms``.
    """

    def __init__(self, *, inline: bool, busy_ms: int) -> None:
        self.inline = inline
        self.busy_ms = busy_ms
        self.db: sqlite3.Connection | None = None
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        # A daemon thread of our own, not a ThreadPoolExecutor: concurrent.futures stops its
        # pools at interpreter exit *before* exit hooks that may still need to flush (the
        # runtime's), and a non-daemon thread would keep a never-closed store's process alive.
        self._thread = threading.Thread(target=self._work, name="stores.sqlite.writer")
        self._thread.daemon = True
        self._thread.start()
        self._last: concurrent.futures.Future[Any] | None = None

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """``fn(connection, *args)`` on the writer, in submission order."""
        db = self.db
        if db is None:
            raise ValueError("closed")
        # inline only when nothing is queued on the thread, or the order would change
        if self.inline and (self._last is None or self._last.done()):
            try:
                return fn(db, *args)
            except sqlite3.OperationalError as exc:
                if primary_code(exc) != BUSY:
                    raise
                # inline we wait 0 ms for another process's lock; wait on the thread instead
        return await self.in_thread(self._call, db, fn, args)

    async def in_thread(self, fn: Callable[..., T], *args: Any) -> T:
        """``fn(*args)`` on the writer's thread, after everything queued before it."""
        fut: concurrent.futures.Future[T] = concurrent.futures.Future()
        self._last = fut
        self._jobs.put((fut, fn, args))
        return await asyncio.wrap_future(fut)

    def _work(self) -> None:
        while (job := self._jobs.get()) is not None:
            fut, fn, args = job
            if fut.set_running_or_notify_cancel():  # False: the caller gave up before we began
                try:
                    fut.set_result(fn(*args))
                except BaseException as exc:
                    fut.set_exception(exc)

    def _call(self, db: sqlite3.Connection, fn: Callable[..., T], args: tuple[Any, ...]) -> T:
        if not self.inline:
            return fn(db, *args)
        db.execute(f"PRAGMA busy_timeout = {self.busy_ms}")
        try:
            return fn(db, *args)
        finally:
            db.execute("PRAGMA busy_timeout = 0")

    async def close(self) -> None:
        db, self.db = self.db, None
        try:
            if db is not None:
                await self.in_thread(db.close)  # after whatever is still queued
        finally:
            self._jobs.put(None)  # the thread ends after the jobs queued before this
