"""``step_timeout``: a hung node fails its turn on time and frees its thread (issue 12, item 7).

The hung nodes wait on events nobody sets (no sleeps); the timeouts under test are the
feature itself, and every wait in the tests is only an upper bound.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from typing import Any, TypedDict

import pytest

import runtime
from runtime import StepTimeoutError
from stores import MemoryStore

from .conftest import cfg

#: The step timeout under test, and how late a turn may fail past it on a busy machine.
TIMEOUT = 0.2
SLACK = 5.0


class S(TypedDict):
    n: int


def chain(ns: Any, a: Callable[..., Any], b: Callable[..., Any]) -> Any:
    """START -> a -> b -> END over ``S``, built from LangGraph's names or ours."""
    builder = ns.StateGraph(S)
    builder.add_node("a", a)
    builder.add_node("b", b)
    builder.add_edge(ns.START, "a")
    builder.add_edge("a", "b")
    builder.add_edge("b", ns.END)
    return builder


def hanging_graph(ns: Any) -> Any:
    """``b`` hangs on the first turn (n == 1 after ``a``) and adds 10 otherwise."""

    async def a(state: S) -> dict[str, Any]:
        return {"n": state["n"] + 1}

    async def b(state: S) -> dict[str, Any]:
        if state["n"] == 1:
            await asyncio.Event().wait()  # never set: a hung call
        return {"n": state["n"] + 10}

    return chain(ns, a, b)


async def _observe(graph: Any, config: dict[str, Any]) -> dict[str, Any]:
    """What a user sees of the timeout: the error, the state after, the next turn."""
    seen: dict[str, Any] = {}
    t0 = time.monotonic()
    with pytest.raises(TimeoutError) as caught:
        await graph.ainvoke({"n": 0}, config)
    seen["took"] = time.monotonic() - t0
    seen["error"] = caught.value
    snap = await graph.aget_state(config)
    seen["state"] = (snap.values, tuple(snap.next), snap.metadata["step"])
    seen["history"] = [
        (s.values, tuple(s.next), s.metadata["source"], s.metadata["step"])
        async for s in graph.aget_state_history(config)
    ]
    seen["next_turn"] = await asyncio.wait_for(graph.ainvoke({"n": 5}, config), SLACK)
    return seen


async def test_an_async_hung_node_times_out_as_in_langgraph() -> None:
    """Differential: LangGraph with ``graph.step_timeout`` set, and this project the same
    way, unchanged but for the imports."""
    import langgraph.graph as lg
    from langgraph.checkpoint.memory import InMemorySaver

    theirs = hanging_graph(lg).compile(checkpointer=InMemorySaver())
    theirs.step_timeout = TIMEOUT
    ours = hanging_graph(runtime).compile(checkpointer=MemoryStore())
    ours.step_timeout = TIMEOUT
    expected = await _observe(theirs, cfg("t"))
    async with ours:
        got = await _observe(ours, cfg("t"))
    assert got["state"] == expected["state"] == ({"n": 1}, ("b",), 1)
    assert got["history"] == expected["history"]
    assert got["next_turn"] == expected["next_turn"] == {"n": 16}
    assert isinstance(expected["error"], TimeoutError)
    err = got["error"]
    assert isinstance(err, StepTimeoutError) and isinstance(err, asyncio.TimeoutError)
    assert (err.thread_id, err.node, err.step) == ("t", "b", 2)
    assert got["took"] < TIMEOUT + SLACK


@pytest.mark.parametrize("how", ["compile", "attribute", "call"])
async def test_every_way_of_setting_it(store_factory: Callable[[], Any], how: str) -> None:
    builder = hanging_graph(runtime)
    db = store_factory()
    graph = builder.compile(checkpointer=db, step_timeout=TIMEOUT if how == "compile" else None)
    if how == "attribute":
        graph.step_timeout = TIMEOUT
    assert graph.step_timeout == (None if how == "call" else TIMEOUT)
    extra = {"step_timeout": TIMEOUT} if how == "call" else {}
    async with graph:
        with pytest.raises(StepTimeoutError) as caught:
            await graph.ainvoke({"n": 0}, cfg("t"), **extra)
        assert caught.value.step == 2
        assert (await graph.aget_state(cfg("t"))).values == {"n": 1}
        out = await asyncio.wait_for(graph.ainvoke({"n": 5}, cfg("t"), **extra), SLACK)
        assert out == {"n": 16}
        info = await graph.aget_thread("t")
        assert info is not None and info.status == "idle"


async def test_a_call_overrides_the_graph_timeout() -> None:
    release = asyncio.Event()

    async def a(state: S) -> dict[str, Any]:
        return {"n": state["n"] + 1}

    async def b(state: S) -> dict[str, Any]:
        await release.wait()
        return {"n": state["n"] + 10}

    graph = chain(runtime, a, b).compile(checkpointer=MemoryStore(), step_timeout=TIMEOUT)
    async with graph:
        # a long bound for this call: the node is released, the turn finishes
        turn = asyncio.ensure_future(graph.ainvoke({"n": 0}, cfg("t"), step_timeout=60))
        await asyncio.sleep(0)
        while not turn.done() and (await graph.aget_state(cfg("t"))).next != ("b",):
            await asyncio.sleep(0)
        await asyncio.sleep(TIMEOUT * 2)  # past the graph's bound, within the call's
        assert not turn.done()
        release.set()
        assert await asyncio.wait_for(turn, SLACK) == {"n": 11}


