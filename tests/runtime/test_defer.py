"""``add_node(..., defer=True)``, differential: outputs, stream order and history's ``next``."""

import operator
from typing import Annotated, Any

import pytest
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import END as LG_END
from langgraph.graph import START as LG_START
from langgraph.graph import StateGraph as LGStateGraph
from typing_extensions import TypedDict

from runtime import END, START, StateGraph
from stores import MemoryStore, SqliteStore


class State(TypedDict):
    log: Annotated[list[str], operator.add]


def build(lib: str, shape: str, saver: Any) -> Any:
    graph_cls, start, end = (
        (LGStateGraph, LG_START, LG_END) if lib == "lg" else (StateGraph, START, END)
    )

    def node(name: str) -> Any:
        return lambda state: {"log": [name]}

    b = graph_cls(State)
    names = ("a", "b", "b2", "b3", "c", "d") if shape == "long" else ("a", "b", "b2", "c", "d")
    for name in names:
        b.add_node(name, node(name), defer=(name == "d"))
    b.add_edge(start, "a")
    b.add_edge("a", "b")
    b.add_edge("a", "c")
    b.add_edge("b", "b2")
    if shape == "long":
        b.add_edge("b2", "b3")
        b.add_edge("b3", "d")
    else:
        b.add_edge("b2", "d")
    b.add_edge("c", "d")
    b.add_edge("d", end)
    return b.compile(checkpointer=saver)


def transcript(lib: str, shape: str, saver: Any) -> list[Any]:
    graph = build(lib, shape, saver)
    config = {"configurable": {"thread_id": "t"}}
    out: list[Any] = [graph.invoke({"log": []}, config)]
    out.append([sorted(u) for u in graph.stream({"log": ["again"]}, config)])
    out.append([(s.values, s.next) for s in graph.get_state_history(config)])
    if lib == "ours":
        graph.close()
    return out


@pytest.mark.parametrize("shape", ["short", "long"])
@pytest.mark.parametrize("store", ["memory", "sqlite"])
def test_a_deferred_node_runs_once_when_nothing_else_is_left(
    shape: str, store: str, tmp_path: Any
) -> None:
    saver = MemoryStore() if store == "memory" else SqliteStore(tmp_path / "d.db")
    theirs = transcript("lg", shape, InMemorySaver())
    mine = transcript("ours", shape, saver)
    assert mine == theirs
    assert mine[0]["log"].count("d") == 1 and mine[0]["log"][-1] == "d"
