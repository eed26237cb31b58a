"""Retention: keep_last and TTL enforced by the sweeper, on both stores, with injected clocks."""

from __future__ import annotations

import asyncio
import operator
import time
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, TypedDict, TypeVar

import pytest

from runtime import (
    END,
    START,
    Command,
    CompiledGraph,
    Retention,
    SessionBusyError,
    StateGraph,
    StoreUnavailableError,
    SweepResult,
    interrupt,
)
from runtime.engine.replay import decode_row
from stores import MemoryStore, SqliteStore, Store

from .conftest import async_agent, cfg, tutorial_builder

T = TypeVar("T")


async def within(aw: Awaitable[T], seconds: float = 30.0) -> T:
    """``aw``, or a failure after ``seconds`` instead of a test that hangs (never a timing)."""
    return await asyncio.wait_for(aw, seconds)


async def history(graph: CompiledGraph, tid: str) -> list[Any]:
    return [s async for s in graph.aget_state_history(cfg(tid))]


async def states(graph: CompiledGraph, tid: str) -> dict[str, Any]:
    """Checkpoint id -> values rebuilt at that checkpoint (by get_state, not history)."""
    out = {}
    for snap in await history(graph, tid):
        out[snap.config["configurable"]["checkpoint_id"]] = (
            await graph.aget_state(snap.config)
        ).values
    return out


async def chat(graph: CompiledGraph, tid: str, turns: int) -> None:
    await graph.ainvoke({"messages": []}, cfg(tid))
    for _ in range(turns - 1):
        await graph.ainvoke({}, cfg(tid))


def reopen(graph: CompiledGraph, store_factory: Callable[[], Any], **options: Any) -> Any:
    """The same store in a new runtime: a new SqliteStore on the file, or the same MemoryStore."""
    kind = store_factory.kind  # type: ignore[attr-defined]
    store = graph.checkpointer if kind == "memory" else store_factory()
    return tutorial_builder().compile(checkpointer=store, **options)


@pytest.mark.parametrize("keep", [1, 4, 40])
async def test_keep_last_leaves_exactly_n_and_every_kept_state_rebuilds(
    store_factory: Callable[[], Any], keep: int
) -> None:
    graph = tutorial_builder().compile(
        checkpointer=store_factory(), retention=Retention(keep_last=keep)
    )
    store = graph.checkpointer
    assert store is not None
    async with graph:
        await chat(graph, "long", 60)  # 180 checkpoints: deltas on a few snapshots
        await graph.acreate_thread("short", values={"messages": ["one checkpoint"]})
        before = await states(graph, "long")
        await graph.aflush()
        short = await store.list_checkpoints("short")
        rows = await store.list_checkpoints("long", ascending=True)
        assert sum(r.base == r.seq for r in rows) >= 2  # several snapshots
        assert rows[-keep].base != rows[-keep].seq  # the oldest kept one is a delta
        result = await graph.asweep()
        assert result == SweepResult(threads_pruned=1, checkpoints_deleted=180 - keep)
        kept = await states(graph, "long")
        assert list(kept) == list(before)[:keep]  # exactly the newest N
        assert kept == {k: before[k] for k in kept}  # each one rebuilds as before
        assert await store.list_checkpoints("short") == short
        # the store holds those rows only, the oldest now a snapshot the others replay from
        stored = await store.list_checkpoints("long", ascending=True)
        assert len(stored) == keep and stored[0].base == stored[0].seq
        assert all(r.base >= stored[0].seq for r in stored)
        # the session goes on, in this runtime and in the next
        out = await graph.ainvoke({}, cfg("long"))
        assert len(out["messages"]) == 61
        assert len(await history(graph, "long")) == keep + 3
    again = reopen(graph, store_factory)
    async with again:
        assert {k: v for k, v in (await states(again, "long")).items() if k in kept} == kept
        out = await again.ainvoke({}, cfg("long"))
        assert len(out["messages"]) == 62