async def test_a_sync_node_runs_in_a_thread_and_fails_the_turn_on_time() -> None:
    """A sync node cannot be interrupted: with a step timeout it runs in a worker thread,
    the turn fails on time, and what the thread returns later is dropped."""
    entered = threading.Event()
    release = threading.Event()
    returned = threading.Event()
    loop_threads: set[int] = set()

    def a(state: S) -> dict[str, Any]:
        return {"n": state["n"] + 1}

    def b(state: S) -> dict[str, Any]:
        loop_threads.add(threading.get_ident())
        if state["n"] == 1:
            entered.set()
            release.wait(SLACK * 4)  # a blocking call (bounded only so the test cannot hang)
            returned.set()
            return {"n": 1000}
        return {"n": state["n"] + 10}

    graph = chain(runtime, a, b).compile(checkpointer=MemoryStore(), step_timeout=TIMEOUT)
    async with graph:
        t0 = time.monotonic()
        with pytest.raises(StepTimeoutError) as caught:
            await graph.ainvoke({"n": 0}, cfg("t"))
        assert time.monotonic() - t0 < TIMEOUT + SLACK
        assert entered.is_set() and not release.is_set()  # the node is still running
        assert caught.value.node == "b"
        assert threading.get_ident() not in loop_threads  # it ran off the loop
        # the thread is free: the next turn runs while the old call still blocks
        assert await asyncio.wait_for(graph.ainvoke({"n": 5}, cfg("t")), SLACK) == {"n": 16}
        release.set()
        assert await asyncio.to_thread(returned.wait, SLACK)
        for _ in range(3):  # let its result reach the loop, which drops it
            await asyncio.sleep(0)
        assert (await graph.aget_state(cfg("t"))).values == {"n": 16}
        assert len(await _history(graph)) == 7  # the failed turn up to a (3), the next (4)
        assert await graph.ainvoke({"n": 0}, cfg("t"), step_timeout=None) == {"n": 1000}


async def test_a_nodes_own_timeout_error_is_not_a_step_timeout() -> None:
    async def a(state: S) -> dict[str, Any]:
        return {"n": state["n"] + 1}

    async def b(state: S) -> dict[str, Any]:
        raise TimeoutError("the model API timed out")

    graph = chain(runtime, a, b).compile(checkpointer=MemoryStore(), step_timeout=60)
    async with graph:
        with pytest.raises(TimeoutError) as caught:
            await graph.ainvoke({"n": 0}, cfg("t"))
        assert not isinstance(caught.value, StepTimeoutError)
        assert str(caught.value) == "the model API timed out"


async def _history(graph: Any) -> list[Any]:
    return [s async for s in graph.aget_state_history(cfg("t"))]


def test_the_sync_api_times_out_too() -> None:
    graph = hanging_graph(runtime).compile(checkpointer=MemoryStore(), step_timeout=TIMEOUT)
    with pytest.raises(StepTimeoutError):
        graph.invoke({"n": 0}, cfg("t"))
    assert graph.invoke({"n": 5}, cfg("t")) == {"n": 16}
    graph.close()


@pytest.mark.parametrize("bad", [0, -1, "1", True, float("nan")])
def test_bad_values_are_refused(bad: Any) -> None:
    with pytest.raises(ValueError, match="step_timeout"):
        hanging_graph(runtime).compile(step_timeout=bad)
    graph = hanging_graph(runtime).compile()
    with pytest.raises(ValueError, match="step_timeout"):
        graph.step_timeout = bad
    assert graph.step_timeout is None


@pytest.mark.parametrize("how", ["graph", "call"])
async def test_a_sync_turn_under_a_timeout_is_one_shutdown_waits_for(how: str) -> None:
    """Its sync nodes run in threads, so the turn can suspend: it goes through the actor,
    where ``aclose()`` drains it (and, past ``drain_timeout``, cancels it and says so)."""
    entered = threading.Event()
    release = threading.Event()

    def a(state: S) -> dict[str, Any]:
        return {"n": state["n"] + 1}

    def b(state: S) -> dict[str, Any]:
        entered.set()
        release.wait(SLACK * 4)
        return {"n": state["n"] + 10}

    graph = chain(runtime, a, b).compile(
        checkpointer=MemoryStore(),
        step_timeout=60 if how == "graph" else None,
        drain_timeout=0.1,
        shutdown_grace=1.0,
    )
    extra = {"step_timeout": 60} if how == "call" else {}
    await graph.ainvoke({"n": 0}, cfg("warm"))
    turn = asyncio.ensure_future(graph.ainvoke({"n": 0}, cfg("t"), **extra))
    assert await asyncio.to_thread(entered.wait, SLACK)
    try:
        with pytest.raises(runtime.ShutdownIncompleteError) as caught:
            await asyncio.wait_for(graph.aclose(), SLACK)
    finally:
        release.set()
    assert caught.value.cancelled == 1
    with pytest.raises(runtime.ShuttingDownError):
        await turn
