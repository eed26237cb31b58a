"""A long, silent turn's stream carries SSE comments (heartbeats) and then its events."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from examples.server import create_app
from stores import MemoryStore

from .harness import Gate, lab_graph, serve_in_thread


async def test_a_held_stream_sends_pings_then_its_events() -> None:
    gate = Gate()
    app = create_app({"lab": lab_graph(gate, MemoryStore())}, heartbeat=0.02)
    with serve_in_thread(app) as url:
        async with httpx.AsyncClient(base_url=url, timeout=10) as client:
            body = {"input": {"log": ["hold"]}, "stream_mode": "values", "if_not_exists": "create"}
            async with client.stream("POST", "/threads/h/runs/stream", json=body) as response:
                assert response.status_code == 200
                lines = response.aiter_lines()
                seen: list[str] = []
                # the turn is held in its node: nothing but pings can come until we release
                while seen.count(": ping") < 2:
                    seen.append(await anext(lines))
                assert "event: end" not in seen
                await asyncio.to_thread(gate.wait_entered)
                gate.release.set()
                rest = [line async for line in lines]
    events = [line for line in seen + rest if line.startswith("event: ")]
    assert events[0] == "event: metadata" and events[-1] == "event: end"
    assert "event: values" in events and "event: error" not in events


def test_heartbeat_must_be_positive() -> None:
    with pytest.raises(ValueError, match="heartbeat"):
        create_app({"lab": lab_graph(Gate(), MemoryStore())}, heartbeat=0)
