"""The bench workload through LangGraph itself, for a ratio measured on the same machine.

Needs the test extra (LangGraph is a test-only dependency):
    pip install -e '.[test]' && python examples/bench_langgraph.py -S 200
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import tempfile
import time
from typing import Any

from bench import State, agent


async def run(saver: Any, sessions: int, turns: int, concurrency: int, **kw: Any) -> dict[str, Any]:
    from langgraph.graph import END, START, StateGraph

    b = StateGraph(State)
    b.add_node("agent", agent)
    b.add_edge(START, "agent")
    b.add_edge("agent", END)
    graph = b.compile(checkpointer=saver)
    lat: list[float] = []
    nxt = 0

    async def worker() -> None:
        nonlocal nxt
        while nxt < sessions:
            sid, nxt = nxt, nxt + 1
            config = {"configurable": {"thread_id": f"s{sid}"}}
            for t in range(turns):
                t0 = time.perf_counter()
                await graph.ainvoke({"messages": []} if t == 0 else {}, config, **kw)
                lat.append(time.perf_counter() - t0)

    t0 = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - t0
    lat.sort()
    return {
        "turns_per_s": round(len(lat) / elapsed),
        "p50_ms": round(lat[len(lat) // 2] * 1000, 2),
        "p99_ms": round(lat[int(len(lat) * 0.99)] * 1000, 2),
    }


async def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("-S", type=int, default=200)
    p.add_argument("-T", type=int, default=10)
    p.add_argument("-C", type=int, default=100)
    a = p.parse_args()
    from langgraph.checkpoint.memory import InMemorySaver
    from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

    out = {"langgraph InMemorySaver": await run(InMemorySaver(), a.S, a.T, a.C)}
    with tempfile.TemporaryDirectory() as tmp:
        async with AsyncSqliteSaver.from_conn_string(os.path.join(tmp, "lg.db")) as saver:
            out["langgraph AsyncSqliteSaver"] = await run(saver, a.S, a.T, a.C)
        async with AsyncSqliteSaver.from_conn_string(os.path.join(tmp, "lg2.db")) as saver:
            out["langgraph AsyncSqliteSaver exit"] = await run(
                saver, a.S, a.T, a.C, durability="exit"
            )
    for name, r in out.items():
        print(json.dumps({"config": name, "S": a.S, "T": a.T, "C": a.C, **r}))


if __name__ == "__main__":
    asyncio.run(main())
