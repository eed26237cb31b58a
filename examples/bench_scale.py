"""Sessions at scale: many more sessions than resident actors, on SQLite.

    python examples/bench_scale.py                 # S=100000 T=3 C=1000 max_active=10000
    python examples/bench_scale.py -S 20000        # quicker

Prints, as JSON lines: the run (turns/s, latency p50/p99, peak RSS, RSS sampled as sessions
grow past max_active, evictions, rehydrations); the resident memory of an idle session
beyond its state (tracemalloc over 10 000 resident actors); and rehydration latency p50/p99
from the file the run left (a fresh runtime, so every read goes to SQLite).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import resource
import sys
import tempfile
import time
import tracemalloc
from array import array

sys.path.insert(0, os.path.dirname(__file__))
from bench import build

from stores import SqliteStore


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


async def run(path: str, sessions: int, turns: int, concurrency: int, max_active: int) -> dict:
    graph = build(SqliteStore(path), max_active=max_active)
    # Latencies in a buffer allocated up front: a growing list of floats (32 bytes a turn)
    # would itself make RSS climb as sessions grow, hiding whether the runtime's does.
    lat = array("d", bytes(8 * sessions * turns))
    done = 0
    samples: dict[int, float] = {}
    marks = {sessions * k // 10 for k in range(1, 11)}
    nxt = 0
    async with graph:

        async def worker() -> None:
            nonlocal nxt, done
            while nxt < sessions:
                sid, nxt = nxt, nxt + 1
                config = {"configurable": {"thread_id": f"s{sid}"}}
                for t in range(turns):
                    t0 = time.perf_counter()
                    await graph.ainvoke({"messages": []} if t == 0 else {}, config)
                    lat[done] = time.perf_counter() - t0
                    done += 1
                if sid + 1 in marks:
                    samples[sid + 1] = round(rss_mb(), 1)

        t0 = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - t0
        stats = graph.statistics()
    n = done
    lat = array("d", sorted(lat[:n]))
    return {
        "bench": "run",
        "sessions": sessions,
        "turns": turns,
        "concurrency": concurrency,
        "max_active": max_active,
        "turns_per_s": round(n / elapsed),
        "p50_ms": round(lat[n // 2] * 1000, 2),
        "p99_ms": round(lat[int(n * 0.99)] * 1000, 2),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "rss_mb_by_sessions": dict(sorted(samples.items())),
        "evictions": stats.evictions,
        "rehydrations": stats.rehydrations,
        "active_at_end": stats.active,
    }


async def idle_overhead(tmp: str, n: int = 10_000) -> dict:
    """Bytes held per resident idle session, beyond the bytes of its state."""
    now = [0.0]  # an injected clock: the sessions become idle without waiting
    # SQLite, not the memory store: its rows leave Python's heap once written, so what
    # tracemalloc sees is what the resident sessions hold
    store = SqliteStore(os.path.join(tmp, "idle.db"))
    graph = build(store, max_active=n + 1, idle_timeout=3600, clock=lambda: now[0])
    async with graph:
        await graph.ainvoke({"messages": []}, {"configurable": {"thread_id": "warm"}})
        await graph.aflush()
        tracemalloc.start()
        before = tracemalloc.take_snapshot()
        for i in range(n):  # configs made and dropped: the caller's memory is not counted
            await graph.ainvoke({"messages": []}, {"configurable": {"thread_id": f"i{i}"}})
        await graph.aflush()
        # idle for a minute: the sweeper parks them (their tasks end); see PARK_AFTER
        now[0] = 60.0
        tasks = [a.task for a in graph.supervisor._actors.values() if a.task is not None]
        graph.supervisor.sweep()
        await asyncio.gather(*tasks)
        del tasks
        await asyncio.sleep(0)  # one loop turn drops the ended tasks' last callbacks
        after = tracemalloc.take_snapshot()
        tracemalloc.stop()
        stats = after.compare_to(before, "filename")
        total = sum(s.size_diff for s in stats)
        # the state itself: the values dict and its one message, as Python objects
        state = {"messages": ["Hello from the agent"]}
        state_bytes = (
            sys.getsizeof(state)
            + sys.getsizeof(state["messages"])
            + sys.getsizeof(state["messages"][0])
        )
        per = total / n
        return {
            "bench": "idle_session_memory",
            "sessions": n,
            "resident": graph.statistics().active,
            "bytes_per_session": round(per),
            "state_bytes": state_bytes,
            "bytes_beyond_state": round(per - state_bytes),
        }


async def rehydration(path: str, sessions: int, samples: int = 2000) -> dict:
    graph = build(SqliteStore(path))
    async with graph:
        sup = graph.supervisor
        ids = random.Random(7).sample(range(sessions), min(samples, sessions))
        lat = []
        for i in ids:
            t0 = time.perf_counter()
            head = await sup.load_head(f"s{i}")
            lat.append(time.perf_counter() - t0)
            assert head.seq > 0
    lat.sort()
    n = len(lat)
    return {
        "bench": "rehydration",
        "file_sessions": sessions,
        "samples": n,
        "p50_ms": round(lat[n // 2] * 1000, 3),
        "p99_ms": round(lat[int(n * 0.99)] * 1000, 3),
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("-S", type=int, default=100_000)
    p.add_argument("-T", type=int, default=3)
    p.add_argument("-C", type=int, default=1000)
    p.add_argument("--max-active", type=int, default=10_000)
    a = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "scale.db")
        print(json.dumps(asyncio.run(run(path, a.S, a.T, a.C, a.max_active))), flush=True)
        print(json.dumps(asyncio.run(rehydration(path, a.S))), flush=True)
        print(json.dumps(asyncio.run(idle_overhead(tmp))), flush=True)


if __name__ == "__main__":
    main()
