"""Sessions under pressure: multitask strategies, overflow, crashes, shutdown, eviction."""

from __future__ import annotations

import asyncio
import operator
from collections.abc import Callable
from typing import Annotated, Any, TypedDict

import pytest

from runtime import (
    END,
    START,
    ActorCrashedError,
    MailboxFullError,
    RolledBackError,
    SessionBusyError,
    ShuttingDownError,
    StateGraph,
    StoreUnavailableError,
)
from runtime.actor import SessionActor
from stores import MemoryStore

from .conftest import async_agent, cfg, tutorial_builder


class S(TypedDict):
    log: Annotated[list, operator.add]


class Gate:
    """Lets a test hold an async node at a known point and release it."""

    def __init__(self) -> None:
        self.entered = asyncio.Event()
        self.release = asyncio.Event()
        self.hold = False

    async def node(self, state: S) -> dict[str, Any]:
        if self.hold:
            self.entered.set()
            await self.release.wait()
        return {"log": ["first"]}


def two_steps(gate: Gate) -> StateGraph:
    b = StateGraph(S)
    b.add_node("first", gate.node)
    b.add_node("second", lambda s: {"log": ["second"]})
    b.add_edge(START, "first")
    b.add_edge("first", "second")
    b.add_edge("second", END)
    return b


async def started(gate: Gate, graph: Any, thread: str, **kw: Any) -> asyncio.Future[Any]:
    gate.hold = True
    fut = asyncio.ensure_future(graph.ainvoke({"log": ["in"]}, cfg(thread), **kw))
    await gate.entered.wait()
    gate.hold = False
    return fut


async def test_interrupt_stops_the_running_turn_at_its_next_step(
    store_factory: Callable[[], Any],
) -> None:
    gate = Gate()
    graph = two_steps(gate).compile(checkpointer=store_factory())
    async with graph:
        running = await started(gate, graph, "i")
        newer = asyncio.ensure_future(
            graph.ainvoke({"log": ["new"]}, cfg("i"), multitask_strategy="interrupt")
        )
        await asyncio.sleep(0)  # let the newer call reach the supervisor
        gate.release.set()
        # the running turn kept its finished step and stopped before "second"
        assert await running == {"log": ["in", "first"]}
        assert await newer == {"log": ["in", "first", "new", "first", "second"]}
        assert graph.statistics().interrupts == 1


async def test_rollback_cancels_and_discards_the_running_turn(
    store_factory: Callable[[], Any],
) -> None:
    gate = Gate()
    graph = two_steps(gate).compile(checkpointer=store_factory())
    async with graph:
        await graph.ainvoke({"log": []}, cfg("r"))
        before = [s async for s in graph.aget_state_history(cfg("r"))]
        running = await started(gate, graph, "r")
        await graph.supervisor.flusher.flush()  # type: ignore[union-attr]  # its rows are stored
        newer = await graph.ainvoke({"log": ["new"]}, cfg("r"), multitask_strategy="rollback")
        with pytest.raises(RolledBackError):
            await running
        assert newer == {"log": ["first", "second", "new", "first", "second"]}
        after = [s async for s in graph.aget_state_history(cfg("r"))]
        # the rolled-back turn left no checkpoint: only the newer turn's 4 were added
        assert len(after) == len(before) + 4
        assert all("in" not in s.values["log"] for s in after)
        assert graph.statistics().rollbacks == 1
    if store_factory.kind == "sqlite":  # type: ignore[attr-defined]
        again = two_steps(Gate()).compile(checkpointer=store_factory())
        async with again:  # what is on disk agrees
            assert len([s async for s in again.aget_state_history(cfg("r"))]) == len(after)


async def test_reject_and_exact_mailbox_overflow(store_factory: Callable[[], Any]) -> None:
    gate = Gate()
    graph = two_steps(gate).compile(checkpointer=store_factory(), mailbox_size=5)
    async with graph:
        running = await started(gate, graph, "m")
        with pytest.raises(SessionBusyError):
            await graph.ainvoke({"log": []}, cfg("m"), multitask_strategy="reject")
        queued = [asyncio.ensure_future(graph.ainvoke({"log": []}, cfg("m"))) for _ in range(8)]
        await asyncio.sleep(0)
        overflowed = [f for f in queued if f.done() and isinstance(f.exception(), MailboxFullError)]
        assert len(overflowed) == 3  # exactly the excess over mailbox_size=5
        gate.release.set()
        await running
        assert all(
            not isinstance(r, BaseException)
            for r in await asyncio.gather(*[f for f in queued if f not in overflowed])
        )
        assert graph.statistics().rejected == 4


