"""Pydantic state schemas, differential: the same program through LangGraph and here."""

import operator
from typing import Annotated, Any

import pydantic
import pytest
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import END as LG_END
from langgraph.graph import START as LG_START
from langgraph.graph import StateGraph as LGStateGraph

from runtime import END, START, StateGraph
from stores import MemoryStore


class State(pydantic.BaseModel):
    log: Annotated[list[str], operator.add] = []
    mood: str = "calm"
    note: str | None = None
    count: int = 0


def program(lib: str) -> list[Any]:
    graph_cls, start, end, saver = (
        (LGStateGraph, LG_START, LG_END, InMemorySaver())
        if lib == "lg"
        else (StateGraph, START, END, MemoryStore())
    )

    def first(state: State) -> Any:
        # a model instance as the update: only set or non-None fields count (LangGraph)
        return State(log=[f"first saw {type(state).__name__} {state.count}"], count=1)

    def second(state: State) -> Any:
        return State(note="set", log=[f"mood {state.mood}"])

    builder = graph_cls(State)
    builder.add_node("first", first)
    builder.add_node("second", second)
    builder.add_edge(start, "first")
    builder.add_edge("first", "second")
    builder.add_edge("second", end)
    graph = builder.compile(checkpointer=saver)
    config = {"configurable": {"thread_id": "t"}}
    out: list[Any] = [graph.invoke(State(mood="glad"), config)]
    out.append(graph.invoke({"count": 5}, config))
    out.append(graph.get_state(config).values)
    try:
        graph.invoke({"count": "not a number"}, config)
    except Exception as exc:  # pydantic refuses it when the node's input is built
        out.append((type(exc).__name__, str(exc).splitlines()[0]))
    if lib == "ours":
        # LangGraph's get_state raises on that thread from now on (it builds the next
        # task's input); here the thread shows the input step and takes the next turn
        assert graph.get_state(config).next == ("first",)
        again = graph.invoke({"count": 7}, config)
        assert again["log"][-2:] == ["first saw State 7", "mood calm"]
        graph.close()
    return out


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_a_pydantic_state_graph_runs_as_langgraphs() -> None:
    theirs, mine = program("lg"), program("ours")
    assert mine == theirs
    # first's State(...) update carries mood's default ("calm"): LangGraph's rule keeps
    # fields whose default is not None
    assert mine[0]["log"] == ["first saw State 0", "mood calm"]
