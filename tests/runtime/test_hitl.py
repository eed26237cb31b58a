"""Human in the loop and time travel, including a pause that outlives its actor."""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Annotated, Any, TypedDict

from runtime import END, START, Command, Send, StateGraph, get_stream_writer, interrupt

from .conftest import cfg


class S(TypedDict):
    log: Annotated[list, operator.add]


def build() -> StateGraph:
    def plan(state: S) -> dict[str, Any]:
        return {"log": ["plan"]}

    def approve(state: S) -> dict[str, Any]:
        answer = interrupt({"question": "ship it?", "log": state["log"]})
        note = interrupt("any note?")
        return {"log": [f"approved={answer} note={note}"]}

    def audit(state: S) -> dict[str, Any]:
        get_stream_writer()({"audited": len(state["log"])})
        return {"log": ["audit"]}

    b = StateGraph(S)
    b.add_node("plan", plan)
    b.add_node("approve", approve)
    b.add_node("audit", audit)
    b.add_edge(START, "plan")
    b.add_edge("plan", "approve")
    b.add_edge("plan", "audit")
    b.add_edge("approve", END)
    b.add_edge("audit", END)
    return b


async def test_pause_survives_a_new_runtime_and_resumes(store_factory: Callable[[], Any]) -> None:
    graph = build().compile(checkpointer=store_factory())
    async with graph:
        out = await graph.ainvoke({"log": []}, cfg("h"))
        [pause] = out["__interrupt__"]
        assert pause.value == {"question": "ship it?", "log": ["plan"]}
        assert out["log"] == ["plan", "audit"]  # the sibling finished and is kept
        snap = await graph.aget_state(cfg("h"))
        assert snap.next == ("approve",) and snap.interrupts == (pause,)
        assert (await graph.aget_thread("h")).status == "interrupted"  # type: ignore[union-attr]
    if store_factory.kind == "memory":  # type: ignore[attr-defined]
        return  # a MemoryStore does not outlive its process; the SQLite case covers it
    graph = build().compile(checkpointer=store_factory())  # a new process, in effect
    async with graph:
        snap = await graph.aget_state(cfg("h"))
        assert snap.next == ("approve",) and snap.interrupts == (pause,)
        second = await graph.ainvoke(Command(resume="yes"), cfg("h"))
        assert second["__interrupt__"][0].value == "any note?"
        done = await graph.ainvoke(Command(resume="ship"), cfg("h"))
        assert done == {"log": ["plan", "approved=yes note=ship", "audit"]}
        history = [s async for s in graph.aget_state_history(cfg("h"))]
        # no checkpoint per pause, as in LangGraph: input, start, plan, the paused step
        assert [s.metadata["step"] for s in history] == [2, 1, 0, -1]


async def test_update_state_and_fork(store_factory: Callable[[], Any]) -> None:
    graph = build().compile(checkpointer=store_factory(), interrupt_before=["approve"])
    async with graph:
        out = await graph.ainvoke({"log": []}, cfg("u"))
        assert out == {"log": ["plan"]} and "__interrupt__" not in out
        new = await graph.aupdate_state(cfg("u"), {"log": ["edited"]})  # as "plan", inferred
        snap = await graph.aget_state(cfg("u"))
        assert snap.config == new and snap.metadata["source"] == "update"
        assert snap.values == {"log": ["plan", "edited"]}
        assert snap.next == ("approve", "audit")
        history = [s async for s in graph.aget_state_history(cfg("u"))]
        start = next(s for s in history if s.metadata["step"] == 0)
        # replay from the start checkpoint: a fork checkpoint, then the graph runs again
        replay = await graph.ainvoke(None, start.config, interrupt_before=[])
        assert replay["__interrupt__"][0].value["log"] == ["plan"]
        snap = await graph.aget_state(cfg("u"))
        forked = [s async for s in graph.aget_state_history(cfg("u"))]
        assert any(s.metadata["source"] == "fork" for s in forked)
        assert snap.values == {"log": ["plan", "audit"]}  # the old branch's edit is not here


async def test_custom_stream_and_send(store_factory: Callable[[], Any]) -> None:
    graph = build().compile(checkpointer=store_factory())
    async with graph:
        events = [e async for e in graph.astream({"log": []}, cfg("c"), stream_mode="custom")]
        assert events == [{"audited": 1}]

    class M(TypedDict):
        items: list
        out: Annotated[list, operator.add]

    b = StateGraph(M)
    b.add_node("double", lambda s: {"out": [s["item"] * 2]})
    b.add_conditional_edges(START, lambda s: [Send("double", {"item": i}) for i in s["items"]])
    b.add_edge("double", END)
    fan = b.compile(checkpointer=store_factory())
    async with fan:
        assert await fan.ainvoke({"items": [3, 1, 2]}, cfg("m")) == {
            "items": [3, 1, 2],
            "out": [6, 2, 4],
        }
        snaps = [s async for s in fan.aget_state_history(cfg("m"))]
        assert snaps[1].next == ("double", "double", "double")
