"""Throughput of SQLite group commits: ``SqliteStore.write_batch`` and two aiosqlite baselines.

Each turn writes 3 checkpoint rows (~100-byte payloads) and upserts its thread's row; turns
go round-robin over ``--threads`` sessions, as the runtime's flusher would send them.

Writers compared, each committing a batch as one ``BEGIN IMMEDIATE`` ... ``COMMIT``:

* ``aiosqlite-stmts``: one awaited aiosqlite call per statement (4+ thread hops per batch)
* ``aiosqlite-1hop``: the whole transaction as one function via aiosqlite's ``_execute``
* ``store-thread``: ``SqliteStore(writer="thread")`` (one hop to its writer thread)
* ``store-loop``: ``SqliteStore(writer="loop")`` (no hop: runs on the event loop thread)

``--busy`` keeps the event loop busy meanwhile (100 us Python callbacks), as a loaded
runtime does: that is where threads pay for winning the GIL back.

    python examples/bench_store.py --sizes 300 3000 --rows 150000 --repeat 3 [--busy]

``--per-thread K ...`` measures instead what ``SqliteStore.write_batch`` (``writer="loop"``)
costs per checkpoint when a batch holds K consecutive checkpoints of each of its threads (the
store packs such runs, stores/_sqlite_pack.py): batches of ``--batch-rows`` checkpoints
(~150-byte payloads) of ``--batch-rows / K`` threads, taken round-robin from ``--threads``,
turn-interleaved as the flusher sends them (a turn's 3 checkpoints, the next thread's turn,
...); after ``--warmup`` batches, ``--batches`` are timed. It uses only the public store API,
so the same script measures another checkout's store (run it with that checkout's python)::

    python examples/bench_store.py --per-thread 3 6 12 --repeat 5 [--thread-rows] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from typing import Any

import aiosqlite

from stores import CheckpointRow, SqliteStore, ThreadRow, WriteBatch
from stores import _sqlite_schema as sql

Write = Callable[[WriteBatch], Awaitable[Any]]


def make_batches(total_rows: int, size: int, threads: int) -> list[WriteBatch]:
    payload = os.urandom(100)
    seq = dict.fromkeys(range(threads), 0)
    batches: list[WriteBatch] = []
    turn = 0
    while len(batches) * size < total_rows:
        rows: list[CheckpointRow] = []
        heads: dict[str, ThreadRow] = {}
        while len(rows) < size:
            t = turn % threads
            tid = f"thread-{t:06d}"
            for _ in range(3):
                seq[t] += 1
                rows.append(CheckpointRow(tid, seq[t], seq[t] - 1 or None, 1, payload))
            heads[tid] = ThreadRow(tid, "idle", 1.0, time.time(), None, seq[t])
            turn += 1
        batches.append(WriteBatch(rows, list(heads.values()), []))
    return batches


def _steps(b: WriteBatch) -> list[tuple[str, Any, bool]]:
    # one stored row per checkpoint (first = seq), as the store did before packing
    rows = [(r[0], r[1], r[1], r[2], r[3], r[4]) for r in b.checkpoints]
    return [(sql.INSERT, rows, True), (sql.UPSERT_THREAD, b.threads, True)]


async def _aiosqlite_writer(path: str, one_hop: bool) -> tuple[Write, Callable[[], Any]]:
    conn = await aiosqlite.connect(path, isolation_level=None)
    await conn.execute("PRAGMA synchronous = NORMAL")

    async def stmts(b: WriteBatch) -> None:
        await conn.execute("BEGIN IMMEDIATE")
        for q, params, _ in _steps(b):
            await conn.executemany(q, params)
        await conn.execute("COMMIT")

    async def hop(b: WriteBatch) -> None:
        await conn._execute(sql.transaction, conn._conn, _steps(b))  # type: ignore[no-untyped-call]

    return (hop if one_hop else stmts), conn.close


async def _spin(stop: asyncio.Event) -> int:
    n = 0
    while not stop.is_set():
        x = 0
        for i in range(2000):  # about 100 us of Python per callback
            x += i
        n += 1
        await asyncio.sleep(0)
    return n


async def run_once(
    path: str, kind: str, batches: list[WriteBatch], busy: bool
) -> tuple[float, float]:
    """Rows written per second, and the busy loop's callbacks per second meanwhile."""
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(path + suffix):
            os.remove(path + suffix)
    store = SqliteStore(path, writer="loop" if kind == "store-loop" else "thread")
    await store.open()  # creates the schema for the baselines too
    write: Write = store.write_batch
    close: Callable[[], Any] = store.close
    if kind.startswith("aiosqlite"):
        await store.close()
        write, close = await _aiosqlite_writer(path, kind.endswith("1hop"))
    stop = asyncio.Event()
    spinner = asyncio.ensure_future(_spin(stop)) if busy else None
    t0 = time.perf_counter()
    for b in batches:
        await write(b)
        await asyncio.sleep(0)  # as a flusher does between batches: let other tasks run
    elapsed = time.perf_counter() - t0
    stop.set()
    spins = await spinner if spinner is not None else 0
    await close()
    with sqlite3.connect(path) as check:  # everything really went in
        (n,) = check.execute("SELECT coalesce(sum(seq - first + 1), 0) FROM checkpoints").fetchone()
    assert n == sum(len(b.checkpoints) for b in batches), n
    return n / elapsed, spins / elapsed


