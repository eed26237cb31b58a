"""Bytes stored per turn as a conversation grows, beside LangGraph's SqliteSaver.

Each turn adds two ~200-character messages (the user's and the agent's), in two shapes:

* ``add_messages``: the input carries the user's message, the node returns the agent's, and
  the ``add_messages`` reducer appends both;
* ``langchain``: the same with LangChain messages (a ``HumanMessage`` in, an ``AIMessage``
  with usage and response metadata out, as a chat model's reply has; needs langchain-core);
* ``tutorial``: no reducer; the node appends both messages to the list it was given and
  returns the whole list (the LangGraph session tutorial's pattern).

    python examples/bench_bytes.py                  # 10, 100 and 500 turns, ours and LangGraph's
    python examples/bench_bytes.py --turns 10 50 --no-langgraph --shapes langchain

LangGraph is a test-only dependency (``pip install -e '.[test]'``). Prints one JSON line per
row and a table: the file size once closed, the checkpoint payload bytes, and the bytes and
CPU time per turn of the second half of the conversation (flat: storage and work per turn do
not grow with the conversation; snapshots are amortized over it).
"""

import argparse
import json
import os
import sqlite3
import tempfile
import time
from collections.abc import Callable
from typing import Annotated, Any, TypedDict

TEXT = ("All work and no play makes Jack a dull boy. " * 5)[:200]


def user(i: int) -> dict[str, str]:
    return {"role": "user", "content": f"{i:05d} {TEXT}"[:200]}


def reply(i: int) -> dict[str, str]:
    return {"role": "assistant", "content": f"{i:05d} {TEXT[::-1]}"[:200]}


def ai_reply(i: int) -> Any:
    from langchain_core.messages import AIMessage

    return AIMessage(
        reply(i)["content"],
        response_metadata={"model_name": "fake-1", "finish_reason": "stop"},
        usage_metadata={"input_tokens": 10 * i, "output_tokens": 50, "total_tokens": 10 * i + 50},
    )


def build(lib: str, shape: str, checkpointer: Any) -> Any:
    if lib == "ours":
        from runtime import END, START, StateGraph, add_messages
    else:
        from langgraph.graph import END, START, StateGraph
        from langgraph.graph.message import add_messages

    if shape == "langchain":

        class LState(TypedDict):
            messages: Annotated[list, add_messages]

        def agent(state: LState) -> dict[str, Any]:  # type: ignore[misc]
            return {"messages": [ai_reply(len(state["messages"]))]}

        builder: Any = StateGraph(LState)
    elif shape == "add_messages":

        class MState(TypedDict):
            messages: Annotated[list, add_messages]

        def agent(state: MState) -> dict[str, Any]:
            return {"messages": [reply(len(state["messages"]))]}

        builder = StateGraph(MState)
    else:

        class TState(TypedDict):
            messages: list

        def agent(state: TState) -> dict[str, Any]:  # type: ignore[misc]
            n = len(state["messages"])
            state["messages"].append(user(n)["content"])
            state["messages"].append(reply(n)["content"])
            return {"messages": state["messages"]}

        builder = StateGraph(TState)
    builder.add_node("agent", agent)
    builder.add_edge(START, "agent")
    builder.add_edge("agent", END)
    return builder.compile(checkpointer=checkpointer)


def turn_input(shape: str, turn: int) -> dict[str, Any]:
    if shape == "langchain":
        from langchain_core.messages import HumanMessage

        return {"messages": [HumanMessage(user(2 * turn)["content"])]}
    if shape == "add_messages":
        return {"messages": [user(2 * turn)]}
    return {"messages": []} if turn == 0 else {}


def file_bytes(path: str) -> int:
    """The database file and its WAL, if any."""
    return sum(os.path.getsize(p) for p in (path, path + "-wal") if os.path.exists(p))


