"""What only the SQLite backend has: pragmas, schema versions, real disk errors, locking."""

from __future__ import annotations

import asyncio
import sqlite3
import subprocess
import sys
import threading
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from store_helpers import batch, row, seqs, thread

from stores import SqliteStore, StoreError, StoreUnavailableError, WriteBatch
from stores import _sqlite_schema as schema


@pytest.fixture(params=["one-hop", "hops"])
async def db(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[SqliteStore]:
    s = SqliteStore(tmp_path / "s.db", busy_timeout=0.05)
    s._one_hop = request.param == "one-hop"
    await s.open()
    try:
        yield s
    finally:
        await s.close()


async def _pragma(conn: object, name: str) -> object:
    rows = await conn.execute_fetchall(f"PRAGMA {name}")  # type: ignore[attr-defined]
    return next(iter(rows))[0]


async def test_pragmas_and_schema_version(tmp_path: Path) -> None:
    s = SqliteStore(tmp_path / "p.db", synchronous="FULL", busy_timeout=1.5)
    await s.open()
    try:
        assert await _pragma(s._writer, "journal_mode") == "wal"
        assert await _pragma(s._writer, "synchronous") == 2  # FULL
        assert await _pragma(s._writer, "busy_timeout") == 1500
        assert await _pragma(s._reader, "query_only") == 1
        assert s._reader is not s._writer
        assert await _pragma(s._reader, "user_version") == len(schema.MIGRATIONS)
        stats = s.statistics()
        assert (stats.path, stats.schema_version, stats.is_open) == (s.path, 1, True)
    finally:
        await s.close()
    s = SqliteStore(tmp_path / "p.db")
    await s.open()
    assert await _pragma(s._writer, "synchronous") == 1  # NORMAL, the default
    await s.close()
    assert not s.statistics().is_open
    with pytest.raises(ValueError, match="synchronous"):
        SqliteStore(tmp_path / "x.db", synchronous="OFF")  # type: ignore[arg-type]


async def test_data_persists_in_a_new_object(tmp_path: Path) -> None:
    first = SqliteStore(str(tmp_path / "d.db"))
    await first.open()
    await first.write_batch(batch([row("t", 1), row("t", 2)], [thread("t", head=2)]))
    await first.put_item(("ns",), "k", {"v": 1})
    await first.close()
    second = SqliteStore(tmp_path / "d.db")
    await second.open()
    try:
        assert seqs(await second.load_chain("t")) == [1, 2]
        assert (await second.get_thread("t")) == thread("t", head=2)
        assert (await second.get_item(("ns",), "k")) is not None
    finally:
        await second.close()


async def test_memory_path_uses_one_connection() -> None:
    s = SqliteStore(":memory:")
    await s.open()
    try:
        assert s._reader is s._writer
        await s.write_batch(batch([row("t", 1)], [thread("t", head=1)]))
        assert seqs(await s.load_chain("t")) == [1]
    finally:
        await s.close()


async def test_newer_schema_refuses_to_open(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    with sqlite3.connect(path) as conn:
        conn.execute(f"PRAGMA user_version = {len(schema.MIGRATIONS) + 1}")
    s = SqliteStore(path)
    with pytest.raises(StoreUnavailableError, match="newer than this version"):
        await s.open()
    assert s._writer is None
    with pytest.raises(StoreUnavailableError, match="closed"):
        await s.get_thread("t")


async def test_foreign_database_refuses_to_open(tmp_path: Path) -> None:
    path = tmp_path / "langgraph.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE checkpoints (thread_id TEXT, checkpoint BLOB)")
    with pytest.raises(StoreUnavailableError, match="not a session-actors database"):
        await SqliteStore(path).open()


async def test_older_schema_is_migrated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "old.db"
    s = SqliteStore(path)
    await s.open()
    await s.write_batch(batch([row("t", 1)], [thread("t", head=1)]))
    await s.close()

    async def backfill(conn: object) -> None:
        await conn.execute("UPDATE threads SET note = 'v3:' || thread_id")  # type: ignore[attr-defined]

    later = [*schema.MIGRATIONS, ("ALTER TABLE threads ADD COLUMN note TEXT",), backfill]
    monkeypatch.setattr(schema, "MIGRATIONS", later)
    monkeypatch.setattr(schema.migrate, "__defaults__", (later,))
    s = SqliteStore(path)
    await s.open()
    try:
        assert await _pragma(s._writer, "user_version") == 3
        rows = list(await s._reader.execute_fetchall("SELECT note FROM threads"))  # type: ignore[union-attr]
        assert rows == [("v3:t",)]
        assert seqs(await s.load_chain("t")) == [1]
        assert s.statistics().schema_version == 3
    finally:
        await s.close()


async def test_disk_full_rolls_back_and_recovers(db: SqliteStore) -> None:
    await db.write_batch(batch([row("t", 1)], [thread("t", head=1)]))
    pages = await _pragma(db._writer, "page_count")
    await _pragma(db._writer, f"max_page_count = {pages}")
    big = batch(
        [row("t", s, payload=bytes(2000)) for s in range(2, 200)],
        [thread("t", status="busy", head=199)],
    )
    with pytest.raises(StoreUnavailableError, match="full") as info:
        await db.write_batch(big)
    assert isinstance(info.value.__cause__, sqlite3.Error)
    assert seqs(await db.load_chain("t")) == [1]
    assert (await db.get_thread("t")) == thread("t", head=1)
    assert db.statistics().write_errors == 1
    await _pragma(db._writer, "max_page_count = 1073741823")
    await db.write_batch(big)  # the same batch, retried, now goes in whole
    assert len(await db.list_checkpoints("t")) == 199


async def test_locked_file_is_unavailable_and_reads_go_on(db: SqliteStore) -> None:
    await db.write_batch(batch([row("t", 1)]))
    other = sqlite3.connect(db.path, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")  # another process holds the write lock
        with pytest.raises(StoreUnavailableError, match="locked"):
            await db.write_batch(batch([row("t", 2)]))
        assert seqs(await db.load_chain("t")) == [1]  # WAL: reading is not blocked
        other.execute("ROLLBACK")
    finally:
        other.close()
    await db.write_batch(batch([row("t", 2)]))
    assert seqs(await db.load_chain("t")) == [1, 2]


async def test_malformed_row_is_refused_not_unavailable(db: SqliteStore) -> None:
    bad = WriteBatch([row("t", 1), row("t", 2)._replace(payload=None)], [], [])  # type: ignore[arg-type]
    with pytest.raises(StoreError) as info:
        await db.write_batch(bad)
    assert not isinstance(info.value, StoreUnavailableError)
    assert await db.list_checkpoints("t") == []


async def test_write_after_an_abandoned_transaction(db: SqliteStore) -> None:
    # what a cancelled multi-hop write leaves behind: the next write must still work
    await db._writer.execute("BEGIN IMMEDIATE")  # type: ignore[union-attr]
    await db._writer.execute(  # type: ignore[union-attr]
        "INSERT INTO checkpoints VALUES ('ghost', 1, NULL, 1, x'00')"
    )
    await db.write_batch(batch([row("t", 1)]))
    assert seqs(await db.load_chain("t")) == [1]
    assert await db.load_chain("ghost") == []


def test_constructed_outside_a_loop_and_used_from_two_loops(tmp_path: Path) -> None:
    s = SqliteStore(tmp_path / "loops.db")  # no running loop here

    async def use(seq: int) -> list[int]:
        await s.open()
        await s.write_batch(batch([row("t", seq)]))
        got = seqs(await s.load_chain("t"))
        await s.close()
        return got

    assert asyncio.run(use(1)) == [1]
    result: list[list[int]] = []
    worker = threading.Thread(target=lambda: result.append(asyncio.run(use(2))))
    worker.start()
    worker.join(10)
    assert result == [[1, 2]]


async def test_concurrent_opens_open_once(tmp_path: Path) -> None:
    s = SqliteStore(tmp_path / "c.db")
    await asyncio.gather(*(s.open() for _ in range(5)))
    try:
        writer = s._writer
        await s.open()
        assert s._writer is writer is not None
    finally:
        await s.close()


def test_unclosed_store_does_not_hang_interpreter_exit(tmp_path: Path) -> None:
    code = (
        "import asyncio, stores\n"
        f"s = stores.SqliteStore({str(tmp_path / 'exit.db')!r})\n"
        "async def main():\n"
        "    await s.open()\n"
        "    await s.put_item(('a',), 'k', {'v': 1})\n"
        "asyncio.run(main())\n"
        "print('done')\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=20,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "done"
