"""Idle actors give up their task (parking) and take a new one on their next message."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from runtime.actor import SessionActor
from runtime.errors import ActorCrashedError
from runtime.supervisor import PARK_AFTER

from .conftest import agent, async_agent, cfg, tutorial_builder


def clocked(
    store_factory: Callable[[], Any], node: Callable[..., Any] = async_agent, **options: Any
) -> tuple[Any, list[float]]:
    """The tutorial graph on an injected clock; by default with an async node, whose turns
    go through the mailbox, so that actors take tasks (and park them)."""
    now = [0.0]
    graph = tutorial_builder(node).compile(
        checkpointer=store_factory(), clock=lambda: now[0], **options
    )
    return graph, now


async def park(graph: Any, thread_id: str) -> SessionActor:
    """Sweep past PARK_AFTER and wait until the actors' tasks have ended."""
    actors: list[SessionActor] = list(graph.supervisor._actors.values())
    tasks = [a.task for a in actors if a.task is not None]
    assert tasks
    graph.supervisor.sweep()
    for task in tasks:
        await task  # it returns once it has seen the park request (no timing involved)
    assert all(a.task is None for a in actors)
    actor: SessionActor = graph.supervisor._actors[thread_id]
    return actor


async def test_an_idle_actor_parks_and_its_next_turn_wakes_it(
    store_factory: Callable[[], Any],
) -> None:
    graph, now = clocked(store_factory)
    async with graph:
        await graph.ainvoke({"messages": []}, cfg("a"))
        now[0] = PARK_AFTER / 2
        graph.supervisor.sweep()
        assert graph.supervisor._actors["a"].task is not None  # not idle long enough
        now[0] = PARK_AFTER + 0.1
        actor = await park(graph, "a")
        assert actor.task is None and graph.statistics().active == 1
        assert graph.statistics().parked == 1
        out = await graph.ainvoke({}, cfg("a"))  # same actor, a new task, nothing reloaded
        assert len(out["messages"]) == 2
        assert graph.supervisor._actors["a"] is actor and actor.task is not None
        assert graph.statistics().rehydrations == 0


async def test_a_sync_graphs_actor_never_needs_a_task(store_factory: Callable[[], Any]) -> None:
    """Its turns run in their callers' tasks (SessionActor.run_now); an actor takes a task
    only when a message has to queue."""
    graph, _ = clocked(store_factory, agent)
    async with graph:
        for n in range(3):
            await graph.ainvoke({"messages": []} if n == 0 else {}, cfg("a"))
        actor = graph.supervisor._actors["a"]
        assert actor.task is None and graph.statistics().parked == 1

        async def look(a: SessionActor) -> int:
            return len(a.head.values["messages"])

        assert await graph.supervisor.call("a", look) == 3  # through the mailbox:
        assert actor.task is not None  # a message that queues starts a task


async def test_a_message_racing_the_park_request_is_served(
    store_factory: Callable[[], Any],
) -> None:
    graph, now = clocked(store_factory)
    async with graph:
        await graph.ainvoke({"messages": []}, cfg("a"))
        actor = graph.supervisor._actors["a"]
        now[0] = PARK_AFTER + 0.1
        graph.supervisor.sweep()  # park requested; the task has not run since
        out = await graph.ainvoke({}, cfg("a"))
        assert len(out["messages"]) == 2
        # whatever the order, the actor ends parked or running, never stranded
        for _ in range(3):
            out = await graph.ainvoke({}, cfg("a"))
        assert len(out["messages"]) == 5 and graph.supervisor._actors["a"] is actor


async def test_parked_actors_are_evicted_and_closed_like_others(
    store_factory: Callable[[], Any],
) -> None:
    graph, now = clocked(store_factory, idle_timeout=60)
    async with graph:
        for t in ("a", "b"):
            await graph.ainvoke({"messages": []}, cfg(t))
        await graph.aflush()
        now[0] = PARK_AFTER + 0.1
        await park(graph, "a")  # and "b"
        now[0] = 61.0
        assert graph.supervisor.sweep() == 2
        assert len((await graph.ainvoke({}, cfg("a")))["messages"]) == 2  # rehydrated
        now[0] = 63.0
        await park(graph, "a")
    # leaving `async with` closed a runtime whose only actor was parked
    assert graph.supervisor._actors == {}


async def test_a_crash_after_a_park_is_still_reported(
    store_factory: Callable[[], Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    graph, now = clocked(store_factory)
    async with graph:
        await graph.ainvoke({"messages": []}, cfg("c"))
        now[0] = PARK_AFTER + 0.1
        await park(graph, "c")
        original = SessionActor._handle

        async def broken(self: SessionActor, env: Any) -> None:
            raise RuntimeError("bug in the actor loop")

        monkeypatch.setattr(SessionActor, "_handle", broken)
        with pytest.raises(ActorCrashedError, match="bug in the actor loop"):
            await graph.ainvoke({}, cfg("c"))
        monkeypatch.setattr(SessionActor, "_handle", original)
        assert graph.statistics().restarts == 1
