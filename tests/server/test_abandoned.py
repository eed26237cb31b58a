"""A client that disconnects while its turn is still queued has that turn skipped.

The first turn holds the thread's actor at a gate (its node waits on an event the test
sets); a second client's turn queues behind it and that client goes away. Only once the
server has finished with the abandoned request (``Finished`` below) is the gate opened,
so whether the queued turn runs is decided by the server alone, not by timing.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from runtime.cli.asgi import create_app
from stores import SqliteStore

from .harness import Gate, lab_graph, serve_in_thread

JSON_TYPE = {"content-type": "application/json"}


class Finished:
    """ASGI middleware: notes the path of every request the app has finished with."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.paths: list[str] = []
        self.cond = threading.Condition()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        try:
            await self.app(scope, receive, send)
        finally:
            if scope["type"] == "http":
                with self.cond:
                    self.paths.append(scope["path"])
                    self.cond.notify_all()

    def wait(self, path: str, count: int = 1) -> None:
        with self.cond:
            if not self.cond.wait_for(lambda: self.paths.count(path) >= count, 10):
                raise AssertionError(f"{path} never finished: {self.paths}")


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Gate, Finished]]:
    gate = Gate()
    app = Finished(create_app(lab_graph(gate, SqliteStore(tmp_path / "lab.db"))))
    with serve_in_thread(app) as url:
        try:
            yield url, gate, app
        finally:
            gate.release.set()


async def queued(client: httpx.AsyncClient, count: int) -> None:
    """Returns once ``count`` turns wait in the lab graph's mailbox."""
    for _ in range(1000):
        stats = (await client.get("/stats")).json()
        if stats["graphs"]["agent"]["queued"] == count:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"never {count} queued: {stats}")


@pytest.mark.parametrize("endpoint", ["wait", "stream"])
async def test_a_queued_turn_whose_client_left_is_skipped(
    served: tuple[str, Gate, Finished], endpoint: str
) -> None:
    url, gate, finished = served
    async with httpx.AsyncClient(base_url=url, headers=JSON_TYPE, timeout=20) as client:
        await client.post("/threads", json={"thread_id": "t"})
        held = asyncio.ensure_future(
            client.post("/threads/t/runs/wait", json={"input": {"log": ["hold"]}})
        )
        await asyncio.to_thread(gate.wait_entered)
        # a second client: its turn queues behind the held one, then it goes away
        leaver = httpx.AsyncClient(base_url=url, headers=JSON_TYPE, timeout=20)
        path = f"/threads/t/runs/{endpoint}"
        abandoned = asyncio.ensure_future(leaver.post(path, json={"input": {"log": ["gone"]}}))
        await queued(client, 1)
        abandoned.cancel()
        await asyncio.gather(abandoned, return_exceptions=True)
        await leaver.aclose()
        await asyncio.to_thread(finished.wait, path)  # the server is done with it
        gate.release.set()
        assert (await held).json() == {"log": ["hold", "done"]}
        r = await client.post("/threads/t/runs/wait", json={"input": {"log": ["next"]}})
        assert r.json() == {"log": ["hold", "done", "next", "done"]}
        history = (await client.get("/threads/t/history", params={"limit": 50})).json()
        assert all("gone" not in h["values"].get("log", []) for h in history)
        assert (await client.get("/stats")).json()["graphs"]["agent"]["queued"] == 0


async def test_a_client_that_stays_gets_its_queued_turn(
    served: tuple[str, Gate, Finished],
) -> None:
    """The control: the same sequence without the disconnect runs the queued turn."""
    url, gate, _ = served
    async with httpx.AsyncClient(base_url=url, headers=JSON_TYPE, timeout=20) as client:
        await client.post("/threads", json={"thread_id": "t"})
        held = asyncio.ensure_future(
            client.post("/threads/t/runs/wait", json={"input": {"log": ["hold"]}})
        )
        await asyncio.to_thread(gate.wait_entered)
        waiting = asyncio.ensure_future(
            client.post("/threads/t/runs/wait", json={"input": {"log": ["stay"]}})
        )
        await queued(client, 1)
        gate.release.set()
        await held
        assert (await waiting).json() == {"log": ["hold", "done", "stay", "done"]}
