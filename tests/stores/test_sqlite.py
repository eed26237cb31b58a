"""What only the SQLite backend has: pragmas, schema versions, real disk errors, locking,
and the two places its writer can run."""

from __future__ import annotations

import asyncio
import sqlite3
import subprocess
import sys
import threading
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from store_helpers import batch, row, seqs, thread

from stores import SqliteStore, StoreError, StoreFileGoneError, StoreUnavailableError, WriteBatch
from stores import _sqlite_schema as schema


@pytest.fixture(params=["thread", "loop"])
async def db(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[SqliteStore]:
    s = SqliteStore(tmp_path / "s.db", busy_timeout=0.05, writer=request.param)
    await s.open()
    try:
        yield s
    finally:
        await s.close()


async def on_writer(store: SqliteStore, query: str) -> list[Any]:
    """Run ``query`` on the store's writer connection (a test hook)."""
    return await store._writer().run(lambda conn: conn.execute(query).fetchall())


async def writer_pragma(store: SqliteStore, name: str) -> object:
    return (await on_writer(store, f"PRAGMA {name}"))[0][0]


async def reader_pragma(store: SqliteStore, name: str) -> object:
    assert store._reader is not None
    return next(iter(await store._reader.execute_fetchall(f"PRAGMA {name}")))[0]


async def test_pragmas_and_schema_version(tmp_path: Path) -> None:
    s = SqliteStore(tmp_path / "p.db", synchronous="FULL", busy_timeout=1.5, writer="thread")
    await s.open()
    try:
        assert await writer_pragma(s, "journal_mode") == "wal"
        assert await writer_pragma(s, "synchronous") == 2  # FULL
        assert await writer_pragma(s, "busy_timeout") == 1500
        assert await writer_pragma(s, "wal_autocheckpoint") == 1000  # SQLite's own
        assert await reader_pragma(s, "query_only") == 1
        assert await reader_pragma(s, "busy_timeout") == 1500
        assert await reader_pragma(s, "user_version") == len(schema.MIGRATIONS)
        stats = s.statistics()
        latest = len(schema.MIGRATIONS)
        assert (stats.path, stats.schema_version, stats.is_open) == (s.path, latest, True)
        assert stats.writer == "thread"
    finally:
        await s.close()
    s = SqliteStore(tmp_path / "p.db", writer="loop")
    await s.open()
    assert await writer_pragma(s, "synchronous") == 1  # NORMAL, the default
    assert await writer_pragma(s, "busy_timeout") == 0  # never wait on the loop
    assert await writer_pragma(s, "wal_autocheckpoint") == 0  # checkpoints off the loop
    await s.close()
    assert not s.statistics().is_open
    with pytest.raises(ValueError, match="synchronous"):
        SqliteStore(tmp_path / "x.db", synchronous="OFF")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="writer"):
        SqliteStore(tmp_path / "x.db", writer="process")  # type: ignore[arg-type]


async def test_data_persists_in_a_new_object(tmp_path: Path) -> None:
    first = SqliteStore(str(tmp_path / "d.db"))
    await first.open()
    await first.write_batch(batch([row("t", 1), row("t", 2)], [thread("t", head=2)]))
    await first.put_item(("ns",), "k", {"v": 1})
    await first.close()
    second = SqliteStore(tmp_path / "d.db", writer="loop")
    await second.open()
    try:
        assert seqs(await second.load_chain("t")) == [1, 2]
        assert (await second.get_thread("t")) == thread("t", head=2)
        assert (await second.get_item(("ns",), "k")) is not None
    finally:
        await second.close()


@pytest.mark.parametrize("writer", ["thread", "loop"])
async def test_memory_path_uses_one_connection(writer: Any) -> None:
    s = SqliteStore(":memory:", writer=writer)
    await s.open()
    try:
        assert s._reader is None  # reads go through the writer's connection
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
    assert s._w is None
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
    later = [
        *schema.MIGRATIONS,
        ("ALTER TABLE threads ADD COLUMN note TEXT",),
        ("UPDATE threads SET note = 'v3:' || thread_id",),
    ]
    monkeypatch.setattr(schema, "MIGRATIONS", later)
    s = SqliteStore(path)
    await s.open()
    try:
        assert await reader_pragma(s, "user_version") == len(later)
        assert await on_writer(s, "SELECT note FROM threads") == [("v3:t",)]
        assert seqs(await s.load_chain("t")) == [1]
        assert s.statistics().schema_version == len(later)
    finally:
        await s.close()


