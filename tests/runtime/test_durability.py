"""Write-behind flushing: group commit, "sync" durability, read-your-writes, exit flushes."""

from __future__ import annotations

import asyncio
import sqlite3
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from stores import MemoryStore, SqliteStore

from .conftest import cfg, tutorial_builder


def committed_rows(path: Path, thread_id: str) -> int:
    """Rows another process would see: a fresh connection, not the runtime's."""
    with sqlite3.connect(path) as conn:
        (n,) = conn.execute(
            # a stored row holds the checkpoints first..seq (stores/_sqlite_pack.py)
            "SELECT coalesce(sum(seq - first + 1), 0) FROM checkpoints WHERE thread_id = ?",
            (thread_id,),
        ).fetchone()
    return int(n)


async def test_sync_durability_returns_after_commit(tmp_path: Path) -> None:
    path = tmp_path / "d.db"
    # A flush interval far longer than the test: only "sync" makes the flush happen now.
    graph = tutorial_builder().compile(checkpointer=SqliteStore(path), flush_interval=3600)
    async with graph:
        await graph.ainvoke({"messages": []}, cfg("a"), durability="sync")
        assert committed_rows(path, "a") == 3
        await graph.ainvoke({}, cfg("a"))  # "async": acknowledged before it is written
        assert committed_rows(path, "a") == 3
        # ...but readable at once (read-your-writes), from memory and the flusher's backlog
        assert len((await graph.aget_state(cfg("a"))).values["messages"]) == 2
        history = [s async for s in graph.aget_state_history(cfg("a"))]
        assert len(history) == 6
        assert graph.statistics().dirty == 3
    # leaving `async with` flushed everything
    assert committed_rows(path, "a") == 6


async def test_compile_time_sync_durability(tmp_path: Path) -> None:
    path = tmp_path / "d.db"
    graph = tutorial_builder().compile(
        checkpointer=SqliteStore(path), durability="sync", flush_interval=3600
    )
    async with graph:
        await asyncio.gather(*(graph.ainvoke({"messages": []}, cfg(f"t{i}")) for i in range(20)))
        assert all(committed_rows(path, f"t{i}") == 3 for i in range(20))
        stats = graph.statistics()
        # group commit: 20 concurrent sync turns needed far fewer than 20 batches
        assert stats.flushes < 20
        assert stats.flushed_checkpoints == 60


async def test_bad_durability_is_refused() -> None:
    graph = tutorial_builder().compile(checkpointer=MemoryStore())
    async with graph:
        with pytest.raises(ValueError, match="durability must be one of"):
            await graph.ainvoke({}, cfg("x"), durability="sometimes")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="durability must be one of"):
        tutorial_builder().compile(checkpointer=MemoryStore(), durability="never")


async def test_state_at_an_unwritten_checkpoint_whose_snapshot_is_written(
    store_factory: Callable[[], Any],
) -> None:
    # read-your-writes: the checkpoint and its nearer ancestors are still in the flusher,
    # the snapshot it replays from is in the store already
    graph = tutorial_builder().compile(checkpointer=store_factory(), flush_interval=3600)
    async with graph:
        await graph.ainvoke({"messages": []}, cfg("t"))
        await graph.aflush()
        await graph.ainvoke({}, cfg("t"))
        history = [s async for s in graph.aget_state_history(cfg("t"))]
        assert graph.statistics().dirty == 3  # the second turn is not written yet
        for snap in history:
            assert (await graph.aget_state(snap.config)).values == snap.values
        assert history[0].values == {"messages": ["Hello from the agent"] * 2}


async def test_a_read_racing_a_commit_still_sees_every_checkpoint() -> None:
    # The store read starts before the flusher commits the turn and ends after: the rows
    # must then come from the flusher's list as it was before the read.
    class SlowReads(MemoryStore):
        stall: asyncio.Event | None = None
        reading = asyncio.Event()

        async def list_checkpoints(self, thread_id: str, **kw: Any) -> Any:
            rows = await super().list_checkpoints(thread_id, **kw)
            if self.stall is not None:
                self.reading.set()
                await self.stall.wait()
            return rows

        async def load_chain(self, thread_id: str, seq: int | None = None) -> Any:
            rows = await super().load_chain(thread_id, seq)
            if self.stall is not None:
                self.reading.set()
                await self.stall.wait()
            return rows

    store = SlowReads()
    graph = tutorial_builder().compile(checkpointer=store, flush_interval=3600)
    async with graph:
        await graph.ainvoke({"messages": []}, cfg("t"))
        at_3 = {"configurable": {"thread_id": "t", "checkpoint_id": "3"}}
        for read, want in (
            (lambda: graph.aget_state(at_3), 1),  # checkpoints 1-6 unwritten when it starts
            (lambda: _history(graph, "t"), 9),  # 7-9 unwritten when it starts
        ):
            await graph.ainvoke({}, cfg("t"))
            store.stall, store.reading = asyncio.Event(), asyncio.Event()
            task = asyncio.ensure_future(read())
            await asyncio.wait_for(store.reading.wait(), 30)
            await graph.aflush()  # commits while the read is under way
            store.stall.set()
            store.stall = None
            got = await asyncio.wait_for(task, 30)
            if isinstance(got, list):
                assert len(got) == want
            else:
                assert got.values == {"messages": ["Hello from the agent"] * want}


async def _history(graph: Any, tid: str) -> list[Any]:
    return [s async for s in graph.aget_state_history(cfg(tid))]


def run_script(code: str, cwd: Path) -> str:
    proc = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


SCRIPT_HEAD = """
    import asyncio
    from tests.runtime.conftest import tutorial_builder
    from stores import SqliteStore
    graph = tutorial_builder().compile(checkpointer=SqliteStore("x.db"), flush_interval=3600)
    config = {"configurable": {"thread_id": "t"}}
"""


def test_end_of_asyncio_run_flushes(tmp_path: Path) -> None:
    root = Path(__file__).resolve().parents[2]
    code = (
        SCRIPT_HEAD
        + """
    async def main():
        for _ in range(3):
            out = await graph.ainvoke({}, config)
        print(len(out["messages"]))
    asyncio.run(main())
    asyncio.run(main())   # a second loop: the runtime rebinds and continues the session
    """
    )
    assert run_script(code.replace("x.db", str(tmp_path / "x.db")), root).split() == ["3", "6"]
    assert committed_rows(tmp_path / "x.db", "t") == 18


def test_sync_script_that_never_closes_flushes_at_exit(tmp_path: Path) -> None:
    root = Path(__file__).resolve().parents[2]
    code = (
        SCRIPT_HEAD
        + """
    for _ in range(4):
        out = graph.invoke({}, config)
    print(len(out["messages"]))
    """
    )
    assert run_script(code.replace("x.db", str(tmp_path / "x.db")), root).strip() == "4"
    assert committed_rows(tmp_path / "x.db", "t") == 12