def payload_bytes(lib: str, path: str) -> int:
    db = sqlite3.connect(path)
    if lib == "ours":
        query = "SELECT coalesce(sum(length(payload)), 0) FROM checkpoints"
    else:
        query = (
            "SELECT (SELECT coalesce(sum(length(checkpoint) + length(metadata)), 0) "
            "FROM checkpoints) + (SELECT coalesce(sum(length(value)), 0) FROM writes)"
        )
    try:
        (n,) = db.execute(query).fetchone()
    except sqlite3.OperationalError:  # LangGraph creates its tables on the first write
        n = 0
    db.close()
    return int(n)


def _window(n: int) -> int:
    return n - n // 2


def run(lib: str, shape: str, turns: list[int], tmp: str) -> list[dict[str, Any]]:
    path = os.path.join(tmp, f"{lib}-{shape}.db")
    close: Callable[[], None]
    if lib == "ours":
        from stores import SqliteSaver

        graph = build(lib, shape, SqliteSaver(path))
        close = graph.close
    else:
        from langgraph.checkpoint.sqlite import SqliteSaver as LGSaver

        conn = sqlite3.connect(path, check_same_thread=False)
        graph = build(lib, shape, LGSaver(conn))
        close = conn.close
    config = {"configurable": {"thread_id": "chat"}}
    marks = sorted({t for n in turns for t in (n - _window(n), n)})
    sizes: dict[int, int] = {}
    cpu: dict[int, float] = {}
    done = 0
    for mark in marks:
        for t in range(done, mark):
            graph.invoke(turn_input(shape, t), config)
        done = mark
        if lib == "ours":
            graph.flush()
        sizes[mark] = payload_bytes(lib, path)
        cpu[mark] = time.process_time()
    messages = len(graph.get_state(config).values["messages"])
    close()
    rows = []
    for n in turns:
        p, p0 = sizes[n], sizes[n - _window(n)]
        rows.append(
            {
                "lib": "session-actors" if lib == "ours" else "langgraph",
                "shape": shape,
                "turns": n,
                "messages": 2 * n if n == max(turns) else None,
                # the whole file, once the conversation is over and the store closed
                "file_bytes": file_bytes(path) if n == max(turns) else None,
                "payload_bytes": p,
                "payload_bytes_per_turn_second_half": round((p - p0) / _window(n)),
                # CPU of the whole process (its threads too) per turn over that half
                "cpu_us_per_turn_second_half": round(
                    (cpu[n] - cpu[n - _window(n)]) / _window(n) * 1e6
                ),
            }
        )
    assert messages == 2 * max(turns), (lib, shape, messages)
    return rows


def _kb(n: int | None) -> str:
    return "" if n is None else f"{n / 1024:.0f}"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--turns", type=int, nargs="+", default=[10, 100, 500])
    p.add_argument("--no-langgraph", action="store_true")
    p.add_argument(
        "--shapes",
        nargs="+",
        default=["add_messages", "langchain", "tutorial"],
        choices=["add_messages", "langchain", "tutorial"],
    )
    p.add_argument("--json", action="store_true", help="print only JSON lines")
    args = p.parse_args(argv)
    libs = ["ours"] if args.no_langgraph else ["ours", "langgraph"]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for shape in args.shapes:
            for lib in libs:
                for row in run(lib, shape, sorted(args.turns), tmp):
                    rows.append(row)
                    print(json.dumps(row), flush=True)
    if not args.json:
        print(
            f"\n{'library':15} {'shape':13} {'turns':>6} {'file KB':>9} {'payload KB':>11} "
            f"{'B/turn (2nd half)':>17} {'CPU us/turn':>12}"
        )
        for r in rows:
            print(
                f"{r['lib']:15} {r['shape']:13} {r['turns']:>6} {_kb(r['file_bytes']):>9} "
                f"{r['payload_bytes'] / 1024:>11.0f} {r['payload_bytes_per_turn_second_half']:>17} "
                f"{r['cpu_us_per_turn_second_half']:>12}"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
