"""Benchmark: the tutorial workload, S sessions x T turns with C sessions in flight.

Each in-flight session runs its T turns one after another (a user waits for each reply),
so C is the number of concurrent turns. Prints turns/s, latency percentiles and peak RSS
as one JSON line per configuration, plus a summary table.

    python examples/bench.py                                  # S=1000 T=10 C=100, all 4 configs
    python examples/bench.py --store sqlite --durability sync --sessions 200
    python examples/bench.py --json                           # machine-readable only
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import resource
import statistics
import sys
import tempfile
import time
from typing import Any, TypedDict

from runtime import END, START, StateGraph
from stores import MemoryStore, SqliteStore


class State(TypedDict):
    messages: list


def agent(state: State) -> dict[str, Any]:
    state["messages"].append("Hello from the agent")
    return {"messages": state["messages"]}


def build(checkpointer: Any, **options: Any) -> Any:
    builder = StateGraph(State)
    builder.add_node("agent", agent)
    builder.add_edge(START, "agent")
    builder.add_edge("agent", END)
    return builder.compile(checkpointer=checkpointer, **options)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def run_one(
    store_kind: str,
    durability: str,
    sessions: int,
    turns: int,
    concurrency: int,
    path: str,
    writer: str = "loop",
    sync_nodes: str = "auto",
) -> dict[str, Any]:
    store = MemoryStore() if store_kind == "memory" else SqliteStore(path, writer=writer)
    graph = build(store, durability=durability, sync_nodes=sync_nodes)
    latencies: list[float] = []
    next_session = 0

    async def worker() -> None:
        nonlocal next_session
        while next_session < sessions:
            sid = next_session
            next_session += 1
            config = {"configurable": {"thread_id": f"s{sid}"}}
            for t in range(turns):
                t0 = time.perf_counter()
                out = await graph.ainvoke({"messages": []} if t == 0 else {}, config)
                latencies.append(time.perf_counter() - t0)
                if len(out["messages"]) != t + 1:
                    raise AssertionError(f"session {sid} turn {t}: {out}")

    gc.collect()
    t0 = time.perf_counter()
    c0 = time.process_time()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - t0
    cpu = time.process_time() - c0
    stats = graph.statistics()
    await graph.aclose()
    latencies.sort()
    n = len(latencies)
    return {
        "store": store_kind if store_kind == "memory" else f"sqlite/{writer}",
        "durability": durability,
        "sync_nodes": sync_nodes,
        "sessions": sessions,
        "turns": turns,
        "concurrency": concurrency,
        "turns_per_s": round(n / elapsed),
        # CPU seconds of the whole process (all threads) per turn: steadier than wall time
        # on a shared machine, and what the hot path really costs.
        "cpu_us_per_turn": round(cpu / n * 1e6, 1),
        "p50_ms": round(latencies[n // 2] * 1000, 3),
        "p99_ms": round(latencies[int(n * 0.99)] * 1000, 3),
        "mean_ms": round(statistics.fmean(latencies) * 1000, 3),
        "peak_rss_mb": round(peak_rss_mb(), 1),
        "flushes": stats.flushes,
        "flushed_checkpoints": stats.flushed_checkpoints,
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--sessions", "-S", type=int, default=1000)
    p.add_argument("--turns", "-T", type=int, default=10)
    p.add_argument("--concurrency", "-C", type=int, default=100)
    p.add_argument("--store", choices=["memory", "sqlite", "both"], default="both")
    p.add_argument(
        "--durability",
        choices=["async", "sync", "exit", "both", "all"],
        default="both",
        help="both: async and sync; all: async, sync and exit",
    )
    p.add_argument("--repeat", type=int, default=1, help="runs per config; the median is shown")
    p.add_argument(
        "--writer",
        choices=["thread", "loop"],
        default="loop",
        help="SqliteStore(writer=...): commits on a writer thread or on the event loop",
    )
    p.add_argument(
        "--sync-nodes",
        choices=["auto", "inline", "thread"],
        default="auto",
        help="compile(sync_nodes=...): 'thread' runs the tutorial's sync node in worker "
        "threads, as LangGraph does, to measure what that costs",
    )
    p.add_argument("--json", action="store_true", help="print only JSON lines")
    args = p.parse_args(argv)
    stores = ["memory", "sqlite"] if args.store == "both" else [args.store]
    modes = {"both": ["async", "sync"], "all": ["async", "sync", "exit"]}.get(
        args.durability, [args.durability]
    )
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for store in stores:
            for mode in modes:
                runs = []
                for i in range(args.repeat):
                    path = os.path.join(tmp, f"bench-{store}-{mode}-{i}.db")
                    runs.append(
                        asyncio.run(
                            run_one(
                                store,
                                mode,
                                args.sessions,
                                args.turns,
                                args.concurrency,
                                path,
                                args.writer,
                                args.sync_nodes,
                            )
                        )
                    )
                runs.sort(key=lambda r: r["turns_per_s"])
                best = runs[len(runs) // 2]
                results.append(best)
                print(json.dumps(best), flush=True)
    if not args.json:
        py = sys.version.split()[0]
        print(f"\nS={args.sessions} T={args.turns} C={args.concurrency} (python {py})")
        head = f"{'store':13} {'durability':10} {'turns/s':>9} {'p50 ms':>8} {'p99 ms':>8}"
        print(f"{head} {'RSS MB':>7} {'CPU us/turn':>12}")
        for r in results:
            print(
                f"{r['store']:13} {r['durability']:10} {r['turns_per_s']:>9} "
                f"{r['p50_ms']:>8} {r['p99_ms']:>8} {r['peak_rss_mb']:>7} "
                f"{r['cpu_us_per_turn']:>12}"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