async def test_keep_last_under_exit_durability(store_factory: Callable[[], Any]) -> None:
    # one stored checkpoint per turn: ids with gaps, each the child of the previous turn's
    graph = tutorial_builder().compile(
        checkpointer=store_factory(), retention=Retention(keep_last=3), durability="exit"
    )
    store = graph.checkpointer
    assert store is not None
    async with graph:
        await chat(graph, "x", 40)
        before = await states(graph, "x")
        await graph.aflush()
        rows = await store.list_checkpoints("x", ascending=True)
        assert len(rows) == 40 and any(r.parent != r.seq - 1 for r in rows[1:])
        assert (await graph.asweep()).checkpoints_deleted == 37
        kept = await states(graph, "x")
        assert list(kept) == list(before)[:3] and kept == {k: before[k] for k in kept}
        assert len((await graph.ainvoke({}, cfg("x")))["messages"]) == 41
    again = reopen(graph, store_factory)
    async with again:
        assert {k: v for k, v in (await states(again, "x")).items() if k in kept} == kept
        assert len((await again.ainvoke({}, cfg("x")))["messages"]) == 42


class Paused(TypedDict):
    log: Annotated[list, operator.add]


def paused_builder() -> StateGraph:
    def step(state: Paused) -> dict[str, Any]:
        return {"log": [f"step {len(state['log'])}"]}

    def ask(state: Paused) -> dict[str, Any]:
        if len(state["log"]) >= 20:
            return {"log": [f"answer: {interrupt('go on?')}"]}
        return {}

    b = StateGraph(Paused)
    b.add_node("step", step)
    b.add_node("ask", ask)
    b.add_edge(START, "step")
    b.add_edge("step", "ask")
    b.add_edge("ask", END)
    return b


async def test_keep_last_keeps_a_pause_and_its_answer_still_resumes(
    store_factory: Callable[[], Any],
) -> None:
    graph = paused_builder().compile(checkpointer=store_factory(), retention=Retention(keep_last=2))
    async with graph:
        await graph.ainvoke({"log": []}, cfg("p"))
        for _ in range(19):
            out = await graph.ainvoke({"log": []}, cfg("p"))
        assert out["__interrupt__"][0].value == "go on?"
        paused = await graph.aget_state(cfg("p"))
        await graph.aflush()
        assert (await graph.asweep()).threads_pruned == 1
        store = graph.checkpointer
        assert store is not None
        rows = await store.list_checkpoints("p")
        assert [decode_row(r).source for r in rows] == ["pending", "loop", "loop"]
        assert len(await history(graph, "p")) == 2
        assert await graph.aget_state(cfg("p")) == paused
    again = paused_builder().compile(
        checkpointer=store if store_factory.kind == "memory" else store_factory()  # type: ignore[attr-defined]
    )
    async with again:
        assert (await again.aget_state(cfg("p"))).interrupts == paused.interrupts
        out = await again.ainvoke(Command(resume="yes"), cfg("p"))
        assert out["log"][-1] == "answer: yes" and len(out["log"]) == 21


async def test_retention_never_prunes_rows_the_flusher_has_not_written(
    store_factory: Callable[[], Any],
) -> None:
    graph = tutorial_builder().compile(
        checkpointer=store_factory(), retention=Retention(keep_last=2), flush_interval=3600
    )
    store = graph.checkpointer
    assert store is not None
    async with graph:
        await chat(graph, "a", 2)
        await graph.aflush()
        await graph.ainvoke({}, cfg("a"))  # rows 7..9 wait in the flusher
        stored = await store.list_checkpoints("a")
        assert len(stored) == 6
        assert await graph.asweep() == SweepResult(threads_skipped=1)
        assert await store.list_checkpoints("a") == stored
        await graph.aflush()
        assert (await graph.asweep()).checkpoints_deleted == 7
        assert len(await history(graph, "a")) == 2


async def test_keep_last_looks_only_at_threads_written_since_the_last_sweep(
    store_factory: Callable[[], Any],
) -> None:
    now = [0.0]
    graph = tutorial_builder().compile(
        checkpointer=store_factory(),
        retention=Retention(keep_last=3),
        idle_timeout=60,
        clock=lambda: now[0],
    )
    store = graph.checkpointer
    assert store is not None
    async with graph:
        for tid in ("a", "b"):
            await chat(graph, tid, 2)
        await graph.aflush()
        assert (await graph.asweep()).threads_pruned == 2
        reads = store.statistics().reads
        assert await graph.asweep() == SweepResult()  # nothing written: nothing read
        assert store.statistics().reads == reads
        # written, then evicted before the next sweep: still pruned by it
        await graph.ainvoke({}, cfg("a"))
        await graph.aflush()
        now[0] = 100.0
        assert graph.supervisor.sweep() == 2
        assert await graph.asweep() == SweepResult(threads_pruned=1, checkpoints_deleted=3)
        assert len(await history(graph, "a")) == 3 and len(await history(graph, "b")) == 3