async def test_failed_migration_leaves_the_old_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "bad.db"
    s = SqliteStore(path)
    await s.open()
    await s.close()
    broken = [*schema.MIGRATIONS, ("CREATE TABLE extra (x)", "NOT SQL AT ALL")]
    monkeypatch.setattr(schema, "MIGRATIONS", broken)
    with pytest.raises(StoreUnavailableError, match="syntax error"):
        await SqliteStore(path).open()
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == len(broken) - 1
        assert conn.execute("SELECT name FROM sqlite_master WHERE name = 'extra'").fetchall() == []


async def test_disk_full_rolls_back_and_recovers(db: SqliteStore) -> None:
    await db.write_batch(batch([row("t", 1)], [thread("t", head=1)]))
    pages = await writer_pragma(db, "page_count")
    await on_writer(db, f"PRAGMA max_page_count = {pages}")
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
    await on_writer(db, "PRAGMA max_page_count = 1073741823")
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


@pytest.mark.parametrize("how", ["deleted", "replaced"])
async def test_a_file_deleted_or_replaced_under_the_store_takes_no_more_writes(
    db: SqliteStore, tmp_path: Path, how: str
) -> None:
    await db.write_batch(batch([row("t", 1)], [thread("t", head=1)]))
    for suffix in ("", "-wal", "-shm"):
        Path(db.path + suffix).unlink(missing_ok=True)
    if how == "replaced":
        other = SqliteStore(tmp_path / "other.db")
        await other.open()
        await other.close()
        Path(other.path).replace(db.path)
    for write in (
        db.write_batch(batch([row("t", 2)], [thread("t", head=2)])),
        db.delete_thread("t"),
        db.put_item(("ns",), "k", {"v": 1}),
    ):
        with pytest.raises(StoreFileGoneError, match=how) as info:
            await write
        assert info.value.path == db.path and db.path in str(info.value)
        assert isinstance(info.value, StoreUnavailableError)  # callers that retry keep working
    stats = db.statistics()
    assert (stats.write_errors, stats.batches, stats.rows_written) == (3, 1, 1)
    if how == "replaced":  # nor did the file now at the path
        fresh = SqliteStore(db.path)
        await fresh.open()
        try:
            assert await fresh.get_thread("t") is None and await fresh.load_chain("t") == []
        finally:
            await fresh.close()


async def test_malformed_row_is_refused_not_unavailable(db: SqliteStore) -> None:
    bad_row = row("t", 2)._replace(payload=None)  # type: ignore[arg-type]
    with pytest.raises(StoreError) as info:
        await db.write_batch(WriteBatch([row("t", 1), bad_row], [], []))
    assert not isinstance(info.value, StoreUnavailableError)
    assert await db.list_checkpoints("t") == []


async def test_write_after_an_abandoned_transaction(db: SqliteStore) -> None:
    # what an interrupted call could leave behind: the next write must still work
    await on_writer(db, "BEGIN IMMEDIATE")
    await on_writer(db, "INSERT INTO checkpoints VALUES ('ghost', 1, 1, NULL, 1, x'00')")
    await db.write_batch(batch([row("t", 1)]))
    assert seqs(await db.load_chain("t")) == [1]
    assert await db.load_chain("ghost") == []


async def test_loop_writer_waits_for_a_lock_on_its_thread_in_order(tmp_path: Path) -> None:
    s = SqliteStore(tmp_path / "wait.db", busy_timeout=5.0, writer="loop")
    await s.open()
    other = sqlite3.connect(s.path, isolation_level=None, check_same_thread=False)
    try:
        other.execute("BEGIN IMMEDIATE")
        first = asyncio.ensure_future(s.write_batch(batch([row("t", 1)])))
        await asyncio.sleep(0.05)
        assert not first.done()  # waiting on the writer's thread; the loop is free
        # must queue behind the first write, not run inline: it needs row 1 to be there
        redo = batch([row("t", 1, payload=b"redo")], discard=[("t", 1)])
        second = asyncio.ensure_future(s.write_batch(redo))
        await asyncio.sleep(0.05)
        assert not second.done()
        other.execute("ROLLBACK")
        await asyncio.wait_for(asyncio.gather(first, second), 10)
        assert [r.payload for r in await s.load_chain("t")] == [b"redo"]
        assert await writer_pragma(s, "busy_timeout") == 0  # back to not waiting
    finally:
        other.close()
        await s.close()


