"""``ainvoke(..., request_id=...)``: a retried call is answered from the first, never
re-run: while it runs, once it has finished, after its caller went away and after a
restart; bounded per thread. Concurrency is driven by events, not sleeps."""

from __future__ import annotations

import asyncio
import operator
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypedDict

import pytest

from runtime import END, START, CompiledGraph, StateGraph, interrupt
from runtime.errors import InvalidConfigError, SessionBusyError
from stores import MemoryStore, SqliteStore

from .conftest import cfg


class S(TypedDict, total=False):
    log: Annotated[list, operator.add]


class Node:
    """Counts its runs; ``hold`` waits for ``release``; ``fail`` raises once."""

    def __init__(self) -> None:
        self.runs: list[str] = []
        self.entered = asyncio.Event()
        self.release = asyncio.Event()
        self.failed = False

    async def __call__(self, state: S) -> dict[str, Any]:
        cmd = state["log"][-1]
        self.runs.append(cmd)
        if cmd == "hold":
            self.entered.set()
            await self.release.wait()
        if cmd == "fail" and not self.failed:
            self.failed = True
            raise RuntimeError("first try fails")
        if cmd == "ask":
            return {"log": [f"answer {interrupt('q?')}"]}
        return {"log": [f"did {cmd}"]}


def build(node: Node, checkpointer: Any) -> CompiledGraph:
    b = StateGraph(S)
    b.add_node("n", node)
    b.add_edge(START, "n")
    b.add_edge("n", END)
    graph: CompiledGraph = b.compile(checkpointer=checkpointer)
    return graph


async def test_a_retry_gets_the_first_answer_and_nothing_runs_again() -> None:
    node = Node()
    async with build(node, MemoryStore()) as g:
        first = await g.ainvoke({"log": ["a"]}, cfg("t"), request_id="r1")
        again = await g.ainvoke({"log": ["a"]}, cfg("t"), request_id="r1")
        assert first == again == {"log": ["a", "did a"]}
        assert node.runs == ["a"]
        # another id is another turn; the same id on another thread too
        await g.ainvoke({"log": ["b"]}, cfg("t"), request_id="r2")
        await g.ainvoke({"log": ["c"]}, cfg("u"), request_id="r1")
        assert node.runs == ["a", "b", "c"]
        assert (await g.aget_state(cfg("t"))).values == {"log": ["a", "did a", "b", "did b"]}
        # the id is in the turn's checkpoint metadata
        snap = await g.aget_state(cfg("t"))
        assert snap.metadata is not None and snap.metadata["request_id"] == "r2"
        # without an id, nothing is remembered
        await g.ainvoke({"log": ["d"]}, cfg("t"))
        await g.ainvoke({"log": ["d"]}, cfg("t"))
        assert node.runs.count("d") == 2


async def test_a_retry_while_the_first_runs_waits_for_it() -> None:
    node = Node()
    async with build(node, MemoryStore()) as g:
        first = asyncio.ensure_future(g.ainvoke({"log": ["hold"]}, cfg("t"), request_id="k"))
        await node.entered.wait()
        retry = asyncio.ensure_future(g.ainvoke({"log": ["hold"]}, cfg("t"), request_id="k"))
        await asyncio.sleep(0)  # let the retry register (it must not queue a turn)
        assert g.statistics().queued == 0
        node.release.set()
        assert await first == await retry == {"log": ["hold", "did hold"]}
        assert node.runs == ["hold"]


async def test_a_retry_after_the_first_caller_left_mid_turn_is_not_rerun() -> None:
    """The client timed out while its turn ran, and retries: the turn ran once."""
    node = Node()
    async with build(node, MemoryStore()) as g:
        first = asyncio.ensure_future(g.ainvoke({"log": ["hold"]}, cfg("t"), request_id="k"))
        await node.entered.wait()
        first.cancel()
        await asyncio.gather(first, return_exceptions=True)
        retry = asyncio.ensure_future(g.ainvoke({"log": ["hold"]}, cfg("t"), request_id="k"))
        for _ in range(10):
            await asyncio.sleep(0)
        assert not retry.done()  # it waits for the turn that still runs
        node.release.set()
        assert await retry == {"log": ["hold", "did hold"]}
        assert node.runs == ["hold"]
        assert (await g.aget_state(cfg("t"))).values == {"log": ["hold", "did hold"]}


