"""How the SQLite store reports faults, on real files: each failure is either "may pass,
try again" (``StoreUnavailableError``) or "refused, retrying cannot help" (plain
``StoreError``), and a failed batch writes nothing. The runtime's flusher relies on this
split (retry vs quarantine), see tests/runtime/test_faults.py."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from store_helpers import batch, row, seqs, thread

from stores import SqliteStore, StoreError, StoreUnavailableError, codec
from stores import _sqlite_schema as schema
from stores.errors import CorruptCheckpointError

SQLITE_IOERR = 10


@pytest.fixture(params=["thread", "loop"])
async def db(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[SqliteStore]:
    s = SqliteStore(tmp_path / "f.db", busy_timeout=0.05, writer=request.param)
    await s.open()
    try:
        yield s
    finally:
        await s.close()


async def on_writer(store: SqliteStore, fn: Callable[[sqlite3.Connection], Any]) -> Any:
    """Run ``fn`` on the store's writer connection (a test seam: per-connection limits)."""
    return await store._writer().run(fn)


def io_error() -> sqlite3.OperationalError:
    exc = sqlite3.OperationalError("disk I/O error")
    exc.sqlite_errorcode = SQLITE_IOERR  # type: ignore[attr-defined]
    exc.sqlite_errorname = "SQLITE_IOERR"  # type: ignore[attr-defined]
    return exc


def failing_transaction(failures: list[BaseException]) -> Callable[..., Any]:
    """``schema.transaction`` that raises the given errors first, one per call."""
    real = schema.transaction

    def transaction(db: sqlite3.Connection, steps: Any) -> Any:
        if failures:
            raise failures.pop(0)
        return real(db, steps)

    return transaction


async def test_io_error_is_unavailable_and_writes_nothing(
    db: SqliteStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(schema, "transaction", failing_transaction([io_error()]))
    good = batch([row("t", 1), row("u", 1)], [thread("t", head=1), thread("u", head=1)])
    with pytest.raises(StoreUnavailableError, match="disk I/O error") as info:
        await db.write_batch(good)
    assert schema.primary_code(info.value.__cause__) == SQLITE_IOERR
    assert await db.load_chain("t") == [] and await db.get_thread("u") is None
    assert db.statistics().write_errors == 1
    await db.write_batch(good)  # the same batch once the fault has passed
    assert seqs(await db.load_chain("t")) == seqs(await db.load_chain("u")) == [1]
    assert db.statistics().batches == 1


async def test_disk_full_names_the_cause_and_keeps_reads_working(db: SqliteStore) -> None:
    await db.write_batch(batch([row("t", 1)], [thread("t", head=1)]))
    pages = (await on_writer(db, lambda c: c.execute("PRAGMA page_count").fetchall()))[0][0]
    await on_writer(db, lambda c: c.execute(f"PRAGMA max_page_count = {pages}"))
    big = batch([row("t", 2, payload=bytes(50_000))], [thread("t", head=2)])
    with pytest.raises(StoreUnavailableError, match="full") as info:
        await db.write_batch(big)
    assert schema.primary_code(info.value.__cause__) == 13  # SQLITE_FULL
    assert seqs(await db.load_chain("t")) == [1]  # reads go on
    await on_writer(db, lambda c: c.execute("PRAGMA max_page_count = 1073741823"))
    await db.write_batch(big)
    assert seqs(await db.load_chain("t")) == [1, 2]


async def test_a_row_over_the_length_limit_is_refused_not_unavailable(db: SqliteStore) -> None:
    # SQLITE_TOOBIG (sqlite3.DataError): the row can never go in, retrying cannot help
    await on_writer(db, lambda c: c.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, 4000))
    mixed = batch(
        [row("ok", 1), row("huge", 1, payload=bytes(10_000))],
        [thread("ok", head=1), thread("huge", head=1)],
    )
    with pytest.raises(StoreError, match="refused") as info:
        await db.write_batch(mixed)
    assert not isinstance(info.value, StoreUnavailableError)
    assert isinstance(info.value.__cause__, sqlite3.DataError)
    assert await db.load_chain("ok") == []  # all or nothing
    await db.write_batch(batch([row("ok", 1)], [thread("ok", head=1)]))  # the rest goes in
    assert seqs(await db.load_chain("ok")) == [1]


async def test_a_trigger_refusal_is_refused_and_names_no_thread(db: SqliteStore) -> None:
    # a constraint the store cannot attribute to a row: the caller has to find the culprit
    trigger = """CREATE TRIGGER no_bad BEFORE INSERT ON checkpoints WHEN NEW.thread_id = 'bad'
                 BEGIN SELECT RAISE(ABORT, 'bad rows are refused'); END"""
    await on_writer(db, lambda c: c.execute(trigger))
    with pytest.raises(StoreError, match="bad rows are refused") as info:
        await db.write_batch(batch([row("a", 1), row("bad", 1)], [thread("a", head=1)]))
    assert not isinstance(info.value, StoreUnavailableError)
    assert info.value.thread_id is None
    assert await db.load_chain("a") == []


async def test_busy_past_busy_timeout_is_unavailable_then_writes(db: SqliteStore) -> None:
    other = sqlite3.connect(db.path, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        with pytest.raises(StoreUnavailableError, match="locked") as info:
            await db.write_batch(batch([row("t", 1)], [thread("t", head=1)]))
        assert schema.primary_code(info.value.__cause__) == schema.BUSY
    finally:
        other.execute("ROLLBACK")
        other.close()
    await db.write_batch(batch([row("t", 1)], [thread("t", head=1)]))
    assert seqs(await db.load_chain("t")) == [1]


async def test_a_corrupt_payload_comes_back_untouched(db: SqliteStore) -> None:
    # stores never decode: the bytes reach the runtime as they are, which names the thread
    await db.write_batch(batch([row("t", 1, payload=b"\xc1 not msgpack")], [thread("t", head=1)]))
    (got,) = await db.load_chain("t")
    assert got.payload == b"\xc1 not msgpack"
    with pytest.raises(CorruptCheckpointError) as info:
        codec.decode_checkpoint(got.payload, thread_id=got.thread_id, seq=got.seq)
    assert info.value.thread_id == "t"
    assert "checkpoint 1" in str(info.value)
