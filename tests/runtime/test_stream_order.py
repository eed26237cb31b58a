"""Streams as LangGraph's generators give them: a consumer sees each step's events before
the next step runs, and a resumed turn first shows the state it starts from.

Each program runs through LangGraph (the oracle) and through this project, and the
interleaving of node calls and received events must be the same.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any, TypedDict

import pytest
from langgraph.checkpoint.memory import InMemorySaver as LGSaver
from langgraph.graph import END as LG_END
from langgraph.graph import START as LG_START
from langgraph.graph import StateGraph as LGStateGraph
from langgraph.types import Command as LGCommand
from langgraph.types import interrupt as lg_interrupt

from runtime import END, START, Command, StateGraph, interrupt
from stores import MemoryStore, SqliteStore


class State(TypedDict):
    log: list[str]


def build(lib: str, trace: list[str], *, pause: bool = False, checkpointer: Any = None) -> Any:
    graph_cls, start, end = (
        (LGStateGraph, LG_START, LG_END) if lib == "lg" else (StateGraph, START, END)
    )
    ask = lg_interrupt if lib == "lg" else interrupt

    def step(name: str) -> Any:
        def node(state: State) -> dict[str, Any]:
            trace.append(f"run {name}")
            if pause and name == "b":
                trace.append(f"answer {ask('ok?')}")
            return {"log": [*state["log"], name]}

        return node

    builder = graph_cls(State)
    for name in ("a", "b", "c"):
        builder.add_node(name, step(name))
    builder.add_edge(start, "a")
    builder.add_edge("a", "b")
    builder.add_edge("b", "c")
    builder.add_edge("c", end)
    return builder.compile(
        checkpointer=checkpointer or (LGSaver() if lib == "lg" else MemoryStore())
    )


def consume(graph: Any, trace: list[str], value: Any, config: Any, **kw: Any) -> None:
    for event in graph.stream(value, config, **kw):
        # interrupt ids are hashes of each library's own checkpoint ids
        trace.append(re.sub(r"id='[0-9a-f]{32}'", "id=...", f"got {event!r}"))


@pytest.mark.parametrize("mode", ["values", "updates", ["values", "updates"]])
def test_the_consumer_sees_each_step_before_the_next_runs(mode: Any) -> None:
    traces = {}
    for lib in ("lg", "ours"):
        trace: list[str] = []
        graph = build(lib, trace)
        consume(graph, trace, {"log": []}, {"configurable": {"thread_id": "t"}}, stream_mode=mode)
        if lib == "ours":
            graph.close()
        traces[lib] = trace
    assert traces["ours"] == traces["lg"]
    assert traces["ours"].index("run b") > traces["ours"].index("run a") + 1  # events between


async def test_astream_is_lockstep_too() -> None:
    async def run(graph: Any, trace: list[str]) -> None:
        async for event in graph.astream({"log": []}, {"configurable": {"thread_id": "t"}}):
            trace.append(f"got {event!r}")
            await asyncio.sleep(0)  # the consumer yields: the turn must still wait for it

    traces = {}
    for lib in ("lg", "ours"):
        trace: list[str] = []
        graph = build(lib, trace)
        await run(graph, trace)
        if lib == "ours":
            await graph.aclose()
        traces[lib] = trace
    assert traces["ours"] == traces["lg"]


@pytest.mark.parametrize("store", ["memory", "sqlite"])
def test_a_resume_first_shows_the_state_it_starts_from(store: str, tmp_path: Any) -> None:
    traces = {}
    for lib in ("lg", "ours"):
        trace: list[str] = []
        saver = SqliteStore(tmp_path / "s.db") if lib == "ours" and store == "sqlite" else None
        graph = build(lib, trace, pause=True, checkpointer=saver)
        config = {"configurable": {"thread_id": "t"}}
        resume = LGCommand(resume="yes") if lib == "lg" else Command(resume="yes")
        consume(graph, trace, {"log": []}, config, stream_mode="values")
        consume(graph, trace, resume, config, stream_mode="values")
        consume(graph, trace, None, config, stream_mode="values")  # finished: shows the state
        history = list(graph.get_state_history(config))
        trace.append(f"replay from {history[-3].values!r}")  # the checkpoint before b ran
        consume(graph, trace, None, history[-3].config, stream_mode="values")
        if lib == "ours":
            graph.close()
        traces[lib] = trace
    assert traces["ours"] == traces["lg"]


def test_a_consumer_that_stops_early_leaves_the_turn_to_finish() -> None:
    trace: list[str] = []
    graph = build("ours", trace)
    config = {"configurable": {"thread_id": "t"}}
    for _ in graph.stream({"log": []}, config, stream_mode="values"):
        break  # the turn waits for nobody now: it runs to its end and commits
    graph.invoke(None, config)  # queued behind it: runs once it has finished
    assert graph.get_state(config).values == {"log": ["a", "b", "c"]}
    graph.close()


async def test_lockstep_false_runs_on_without_the_consumer() -> None:
    trace: list[str] = []
    graph = build("ours", trace)
    stream = graph.astream({"log": []}, {"configurable": {"thread_id": "t"}}, lockstep=False)
    first = await stream.__anext__()
    await graph.ainvoke(None, {"configurable": {"thread_id": "t"}})  # after the whole turn
    assert trace == ["run a", "run b", "run c"]  # all ran while the consumer held one event
    assert first == {"a": {"log": ["a"]}}
    await stream.aclose()
    await graph.aclose()
