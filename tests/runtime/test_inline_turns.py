"""Turns of an idle actor whose graph cannot suspend run in the caller's task
(SessionActor.run_now): same results and guarantees as through the mailbox."""

from __future__ import annotations

import asyncio
import contextvars
from typing import Annotated, Any, TypedDict

import pytest

from runtime import END, START, StateGraph, interrupt
from stores import MemoryStore

from .conftest import async_agent, cfg, tutorial_builder

request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
set_by_node: contextvars.ContextVar[str] = contextvars.ContextVar("set_by_node", default="-")


def puts(graph: Any, thread_id: str) -> int:
    return int(graph.supervisor._actors[thread_id].mailbox.statistics().put_total)


@pytest.mark.parametrize("node", ["sync", "async"])
async def test_only_a_graph_that_cannot_suspend_skips_the_mailbox(node: str) -> None:
    builder = tutorial_builder() if node == "sync" else tutorial_builder(async_agent)
    graph = builder.compile(checkpointer=MemoryStore())
    async with graph:
        assert graph.supervisor.engine.atomic == (node == "sync")
        for n in range(1, 4):
            out = await graph.ainvoke({"messages": []} if n == 1 else {}, cfg("a"))
            assert len(out["messages"]) == n
        assert puts(graph, "a") == (0 if node == "sync" else 3)
        assert graph.statistics().turns == 3
        state = await graph.aget_state(cfg("a"))
        assert len(state.values["messages"]) == 3 and state.metadata["step"] == 7


async def test_turns_back_to_back_still_let_the_loop_run() -> None:
    graph = tutorial_builder().compile(checkpointer=MemoryStore())
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0)

    async with graph:
        await graph.ainvoke({"messages": []}, cfg("a"))
        task = asyncio.ensure_future(ticker())
        await asyncio.sleep(0)  # the ticker starts
        start = ticks
        for _ in range(10):
            await graph.ainvoke({}, cfg("a"))
        task.cancel()
        assert ticks - start >= 10  # the caller gave way once per turn


async def test_nodes_see_the_callers_context_and_keep_their_own() -> None:
    class S(TypedDict):
        seen: list[str]

    def node(state: S) -> dict[str, Any]:
        set_by_node.set("node")
        return {"seen": [*state["seen"], request_id.get()]}

    builder = StateGraph(S)
    builder.add_node("n", node)
    builder.add_edge(START, "n")
    builder.add_edge("n", END)
    graph = builder.compile(checkpointer=MemoryStore())
    async with graph:
        request_id.set("r1")
        await graph.ainvoke({"seen": []}, cfg("a"))
        request_id.set("r2")
        out = await graph.ainvoke({}, cfg("a"))
        assert out["seen"] == ["r1", "r2"]
        assert set_by_node.get() == "-"  # what the node set stayed in its turn
        with pytest.raises(RuntimeError, match="inside a node"):
            interrupt("no node runs here")  # no node context left behind


async def test_a_turn_that_suspends_after_all_runs_alone_to_its_end() -> None:
    """If ``Engine.atomic`` were wrong, the turn would still run whole and alone: a task
    finishes it, turns arriving meanwhile queue behind it, and its caller's cancellation
    does not stop it."""
    entered = asyncio.Event()
    release = asyncio.Event()
    order: list[int] = []

    async def slow(state: dict[str, Any]) -> dict[str, Any]:
        n = len(state["messages"])
        if n == 1:
            entered.set()
            await release.wait()
        order.append(n)
        return {"messages": [*state["messages"], f"m{n}"]}

    graph = tutorial_builder(slow).compile(checkpointer=MemoryStore())
    async with graph:
        await graph.ainvoke({"messages": []}, cfg("a"))
        graph.supervisor.engine.atomic = True  # a wrong prediction, on purpose
        queued = puts(graph, "a")
        first = asyncio.ensure_future(graph.ainvoke({}, cfg("a")))
        await entered.wait()
        actor = graph.supervisor._actors["a"]
        assert actor.busy and actor.head.status == "busy"
        second = asyncio.ensure_future(graph.ainvoke({}, cfg("a")))
        await asyncio.sleep(0)
        assert puts(graph, "a") == queued + 1  # queued behind the running turn, not run beside it
        first.cancel()
        with pytest.raises(asyncio.CancelledError):
            await first
        release.set()
        out = await second
        assert order == [0, 1, 2]
        assert out["messages"] == ["m0", "m1", "m2"]
        assert not actor.busy and actor.head.status == "idle"


def add(a: list[str], b: list[str]) -> list[str]:
    return a + b


class Log(TypedDict):
    log: Annotated[list[str], add]


async def test_a_steps_sync_nodes_run_one_after_another_in_the_callers_task() -> None:
    ran_in: list[asyncio.Task[Any] | None] = []

    def branch(name: str) -> Any:
        def node(state: Log) -> dict[str, Any]:
            ran_in.append(asyncio.current_task())
            return {"log": [name]}

        return node

    builder = StateGraph(Log)
    builder.add_node("x", branch("x"))
    builder.add_node("y", branch("y"))
    builder.add_edge(START, "x")
    builder.add_edge(START, "y")
    graph = builder.compile(checkpointer=MemoryStore())
    async with graph:
        out = await graph.ainvoke({"log": []}, cfg("a"))
    assert out["log"] == ["x", "y"]
    assert ran_in == [asyncio.current_task()] * 2  # no task per node
