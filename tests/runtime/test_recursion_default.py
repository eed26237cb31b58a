"""The default recursion limit is LangGraph 1.2's."""

from __future__ import annotations

from typing import Any, TypedDict

from langgraph._internal._config import DEFAULT_RECURSION_LIMIT as LANGGRAPH_DEFAULT

from runtime import END, START, StateGraph
from runtime.api.config import DEFAULT_RECURSION_LIMIT
from stores import MemoryStore


class Count(TypedDict):
    n: int


def test_the_default_is_langgraphs() -> None:
    assert DEFAULT_RECURSION_LIMIT == int(LANGGRAPH_DEFAULT) == 10007


async def test_a_loop_of_forty_steps_needs_no_config() -> None:
    # an agent looping through 40 tool calls: past the old default of 25
    builder = StateGraph(Count)
    builder.add_node("step", lambda s: {"n": s["n"] + 1})
    builder.add_edge(START, "step")

    def again(state: Count) -> Any:
        return "step" if state["n"] < 40 else END

    builder.add_conditional_edges("step", again)
    async with builder.compile(checkpointer=MemoryStore()) as graph:
        out = await graph.ainvoke({"n": 0}, {"configurable": {"thread_id": "t"}})
    assert out == {"n": 40}