async def test_ttl_deletes_threads_not_updated_for_that_long(
    store_factory: Callable[[], Any],
) -> None:
    now = [time.time() + 3600]  # an hour from now: every thread's last update is older
    idle_clock = [0.0]
    gates: dict[str, asyncio.Event] = {}
    entered = asyncio.Event()

    async def agent(state: dict[str, Any], config: dict[str, Any]) -> dict[str, Any]:
        gate = gates.get(config["configurable"]["thread_id"])
        if gate is not None:
            entered.set()
            await gate.wait()
        return {"messages": [*state.get("messages", []), "hi"]}

    graph = tutorial_builder(agent).compile(
        checkpointer=store_factory(),
        retention=Retention(ttl=600, clock=lambda: now[0], batch_size=2),
        idle_timeout=60,
        clock=lambda: idle_clock[0],
    )
    store = graph.checkpointer
    assert store is not None
    async with graph:
        for tid in ("evicted", "recent"):
            await chat(graph, tid, 1)
        await graph.aflush()
        idle_clock[0] = 100.0
        assert graph.supervisor.sweep() == 2  # these two are not in memory any more
        # "recent" was updated 100 s before the injected now: not expired
        await store.set_thread_status("recent", "idle", updated_at=now[0] - 100)
        for tid in ("idle", "busy", "kept", "x1", "x2"):
            await chat(graph, tid, 1)
        await graph.aarchive_thread("kept")
        await graph.aflush()
        gates["busy"] = asyncio.Event()
        turn = asyncio.ensure_future(graph.ainvoke({}, cfg("busy")))
        await within(entered.wait())
        result = await graph.asweep()
        assert result == SweepResult(threads_deleted=4, threads_skipped=1)
        assert {t.thread_id for t in await store.list_threads()} == {"busy", "kept", "recent"}
        for tid in ("idle", "evicted", "x1", "x2"):
            assert await store.list_checkpoints(tid) == []
            assert graph.supervisor.actor(tid) is None
        gates["busy"].set()
        assert len((await within(turn))["messages"]) == 2
        await graph.aflush()
        now[0] = time.time() + 3600
        assert (await graph.asweep()) == SweepResult(threads_deleted=1)  # idle now
        assert {t.thread_id for t in await store.list_threads()} == {"kept", "recent"}
        # a deleted thread's id starts a new conversation
        assert (await graph.ainvoke({"messages": []}, cfg("idle")))["messages"] == ["hi"]


async def test_a_held_thread_makes_its_turns_wait_not_fail_and_others_run_on(
    store_factory: Callable[[], Any],
) -> None:
    class Blocking:
        """The store, with a prune that rewrites a checkpoint held until the test says."""

        def __init__(self, inner: Store) -> None:
            self.inner = inner
            self.entered = asyncio.Event()
            self.release = asyncio.Event()

        def __getattr__(self, name: str) -> Any:
            return getattr(self.inner, name)

        async def prune_checkpoints(self, tid: str, before: int, **kw: Any) -> int:
            if tid == "a" and kw.get("snapshot") is not None:
                self.entered.set()
                await self.release.wait()
            return await self.inner.prune_checkpoints(tid, before, **kw)

    store = Blocking(store_factory())
    # async node: two turns at once overlap (a sync graph's would run one after the other)
    graph = tutorial_builder(async_agent).compile(
        checkpointer=store,  # type: ignore[arg-type]
        retention=Retention(keep_last=2),
        multitask_strategy="reject",
    )
    async with graph:
        await graph.acreate_thread("b", values={"messages": []})  # too short to prune
        await chat(graph, "a", 4)
        await graph.aflush()
        before = await states(graph, "a")
        sweep = asyncio.ensure_future(graph.asweep())
        await within(
            store.entered.wait()
        )  # "a" is held: its oldest kept checkpoint being rewritten
        turn_a = asyncio.ensure_future(graph.ainvoke({}, cfg("a")))
        assert len((await graph.ainvoke({}, cfg("b")))["messages"]) == 1  # other threads run
        assert (await graph.aget_state(cfg("a"))).values == next(iter(before.values()))
        assert not turn_a.done()  # waits for the hold; under "reject" it is not refused
        store.release.set()
        assert (await within(sweep)).checkpoints_deleted == 10
        assert len((await within(turn_a))["messages"]) == 5
        kept = await states(graph, "a")
        assert len(kept) == 2 + 3
        assert {k: v for k, v in kept.items() if k in before} == {
            k: before[k] for k in list(before)[:2]
        }
        with pytest.raises(SessionBusyError):  # the strategy itself still applies
            await asyncio.gather(graph.ainvoke({}, cfg("a")), graph.ainvoke({}, cfg("a")))