def packing_batches(
    per_thread: int, nbatches: int, batch_rows: int, threads: int, thread_rows: bool
) -> list[WriteBatch]:
    """Batches of ``batch_rows`` checkpoints, ``per_thread`` consecutive ones per thread."""
    payload = os.urandom(150)
    seq = [0] * threads
    nxt = 0
    out: list[WriteBatch] = []
    for _ in range(nbatches):
        tids = [(nxt + i) % threads for i in range(batch_rows // per_thread)]
        nxt += len(tids)
        rows: list[CheckpointRow] = []
        for _turn in range(per_thread // 3):
            for t in tids:
                tid = f"thread-{t:06d}"
                for _ in range(3):
                    seq[t] += 1
                    rows.append(CheckpointRow(tid, seq[t], seq[t] - 1 or None, 1, payload))
        heads = [ThreadRow(f"thread-{t:06d}", "idle", 1.0, time.time(), None, seq[t]) for t in tids]
        out.append(WriteBatch(rows, heads if thread_rows else [], []))
    return out


async def packing_once(path: str, batches: list[WriteBatch], warmup: int) -> dict[str, float]:
    """Microseconds per checkpoint of the timed batches' ``write_batch`` calls: the median
    batch's wall time, and the process CPU time over all of them."""
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(path + suffix):
            os.remove(path + suffix)
    store = SqliteStore(path, writer="loop")
    await store.open()
    try:
        walls: list[float] = []
        cpu = 0.0
        for i, b in enumerate(batches):
            c0, t0 = time.process_time(), time.perf_counter()
            await store.write_batch(b)
            t1, c1 = time.perf_counter(), time.process_time()
            if i >= warmup:
                walls.append(t1 - t0)
                cpu += c1 - c0
            await asyncio.sleep(0)  # let the store's WAL checkpoint task run, as a flusher does
    finally:
        await store.close()
    n = len(batches[0].checkpoints)
    return {
        "wall_us": statistics.median(walls) / n * 1e6,
        "cpu_us": cpu / (len(walls) * n) * 1e6,
    }


async def packing_main(args: argparse.Namespace, path: str) -> None:
    results: dict[int, list[dict[str, float]]] = {k: [] for k in args.per_thread}
    sets = {
        k: packing_batches(
            k, args.warmup + args.batches, args.batch_rows, args.threads, args.thread_rows
        )
        for k in args.per_thread
    }
    for _ in range(args.repeat):  # interleaved, so machine noise hits every K alike
        for k in args.per_thread:
            results[k].append(await packing_once(path, sets[k], args.warmup))
    summary = {
        str(k): {key: statistics.median(r[key] for r in runs) for key in ("wall_us", "cpu_us")}
        | {"runs": [r["cpu_us"] for r in runs]}
        for k, runs in results.items()
    }
    if args.json:
        print(json.dumps(summary))
        return
    for k, got in summary.items():
        print(
            f"{k:>2} per thread: {got['wall_us']:.3f} us/checkpoint (median batch wall), "
            f"{got['cpu_us']:.3f} us/checkpoint CPU (median of {args.repeat})"
        )


async def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[300, 3000])
    ap.add_argument("--rows", type=int, default=150_000, help="rows per run")
    ap.add_argument("--threads", type=int, default=1000, help="distinct sessions")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--busy", action="store_true", help="keep the event loop busy")
    ap.add_argument("--kinds", nargs="+", default=KINDS, choices=KINDS)
    ap.add_argument("--dir", default=tempfile.gettempdir())
    ap.add_argument(
        "--per-thread", type=int, nargs="+", help="consecutive checkpoints per thread and batch"
    )
    ap.add_argument("--batch-rows", type=int, default=1200, help="with --per-thread")
    ap.add_argument("--warmup", type=int, default=10, help="with --per-thread: untimed batches")
    ap.add_argument("--batches", type=int, default=40, help="with --per-thread: timed batches")
    ap.add_argument(
        "--thread-rows", action="store_true", help="with --per-thread: upsert thread rows too"
    )
    ap.add_argument("--json", action="store_true", help="with --per-thread")
    args = ap.parse_args()
    path = os.path.join(args.dir, f"bench_store_{os.getpid()}.db")
    if args.per_thread:
        try:
            await packing_main(args, path)
        finally:
            for suffix in ("", "-wal", "-shm"):
                if os.path.exists(path + suffix):
                    os.remove(path + suffix)
        return
    print(
        f"{path}: {args.rows} rows/run over {args.threads} sessions, median of {args.repeat}"
        f"{', busy loop' if args.busy else ''}"
    )
    try:
        for size in args.sizes:
            batches = make_batches(args.rows, size, args.threads)
            runs: dict[str, list[tuple[float, float]]] = {k: [] for k in args.kinds}
            for _ in range(args.repeat):  # interleaved, so machine noise hits all kinds
                for kind in args.kinds:
                    runs[kind].append(await run_once(path, kind, batches, args.busy))
            for kind, rates in runs.items():
                med = statistics.median(r for r, _ in rates)
                line = f"batch {size:5d} {kind:16s} {med:>9,.0f} rows/s ({med / 3:>7,.0f} turns/s)"
                if args.busy:
                    line += f"  busy loop ran {statistics.median(s for _, s in rates):>7,.0f} cb/s"
                print(line)
    finally:
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(path + suffix):
                os.remove(path + suffix)


KINDS = ["aiosqlite-stmts", "aiosqlite-1hop", "store-thread", "store-loop"]

if __name__ == "__main__":
    asyncio.run(main())
