"""A process hammering shared threads of one SQLite file (see test_leases.py).

    python tests/runtime/lease_worker.py DB NAME THREADS TURNS

Runs TURNS turns on each of THREADS threads, in a shuffled order, each turn appending the
tag ``NAME:thread:n``; a turn refused because the other process owns the thread is tried
again later. Prints one line per acknowledged (committed, ``durability="sync"``) turn.
"""

from __future__ import annotations

import asyncio
import operator
import random
import sys
from typing import Annotated, Any, TypedDict

from runtime import END, START, StaleOwnerError, StateGraph
from stores import SqliteStore


class Log(TypedDict):
    log: Annotated[list, operator.add]


def build(db: str) -> Any:
    b = StateGraph(Log)
    b.add_node("noop", lambda s: {})
    b.add_edge(START, "noop").add_edge("noop", END)
    # idle threads leave memory (and give their lease back) quickly, so that the other
    # process gets its turn
    return b.compile(
        checkpointer=SqliteStore(db, lease_ttl=5), idle_timeout=0.05, durability="sync"
    )


async def main(db: str, name: str, threads: int, turns: int) -> None:
    graph = build(db)
    todo = [(f"t{i}", n) for i in range(threads) for n in range(turns)]
    random.Random(name).shuffle(todo)
    refused = 0
    async with graph:
        # both processes start hammering together (the parent says go once both are up)
        print("ready", flush=True)
        await asyncio.to_thread(sys.stdin.readline)
        while todo:
            tid, n = todo.pop(0)
            tag = f"{name}:{tid}:{n}"
            try:
                await graph.ainvoke({"log": [tag]}, {"configurable": {"thread_id": tid}})
            except StaleOwnerError:
                refused += 1
                todo.append((tid, n))  # later, after the other turns
                await asyncio.sleep(0.002)  # a retry backoff, not synchronisation
                continue
            print(tag, flush=True)
    print(f"refused {refused}", file=sys.stderr)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])))
