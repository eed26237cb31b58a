"""What the engine had to learn for the prebuilt agent, each pinned against LangGraph:
Send args reach the node unchanged, a node may return a list mixing Commands and dicts, a
paused Send task shows its interrupt in history, and nodes can learn the steps remaining.
No LangChain objects here: these are engine facts."""

from __future__ import annotations

import operator
from typing import Annotated, Any, TypedDict

from langgraph.managed import RemainingSteps

from runtime.prebuilt.remaining import remaining_steps

from .sides import SIDES, Side


class Narrow(TypedDict):
    log: Annotated[list, operator.add]


class Wide(TypedDict):
    log: Annotated[list, operator.add]
    other: int


class LG(TypedDict):
    log: Annotated[list, operator.add]
    remaining_steps: RemainingSteps


def _cfg(tid: str = "1") -> dict[str, Any]:
    return {"configurable": {"thread_id": tid}}


def test_send_arg_reaches_the_node_unchanged() -> None:
    seen: dict[str, list[Any]] = {}
    for side in SIDES:
        got: list[Any] = seen.setdefault(side.name, [])

        def worker(state: Narrow, got: list[Any] = got) -> dict[str, Any]:
            got.append(state)
            return {"log": [1]}

        b = side.StateGraph(Wide)
        b.add_node("start", lambda s: {})
        b.add_node("worker", worker)  # its input schema (Narrow) lacks "extra" and "other"
        b.add_edge(side.START, "start")
        b.add_conditional_edges(
            "start",
            lambda s, side=side: [
                side.Send("worker", {"extra": 1, "log": [5]}),
                side.Send("worker", [1, 2]),
            ],
        )
        graph = b.compile(checkpointer=side.saver())
        assert graph.invoke({"log": []}, _cfg())["log"] == [1, 1]
    assert seen["ours"] == seen["langgraph"] == [{"extra": 1, "log": [5]}, [1, 2]]


def test_node_may_return_commands_mixed_with_dicts() -> None:
    results = []
    for side in SIDES:

        def node(state: Wide, side: Side = side) -> Any:
            return [side.Command(update={"log": ["a"]}, goto="after"), {"log": ["b"]}]

        b = side.StateGraph(Wide)
        b.add_node("node", node, destinations=("after",))
        b.add_node("after", lambda s: {"log": ["after"]})
        b.add_edge(side.START, "node")
        results.append(b.compile(checkpointer=side.saver()).invoke({"log": []}, _cfg()))
    assert results[0] == results[1] == {"log": ["a", "b", "after"]}


def test_history_shows_the_interrupt_of_a_paused_send_task() -> None:
    views = []
    for side in SIDES:

        def ask(state: Any, side: Side = side) -> dict[str, Any]:
            return {"log": [side.interrupt("q")]}

        b = side.StateGraph(Narrow)
        b.add_node("start", lambda s: {})
        b.add_node("ask", ask)
        b.add_edge(side.START, "start")
        b.add_conditional_edges("start", lambda s, side=side: [side.Send("ask", {"log": []})])
        graph = b.compile(checkpointer=side.saver())
        graph.invoke({"log": []}, _cfg())
        graph.invoke(side.Command(resume="x"), _cfg())
        views.append(
            [
                (s.metadata["step"], [(t.name, [i.value for i in t.interrupts]) for t in s.tasks])
                for s in graph.get_state_history(_cfg())
            ]
        )
    assert views[0] == views[1]
    assert (1, [("ask", ["q"])]) in views[1]


def test_remaining_steps_count_down_as_langgraph_s() -> None:
    outs = []
    for side in SIDES:

        def node(state: Any, side: Side = side) -> dict[str, Any]:
            left = state["remaining_steps"] if side.name == "langgraph" else remaining_steps()
            return {"log": [left]}

        b = side.StateGraph(LG if side.name == "langgraph" else Narrow)
        b.add_node("a", node)
        b.add_node("b", node)
        b.add_edge(side.START, "a")
        b.add_edge("a", "b")
        b.add_conditional_edges("b", lambda s: "__end__" if len(s["log"]) >= 6 else "a")
        graph = b.compile(checkpointer=side.saver())
        first = graph.invoke({"log": []}, {**_cfg(), "recursion_limit": 8})["log"]
        again = graph.invoke({"log": []}, {**_cfg(), "recursion_limit": 10})["log"]
        outs.append((first, again))
    assert outs[0] == outs[1] == ([7, 6, 5, 4, 3, 2], [7, 6, 5, 4, 3, 2, 9, 8])
    assert remaining_steps() is None  # outside a node
