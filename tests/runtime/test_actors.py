"""Actors under the supervisor: eviction, rehydration, single activation, sync portal."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from .conftest import cfg, tutorial_builder


async def test_evicted_sessions_rehydrate_with_every_turn(
    store_factory: Callable[[], Any],
) -> None:
    graph = tutorial_builder().compile(checkpointer=store_factory(), max_active=4)
    async with graph:
        for turn in range(3):
            for t in range(12):
                out = await graph.ainvoke({"messages": []} if turn == 0 else {}, cfg(f"t{t}"))
                assert len(out["messages"]) == turn + 1
            # let the flusher commit so that the LRU actors are clean and can go
            await graph.supervisor.flusher.flush()  # type: ignore[union-attr]
            graph.supervisor.sweep()
        stats = graph.statistics()
    assert stats.active <= 4
    assert stats.evictions_lru >= 12 * 2
    assert stats.rehydrations >= 12 * 2 - 4
    assert stats.activations == stats.rehydrations + 12


async def test_idle_timeout_with_injected_clock(store_factory: Callable[[], Any]) -> None:
    now = [0.0]
    graph = tutorial_builder().compile(
        checkpointer=store_factory(), idle_timeout=60, clock=lambda: now[0]
    )
    async with graph:
        await graph.ainvoke({"messages": []}, cfg("a"))
        await graph.supervisor.flusher.flush()  # type: ignore[union-attr]
        now[0] = 59.0
        assert graph.supervisor.sweep() == 0
        now[0] = 61.0
        assert graph.supervisor.sweep() == 1
        assert graph.statistics().active == 0
        out = await graph.ainvoke({}, cfg("a"))
        assert len(out["messages"]) == 2
        assert graph.statistics().rehydrations == 1


async def test_dirty_actor_is_not_evicted(store_factory: Callable[[], Any]) -> None:
    now = [0.0]
    graph = tutorial_builder().compile(
        checkpointer=store_factory(), idle_timeout=1, clock=lambda: now[0], flush_interval=3600
    )
    async with graph:
        await graph.ainvoke({"messages": []}, cfg("a"))
        now[0] = 100.0
        assert graph.supervisor.sweep() == 0  # its checkpoints are not committed yet
        await graph.supervisor.flusher.flush()  # type: ignore[union-attr]
        assert graph.supervisor.sweep() == 1


async def test_concurrent_callers_of_a_cold_thread_share_one_activation(
    store_factory: Callable[[], Any],
) -> None:
    store = store_factory()  # one store object: a MemoryStore keeps its rows across runtimes
    graph = tutorial_builder().compile(checkpointer=store)
    async with graph:
        for t in range(10):
            await graph.ainvoke({"messages": []}, cfg(f"c{t}"))
    graph = tutorial_builder().compile(checkpointer=store)
    async with graph:
        await graph.ainvoke({"messages": []}, cfg("warm-up"))
        outs = await asyncio.gather(*(graph.ainvoke({}, cfg(f"c{i % 10}")) for i in range(100)))
        stats = graph.statistics()
        assert stats.activations == 11
        assert stats.rehydrations == 10  # one per cold thread, however many callers
        assert sorted(len(o["messages"]) for o in outs) == sorted(
            n for _ in range(10) for n in range(2, 12)
        )


def test_sync_api_and_its_guard_inside_a_running_loop() -> None:
    from stores import MemoryStore

    graph = tutorial_builder().compile(checkpointer=MemoryStore())
    assert graph.invoke({"messages": []}, cfg("s")) == {"messages": ["Hello from the agent"]}
    assert [e for e in graph.stream({}, cfg("s"), stream_mode="updates")] == [
        {"agent": {"messages": ["Hello from the agent"] * 2}}
    ]
    assert len(list(graph.get_state_history(cfg("s")))) == 6
    assert graph.get_thread("s").checkpoints == 6  # type: ignore[union-attr]

    async def inside() -> None:
        # the graph lives on the portal loop: async calls from another loop are forwarded
        out = await graph.ainvoke({}, cfg("s"))
        assert len(out["messages"]) == 3

    asyncio.run(inside())
    graph.close()
    graph2 = tutorial_builder().compile(checkpointer=MemoryStore())

    async def misuse() -> None:
        await graph2.ainvoke({"messages": []}, cfg("m"))  # binds graph2 to this loop
        with pytest.raises(RuntimeError, match="use the async twin"):
            graph2.invoke({}, cfg("m"))

    asyncio.run(misuse())


def test_sync_api_inside_a_running_loop_like_a_notebook() -> None:
    """A notebook cell is sync code run while the kernel's loop is running in this thread."""
    from stores import MemoryStore

    graph = tutorial_builder().compile(checkpointer=MemoryStore())

    async def cell() -> list[int]:
        # sync calls, made from inside a running loop: the graph lives on the portal loop
        return [len(graph.invoke({}, cfg("nb"))["messages"]) for _ in range(3)]

    assert asyncio.run(cell()) == [1, 2, 3]
    assert len(graph.get_state(cfg("nb")).values["messages"]) == 3
    graph.close()
