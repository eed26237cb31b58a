"""durability="exit": one stored checkpoint per turn, and the state rebuilds exactly."""

from __future__ import annotations

import asyncio
import operator
from collections.abc import Callable
from typing import Annotated, Any, TypedDict

import pytest

from runtime import END, START, Command, StateGraph, interrupt

from .conftest import cfg, reopen


class S(TypedDict):
    log: Annotated[list, operator.add]
    last: str


def build(fail_in: str | None = None) -> StateGraph:
    def node(name: str) -> Callable[[S], dict[str, Any]]:
        def run(state: S) -> dict[str, Any]:
            if name == fail_in:
                raise RuntimeError(f"{name} failed")
            return {"log": [name], "last": name}

        return run

    b = StateGraph(S)
    for name in ("a", "b", "c"):
        b.add_node(name, node(name))
    b.add_edge(START, "a").add_edge("a", "b").add_edge("b", "c").add_edge("c", END)
    return b


async def _stored(store: Any, thread_id: str) -> list[Any]:
    await store.open()
    try:
        return await store.list_checkpoints(thread_id, ascending=True)
    finally:
        await store.close()


async def test_each_turn_stores_only_its_last_checkpoint(
    store_factory: Callable[[], Any],
) -> None:
    store = store_factory()
    graph = build().compile(checkpointer=store, durability="exit")
    async with graph:
        for i in range(5):
            out = await graph.ainvoke({"log": [f"in{i}"]}, cfg("t"))
        history = [s async for s in graph.aget_state_history(cfg("t"))]
    assert out["log"][-4:] == ["in4", "a", "b", "c"] and len(out["log"]) == 20
    rows = await _stored(reopen(store, store_factory), "t")
    assert len(rows) == 5  # a, b, c and the input/start checkpoints are not stored
    assert [r.parent for r in rows] == [None] + [r.seq for r in rows[:-1]]
    assert len(history) == 5
    assert [h.metadata["source"] for h in history] == ["loop"] * 5
    # a new runtime on the same store rebuilds the same state and history
    again = build().compile(checkpointer=reopen(store, store_factory))
    async with again:
        state = await again.aget_state(cfg("t"))
        assert state.values == out
        assert [h.values for h in history] == [
            h.values async for h in again.aget_state_history(cfg("t"))
        ]
        # and goes on in another mode from there
        out = await again.ainvoke({"log": ["sync"]}, cfg("t"), durability="sync")
    assert out["log"][-4:] == ["sync", "a", "b", "c"] and len(out["log"]) == 24


async def test_exit_and_async_turns_interleave_on_one_delta_chain(
    store_factory: Callable[[], Any],
) -> None:
    store = store_factory()
    graph = build().compile(checkpointer=store)
    expected: dict[str, Any] = {}
    async with graph:
        for i in range(40):  # enough turns for snapshots to fall in both kinds of turn
            mode = "exit" if i % 3 else "async"
            expected = await graph.ainvoke({"log": [str(i) * 50]}, cfg("t"), durability=mode)
    rows = await _stored(reopen(store, store_factory), "t")
    assert sum(r.base == r.seq for r in rows) >= 2  # some snapshots, the rest deltas
    again = build().compile(checkpointer=reopen(store, store_factory))
    async with again:
        assert (await again.aget_state(cfg("t"))).values == expected
        states = [h async for h in again.aget_state_history(cfg("t"))]
    # every stored checkpoint rebuilds to a prefix of the final log
    for h in states:
        assert expected["log"][: len(h.values.get("log", []))] == h.values.get("log", [])


async def test_a_failing_turn_stores_what_it_did_until_the_failure(
    store_factory: Callable[[], Any],
) -> None:
    store = store_factory()
    graph = build(fail_in="c").compile(checkpointer=store, durability="exit")
    async with graph:
        with pytest.raises(RuntimeError, match="c failed"):
            await graph.ainvoke({"log": ["x"]}, cfg("t"))
        state = await graph.aget_state(cfg("t"))
    assert state.values["log"] == ["x", "a", "b"] and state.next == ("c",)
    rows = await _stored(reopen(store, store_factory), "t")
    assert len(rows) == 1
    again = build().compile(checkpointer=reopen(store, store_factory))
    async with again:
        assert (await again.aget_state(cfg("t"))).next == ("c",)
        out = await again.ainvoke(None, cfg("t"))  # resumes at c
    assert out["log"] == ["x", "a", "b", "c"]


class H(TypedDict):
    log: Annotated[list, operator.add]


