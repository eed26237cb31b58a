"""Runs of consecutive checkpoints: SQLite stores each thread's run in a batch as one row
(stores/_sqlite_pack.py). Every backend must answer as if each checkpoint were its own row;
the last tests look at the SQLite rows themselves."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from store_helpers import batch, row, seqs, thread

from stores import CorruptCheckpointError, SqliteStore, Store, StoreError
from stores import _sqlite_pack as pack
from stores import _sqlite_schema as sql


async def _run(store: Store, tid: str, first: int, last: int, base: int = 1) -> None:
    rows = [row(tid, s, base=base) for s in range(first, last + 1)]
    await store.write_batch(batch(rows, [thread(tid, head=last)]))


def _stored(s: SqliteStore, tid: str) -> list[tuple[int, int]]:
    db = s._writer().db
    assert db is not None
    q = "SELECT first, seq FROM checkpoints WHERE thread_id = ? ORDER BY first"
    return [tuple(r) for r in db.execute(q, (tid,))]


# -- duplicates ------------------------------------------------------------------------------
@pytest.mark.parametrize("dup", [1, 6])
async def test_a_duplicate_of_a_runs_first_checkpoint_is_refused(store: Store, dup: int) -> None:
    await _run(store, "t", 1, 5)
    await _run(store, "t", 6, 8)
    bad = batch([row("u", 1), row("t", dup, payload=b"again"), row("t", dup + 1)])
    with pytest.raises(StoreError, match=f"checkpoint {dup} ") as info:
        await store.write_batch(bad)
    assert info.value.thread_id == "t"
    assert await store.list_checkpoints("u") == []
    got = await store.list_checkpoints("t", ascending=True)
    assert [r.payload for r in got] == [f"t:{s}".encode() for s in range(1, 9)]


async def test_a_duplicate_within_a_batch_is_refused_wherever_it_is(store: Store) -> None:
    # not next to each other, other threads in between, the second copy starting a run
    rows = [row("t", 1), row("u", 1), row("t", 2), row("u", 2), row("t", 3), row("t", 2)]
    with pytest.raises(StoreError, match="checkpoint 2"):
        await store.write_batch(batch(rows))
    assert await store.list_checkpoints("t") == [] and await store.list_checkpoints("u") == []


async def test_a_batch_out_of_order_but_without_duplicates_is_taken(store: Store) -> None:
    rows = [row("t", 5), row("t", 6), row("t", 2), row("t", 3), row("t", 9)]
    await store.write_batch(batch(rows))
    assert seqs(await store.list_checkpoints("t", ascending=True)) == [2, 3, 5, 6, 9]
    assert seqs(await store.load_chain("t", 6)) == [2, 3, 5, 6]


# -- cuts (rolled-back turns) -----------------------------------------------------------------
async def test_a_cut_inside_a_run_keeps_what_comes_before(store: Store) -> None:
    await _run(store, "t", 1, 6)
    await store.write_batch(batch([row("t", 4, payload=b"new 4")], discard=[("t", 4)]))
    got = await store.list_checkpoints("t", ascending=True)
    assert seqs(got) == [1, 2, 3, 4] and got[3].payload == b"new 4"
    assert got[:3] == [row("t", s) for s in (1, 2, 3)]
    await store.write_batch(batch([row("t", 5)]))  # the freed ids are taken again
    await store.write_batch(batch(discard=[("t", 2)]))
    assert seqs(await store.load_chain("t", 1)) == [1]
    assert await store.load_chain("t", 3) == []
    assert seqs(await store.list_checkpoints("t")) == [1]


async def test_a_cut_and_a_new_run_from_the_cut_in_one_batch(store: Store) -> None:
    await _run(store, "t", 1, 6)
    redo = [row("t", s, payload=b"redo") for s in (3, 4, 5)]
    await store.write_batch(batch(redo, [thread("t", head=5)], discard=[("t", 3)]))
    assert await store.load_chain("t") == [row("t", 1), row("t", 2), *redo]


# -- reads --------------------------------------------------------------------------------------
async def test_load_chain_to_a_checkpoint_inside_a_run(store: Store) -> None:
    rows = [row("t", 1, base=1), row("t", 2, base=1), row("t", 3, base=3), row("t", 4, base=3)]
    rows += [row("t", 5, base=3), row("t", 6, base=6), row("t", 7, parent=2, base=1)]
    await store.write_batch(batch(rows, [thread("t", head=6)]))
    assert await store.load_chain("t", 2) == rows[:2]
    assert await store.load_chain("t", 4) == rows[2:4]
    assert await store.load_chain("t") == [rows[5]]
    assert seqs(await store.load_chain("t", 7)) == [1, 2, 3, 4, 5, 6, 7]  # a fork: base 1
    assert await store.load_chain("t", 8) == []
    await store.write_batch(batch([row("t", 8, base=3)], [thread("t", head=5)]))
    assert seqs(await store.load_chain("t")) == [3, 4, 5]  # the head, inside the run
    await store.write_batch(batch(threads=[thread("t", head=0)]))
    assert await store.load_chain("t") == []


async def test_list_checkpoints_windows_across_runs(store: Store) -> None:
    await _run(store, "t", 1, 4)
    await _run(store, "t", 5, 9)
    await store.write_batch(batch([row("t", 10)]))
    assert seqs(await store.list_checkpoints("t", before=7, limit=3)) == [6, 5, 4]
    assert seqs(await store.list_checkpoints("t", before=7, limit=3, ascending=True)) == [1, 2, 3]
    assert seqs(await store.list_checkpoints("t", before=2)) == [1]
    assert seqs(await store.list_checkpoints("t", limit=2)) == [10, 9]
    assert seqs(await store.list_checkpoints("t", limit=6, ascending=True)) == [1, 2, 3, 4, 5, 6]
    assert seqs(await store.list_checkpoints("t")) == list(range(10, 0, -1))
    assert await store.list_checkpoints("t", before=6, limit=0) == []


# -- retention ----------------------------------------------------------------------------------
async def test_prune_and_rebase_inside_a_run(store: Store) -> None:
    await _run(store, "t", 1, 8)
    assert await store.prune_checkpoints("t", 5, limit=2, snapshot=b"at 5") == 2
    got = {r.seq: r for r in await store.list_checkpoints("t")}
    assert sorted(got) == [1, 2, 5, 6, 7, 8]
    assert got[5] == row("t", 5, base=5, payload=b"at 5")
    assert [got[s].base for s in (1, 2, 6, 7, 8)] == [1, 1, 5, 5, 5]
    assert seqs(await store.load_chain("t", 7)) == [5, 6, 7]
    assert seqs(await store.load_chain("t", 2)) == [1, 2]
    assert await store.prune_checkpoints("t", 6, limit=9) == 3
    assert seqs(await store.list_checkpoints("t", ascending=True)) == [6, 7, 8]
    assert await store.prune_checkpoints("t", 99, limit=1, snapshot=b"x") == 0  # no 99
    assert seqs(await store.list_checkpoints("t", ascending=True)) == [6, 7, 8]


async def test_prune_rebases_later_runs_only_where_their_base_is_older(store: Store) -> None:
    await _run(store, "t", 1, 3)
    later = [row("t", 4, base=1), row("t", 5, base=5), row("t", 6, base=1)]
    await store.write_batch(batch(later))
    assert await store.prune_checkpoints("t", 3, limit=1, snapshot=b"at 3") == 1
    got = await store.list_checkpoints("t", ascending=True)
    assert [(r.seq, r.base) for r in got] == [(1, 1), (3, 3), (4, 3), (5, 5), (6, 3)]
    assert got[1].payload == b"at 3" and got[2].payload == b"t:4"


# -- SQLite's rows --------------------------------------------------------------------------------
async def test_sqlite_stores_a_run_per_thread_and_batch(tmp_path: Path) -> None:
    s = SqliteStore(tmp_path / "p.db")
    await s.open()
    try:
        rows = [row("t", 1), row("u", 1), row("t", 2), row("u", 2), row("t", 3), row("t", 5)]
        await s.write_batch(batch(rows))
        assert _stored(s, "t") == [(1, 3), (5, 5)]
        assert _stored(s, "u") == [(1, 2)]
        assert s.statistics().rows_written == 6  # checkpoints, not stored rows
        await s.write_batch(batch(discard=[("t", 2)]))
        assert _stored(s, "t") == [(1, 1)]
        await _run(s, "t", 2, 9)
        assert await s.prune_checkpoints("t", 6, limit=2) == 2  # 5 and 4 go
        assert _stored(s, "t") == [(1, 1), (2, 3), (6, 9)]
    finally:
        await s.close()


async def test_sqlite_reads_rows_of_older_versions_mixed_with_packed_ones(tmp_path: Path) -> None:
    path = tmp_path / "v2.db"
    db = sqlite3.connect(path, isolation_level=None)
    sql.migrate(db, str(path), sql.MIGRATIONS[:2])  # a file as schema v2 made it
    old = [row("t", s, base=1 if s < 3 else 3) for s in range(1, 5)]
    db.executemany("INSERT INTO checkpoints VALUES (?, ?, ?, ?, ?)", old)
    db.close()
    s = SqliteStore(path)
    await s.open()
    try:
        assert s.statistics().schema_version == 3
        assert _stored(s, "t") == [(1, 1), (2, 2), (3, 3), (4, 4)]  # one each, first = seq
        await s.write_batch(batch([row("t", 5, base=3), row("t", 6, base=3)]))
        assert _stored(s, "t")[-1] == (5, 6)
        assert await s.load_chain("t", 6) == [*old[2:], row("t", 5, base=3), row("t", 6, base=3)]
        assert seqs(await s.list_checkpoints("t", before=6, limit=3)) == [5, 4, 3]
        with pytest.raises(StoreError, match="checkpoint 4 "):
            await s.write_batch(batch([row("t", 4), row("t", 5)]))
        await s.write_batch(batch(discard=[("t", 3)]))  # cuts across old and packed rows
        assert await s.list_checkpoints("t", ascending=True) == old[:2]
    finally:
        await s.close()


async def test_sqlite_does_not_refuse_a_run_starting_inside_a_stored_one(tmp_path: Path) -> None:
    # The known limit of keying rows by their first checkpoint (see stores/_sqlite_pack.py):
    # the runtime never writes such a run, and no check per row is paid for it.
    s = SqliteStore(tmp_path / "p.db")
    await s.open()
    try:
        await _run(s, "t", 1, 5)
        await s.write_batch(batch([row("t", 3, payload=b"overlap")]))
        assert _stored(s, "t") == [(1, 5), (3, 3)]
    finally:
        await s.close()


async def test_sqlite_judges_a_malformed_run_row_by_row(tmp_path: Path) -> None:
    s = SqliteStore(tmp_path / "p.db")
    await s.open()
    try:
        for bad in (row("t", 2)._replace(payload=None), row("t", 2)._replace(base=None)):
            with pytest.raises(StoreError) as info:
                await s.write_batch(batch([row("t", 1), bad, row("t", 3)]))  # type: ignore[list-item]
            assert "NOT NULL" in str(info.value)
        assert await s.list_checkpoints("t") == []
        # what SQLite takes in a row of its own, it still takes; a read finds it damaged
        odd = [row("t", 1), row("t", 2)._replace(payload="text")]  # type: ignore[arg-type]
        await s.write_batch(batch(odd))
        with pytest.raises(CorruptCheckpointError, match="checkpoint 2: its payload is a str"):
            await s.list_checkpoints("t", ascending=True)
    finally:
        await s.close()


async def test_sqlite_a_corrupt_packed_row_fails_its_reads(tmp_path: Path) -> None:
    s = SqliteStore(tmp_path / "p.db")
    await s.open()
    try:
        await _run(s, "t", 1, 3)
        db = s._writer().db
        assert db is not None
        db.execute("UPDATE checkpoints SET payload = x'c1' WHERE thread_id = 't'")
        with pytest.raises(CorruptCheckpointError, match="checkpoints 1-3") as info:
            await s.load_chain("t")
        assert info.value.thread_id == "t"
        # a row that holds fewer checkpoints than its range says is corrupt too
        db.execute(
            "UPDATE checkpoints SET payload = ?",
            (bytes(pack.pack([row("t", 1), row("t", 2)])[0][5]),),
        )
        with pytest.raises(CorruptCheckpointError, match="holds 2 checkpoints"):
            await s.list_checkpoints("t")
    finally:
        await s.close()


def test_pack_groups_runs_per_thread_in_flusher_order() -> None:
    rows = [row("a", 1), row("b", 7), row("a", 2), row("b", 8), row("a", 4), row("b", 9)]
    got = [(p[0], p[1], p[2]) for p in pack.pack(rows)]
    assert got == [("a", 1, 2), ("a", 4, 4), ("b", 7, 9)]
    for params in pack.pack(rows):
        stored = (params[0], params[1], params[2], params[3], params[4], bytes(params[5]))
        assert pack.expand(stored) == [
            r for r in rows if r.thread_id == params[0] and params[1] <= r.seq <= params[2]
        ]  # type: ignore[arg-type]
