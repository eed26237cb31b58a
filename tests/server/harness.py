"""Running the example server for real: uvicorn on 127.0.0.1, in a thread or a subprocess.

Also the "lab" graph the error tests need: one async node that can be held at a barrier
(the test decides when it goes on), asked to return something unserializable, or to
``interrupt()``.
"""

from __future__ import annotations

import asyncio
import operator
import os
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, TypedDict

import uvicorn

from runtime import END, START, CompiledGraph, StateGraph, get_stream_writer, interrupt

ROOT = Path(__file__).resolve().parents[2]


class _Server(uvicorn.Server):
    """A uvicorn server that says when it listens."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.ready = threading.Event()

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        self.ready.set()


@contextmanager
def serve_in_thread(app: Any) -> Iterator[str]:
    """Serve ``app`` on a free 127.0.0.1 port in a background thread; yields its URL.

    On exit the server shuts down as on SIGTERM: the app's lifespan closes its graphs.
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", lifespan="on", timeout_graceful_shutdown=5)
    server = _Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        if not server.ready.wait(15):
            raise RuntimeError("the server did not start")
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(15)
        sock.close()
        if thread.is_alive():
            raise RuntimeError("the server did not stop")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serve_in_subprocess(db: Path, app: str = "examples.server:app", *extra: str) -> Iterator[str]:
    """``python -m runtime serve APP --db DB [EXTRA]``; yields its URL once it listens."""
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    cmd = [sys.executable, "-m", "runtime", "serve", app, "--port", str(port), "--db", str(db)]
    cmd += extra
    proc = subprocess.Popen(
        cmd, cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True, stdout=subprocess.DEVNULL
    )
    seen: list[str] = []
    drain: threading.Thread | None = None
    try:
        assert proc.stderr is not None
        for line in proc.stderr:  # uvicorn logs to stderr; readiness is its "running" line
            seen.append(line)
            if "Uvicorn running on" in line:
                break
        else:
            raise RuntimeError(f"the server exited: {''.join(seen)}")
        drain = threading.Thread(target=seen.extend, args=(proc.stderr,), daemon=True)
        drain.start()  # keep the pipe drained, keep the lines
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()  # SIGTERM: uvicorn runs the lifespan shutdown (flush)
        try:
            code = proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
        if drain is not None:
            drain.join(5)
        log = "".join(seen)
        # uvicorn re-raises the signal once it has shut down: -SIGTERM is a clean exit
        assert code in (0, -signal.SIGTERM), f"server exit code {code}: {log}"
        assert "Application shutdown complete" in log, log


# -- the lab graph ---------------------------------------------------------------------
class Gate:
    """A barrier the test controls: a held turn waits in its node until ``release``."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.release = threading.Event()

    def wait_entered(self) -> None:
        if not self.entered.wait(10):
            raise AssertionError("the held turn never reached its node")


class Lab(TypedDict, total=False):
    log: Annotated[list, operator.add]
    obj: Any


def lab_graph(gate: Gate, checkpointer: Any, **options: Any) -> CompiledGraph:
    """``{"log": [cmd]}`` runs one turn; ``cmd``: ``hold`` waits at the gate, ``poison``
    returns an unserializable value, ``ask`` interrupts; anything else logs ``done``."""

    async def work(state: Lab) -> dict[str, Any]:
        log = state.get("log") or []
        cmd = log[-1] if log else None
        get_stream_writer()({"working_on": cmd})
        if cmd == "hold":
            gate.entered.set()
            await asyncio.to_thread(gate.release.wait, 10)
        elif cmd == "poison":
            return {"obj": object()}
        elif cmd == "ask":
            name = interrupt({"question": "name?"})
            return {"log": [f"hi {name}"]}
        return {"log": ["done"]}

    builder = StateGraph(Lab)
    builder.add_node("work", work)
    builder.add_edge(START, "work")
    builder.add_edge("work", END)
    graph: CompiledGraph = builder.compile(checkpointer=checkpointer, **options)
    return graph
