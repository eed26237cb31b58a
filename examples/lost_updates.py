"""300 concurrent turns on one session: session-actors vs LangGraph (needs the test extra).

LangGraph's open-source sessions run concurrent invocations of one thread side by side:
each reads the last checkpoint, appends, and writes, so most appends are lost. Here the
thread's actor runs them one at a time, so none is.

    pip install -e '.[test]' && python examples/lost_updates.py
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from typing import Any, TypedDict

N = 300


class State(TypedDict):
    messages: list


def agent(state: State) -> dict[str, Any]:
    state["messages"].append("Hello from the agent")
    return {"messages": state["messages"]}


async def hammer(graph: Any) -> int:
    config = {"configurable": {"thread_id": "hot"}}
    await graph.ainvoke({"messages": []}, config)
    await asyncio.gather(*(graph.ainvoke({}, config) for _ in range(N)))
    return len((await graph.aget_state(config)).values["messages"])


async def main() -> None:
    from langgraph.checkpoint.memory import InMemorySaver as LGMemory
    from langgraph.graph import END as LG_END
    from langgraph.graph import START as LG_START
    from langgraph.graph import StateGraph as LGStateGraph

    from runtime import END, START, StateGraph
    from stores import MemoryStore, SqliteStore

    def build(cls: Any, start: Any, end: Any) -> Any:
        b = cls(State)
        b.add_node("agent", agent)
        b.add_edge(start, "agent")
        b.add_edge("agent", end)
        return b

    print(f"{N} concurrent ainvoke on one thread after a first turn: {N + 1} messages expected")
    lg = build(LGStateGraph, LG_START, LG_END).compile(checkpointer=LGMemory())
    print(f"  langgraph InMemorySaver:        {await hammer(lg)}")
    try:
        from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver
    except ImportError:
        print("  langgraph AsyncSqliteSaver:     (pip install langgraph-checkpoint-sqlite)")
    else:
        with tempfile.TemporaryDirectory() as tmp:
            async with AsyncSqliteSaver.from_conn_string(os.path.join(tmp, "lg.db")) as saver:
                lg = build(LGStateGraph, LG_START, LG_END).compile(checkpointer=saver)
                print(f"  langgraph AsyncSqliteSaver:     {await hammer(lg)}")
    async with build(StateGraph, START, END).compile(checkpointer=MemoryStore()) as ours:
        print(f"  session-actors MemoryStore:     {await hammer(ours)}")
    with tempfile.TemporaryDirectory() as tmp:
        async with build(StateGraph, START, END).compile(
            checkpointer=SqliteStore(os.path.join(tmp, "ours.db"))
        ) as ours:
            print(f"  session-actors SqliteStore:     {await hammer(ours)}")


if __name__ == "__main__":
    asyncio.run(main())
