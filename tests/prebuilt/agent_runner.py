"""Run one agent program on both sides and record what a user sees.

A program is ``build(side) -> compiled graph`` plus steps: ``("invoke", input, config)``
where ``input`` may be ``fn(side)`` (for ``Command(resume=...)``); the transcript holds each
output (or the exception's class name and text), then the final state and the whole
history of each thread the steps touched, all normalized with one :class:`Norm` per side.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from .helpers import Norm, snapshot_view, thread
from .sides import SIDES, Side

Step = tuple[str, Any, dict[str, Any]]


def invoke(input: Any, tid: str = "1", **config: Any) -> Step:
    return ("invoke", input, thread(tid, **config))


def _resolve(value: Any, side: Side) -> Any:
    return value(side) if callable(value) else value


def transcript(graph: Any, side: Side, steps: list[Step]) -> list[Any]:
    n = Norm()
    out: list[Any] = []
    threads: list[dict[str, Any]] = []
    for kind, input, config in steps:
        assert kind == "invoke"
        if config["configurable"] not in [t["configurable"] for t in threads]:
            threads.append(config)
        try:
            out.append(n(graph.invoke(_resolve(input, side), config)))
        except Exception as exc:
            out.append(("raised", type(exc).__name__, str(exc).split("\n")[0]))
    for cfg in threads:
        cfg = {"configurable": cfg["configurable"]}
        out.append(("state", snapshot_view(graph.get_state(cfg), n)))
        out.append(("history", [snapshot_view(s, n) for s in graph.get_state_history(cfg)]))
    return out


async def atranscript(graph: Any, side: Side, steps: list[Step]) -> list[Any]:
    n = Norm()
    out: list[Any] = []
    for _, input, config in steps:
        try:
            out.append(n(await graph.ainvoke(_resolve(input, side), config)))
        except Exception as exc:
            out.append(("raised", type(exc).__name__, str(exc).split("\n")[0]))
    last = {"configurable": steps[-1][2]["configurable"]}
    out.append(("state", snapshot_view(await graph.aget_state(last), n)))
    return out


def both(build: Callable[[Side], Any], steps: list[Step]) -> tuple[list[Any], list[Any]]:
    """The transcripts of LangGraph's graph and ours, through the sync API."""
    results = []
    for side in SIDES:
        graph = build(side)
        try:
            results.append(transcript(graph, side, steps))
        finally:
            if hasattr(graph, "close"):
                graph.close()
    return results[0], results[1]


def both_async(build: Callable[[Side], Any], steps: list[Step]) -> tuple[list[Any], list[Any]]:
    """The same through the async API (``ainvoke``), each side on a loop of its own."""

    async def run(side: Side) -> list[Any]:
        graph = build(side)
        try:
            return await atranscript(graph, side, steps)
        finally:
            if hasattr(graph, "aclose"):
                await graph.aclose()

    return asyncio.run(run(SIDES[0])), asyncio.run(run(SIDES[1]))
