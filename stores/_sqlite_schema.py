"""The SQLite schema and its migrations, versioned in ``PRAGMA user_version``.

``MIGRATIONS[i]`` takes a file from version ``i`` to ``i + 1``; a fresh file is version 0.
Never edit a released migration: append a new one. All pending migrations run in one
``BEGIN IMMEDIATE`` transaction, so two processes opening an old file at once migrate it
once, and a failed migration leaves the file at its old version.

Layout notes:

* ``checkpoints`` and ``threads`` are ``WITHOUT ROWID``: their rows are small and always
  reached by primary key, so one B-tree per table instead of a table plus a key index.
* ``items.value`` is JSON text (``msgspec.json``): readable with ``json_extract`` for
  ad-hoc queries; search filters are checked in Python (exact ``==``), with ``json_extract``
  only narrowing the scan. A namespace is its labels joined by ``.`` (labels hold no dot).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import TypeAlias

import aiosqlite

from .errors import StoreUnavailableError

#: A migration: SQL statements, or a coroutine function for data migrations.
Migration: TypeAlias = Sequence[str] | Callable[[aiosqlite.Connection], Awaitable[None]]

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
        ) WITHOUT ROWID""",
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


async def user_version(conn: aiosqlite.Connection) -> int:
    async with conn.execute("PRAGMA user_version") as cur:
        row = await cur.fetchone()
    return int(row[0]) if row is not None else 0


async def migrate(
    conn: aiosqlite.Connection, path: str, migrations: Sequence[Migration] = MIGRATIONS
) -> tuple[int, int]:
    """Bring the schema up to ``len(migrations)``; return ``(found, now)`` versions.

    ``conn`` must be in autocommit mode (``isolation_level=None``).
    """
    latest = len(migrations)
    found = await user_version(conn)
    if found == latest:
        return found, found  # the common case takes no write lock
    _check_not_newer(found, latest, path)
    await conn.execute("BEGIN IMMEDIATE")
    try:
        found = await user_version(conn)  # another process may have migrated meanwhile
        _check_not_newer(found, latest, path)
        if found == 0:
            await _check_foreign_tables(conn, path)
        for version in range(found + 1, latest + 1):
            step = migrations[version - 1]
            if callable(step):
                await step(conn)
            else:
                for sql in step:
                    await conn.execute(sql)
        await conn.execute(f"PRAGMA user_version = {latest:d}")
        await conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            await conn.execute("ROLLBACK")
        raise
    return found, latest


def _check_not_newer(found: int, latest: int, path: str) -> None:
    if found > latest:
        raise StoreUnavailableError(
            f"{path} has schema version {found}, newer than this version of session-actors "
            f"understands (up to {latest}): upgrade session-actors to open it"
        )


async def _check_foreign_tables(conn: aiosqlite.Connection, path: str) -> None:
    # A version-0 file with tables is someone else's database (LangGraph's own SqliteSaver
    # also has a "checkpoints" table): say so instead of failing on CREATE TABLE.
    async with conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    ) as cur:
        names = sorted(str(r[0]) for r in await cur.fetchall())
    if names:
        raise StoreUnavailableError(
            f"{path} is not a session-actors database (schema version 0 with tables "
            f"{', '.join(names)}); use a new file"
        )
