"""What one ``add_messages`` merge costs as a conversation grows: ours beside LangGraph's.

A turn's merge takes the reducer's own previous result (every message already has an id) and
appends one message, either without an id (a node's ``("assistant", text)``) or with one (a chat
model's ``AIMessage`` carries its run id). Three implementations on the same data:

* ``dicts``: this project's reducer without langchain (messages stay dicts; the code
  ``add_messages`` had before messages became LangChain objects);
* ``objects``: this project's reducer with langchain-core (message objects, LangGraph's results);
* ``langgraph``: ``langgraph.graph.message.add_messages`` (needs the test extras).

    python examples/bench_messages.py                # 10, 100, 1000 and 10000 messages
    python examples/bench_messages.py --sizes 1000 --repeat 2000

Prints microseconds per merge (best of 5 runs of ``--repeat`` merges).
"""

from __future__ import annotations

import argparse
import timeit
from collections.abc import Callable
from typing import Any

from langchain_core.messages import AIMessage, HumanMessage

from runtime.graph import _lc_messages, _plain_messages

Merge = Callable[[Any, Any], Any]


def implementations() -> dict[str, tuple[Merge, bool]]:
    """name -> (merge function, whether it takes message objects)."""
    out: dict[str, tuple[Merge, bool]] = {
        "dicts": (_plain_messages.merge, False),
        "objects": (_lc_messages.merge, True),
    }
    try:
        from langgraph.graph.message import add_messages
    except ImportError:
        pass
    else:
        out["langgraph"] = (add_messages, True)
    return out


def conversation(n: int, objects: bool) -> list[Any]:
    if objects:
        return [
            (HumanMessage if i % 2 == 0 else AIMessage)(content=f"message {i}", id=f"m{i}")
            for i in range(n)
        ]
    roles = ("user", "assistant")
    return [{"role": roles[i % 2], "content": f"message {i}", "id": f"m{i}"} for i in range(n)]


def update(objects: bool, with_id: bool) -> Any:
    """A fresh one-message update (the reducer may set an id on it, so one per merge)."""
    if objects:
        return [AIMessage(content="reply", id="run-1" if with_id else None)]
    message = {"role": "assistant", "content": "reply"}
    return [{**message, "id": "run-1"} if with_id else message]


def per_merge_us(merge: Merge, objects: bool, n: int, with_id: bool, repeat: int) -> float:
    left = merge([], conversation(n, objects))  # the reducer's own result, as in a graph
    updates = [update(objects, with_id) for _ in range(repeat)]
    it = iter(updates * 5)
    best = min(timeit.repeat(lambda: merge(left, next(it)), number=repeat, repeat=5))
    return best / repeat * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 100, 1000, 10000])
    parser.add_argument("--repeat", type=int, default=1000)
    args = parser.parse_args()
    impls = implementations()
    print(f"{'messages':>8} {'update':>12} " + " ".join(f"{name:>10}" for name in impls))
    for n in args.sizes:
        for with_id in (False, True):
            cells = [
                per_merge_us(merge, objects, n, with_id, args.repeat)
                for merge, objects in impls.values()
            ]
            label = "with id" if with_id else "without id"
            print(f"{n:>8} {label:>12} " + " ".join(f"{c:>8.1f}us" for c in cells))


if __name__ == "__main__":
    main()
