"""Fixtures: the example server, started for real with uvicorn on 127.0.0.1."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

import pytest

from examples.server import create_app, tutorial_graph
from stores import MemoryStore, SqliteStore, StoreUnavailableError

from .harness import Gate, lab_graph, serve_in_thread


class FlakyStore(MemoryStore):
    """A memory store whose thread reads fail while ``down`` is set."""

    down = False

    async def get_thread(self, thread_id: str) -> Any:
        if self.down:
            raise StoreUnavailableError("the store is down (test)")
        return await super().get_thread(thread_id)


class Disconnects:
    """ASGI middleware that notes each ``http.disconnect`` the app receives."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.seen = threading.Event()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        async def spy() -> Any:
            message = await receive()
            if message["type"] == "http.disconnect":
                self.seen.set()
            return message

        await self.app(scope, spy, send)


class Lab(NamedTuple):
    url: str
    gate: Gate
    flaky: FlakyStore
    disconnects: Disconnects
    db: Path


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "server.db"


@pytest.fixture
def server(db: Path) -> Iterator[str]:
    """The example app over ``db``: the tutorial graph as the default assistant."""
    with serve_in_thread(create_app(tutorial_graph(str(db)))) as url:
        yield url


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[Lab]:
    """Three graphs: ``agent`` (tutorial), ``lab`` (gate, mailbox_size=1), ``flaky``."""
    gate = Gate()
    flaky = FlakyStore()
    graphs = {
        "agent": tutorial_graph(str(tmp_path / "agent.db")),
        "lab": lab_graph(gate, SqliteStore(tmp_path / "lab.db"), mailbox_size=1),
        "flaky": lab_graph(Gate(), flaky),
    }
    app = Disconnects(create_app(graphs))
    with serve_in_thread(app) as url:
        try:
            yield Lab(url, gate, flaky, app, tmp_path / "lab.db")
        finally:
            gate.release.set()  # never leave a held turn behind (shutdown would wait)
