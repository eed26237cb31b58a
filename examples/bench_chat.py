"""Benchmark: a chat workload with LangChain messages, here and through LangGraph, in one run.

Each turn's input carries a ``HumanMessage`` and the node answers with an ``AIMessage``
(with usage and response metadata, as a model's reply has); ``add_messages`` appends both,
so T=10 turns make a 20-message conversation. S sessions, C of them in flight, each running
its turns one after another. Then the codec alone: encoding and decoding one 20-message
conversation here and with LangGraph's own serializer (``JsonPlusSerializer``).

    pip install -e '.[test]'        # LangGraph and langchain-core (test-only dependencies)
    python examples/bench_chat.py                     # S=1000 T=10 C=100, every runtime
    python examples/bench_chat.py -S 200 --only ours  # this project's rows only
"""

import argparse
import asyncio
import gc
import json
import os
import tempfile
import time
import timeit
from collections.abc import Callable
from typing import Annotated, Any, TypedDict

from langchain_core.messages import AIMessage, AnyMessage, HumanMessage

TEXT = ("All work and no play makes Jack a dull boy. " * 5)[:200]


def question(sid: int, turn: int) -> HumanMessage:
    return HumanMessage(f"{sid}/{turn} {TEXT}")


def answer(n: int) -> AIMessage:
    return AIMessage(
        f"{n} {TEXT[::-1]}",
        response_metadata={"model_name": "fake-1", "finish_reason": "stop"},
        usage_metadata={"input_tokens": 10 * n, "output_tokens": 50, "total_tokens": 10 * n + 50},
    )


def build(lib: str, checkpointer: Any, **options: Any) -> Any:
    if lib == "ours":
        from runtime import END, START, StateGraph, add_messages
    else:
        from langgraph.graph import END, START, StateGraph
        from langgraph.graph.message import add_messages

    class State(TypedDict):
        messages: Annotated[list[AnyMessage], add_messages]

    async def chatbot(state: State) -> dict[str, Any]:
        return {"messages": [answer(len(state["messages"]))]}

    builder: Any = StateGraph(State)
    builder.add_node("chatbot", chatbot)
    builder.add_edge(START, "chatbot")
    builder.add_edge("chatbot", END)
    return builder.compile(checkpointer=checkpointer, **options)


async def drive(graph: Any, sessions: int, turns: int, concurrency: int) -> dict[str, Any]:
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
                out = await graph.ainvoke({"messages": [question(sid, t)]}, config)
                latencies.append(time.perf_counter() - t0)
                if len(out["messages"]) != 2 * (t + 1):
                    raise AssertionError(f"session {sid} turn {t}: {len(out['messages'])}")

    gc.collect()
    t0, c0 = time.perf_counter(), time.process_time()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
    latencies.sort()
    n = len(latencies)
    return {
        "turns_per_s": round(n / elapsed),
        "cpu_us_per_turn": round(cpu / n * 1e6, 1),
        "p50_ms": round(latencies[n // 2] * 1000, 3),
        "p99_ms": round(latencies[int(n * 0.99)] * 1000, 3),
    }


async def run_ours(store: str, durability: str, args: Any, path: str) -> dict[str, Any]:
    from stores import MemoryStore, SqliteStore

    saver = MemoryStore() if store == "memory" else SqliteStore(path)
    async with build("ours", saver, durability=durability) as graph:
        result = await drive(graph, args.sessions, args.turns, args.concurrency)
    return {"runtime": f"session-actors {store} {durability}", **result}


async def run_langgraph(store: str, args: Any, path: str) -> dict[str, Any]:
    if store == "memory":
        from langgraph.checkpoint.memory import InMemorySaver

        result = await drive(
            build("langgraph", InMemorySaver()), args.sessions, args.turns, args.concurrency
        )
    else:
        from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

        async with AsyncSqliteSaver.from_conn_string(path) as saver:
            result = await drive(
                build("langgraph", saver), args.sessions, args.turns, args.concurrency
            )
    name = "InMemorySaver" if store == "memory" else "AsyncSqliteSaver"
    return {"runtime": f"LangGraph {name}", **result}


def codec_rows() -> list[dict[str, Any]]:
    """One 20-message conversation (as a turn's state holds it), encoded and decoded."""
    from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer

    from stores import codec

    conversation = {"messages": []}
    for t in range(10):
        conversation["messages"] += [question(0, t), answer(2 * t + 1)]
    for i, m in enumerate(conversation["messages"]):
        m.id = f"id-{i}"
    serde = JsonPlusSerializer()
    ours = codec.encode(conversation)
    theirs = serde.dumps_typed(conversation)
    assert codec.decode(ours) == conversation
    assert serde.loads_typed(theirs) == conversation

    def per_call(fn: Callable[[], Any]) -> float:
        number = 2000
        return min(timeit.repeat(fn, number=number, repeat=5)) / number * 1e6

    return [
        {
            "codec": "session-actors",
            "bytes": len(ours),
            "encode_us": round(per_call(lambda: codec.encode(conversation)), 1),
            "decode_us": round(per_call(lambda: codec.decode(ours)), 1),
        },
        {
            "codec": "LangGraph JsonPlusSerializer",
            "bytes": len(theirs[1]),
            "encode_us": round(per_call(lambda: serde.dumps_typed(conversation)), 1),
            "decode_us": round(per_call(lambda: serde.loads_typed(theirs)), 1),
        },
    ]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--sessions", "-S", type=int, default=1000)
    p.add_argument("--turns", "-T", type=int, default=10)
    p.add_argument("--concurrency", "-C", type=int, default=100)
    p.add_argument("--only", choices=["ours", "langgraph", "codec"], default=None)
    args = p.parse_args(argv)
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        jobs: list[Callable[[str], Any]] = []
        if args.only in (None, "ours"):
            jobs += [
                lambda path: run_ours("memory", "async", args, path),
                lambda path: run_ours("sqlite", "async", args, path),
                lambda path: run_ours("sqlite", "sync", args, path),
            ]
        if args.only in (None, "langgraph"):
            jobs += [
                lambda path: run_langgraph("memory", args, path),
                lambda path: run_langgraph("sqlite", args, path),
            ]
        for i, job in enumerate(jobs):
            row = asyncio.run(job(os.path.join(tmp, f"chat-{i}.db")))
            rows.append(row)
            print(json.dumps(row), flush=True)
    print(f"\nS={args.sessions} T={args.turns} C={args.concurrency}, LangChain messages")
    print(f"{'runtime':34} {'turns/s':>8} {'CPU us/turn':>12} {'p50 ms':>8} {'p99 ms':>8}")
    for r in rows:
        print(
            f"{r['runtime']:34} {r['turns_per_s']:>8} {r['cpu_us_per_turn']:>12} "
            f"{r['p50_ms']:>8} {r['p99_ms']:>8}"
        )
    if args.only in (None, "codec"):
        print(f"\n{'codec, 20 messages':30} {'bytes':>7} {'encode us':>10} {'decode us':>10}")
        for c in codec_rows():
            print(f"{c['codec']:30} {c['bytes']:>7} {c['encode_us']:>10} {c['decode_us']:>10}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
