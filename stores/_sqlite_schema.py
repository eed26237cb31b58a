"""The SQLite layout: schema, migrations (versioned in ``PRAGMA user_version``) and the SQL
the store runs on it.

``MIGRATIONS[i]`` takes a file from version ``i`` to ``i + 1``; a fresh file is version 0.
Never edit a released migration: append a new one. All pending migrations run in one
``BEGIN IMMEDIATE`` transaction, so two processes opening an old file at once migrate it
once, and a failed migration leaves the file at its old version.

Layout notes:

* ``checkpoints`` is a rowid table with a ``(thread_id, seq)`` key index rather than
  ``WITHOUT ROWID``: rows then append at the end of the table and only the small index
  entries land between other threads' rows. With many sessions interleaving, writes
  measured 1.5-2x faster this way (examples/bench_store.py).
* ``threads`` is ``WITHOUT ROWID``: small rows always reached by their key.
* ``items.value`` is JSON text (``msgspec.json``): readable with ``json_extract`` for
  ad-hoc queries; search filters are checked in Python (exact ``==``), with ``json_extract``
  only narrowing the scan. A namespace is its labels joined by ``.`` (labels hold no dot).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

from .errors import StoreUnavailableError

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
DISCARD = "DELETE FROM checkpoints WHERE thread_id = ? AND seq >= ?"
INSERT = "INSERT INTO checkpoints (thread_id, seq, parent, base, payload) VALUES (?, ?, ?, ?, ?)"
UPSERT_THREAD = """
    INSERT INTO threads (thread_id, status, created_at, updated_at, metadata, head)
    VALUES (?, ?, ?, ?, ?, ?)
    ON CONFLICT (thread_id) DO UPDATE SET
        status = excluded.status,
        updated_at = excluded.updated_at,
        metadata = coalesce(excluded.metadata, threads.metadata),
        head = excluded.head"""
# One query: find the target (the given seq, else the thread row's head, else the latest
# row), then every row of the thread from the target's base up to it.
CHAIN = """
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
ROWS = "SELECT thread_id, seq, parent, base, payload FROM checkpoints WHERE thread_id = ?"
THREADS = "SELECT thread_id, status, created_at, updated_at, metadata, head FROM threads"
EXISTING = """
    SELECT c.thread_id, c.seq FROM json_each(?) AS j JOIN checkpoints AS c
    ON c.thread_id = json_extract(j.value, '$[0]') AND c.seq = json_extract(j.value, '$[1]')"""
DELETE_THREAD = (
    "DELETE FROM checkpoints WHERE thread_id = ?",
    "DELETE FROM threads WHERE thread_id = ?",
)
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