async def test_a_crashed_actor_fails_its_callers_and_restarts(
    store_factory: Callable[[], Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    # an async node: its turns go through the mailbox, into the actor loop broken below
    graph = tutorial_builder(async_agent).compile(checkpointer=store_factory())
    async with graph:
        await graph.ainvoke({"messages": []}, cfg("c"))
        await graph.ainvoke({"messages": []}, cfg("healthy"))
        await graph.supervisor.flusher.flush()  # type: ignore[union-attr]
        original = SessionActor._handle

        async def broken(self: SessionActor, env: Any) -> None:
            if self.thread_id == "c":
                raise RuntimeError("bug in the actor loop")
            await original(self, env)

        monkeypatch.setattr(SessionActor, "_handle", broken)
        with pytest.raises(ActorCrashedError, match="bug in the actor loop"):
            await graph.ainvoke({}, cfg("c"))
        assert len((await graph.ainvoke({}, cfg("healthy")))["messages"]) == 2
        monkeypatch.setattr(SessionActor, "_handle", original)
        out = await graph.ainvoke({}, cfg("c"))  # restarted from the store (after a backoff)
        assert len(out["messages"]) == 2
        assert graph.statistics().restarts == 1


async def test_restarts_back_off_on_an_injected_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    from stores import MemoryStore

    now = [0.0]
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)
        now[0] += seconds  # the wait passes at once, on the injected clock

    graph = tutorial_builder(async_agent).compile(  # turns through the mailbox
        checkpointer=MemoryStore(), clock=lambda: now[0]
    )
    graph.supervisor.sleep = sleep
    original = SessionActor._handle

    async def broken(self: SessionActor, env: Any) -> None:
        raise RuntimeError("bug in the actor loop")

    async with graph:
        await graph.ainvoke({"messages": []}, cfg("c"))
        monkeypatch.setattr(SessionActor, "_handle", broken)
        for _ in range(3):  # each restart crashes again: the backoff doubles
            with pytest.raises(ActorCrashedError):
                await graph.ainvoke({}, cfg("c"))
        monkeypatch.setattr(SessionActor, "_handle", original)
        assert len((await graph.ainvoke({}, cfg("c")))["messages"]) == 2
    assert waits == pytest.approx([0.05, 0.1, 0.2])
    assert graph.statistics().restarts == 3


async def test_shutdown_drains_queued_turns_and_refuses_new_ones(
    store_factory: Callable[[], Any],
) -> None:
    gate = Gate()
    graph = two_steps(gate).compile(checkpointer=store_factory())
    running = await started(gate, graph, "d")
    queued = [asyncio.ensure_future(graph.ainvoke({"log": []}, cfg("d"))) for _ in range(3)]
    await asyncio.sleep(0)
    closing = asyncio.ensure_future(graph.aclose())
    await asyncio.sleep(0)
    with pytest.raises(ShuttingDownError):
        await graph.ainvoke({"log": []}, cfg("other"))
    gate.release.set()
    await closing
    assert len((await running)["log"]) == 3
    assert [len(o["log"]) for o in await asyncio.gather(*queued)] == [5, 7, 9]
    reopened = two_steps(Gate()).compile(checkpointer=store_factory())
    async with reopened:
        if store_factory.kind == "sqlite":  # type: ignore[attr-defined]
            assert len((await reopened.aget_state(cfg("d"))).values["log"]) == 9


async def test_a_cancelled_caller_does_not_undo_a_started_turn(
    store_factory: Callable[[], Any],
) -> None:
    gate = Gate()
    graph = two_steps(gate).compile(checkpointer=store_factory())
    async with graph:
        running = await started(gate, graph, "x")
        running.cancel()  # the client went away mid-turn
        with pytest.raises(asyncio.CancelledError):
            await running
        gate.release.set()
        # the turn ran to its end and committed: the next turn sees it
        out = await graph.ainvoke({"log": []}, cfg("x"))
        assert out == {"log": ["in", "first", "second", "first", "second"]}


async def test_1500_sessions_through_32_resident_actors(store_factory: Callable[[], Any]) -> None:
    graph = tutorial_builder().compile(checkpointer=store_factory(), max_active=32)
    async with graph:
        sem = asyncio.Semaphore(64)

        async def session(i: int) -> int:
            async with sem:
                n = 0
                for turn in range(4):
                    out = await graph.ainvoke({"messages": []} if turn == 0 else {}, cfg(f"s{i}"))
                    n = len(out["messages"])
                return n

        results = await asyncio.gather(*(session(i) for i in range(1500)))
        assert results == [4] * 1500
        # sessions come back after being evicted: each sees all of its earlier turns
        again = await asyncio.gather(*(graph.ainvoke({}, cfg(f"s{i}")) for i in range(0, 1500, 7)))
        assert all(len(o["messages"]) == 5 for o in again)
        stats = graph.statistics()
        assert stats.evictions_lru > 1000
        assert stats.rehydrations >= len(again) - 32
        # dirty actors wait for their flush; once it is done, memory is back to the bound
        await graph.supervisor.flusher.flush()  # type: ignore[union-attr]
        graph.supervisor.sweep()
        assert graph.statistics().active <= 32


class FlakyStore(MemoryStore):
    """A memory store whose writes fail while ``down`` (a store outage)."""

    down = False

    async def write_batch(self, batch: Any) -> None:
        if self.down:
            raise StoreUnavailableError("the disk is on fire (test)")
        await super().write_batch(batch)


async def test_backpressure_then_store_unavailable_and_nothing_lost() -> None:
    store = FlakyStore()
    graph = tutorial_builder().compile(
        checkpointer=store, max_dirty=6, backpressure_timeout=0.2, flush_interval=0
    )
    async with graph:
        store.down = True
        await graph.ainvoke({"messages": []}, cfg("a"))  # 3 dirty checkpoints, acknowledged
        await graph.ainvoke({}, cfg("a"))  # 6: the bound
        with pytest.raises(StoreUnavailableError, match="max_dirty=6"):
            await graph.ainvoke({}, cfg("a"))  # waited for the store, then refused
        assert (await graph.aget_state(cfg("a"))).values["messages"] == ["Hello from the agent"] * 2
        assert graph.statistics().flush_failures > 0
        store.down = False
        await graph.aflush()  # the outage is over: every acknowledged checkpoint is written
        rows = await store.list_checkpoints("a")
        assert len(rows) == 6
        assert len((await graph.ainvoke({}, cfg("a")))["messages"]) == 3


async def test_a_bound_on_dirty_bytes_holds_back_turns_too() -> None:
    store = FlakyStore()
    graph = tutorial_builder().compile(
        checkpointer=store, max_dirty_bytes=1, backpressure_timeout=0.2, flush_interval=0
    )
    async with graph:
        store.down = True
        await graph.ainvoke({"messages": []}, cfg("a"))  # under the bound when it started
        waiting = graph.supervisor.flusher.pending_rows("a")  # type: ignore[union-attr]
        assert graph.statistics().dirty_bytes == sum(len(r.payload) for r in waiting) > 1
        with pytest.raises(StoreUnavailableError, match="max_dirty_bytes=1"):
            await graph.ainvoke({}, cfg("a"))
        store.down = False
        await graph.aflush()
        assert graph.statistics().dirty_bytes == 0
        assert len((await graph.ainvoke({}, cfg("a")))["messages"]) == 2


async def test_a_message_racing_its_actors_eviction_reaches_the_next_activation(
    store_factory: Callable[[], Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    graph = tutorial_builder().compile(checkpointer=store_factory())
    async with graph:
        await graph.ainvoke({"messages": []}, cfg("r"))
        await graph.aflush()
        sup = graph.supervisor
        real = sup._activate
        raced = []

        async def activate_then_lose_the_race(tid: str) -> Any:
            actor = await real(tid)
            if not raced:  # the sweeper evicts it before this caller gets to its mailbox
                raced.append(actor)
                sup._evict(tid, actor, "idle")
            return actor

        sup._evict("r", sup.actor("r"), "idle")  # type: ignore[arg-type]  # cold again
        monkeypatch.setattr(sup, "_activate", activate_then_lose_the_race)
        out = await graph.ainvoke({}, cfg("r"))
        assert len(out["messages"]) == 2  # delivered to the next activation, history intact
        assert raced and raced[0].stopped and sup.actor("r") is not raced[0]


async def test_cold_burst_is_bounded_by_max_activating(store_factory: Callable[[], Any]) -> None:
    graph = tutorial_builder().compile(checkpointer=store_factory(), max_activating=2)
    async with graph:
        sup = graph.supervisor
        peak = 0
        real_load = sup.load_head

        async def load(tid: str, *, activation: bool = True) -> Any:
            nonlocal peak
            slots = sup._activation_slots
            assert slots is not None
            peak = max(peak, 2 - slots._value)  # activations holding a slot right now
            await asyncio.sleep(0)  # let others try to get in meanwhile
            return await real_load(tid, activation=activation)

        sup.load_head = load  # type: ignore[method-assign]
        await asyncio.gather(*(graph.ainvoke({"messages": []}, cfg(f"c{i}")) for i in range(20)))
        assert peak == 2
        assert graph.statistics().activations == 20
