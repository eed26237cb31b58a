"""History of a long thread: time, peak RSS and the longest event-loop stall.

Builds a thread of ``--turns`` turns of the tutorial graph (a node appending two messages to
the list it was given) on SQLite, then reads ``aget_state_history(limit=N)`` for each
``--limits`` value while a probe task on the same event loop measures how late it wakes up
(its longest lateness is the longest time the loop was held; on a busy machine that also
counts time other processes had the CPU, so the longest callback is also reported in the
CPU time of the loop's thread). Each limit is measured in a
fresh process (peak RSS is per process), once with the thread resident and once after a
restart (read from the file alone).

    python examples/bench_history.py --turns 10000 --limits 1 1000
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from typing import Any, TypedDict

TEXT = ("All work and no play makes Jack a dull boy. " * 5)[:190]


class State(TypedDict):
    messages: list


def agent(state: State) -> dict[str, Any]:
    n = len(state["messages"])
    state["messages"].append(f"{n:05d} {TEXT}")
    state["messages"].append(f"{n + 1:05d} {TEXT[::-1]}")
    return {"messages": state["messages"]}


def graph(path: str) -> Any:
    from runtime import END, START, StateGraph
    from stores import SqliteSaver

    builder = StateGraph(State)
    builder.add_node("agent", agent)
    builder.add_edge(START, "agent")
    builder.add_edge("agent", END)
    return builder.compile(checkpointer=SqliteSaver(path))


CONFIG = {"configurable": {"thread_id": "chat"}}


def build(path: str, turns: int) -> None:
    g = graph(path)
    g.invoke({"messages": []}, CONFIG)
    for _ in range(turns - 1):
        g.invoke({}, CONFIG)
    g.close()


def time_callbacks() -> list[float]:
    """Record the longest event-loop callback in CPU time of the loop's thread (wall-clock
    lateness also counts time other processes took the CPU on a busy machine)."""
    worst = [0.0]
    run = asyncio.events.Handle._run

    def timed(self: asyncio.events.Handle) -> None:
        t = time.thread_time()
        run(self)
        worst[0] = max(worst[0], time.thread_time() - t)

    asyncio.events.Handle._run = timed  # type: ignore[method-assign]
    return worst


async def probe(stop: asyncio.Event, worst: list[float], period: float = 0.001) -> None:
    loop = asyncio.get_running_loop()
    while not stop.is_set():
        t = loop.time()
        await asyncio.sleep(period)
        worst[0] = max(worst[0], loop.time() - t - period)


async def measure(path: str, limit: int, resident: bool) -> dict[str, Any]:
    g = graph(path)
    async with g:
        if resident:
            await g.aget_state(CONFIG)  # the thread is loaded, as a server's would be
            await g.ainvoke({}, CONFIG)
            await g.aflush()  # the turn's rows written: not the flusher's work measured
        stop, worst = asyncio.Event(), [0.0]
        task = asyncio.create_task(probe(stop, worst))
        await asyncio.sleep(0.01)
        cpu = time_callbacks()
        times = []
        for _ in range(3):  # the first read also warms the store's connection and cache
            t0 = time.perf_counter()
            n = 0
            async for _ in g.aget_state_history(CONFIG, limit=limit):
                n += 1
            times.append(time.perf_counter() - t0)
        stop.set()
        await task
    return {
        "limit": limit,
        "resident": resident,
        "states": n,
        "ms_first": round(times[0] * 1e3, 2),
        "ms_next": round(min(times[1:]) * 1e3, 2),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "longest_stall_ms": round(worst[0] * 1e3, 2),
        "longest_callback_cpu_ms": round(cpu[0] * 1e3, 2),
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--turns", type=int, default=10000)
    p.add_argument("--limits", type=int, nargs="+", default=[1, 1000])
    p.add_argument("--db", help="reuse (or build) this database file")
    p.add_argument("--one", nargs=3, metavar=("DB", "LIMIT", "RESIDENT"), help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.one:
        db, limit, resident = args.one
        print(json.dumps(asyncio.run(measure(db, int(limit), resident == "1"))))
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        db = args.db or os.path.join(tmp, "history.db")
        if not os.path.exists(db):
            t0 = time.perf_counter()
            build(db, args.turns)
            print(f"built {args.turns} turns in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
        for limit in args.limits:
            for resident in ("1", "0"):
                # a copy per run: the resident run adds a turn
                run = os.path.join(tmp, f"run-{limit}-{resident}.db")
                subprocess.run(["cp", db, run], check=True)
                cmd = [sys.executable, __file__, "--one", run, str(limit), resident]
                out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
                print(out.strip(), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