async def test_the_sweeper_task_runs_every_sweep_interval(tmp_path: Any) -> None:
    graph = tutorial_builder().compile(
        checkpointer=SqliteStore(tmp_path / "s.db"),
        retention=Retention(keep_last=2, sweep_interval=0.01),
    )
    async with graph:
        await chat(graph, "a", 3)
        sweeper = graph.supervisor.retention
        assert sweeper is not None
        deleted = 0
        for _ in range(1000):  # sweeps before the flush find the thread in use
            deleted = (await asyncio.wait_for(sweeper.next_sweep(), 30)).checkpoints_deleted
            if deleted:
                break
        assert deleted == 7 and sweeper.sweeps >= 1
        assert len(await history(graph, "a")) == 2


async def test_rows_are_deleted_in_bounded_batches() -> None:
    calls: list[tuple[int, bool]] = []

    class Counting(MemoryStore):
        async def prune_checkpoints(self, thread_id: str, before: int, **kw: Any) -> int:
            n = await super().prune_checkpoints(thread_id, before, **kw)
            calls.append((n, kw.get("snapshot") is not None))
            return n

    graph = tutorial_builder().compile(
        checkpointer=Counting(), retention=Retention(keep_last=1, batch_size=4)
    )
    async with graph:
        await chat(graph, "a", 5)
        await graph.aflush()
        assert (await graph.asweep()).checkpoints_deleted == 14
    # the rewrite of the kept checkpoint goes with the first batch, under the hold
    assert calls == [(4, True), (4, False), (4, False), (2, False)]


def test_bad_retention_options_are_refused() -> None:
    for bad, match in [
        ({"keep_last": 0}, "keep_last must be >= 1"),
        ({"keep_last": 2.5}, "keep_last must be an int"),
        ({"ttl": -1}, "ttl must be a number of seconds > 0"),
        ({"sweep_interval": 0}, "sweep_interval must be"),
        ({"batch_size": 0}, "batch_size must be"),
    ]:
        with pytest.raises(ValueError, match=match):
            Retention(**bad)
    with pytest.raises(ValueError, match="retention needs a checkpointer"):
        tutorial_builder().compile(retention=Retention(keep_last=3))
    with pytest.raises(ValueError, match=r"must be a runtime\.Retention"):
        tutorial_builder().compile(checkpointer=MemoryStore(), retention={"keep_last": 3})


async def test_sweep_without_a_policy_says_how_to_set_one() -> None:
    graph = tutorial_builder().compile(checkpointer=MemoryStore())
    async with graph:
        with pytest.raises(ValueError, match=r"retention=Retention\(keep_last"):
            await graph.asweep()


async def test_a_sweep_that_fails_leaves_its_work_to_the_next_one() -> None:
    class Failing(MemoryStore):
        down = True

        async def prune_checkpoints(self, thread_id: str, before: int, **kw: Any) -> int:
            if self.down:
                raise StoreUnavailableError("the store is down (test)")
            return await super().prune_checkpoints(thread_id, before, **kw)

    now = [0.0]
    store = Failing()
    graph = tutorial_builder().compile(
        checkpointer=store, retention=Retention(keep_last=2), idle_timeout=60, clock=lambda: now[0]
    )
    async with graph:
        for tid in ("a", "b"):
            await chat(graph, tid, 2)
        await graph.aflush()
        now[0] = 100.0
        assert graph.supervisor.sweep() == 2  # both written and evicted before the sweep
        with pytest.raises(StoreUnavailableError):
            await graph.asweep()
        store.down = False
        assert await graph.asweep() == SweepResult(threads_pruned=2, checkpoints_deleted=8)
        assert await graph.asweep() == SweepResult()