async def test_loop_writer_never_runs_inline_while_its_thread_holds_the_connection(
    tmp_path: Path,
) -> None:
    s = SqliteStore(tmp_path / "busy.db", writer="loop")
    await s.open()
    release = threading.Event()

    def slow_transaction(conn: sqlite3.Connection) -> None:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("INSERT INTO checkpoints VALUES ('slow', 1, 1, NULL, 1, x'00')")
        release.wait(10)
        conn.execute("COMMIT")

    try:
        w = s._writer()
        slow = asyncio.ensure_future(w.in_thread(slow_transaction, w.db))
        await asyncio.sleep(0.05)
        write = asyncio.ensure_future(s.write_batch(batch([row("t", 1)])))
        await asyncio.sleep(0.05)
        assert not write.done()  # queued behind the thread's transaction, not inline
        release.set()
        await asyncio.wait_for(asyncio.gather(slow, write), 10)
        assert seqs(await s.load_chain("slow")) == [1]
        assert seqs(await s.load_chain("t")) == [1]
    finally:
        release.set()
        await s.close()


async def test_loop_writer_checkpoints_the_wal_in_the_background(tmp_path: Path) -> None:
    s = SqliteStore(tmp_path / "wal.db", writer="loop")
    await s.open()
    try:
        size = Path(s.path).stat().st_size
        await s.write_batch(batch([row("t", n, payload=bytes(1000)) for n in range(1, 500)]))
        assert s._checkpoint is not None
        await s._checkpoint
        assert s.statistics().wal_checkpoints == 1
        assert Path(s.path).stat().st_size > size + 400_000  # the pages reached the file
    finally:
        await s.close()


async def test_loop_writer_checkpoints_the_wal_at_most_so_often(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import stores.sqlite

    monkeypatch.setattr(stores.sqlite, "WAL_CHECKPOINT_EVERY", 3600.0)
    s = SqliteStore(tmp_path / "wal.db", writer="loop")
    await s.open()
    try:
        for n in range(1, 4):
            await s.write_batch(batch([row("t", n)]))
            if s._checkpoint is not None:
                await s._checkpoint
        assert s.statistics().wal_checkpoints == 1  # the first write's, then none for an hour
    finally:
        await s.close()


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
        writer = s._w
        await s.open()
        assert s._w is writer is not None
    finally:
        await s.close()


@pytest.mark.parametrize("writer", ["thread", "loop"])
def test_unclosed_store_does_not_hang_interpreter_exit(tmp_path: Path, writer: str) -> None:
    code = (
        "import asyncio, stores\n"
        f"s = stores.SqliteStore({str(tmp_path / 'exit.db')!r}, writer={writer!r})\n"
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


def test_default_writer_runs_on_the_loop(tmp_path: Path) -> None:
    # measured faster under a busy loop (see stores/sqlite.py); a change must be deliberate
    assert SqliteStore(tmp_path / "d.db").writer == "loop"


def test_switching_to_wal_waits_out_another_process_switching(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two processes opening one new file both switch it to WAL; SQLite may refuse the
    second at once ("database is locked") without waiting in the busy handler, which the
    connections here mimic with a zero timeout: the switch is tried again."""
    path = tmp_path / "new.db"
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    other = sqlite3.connect(path, isolation_level=None, timeout=0)
    waits: list[float] = []

    def sleep(seconds: float) -> None:  # the retry's pause: the other process is done now
        waits.append(seconds)
        if holder.in_transaction:
            holder.execute("COMMIT")

    monkeypatch.setattr(schema.time, "sleep", sleep)
    assert schema.journal_wal(other, 1000) == "wal"
    assert len(waits) == 1
    second = tmp_path / "second.db"  # and past busy_ms it gives up
    holder = sqlite3.connect(second, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        schema.journal_wal(sqlite3.connect(second, isolation_level=None, timeout=0), 0)
    assert len(waits) == 1
