"""Two runtimes sharing one SQLite file (as two processes would): leases keep one owner
per thread, hand threads over on eviction, and fence off an owner whose lease expired."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from runtime import StaleOwnerError
from stores import SqliteStore

from .conftest import cfg, tutorial_builder
from .lease_worker import build


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def runtime(path: Path, wall: Clock, mono: Clock, **options: Any) -> Any:
    store = SqliteStore(path, lease_ttl=30, clock=wall)
    return tutorial_builder().compile(checkpointer=store, clock=mono, idle_timeout=60, **options)


async def test_a_thread_has_one_owner_and_moves_when_evicted(tmp_path: Path) -> None:
    wall, mono = Clock(1000.0), Clock(0.0)
    a = runtime(tmp_path / "s.db", wall, mono)
    b = runtime(tmp_path / "s.db", wall, mono)
    async with a, b:
        await a.ainvoke({"messages": []}, cfg("t"))
        with pytest.raises(StaleOwnerError, match="another process") as caught:
            await b.ainvoke({}, cfg("t"))
        assert caught.value.thread_id == "t"
        await b.ainvoke({"messages": []}, cfg("other"))  # other threads are not affected
        # A lets t go: idle past idle_timeout, evicted, lease given back by its sweeper
        await a.aflush()
        mono.now = 61.0
        assert a.supervisor.sweep() == 1
        await a.supervisor.leases.maintain()
        out = await b.ainvoke({}, cfg("t"))
        assert out["messages"] == ["Hello from the agent"] * 2  # B sees A's turn
        with pytest.raises(StaleOwnerError):
            await a.ainvoke({}, cfg("t"))  # now B owns it


async def test_an_owner_whose_lease_expired_is_fenced_off(tmp_path: Path) -> None:
    wall, mono = Clock(1000.0), Clock(0.0)
    # A never flushes on its own, as if its process stalled past its lease
    a = runtime(tmp_path / "s.db", wall, mono, flush_interval=3600)
    b = runtime(tmp_path / "s.db", wall, mono)
    async with a, b:
        await a.ainvoke({"messages": []}, cfg("t"), durability="sync")  # committed
        await a.ainvoke({}, cfg("t"))  # acknowledged ("async"), not yet written
        wall.now += 31  # A's lease expires unrenewed: B takes the thread over
        out = await b.ainvoke({}, cfg("t"), durability="sync")
        assert len(out["messages"]) == 2  # the committed turn and B's own
        # A wakes up: its write is refused, never applied, and A lets the thread go
        with pytest.raises(StaleOwnerError):
            await a.ainvoke({}, cfg("t"), durability="sync")
        assert a.statistics().active == 0 and a.statistics().evictions_stale == 1
        b_state = await b.aget_state(cfg("t"))
        assert len(b_state.values["messages"]) == 2
    # both closed (leases released); a new runtime serves t from what the file holds
    again = runtime(tmp_path / "s.db", wall, mono)
    async with again:
        out = await again.ainvoke({}, cfg("t"))
        assert len(out["messages"]) == 3  # nothing lost that was committed, nothing doubled
        history = [h async for h in again.aget_state_history(cfg("t"))]
        assert [h.metadata["source"] for h in history].count("input") == 3


def test_two_processes_hammering_the_same_threads_lose_and_double_nothing(
    tmp_path: Path,
) -> None:
    db = tmp_path / "shared.db"
    worker = Path(__file__).with_name("lease_worker.py")
    root = Path(__file__).resolve().parents[2]
    procs = [
        subprocess.Popen(
            [sys.executable, str(worker), str(db), name, "4", "25"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=root,
            env={**os.environ, "PYTHONPATH": str(root)},
        )
        for name in ("A", "B")
    ]
    for p in procs:  # both up, then both go
        assert p.stdout is not None and p.stderr is not None
        if p.stdout.readline().strip() != "ready":
            p.kill()
            raise AssertionError(f"a worker did not start: {p.stderr.read()}")
    for p in procs:
        assert p.stdin is not None
        p.stdin.write("go\n")
        p.stdin.flush()
    acked: set[str] = set()
    refused = 0
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
        acked.update(out.split())
        refused += int(err.split("refused ")[-1])
    assert len(acked) == 2 * 4 * 25  # every turn was acknowledged once, in the end
    assert refused > 0  # they did contend: a thread the other process owned was refused

    async def final_logs() -> dict[str, list[str]]:
        graph = build(str(db))
        async with graph:
            return {f"t{i}": (await graph.aget_state(cfg(f"t{i}"))).values["log"] for i in range(4)}

    logs = asyncio.run(final_logs())
    stored = [tag for log in logs.values() for tag in log]
    assert len(stored) == len(set(stored)), "a turn was applied twice"
    assert set(stored) == acked, (
        "an acknowledged turn is missing, or an unacknowledged one is there"
    )
    for tid, log in logs.items():
        assert all(tag.split(":")[1] == tid for tag in log)
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