def build_hitl() -> StateGraph:
    def ask(state: H) -> dict[str, Any]:
        return {"log": [f"answer={interrupt('ok?')}"]}

    b = StateGraph(H)
    b.add_node("first", lambda s: {"log": ["first"]})
    b.add_node("ask", ask)
    b.add_edge(START, "first").add_edge("first", "ask").add_edge("ask", END)
    return b


async def test_a_pause_under_exit_survives_a_new_runtime(
    store_factory: Callable[[], Any],
) -> None:
    store = store_factory()
    graph = build_hitl().compile(checkpointer=store, durability="exit")
    async with graph:
        paused = await graph.ainvoke({"log": ["go"]}, cfg("t"))
    assert paused["__interrupt__"][0].value == "ok?"
    again = build_hitl().compile(checkpointer=reopen(store, store_factory), durability="exit")
    async with again:
        out = await again.ainvoke(Command(resume="yes"), cfg("t"))
        history = [h async for h in again.aget_state_history(cfg("t"))]
    assert out["log"] == ["go", "first", "answer=yes"]
    assert len(history) == 2  # the paused turn's checkpoint, the resumed turn's


async def test_exit_turns_under_the_interrupt_and_rollback_strategies(
    store_factory: Callable[[], Any],
) -> None:
    from runtime import RolledBackError

    from .test_scale import Gate, started, two_steps

    store = store_factory()
    gate = Gate()
    graph = two_steps(gate).compile(checkpointer=store, durability="exit")
    async with graph:
        # interrupt: the running turn stops after "first" and stores that as its one row
        running = await started(gate, graph, "i")
        newer = asyncio.ensure_future(
            graph.ainvoke({"log": ["new"]}, cfg("i"), multitask_strategy="interrupt")
        )
        await asyncio.sleep(0)  # let the newer call reach the supervisor
        gate.release.set()
        assert await running == {"log": ["in", "first"]}
        assert await newer == {"log": ["in", "first", "new", "first", "second"]}
        # rollback: the running turn's checkpoints never reach the store
        gate.entered.clear()
        gate.release.clear()
        running = await started(gate, graph, "r")
        newer_r = await graph.ainvoke({"log": ["new"]}, cfg("r"), multitask_strategy="rollback")
        with pytest.raises(RolledBackError):
            await running
        assert newer_r == {"log": ["new", "first", "second"]}
    rows_i = await _stored(reopen(store, store_factory), "i")
    rows_r = await _stored(reopen(store, store_factory), "r")
    assert len(rows_i) == 2 and len(rows_r) == 1  # one row per turn that was kept
    again = two_steps(Gate()).compile(checkpointer=reopen(store, store_factory))
    async with again:
        assert (await again.aget_state(cfg("i"))).values["log"] == [
            "in", "first", "new", "first", "second"
        ]  # fmt: skip
        assert (await again.aget_state(cfg("r"))).values["log"] == ["new", "first", "second"]


async def test_the_thread_row_never_points_past_stored_checkpoints(
    store_factory: Callable[[], Any],
) -> None:
    # A turn acknowledged while the next one, queued behind it, sits in a slow node: the
    # batch that stores the first is taken while the second has moved the head on. What
    # the store holds then must read back as the acknowledged turn (a process killed at
    # this moment restarts from it), never as an empty thread.
    running, gate = asyncio.Event(), asyncio.Event()

    async def node(state: S) -> dict[str, Any]:
        if state["log"][-1] == "slow":
            running.set()
            await gate.wait()
        return {"log": ["done"], "last": "done"}

    b = StateGraph(S)
    b.add_node("a", node).add_edge(START, "a").add_edge("a", END)
    store = store_factory()
    graph = b.compile(checkpointer=store, durability="exit")
    async with graph:
        await graph.ainvoke({"log": ["first"]}, cfg("t"))
        fast = asyncio.ensure_future(graph.ainvoke({"log": ["second"]}, cfg("t")))
        slow = asyncio.ensure_future(graph.ainvoke({"log": ["slow"]}, cfg("t")))
        try:
            await running.wait()
            acknowledged = await fast
            seen = reopen(store, store_factory)
            await seen.open()
            try:
                row = await seen.get_thread("t")
                stored = await seen.list_checkpoints("t")
            finally:
                if seen is not store:
                    await seen.close()
            assert row is not None and row.head == max(r.seq for r in stored)
            again = b.compile(checkpointer=reopen(store, store_factory))
            async with again:
                assert (await again.aget_state(cfg("t"))).values == acknowledged
            await store.open()  # a memory store is shared, and closing `again` closed it
        finally:
            gate.set()  # a failed check must not leave the slow turn holding the runtime
        out = await slow
    assert out["log"] == ["first", "done", "second", "done", "slow", "done"]
