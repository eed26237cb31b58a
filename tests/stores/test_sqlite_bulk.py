"""The bulk statements the SQLite store writes batches with: same rows as executemany."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from stores import _sqlite_schema as sql


@pytest.fixture
def db(tmp_path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(tmp_path / "bulk.db", isolation_level=None)
    sql.migrate(conn, "bulk.db")
    return conn


@pytest.mark.parametrize("n", [1, 2, 15, 16, 17, 1023, 1024, 1025, 2500])
def test_bulk_insert_writes_the_same_rows_as_executemany(db: sqlite3.Connection, n: int) -> None:
    rows = [
        (f"t{i % 7}", i, i, i - 1 if i else None, i - i % 5, bytes([i % 256]) * (i % 9))
        for i in range(n)
    ]
    assert sql.transaction(db, [(sql.INSERT, rows, sql.BULK)]) == [n]
    got = db.execute(f"SELECT {sql.COLS} FROM checkpoints ORDER BY rowid")
    assert [tuple(r) for r in got] == rows  # every row, in order, no padding row


def test_bulk_upsert_applies_rows_in_order_like_executemany(db: sqlite3.Connection) -> None:
    first = [(f"t{i}", "busy", 1.0, 1.0, b"m" if i % 2 else None, 1) for i in range(20)]
    sql.transaction(db, [(sql.UPSERT_THREAD, first, sql.BULK)])
    # t3 twice in one batch: the later row wins, metadata None keeps the stored one
    again = [("t3", "idle", 9.0, 2.0, None, 2), ("t3", "error", 9.0, 3.0, None, 3)]
    again += [("new", "idle", 5.0, 5.0, b"x", 0)]
    sql.transaction(db, [(sql.UPSERT_THREAD, again, sql.BULK)])
    rows = {r[0]: tuple(r) for r in db.execute(sql.THREADS)}
    assert len(rows) == 21
    assert rows["t3"] == ("t3", "error", 1.0, 3.0, b"m", 3)  # created_at kept from the insert
    assert rows["new"] == ("new", "idle", 5.0, 5.0, b"x", 0)
    assert rows["t4"] == ("t4", "busy", 1.0, 1.0, None, 1)


def test_a_duplicate_in_a_bulk_insert_rolls_back_the_whole_transaction(
    db: sqlite3.Connection,
) -> None:
    rows = [("t", i, i, None, 0, b"") for i in range(40)] + [("t", 7, 7, None, 0, b"")]
    threads = [("t", "idle", 1.0, 1.0, None, 40)]
    with pytest.raises(sqlite3.IntegrityError):
        sql.transaction(db, [(sql.UPSERT_THREAD, threads, sql.BULK), (sql.INSERT, rows, sql.BULK)])
    assert db.execute("SELECT count(*) FROM checkpoints").fetchone()[0] == 0
    assert db.execute("SELECT count(*) FROM threads").fetchone()[0] == 0
    assert not db.in_transaction


def test_bulk_refuses_a_statement_it_cannot_rewrite(db: sqlite3.Connection) -> None:
    with pytest.raises(ValueError, match="single-row INSERT"):
        sql.bulk(db, sql.DISCARD, [("t", 1)])
