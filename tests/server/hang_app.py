"""A graph for ``serve`` shutdown tests: a turn whose input is ``{"log": ["hang"]}`` hangs
in its node (it waits on an event nobody sets) after saying so on stderr."""

from __future__ import annotations

import asyncio
import operator
import sys
from typing import Annotated, Any, TypedDict

from runtime import END, START, CompiledGraph, StateGraph
from stores import SqliteStore

ENTERED = "hang_app: the node is hung"


class State(TypedDict):
    log: Annotated[list, operator.add]


async def work(state: State) -> dict[str, Any]:
    if state["log"][-1:] == ["hang"]:
        print(ENTERED, file=sys.stderr, flush=True)
        await asyncio.Event().wait()
    return {"log": ["done"]}


def build(db: str, **options: Any) -> CompiledGraph:
    builder = StateGraph(State)
    builder.add_node("work", work)
    builder.add_edge(START, "work")
    builder.add_edge("work", END)
    graph: CompiledGraph = builder.compile(checkpointer=SqliteStore(db), **options)
    return graph