async def test_a_failed_or_skipped_call_leaves_no_answer() -> None:
    node = Node()
    async with build(node, MemoryStore()) as g:
        for _ in range(2):  # the turn ran and failed: its retry hears the same error
            with pytest.raises(RuntimeError, match="first try"):
                await g.ainvoke({"log": ["fail"]}, cfg("t"), request_id="f")
        assert node.runs == ["fail"]
        # refused before it ran (busy under "reject"): its retry runs
        held = asyncio.ensure_future(g.ainvoke({"log": ["hold"]}, cfg("t")))
        await node.entered.wait()
        with pytest.raises(SessionBusyError):
            await g.ainvoke({"log": ["b"]}, cfg("t"), request_id="b", multitask_strategy="reject")
        node.release.set()
        await held
        out = await g.ainvoke({"log": ["b"]}, cfg("t"), request_id="b")
        assert out["log"][-2:] == ["b", "did b"] and node.runs.count("b") == 1
        node.entered.clear()
        node.release.clear()
        # queued behind a held turn, its caller gone before it started: skipped
        held = asyncio.ensure_future(g.ainvoke({"log": ["hold"]}, cfg("t")))
        await node.entered.wait()
        queued = asyncio.ensure_future(g.ainvoke({"log": ["q"]}, cfg("t"), request_id="q"))
        while g.statistics().queued < 1:
            await asyncio.sleep(0)
        queued.cancel()
        await asyncio.gather(queued, return_exceptions=True)
        node.release.set()
        await held
        assert "q" not in node.runs
        out = await g.ainvoke({"log": ["q"]}, cfg("t"), request_id="q")
        assert out["log"][-2:] == ["q", "did q"] and node.runs.count("q") == 1


async def test_a_retry_after_a_restart_is_answered_from_the_store(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    node = Node()
    async with build(node, SqliteStore(path)) as g:
        done = await g.ainvoke({"log": ["a"]}, cfg("t"), request_id="r1")
        paused = await g.ainvoke({"log": ["ask"]}, cfg("t"), request_id="r2")
        assert paused["__interrupt__"][0].value == "q?"
    node = Node()
    async with build(node, SqliteStore(path)) as g:
        assert await g.ainvoke({"log": ["a"]}, cfg("t"), request_id="r1") == done
        again = await g.ainvoke({"log": ["ask"]}, cfg("t"), request_id="r2")
        assert again["log"] == paused["log"]
        assert [i.value for i in again["__interrupt__"]] == ["q?"]
        assert node.runs == []  # nothing ran again
        # and the thread goes on from where it was
        from runtime import Command

        out = await g.ainvoke(Command(resume="x"), cfg("t"), request_id="r3")
        assert out["log"][-1] == "answer x"


async def test_ids_are_bounded_per_thread(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from runtime.api import requests

    monkeypatch.setattr(requests, "PER_THREAD", 2)
    monkeypatch.setattr(requests, "SCAN", 4)  # checkpoints: 2 per turn here
    node = Node()
    path = tmp_path / "s.db"
    async with build(node, SqliteStore(path)) as g:
        for i in range(3):
            await g.ainvoke({"log": [f"t{i}"]}, cfg("t"), request_id=f"r{i}")
        await g.ainvoke({"log": ["t2"]}, cfg("t"), request_id="r2")  # remembered
        assert node.runs == ["t0", "t1", "t2"]
        await g.ainvoke({"log": ["t0"]}, cfg("t"), request_id="r0")  # past the bound: runs
        assert node.runs == ["t0", "t1", "t2", "t0"]
    node = Node()
    async with build(node, SqliteStore(path)) as g:
        await g.ainvoke({"log": ["t0"]}, cfg("t"), request_id="r0")  # newest 4 checkpoints
        await g.ainvoke({"log": ["t2"]}, cfg("t"), request_id="r2")
        assert node.runs == []
        await g.ainvoke({"log": ["t1"]}, cfg("t"), request_id="r1")  # beyond SCAN: runs
        assert node.runs == ["t1"]


@pytest.mark.parametrize("bad", ["", 5, "x" * 257, "a\ud800"])
async def test_bad_request_ids_are_refused(bad: Any) -> None:
    node = Node()
    async with build(node, MemoryStore()) as g:
        with pytest.raises(InvalidConfigError, match="request_id"):
            await g.ainvoke({"log": ["a"]}, cfg("t"), request_id=bad)
        assert node.runs == [] and (await g.aget_state(cfg("t"))).values == {}


def test_sync_invoke_takes_a_request_id() -> None:
    node = Node()
    g = build(node, MemoryStore())
    call: Callable[[], Any] = lambda: g.invoke({"log": ["a"]}, cfg("t"), request_id="s")  # noqa: E731
    try:
        assert call() == call() == {"log": ["a", "did a"]}
        assert node.runs == ["a"]
    finally:
        g.close()
