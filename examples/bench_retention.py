"""What a retention sweep costs, and what it costs the turns running beside it.

    python examples/bench_retention.py                 # S=1000 threads x T=20 turns, keep 10
    python examples/bench_retention.py -S 200 -T 50 --keep-last 5

Builds S tutorial threads of T turns on SQLite, then sweeps them with
``Retention(keep_last=N)`` while C other threads keep taking turns, and prints: the sweep's
wall time, how long each thread was held (its own turns wait that long), the bytes before and
after, and the latency of the concurrent turns with and without the sweep beside them.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from examples.server import tutorial_graph
from runtime import Retention


def cfg(tid: str) -> dict[str, Any]:
    return {"configurable": {"thread_id": tid}}


def pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(p * len(xs)))] * 1000


async def count_rows(graph: Any) -> int:
    store = graph.checkpointer
    threads = await store.list_threads()
    ids = [t.thread_id for t in threads if t.thread_id.startswith("t")]
    return sum([len(await store.list_checkpoints(tid)) for tid in ids])


async def turns_beside(graph: Any, stop: asyncio.Event, lat: list[float], c: int) -> None:
    async def one(i: int) -> None:
        n = 0
        while not stop.is_set():
            t0 = time.perf_counter()
            await graph.ainvoke({"messages": []} if n == 0 else {}, cfg(f"live{i}"))
            lat.append(time.perf_counter() - t0)
            n += 1

    await asyncio.gather(*(one(i) for i in range(c)))


async def main(args: argparse.Namespace) -> None:
    path = Path(tempfile.mkdtemp()) / "retention.db"
    graph = tutorial_graph(str(path), retention=Retention(keep_last=args.keep_last))
    holds: list[float] = []
    sup = graph.supervisor
    plain_hold = sup.hold

    @contextlib.asynccontextmanager
    async def timed_hold(tid: str, **kw: Any) -> AsyncIterator[Any]:
        async with plain_hold(tid, **kw) as held:
            t0 = time.perf_counter()
            yield held
            if held.held:
                holds.append(time.perf_counter() - t0)

    sup.hold = timed_hold  # type: ignore[method-assign]
    async with graph:
        for i in range(0, args.sessions, 100):

            async def chat(tid: str) -> None:
                await graph.ainvoke({"messages": []}, cfg(tid))
                for _ in range(args.turns - 1):
                    await graph.ainvoke({}, cfg(tid))

            await asyncio.gather(*(chat(f"t{j}") for j in range(i, min(i + 100, args.sessions))))
        await graph.aflush()
        rows_before = await count_rows(graph)

        baseline: list[float] = []
        stop = asyncio.Event()
        load = asyncio.ensure_future(turns_beside(graph, stop, baseline, args.concurrency))
        if args.concurrency:
            await asyncio.sleep(args.window)
        stop.set()
        await load

        beside: list[float] = []
        stop = asyncio.Event()
        load = asyncio.ensure_future(turns_beside(graph, stop, beside, args.concurrency))
        t0 = time.perf_counter()
        result = await graph.asweep()
        took = time.perf_counter() - t0
        stop.set()
        await load
        await graph.aflush()
        rows_after = await count_rows(graph)
    print(f"{args.sessions} threads x {args.turns} turns ({3 * args.turns} checkpoints each)")
    print(f"sweep keep_last={args.keep_last}: {result}")
    print(f"  wall {took:.2f} s, {took / max(result.threads_pruned, 1) * 1000:.2f} ms/thread")
    print(
        f"  held per thread: median {statistics.median(holds) * 1000:.2f} ms, "
        f"p99 {pct(holds, 0.99):.2f} ms, max {max(holds) * 1000:.2f} ms"
    )
    print(f"  checkpoint rows of the S threads: {rows_before} before, {rows_after} after")
    for name, lat in (("without sweep", baseline), ("beside the sweep", beside)):
        if not lat:
            continue
        print(
            f"  {args.concurrency} other threads' turns {name}: {len(lat)} turns, "
            f"p50 {pct(lat, 0.5):.2f} ms, p99 {pct(lat, 0.99):.2f} ms, max {max(lat) * 1000:.1f} ms"
        )


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("-S", "--sessions", type=int, default=1000)
    p.add_argument("-T", "--turns", type=int, default=20)
    p.add_argument("-C", "--concurrency", type=int, default=20)
    p.add_argument("--keep-last", type=int, default=10)
    p.add_argument("--window", type=float, default=2.0, help="seconds of baseline load")
    asyncio.run(main(p.parse_args()))
