"""``aclose()`` ends within ``drain_timeout + shutdown_grace`` whatever the turns and the
store do, and says what it could not finish (issue 12, item 6).

Waits here are upper bounds only: the hung node waits on an event nobody sets, the failing
store fails every write at once.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest

from runtime import ShutdownIncompleteError, ShuttingDownError
from stores import MemoryStore, StoreUnavailableError

from .conftest import ChatState, agent, cfg, reopen, tutorial_builder

DRAIN = 0.2
GRACE = 1.0
#: How late past ``DRAIN + GRACE`` a shutdown may end on a busy machine.
SLACK = 3.0


def break_writes(store: Any) -> Callable[[], None]:
    """Make every write of ``store`` fail as a full disk does; returns the cure."""
    real = store.write_batch

    async def disk_full(batch: Any) -> None:
        raise StoreUnavailableError("database or disk is full")

    store.write_batch = disk_full

    def heal() -> None:
        store.write_batch = real

    return heal


async def history_len(graph: Any, tid: str) -> int:
    return len([s async for s in graph.aget_state_history(cfg(tid))])


async def test_aclose_gives_up_on_a_store_that_fails_every_write(
    store_factory: Callable[[], Any], caplog: pytest.LogCaptureFixture
) -> None:
    db = store_factory()
    graph = tutorial_builder().compile(checkpointer=db, drain_timeout=DRAIN, shutdown_grace=GRACE)
    await graph.ainvoke({"messages": []}, cfg("warm"))  # opens the store, written fine
    await graph.aget_thread("warm")
    await asyncio.wait_for(graph.supervisor.flusher.flush(), SLACK)  # type: ignore[union-attr]
    heal = break_writes(db)
    for tid, turns in (("a", 2), ("b", 1)):
        for _ in range(turns):
            await graph.ainvoke({"messages": []}, cfg(tid))  # "async": acknowledged in memory
    expected = {"a": await history_len(graph, "a"), "b": await history_len(graph, "b")}
    t0 = time.monotonic()
    with (
        caplog.at_level(logging.ERROR, logger="runtime"),
        pytest.raises(ShutdownIncompleteError) as caught,
    ):
        await asyncio.wait_for(graph.aclose(), DRAIN + GRACE + SLACK)
    took = time.monotonic() - t0
    assert took < DRAIN + GRACE + SLACK
    assert caught.value.unsaved == expected
    assert caught.value.cancelled == 0
    text = str(caught.value)
    assert "'a', 'b'" in text and f"{sum(expected.values())} checkpoint(s)" in text
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert any("NOT saved" in m and "'a'" in m and "'b'" in m for m in errors), errors
    # the rows were kept: started again over a store that works, the runtime writes them
    heal()
    async with graph:
        assert len((await graph.ainvoke({}, cfg("a")))["messages"]) == 2
    again = tutorial_builder().compile(checkpointer=reopen(db, store_factory))
    async with again:
        assert await history_len(again, "a") == expected["a"] + 3
        assert await history_len(again, "b") == expected["b"]
        assert len((await again.aget_state(cfg("a"))).values["messages"]) == 2
        assert len((await again.aget_state(cfg("b"))).values["messages"]) == 1


async def test_aclose_cancels_a_hung_turn_and_says_so(
    store_factory: Callable[[], Any], caplog: pytest.LogCaptureFixture
) -> None:
    entered = asyncio.Event()

    async def hang(state: ChatState) -> dict[str, Any]:
        if state["messages"]:
            entered.set()
            await asyncio.Event().wait()  # never set: a hung call
        return agent(state)

    db = store_factory()
    graph = tutorial_builder(hang).compile(
        checkpointer=db, drain_timeout=DRAIN, shutdown_grace=GRACE
    )
    await graph.ainvoke({"messages": []}, cfg("h"))  # turn 1 does not hang
    hung = asyncio.ensure_future(graph.ainvoke({}, cfg("h")))
    queued = asyncio.ensure_future(graph.ainvoke({}, cfg("h")))
    await asyncio.wait_for(entered.wait(), SLACK)
    t0 = time.monotonic()
    with caplog.at_level(logging.ERROR, logger="runtime"):
        first = asyncio.ensure_future(graph.aclose())
        second = asyncio.ensure_future(graph.aclose())  # e.g. a signal, then the lifespan
        done, _ = await asyncio.wait({first, second}, timeout=DRAIN + GRACE + SLACK)
    assert time.monotonic() - t0 < DRAIN + GRACE + SLACK
    assert done == {first, second}
    for closing in (first, second):  # both callers learn the outcome
        err = closing.exception()
        assert isinstance(err, ShutdownIncompleteError)
        assert (err.cancelled, err.unsaved) == (2, {})
        assert "'h'" in str(err)
    with pytest.raises(ShuttingDownError, match="drain_timeout"):
        await hung
    with pytest.raises(ShuttingDownError, match="before this turn could run"):
        await queued
    assert any("cancelled" in r.getMessage() for r in caplog.records), caplog.records
    # what the hung turn had committed (its input) is stored; the next process goes on
    again = tutorial_builder().compile(checkpointer=reopen(db, store_factory))
    async with again:
        snap = await again.aget_state(cfg("h"))
        assert snap.next == ("agent",) and len(snap.values["messages"]) == 1
        assert len((await again.ainvoke(None, cfg("h")))["messages"]) == 2


async def test_a_clean_shutdown_raises_nothing(store_factory: Callable[[], Any]) -> None:
    graph = tutorial_builder().compile(
        checkpointer=store_factory(), drain_timeout=DRAIN, shutdown_grace=GRACE
    )
    await graph.ainvoke({"messages": []}, cfg("c"))
    await graph.aclose()
    await graph.aclose()  # closed: nothing to do


def test_bad_bounds_are_refused() -> None:
    with pytest.raises(ValueError, match="shutdown_grace"):
        tutorial_builder().compile(shutdown_grace=0)
    with pytest.raises(ValueError, match="drain_timeout"):
        tutorial_builder().compile(drain_timeout=-1)


def test_the_end_of_asyncio_run_is_bounded_too(caplog: pytest.LogCaptureFixture) -> None:
    """A program that never closes its graph over a failing store still exits: the flush
    at the loop's teardown keeps to the same bound, and says what it lost."""
    db = MemoryStore()
    break_writes(db)
    graph = tutorial_builder().compile(checkpointer=db, drain_timeout=DRAIN, shutdown_grace=GRACE)

    async def main() -> None:
        await graph.ainvoke({"messages": []}, cfg("z"))  # acknowledged, never written

    ended = threading.Event()

    def run() -> None:
        asyncio.run(main())
        ended.set()

    with caplog.at_level(logging.ERROR, logger="runtime"):
        threading.Thread(target=run, daemon=True).start()
        assert ended.wait(DRAIN + GRACE + SLACK), "asyncio.run did not return"
    assert any("'z'" in r.getMessage() and "lost" in r.getMessage() for r in caplog.records)
