"""Nodes: sync and async, what they may ask for, and where sync ones run."""

from __future__ import annotations

import asyncio
import operator
import threading
from collections.abc import Callable
from typing import Annotated, Any, TypedDict

import pytest

from runtime import END, START, StateGraph, get_store
from runtime.engine.turn import SLOW_CALLS_TO_DEMOTE

from .conftest import cfg


class S(TypedDict):
    log: Annotated[list, operator.add]


def one_node(fn: Callable[..., Any], name: str = "node") -> StateGraph:
    b = StateGraph(S)
    b.add_node(name, fn)
    b.add_edge(START, name)
    b.add_edge(name, END)
    return b


async def test_memory_is_shared_across_threads_and_survives_deletion(
    store_factory: Callable[[], Any],
) -> None:
    def remember(state: S, config: dict[str, Any], *, store: Any) -> dict[str, Any]:
        # a sync node asking for the store: it runs in a worker thread, where the sync
        # store API may block
        user = config["configurable"]["user"]
        seen = store.get(("users", user), "profile")
        count = (seen.value["visits"] if seen else 0) + 1
        store.put(("users", user), "profile", {"visits": count})
        return {"log": [f"visit {count}"]}

    async def recall(state: S) -> dict[str, Any]:
        items = await get_store().asearch(("users",), filter={"visits": 2})
        return {"log": [f"{len(items)} users with 2 visits"]}

    db = store_factory()
    b = one_node(remember, "remember")
    b.add_node("recall", recall)
    b.add_edge("remember", "recall")
    graph = b.compile(checkpointer=db, store=db)
    async with graph:
        for thread in ("t1", "t2"):
            out = await graph.ainvoke(
                {"log": []}, {"configurable": {"thread_id": thread, "user": "ada"}}
            )
        assert out["log"] == ["visit 2", "1 users with 2 visits"]
        assert await graph.adelete_thread("t1")
        assert (await graph.memory.aget(("users", "ada"), "profile")).value == {  # type: ignore[union-attr]
            "visits": 2
        }
        assert await graph.memory.alist_namespaces() == [("users", "ada")]  # type: ignore[union-attr]
        # no embedding index: a query is ignored, as by LangGraph's un-indexed stores
        found = await graph.memory.asearch(("users",), query="who visits?")  # type: ignore[union-attr]
        assert [i.key for i in found] == ["profile"]
        with pytest.raises(RuntimeError, match=r"await store\.aput"):
            graph.memory.put(("x",), "k", {})  # type: ignore[union-attr]


async def test_node_may_ask_for_writer_and_runtime() -> None:
    from stores import MemoryStore

    async def node(state: S, *, writer: Any, runtime: Any) -> dict[str, Any]:
        writer({"context": runtime.context})
        return {"log": ["ok"]}

    graph = one_node(node).compile(checkpointer=MemoryStore())
    async with graph:
        config = {"configurable": {"thread_id": "w", "context": {"tenant": "acme"}}}
        events = [e async for e in graph.astream({"log": []}, config, stream_mode="custom")]
        assert events == [{"context": {"tenant": "acme"}}]


async def test_slow_sync_node_in_a_thread_does_not_stall_other_sessions() -> None:
    from stores import MemoryStore

    entered, release = threading.Event(), threading.Event()

    def blocking(state: S, config: dict[str, Any]) -> dict[str, Any]:
        if config["configurable"]["thread_id"] == "slow":
            entered.set()
            assert release.wait(10)
        return {"log": ["done"]}

    graph = one_node(blocking).compile(checkpointer=MemoryStore(), sync_nodes="thread")
    async with graph:
        slow = asyncio.ensure_future(graph.ainvoke({"log": []}, cfg("slow")))
        assert await asyncio.to_thread(entered.wait, 10)
        # the event loop is free while the slow node blocks its worker thread
        assert await graph.ainvoke({"log": []}, cfg("fast")) == {"log": ["done"]}
        assert not slow.done()
        release.set()
        assert await slow == {"log": ["done"]}


async def test_auto_moves_a_slow_sync_node_to_threads() -> None:
    from stores import MemoryStore

    graph = one_node(lambda s: {"log": ["x"]}, "quick").compile(checkpointer=MemoryStore())
    graph.supervisor.engine.slow_sync_node = -1.0  # every call counts as slow
    async with graph:
        # once or twice may be the OS preempting the loop: it stays inline
        for _ in range(SLOW_CALLS_TO_DEMOTE - 1):
            await graph.ainvoke({"log": []}, cfg("a"))
            assert "quick" not in graph.supervisor.engine.threaded
        await graph.ainvoke({"log": []}, cfg("a"))  # slow again: now it moves
        assert "quick" in graph.supervisor.engine.threaded
        assert await graph.ainvoke({"log": []}, cfg("b")) == {"log": ["x"]}  # in a thread
    inline = one_node(lambda s: {"log": ["x"]}, "quick").compile(
        checkpointer=MemoryStore(), sync_nodes="inline"
    )
    inline.supervisor.engine.slow_sync_node = -1.0
    async with inline:
        await inline.ainvoke({"log": []}, cfg("a"))
        assert not inline.supervisor.engine.threaded
    with pytest.raises(ValueError, match="sync_nodes"):
        one_node(lambda s: None).compile(checkpointer=MemoryStore(), sync_nodes="sometimes")
