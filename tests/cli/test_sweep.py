"""``sweep``, ``archive`` and ``restore`` run as subprocesses on a real database."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from examples.server import tutorial_graph
from runtime import ThreadArchivedError

from .conftest import cfg, cli, stored, threads

IDS = ("t0", "t1", "t2", "ask")
HELLO = "Hello from the agent"


def as_json(*args: str | Path) -> Any:
    return json.loads(cli(*args).stdout)


def comparable(entry: dict[str, Any]) -> dict[str, Any]:
    # the oldest kept checkpoint is rewritten as a snapshot: its size and kind change
    return {k: v for k, v in entry.items() if k not in ("bytes", "snapshot")}


def test_sweep_keep_last(db: Path) -> None:
    state = {tid: as_json("state", db, tid, "--json") for tid in IDS}
    history = {tid: as_json("history", db, tid, "--json") for tid in IDS}
    rows = {tid: len(stored(db, tid)[1]) for tid in IDS}
    report = as_json("sweep", db, "--keep-last", "2", "--batch-size", "3")
    for tid in IDS:
        kept = as_json("history", db, tid, "--json")
        assert [comparable(h) for h in kept] == [comparable(h) for h in history[tid][:2]]
        assert as_json("state", db, tid, "--json") == state[tid]  # ask: still paused
    left = {tid: len(stored(db, tid)[1]) for tid in IDS}
    assert report == {
        "db": str(db),
        "threads_pruned": sum(left[t] < rows[t] for t in IDS),
        "checkpoints_deleted": sum(rows.values()) - sum(left.values()),
        "threads_deleted": 0,
        "threads_skipped": 0,
    }
    # "ask" has two checkpoints and its pause's hidden record: nothing to prune there
    assert left == {"t0": 2, "t1": 2, "t2": 2, "ask": 3} and rows["ask"] == 3
    assert as_json("sweep", db, "--keep-last", "2")["threads_pruned"] == 0
    assert as_json("sweep", db, "--keep-last", "1")["threads_pruned"] == 4
    paused = as_json("state", db, "ask", "--json")
    assert comparable(paused) == comparable(state["ask"]) and paused["interrupts"]  # kept
    assert len(stored(db, "ask")[1]) == 2 and len(as_json("history", db, "ask", "--json")) == 1

    async def go_on() -> tuple[Any, int]:
        graph = tutorial_graph(str(db))
        async with graph:
            out = await graph.ainvoke({}, cfg("t2"))
            return out, len([s async for s in graph.aget_state_history(cfg("t2"))])

    assert asyncio.run(go_on()) == ({"messages": [HELLO] * 4}, 1 + 3)


def test_archive_restore_and_sweep_ttl(db: Path) -> None:
    assert as_json("sweep", db, "--ttl", "3600")["threads_deleted"] == 0  # all recent
    assert "archived 2 thread(s)" in cli("archive", db, "t1", "ask").stdout.decode()
    report = as_json("sweep", db, "--ttl", "0.000001")
    assert report["threads_deleted"] == 2  # t0 and t2; archived threads are kept
    assert {t.thread_id for t in threads(db)} == {"t1", "ask"}
    assert stored(db, "t0") == (None, [])

    async def turn() -> Any:
        graph = tutorial_graph(str(db))
        async with graph:
            try:
                return await graph.ainvoke({}, cfg("t1"))
            except ThreadArchivedError as exc:
                return exc

    assert isinstance(asyncio.run(turn()), ThreadArchivedError)
    assert "restored 2 thread(s)" in cli("restore", db, "t1", "ask").stdout.decode()
    assert as_json("state", db, "t1", "--json")["status"] == "idle"
    assert as_json("state", db, "ask", "--json")["status"] == "interrupted"  # still paused
    assert asyncio.run(turn()) == {"messages": [HELLO] * 3}
    again = cli("restore", db, "t1", "nobody", check=False)
    assert again.returncode == 1
    assert b"'t1' not archived (status idle)" in again.stderr
    assert b"'nobody' not found" in again.stderr


def test_sweep_usage_errors(db: Path) -> None:
    nothing = cli("sweep", db, check=False)
    assert nothing.returncode == 2 and b"--keep-last N and/or --ttl SECONDS" in nothing.stderr
    zero = cli("sweep", db, "--keep-last", "0", check=False)
    assert zero.returncode == 2 and b"keep_last must be >= 1" in zero.stderr
    missing = cli("sweep", db.with_name("missing.db"), "--ttl", "5", check=False)
    assert missing.returncode == 1 and b"no database" in missing.stderr
    assert {t.thread_id for t in threads(db)} == set(IDS)
