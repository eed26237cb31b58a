"""Archiving: an archived thread leaves memory, stays readable, refuses turns until restored."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from runtime import Command, CompiledGraph, ThreadArchivedError

from .conftest import cfg, tutorial_builder
from .test_retention import paused_builder, within


async def snapshot_of(graph: CompiledGraph, tid: str) -> tuple[Any, list[Any], Any]:
    state = await graph.aget_state(cfg(tid))
    history = [s async for s in graph.aget_state_history(cfg(tid))]
    return state, history, await graph.aget_thread(tid)


async def test_archive_restore_round_trip_survives_a_restart(
    store_factory: Callable[[], Any],
) -> None:
    store = store_factory()
    graph = tutorial_builder().compile(checkpointer=store, flush_interval=3600)
    async with graph:
        await graph.acreate_thread("t", metadata={"user": "u1"}, values={"messages": []})
        await graph.ainvoke({}, cfg("t"))
        await graph.ainvoke({}, cfg("t"))  # not written yet: the archive flushes it
        state, history, _ = await snapshot_of(graph, "t")
        assert await graph.aarchive_thread("t") is True
        assert graph.statistics().active == 0 and graph.statistics().dirty == 0
        archived_state, archived_history, info = await snapshot_of(graph, "t")
        assert (archived_state, archived_history) == (state, history)  # still readable
        assert info is not None and info.status == "archived" and info.metadata == {"user": "u1"}
        assert [t.thread_id for t in await graph.alist_threads(status="archived")] == ["t"]
        for call in (
            graph.ainvoke({}, cfg("t")),
            graph.ainvoke(None, cfg("t")),
            graph.aupdate_state(cfg("t"), {"messages": ["x"]}),
            graph.acreate_thread("t"),
        ):
            with pytest.raises(ThreadArchivedError, match=r"restore_thread\('t'\)") as err:
                await call
            assert err.value.thread_id == "t"
        assert await snapshot_of(graph, "t") == (state, history, info)  # nothing changed
        assert graph.statistics().active == 0  # a refused turn does not bring it back
        assert await graph.aarchive_thread("t") is True  # again: still archived
        assert await graph.aarchive_thread("nobody") is False
        assert await graph.arestore_thread("nobody") is False
    again = tutorial_builder().compile(
        checkpointer=store if store_factory.kind == "memory" else store_factory()  # type: ignore[attr-defined]
    )
    async with again:
        with pytest.raises(ThreadArchivedError):
            await again.ainvoke({}, cfg("t"))
        assert await again.arestore_thread("t") is True
        assert await again.arestore_thread("t") is False  # not archived any more
        restored = await again.aget_thread("t")
        assert restored is not None and restored.status == "idle"
        assert restored.updated_at > info.updated_at  # a TTL counts from the restore
        out = await again.ainvoke({}, cfg("t"))
        assert len(out["messages"]) == 3
        assert len([s async for s in again.aget_state_history(cfg("t"))]) == len(history) + 3


async def test_a_paused_thread_is_restored_interrupted_and_resumes(
    store_factory: Callable[[], Any],
) -> None:
    graph = paused_builder().compile(checkpointer=store_factory())
    async with graph:
        out = None
        for _ in range(20):
            out = await graph.ainvoke({"log": []}, cfg("p"))
        assert out is not None and out["__interrupt__"]
        paused = await graph.aget_state(cfg("p"))
        await graph.aarchive_thread("p")
        with pytest.raises(ThreadArchivedError):
            await graph.ainvoke(Command(resume="yes"), cfg("p"))
        assert await graph.arestore_thread("p") is True
        info = await graph.aget_thread("p")
        assert info is not None and info.status == "interrupted"
        assert await graph.aget_state(cfg("p")) == paused
        out = await graph.ainvoke(Command(resume="yes"), cfg("p"))
        assert out["log"][-1] == "answer: yes"


async def test_archive_lets_queued_turns_finish_and_refuses_later_ones(
    store_factory: Callable[[], Any],
) -> None:
    gate, entered = asyncio.Event(), asyncio.Event()

    async def agent(state: dict[str, Any]) -> dict[str, Any]:
        entered.set()
        await gate.wait()
        return {"messages": [*state.get("messages", []), "hi"]}

    graph = tutorial_builder(agent).compile(checkpointer=store_factory())
    async with graph:
        first = asyncio.ensure_future(graph.ainvoke({"messages": []}, cfg("t")))
        await within(entered.wait())
        queued = asyncio.ensure_future(graph.ainvoke({}, cfg("t")))
        archive = asyncio.ensure_future(graph.aarchive_thread("t"))
        for _ in range(100):  # a few loop turns, no I/O: the archive evicts the actor
            if graph.supervisor.actor("t") is None:
                break
            await asyncio.sleep(0)
        assert graph.supervisor.actor("t") is None
        late = asyncio.ensure_future(graph.ainvoke({}, cfg("t")))
        assert not (first.done() or queued.done() or archive.done() or late.done())
        gate.set()
        assert len((await within(first))["messages"]) == 1
        assert len((await within(queued))["messages"]) == 2  # queued before the archive: it ran
        assert await within(archive) is True
        with pytest.raises(ThreadArchivedError):
            await within(late)  # arrived during the archive: it waited, then was refused
        assert (await graph.aget_state(cfg("t"))).values == {"messages": ["hi", "hi"]}


async def test_delete_during_a_turn_on_another_thread(store_factory: Callable[[], Any]) -> None:
    gate, entered = asyncio.Event(), asyncio.Event()

    async def agent(state: dict[str, Any], config: dict[str, Any]) -> dict[str, Any]:
        if config["configurable"]["thread_id"] == "slow":
            entered.set()
            await gate.wait()
        return {"messages": [*state.get("messages", []), "hi"]}

    graph = tutorial_builder(agent).compile(checkpointer=store_factory())
    async with graph:
        await graph.ainvoke({"messages": []}, cfg("gone"))
        slow = asyncio.ensure_future(graph.ainvoke({"messages": []}, cfg("slow")))
        await within(entered.wait())
        assert await graph.aarchive_thread("gone") is True  # does not wait for "slow"
        assert await graph.adelete_thread("gone") is True
        assert not slow.done()
        gate.set()
        assert (await within(slow))["messages"] == ["hi"]
        assert await graph.aget_thread("gone") is None


async def test_delete_and_archive_of_an_idle_thread_return_while_other_threads_stay_dirty(
    store_factory: Callable[[], Any],
) -> None:
    # They wait for that thread's rows only: a busy process always has something dirty.
    store = store_factory()
    real_write = store.write_batch
    gate, entered = asyncio.Event(), asyncio.Event()

    async def write_batch(batch: Any) -> None:
        if any(t.thread_id == "busy" for t in batch.threads):
            entered.set()
            await gate.wait()  # the store takes the busy thread's rows only once the test says
        await real_write(batch)

    store.write_batch = write_batch
    graph = tutorial_builder().compile(checkpointer=store)
    async with graph:
        for tid in ("idle-a", "idle-b"):
            await graph.ainvoke({}, cfg(tid), durability="sync")
        try:
            await graph.ainvoke({}, cfg("busy"), durability="async")
            await entered.wait()  # its batch is in flight, held by the store
            await graph.ainvoke({}, cfg("busy"), durability="async")  # and more rows wait
            assert graph.statistics().dirty > 0
            # a safety net, not a synchronisation: on failure these never return
            async with asyncio.timeout(10):
                assert await graph.adelete_thread("idle-a") is True
                assert await graph.aarchive_thread("idle-b") is True
            assert graph.statistics().dirty > 0  # the busy thread's rows still wait
        finally:
            gate.set()
        await graph.aflush()
        assert await graph.aget_thread("idle-a") is None
        info = await graph.aget_thread("idle-b")
        assert info is not None and info.status == "archived"
        busy = await graph.aget_state(cfg("busy"))
        assert busy.values["messages"] == ["Hello from the agent"] * 2
