"""``serve`` ends in bounded time with a hung turn, and says so (issue 12, item 6).

A real ``python -m runtime serve`` subprocess gets SIGTERM while a request's turn hangs in
its node. Waits are upper bounds only: the test reads the server's stderr to learn that
the node is hung.
"""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .hang_app import ENTERED, build
from .harness import ROOT, free_port

DRAIN = 0.5
GRACE = 2.0
#: How late past ``DRAIN + GRACE`` the process may end on a busy machine.
SLACK = 8.0


class Lines:
    """The server's stderr, line by line, read in a thread (the pipe never fills)."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.seen: list[str] = []
        self._q: queue.Queue[str | None] = queue.Queue()
        self._t = threading.Thread(target=self._read, args=(proc,), daemon=True)
        self._t.start()

    def _read(self, proc: subprocess.Popen[str]) -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            self._q.put(line)
        self._q.put(None)

    def wait_for(self, text: str, timeout: float = 30.0) -> None:
        end = time.monotonic() + timeout
        while True:
            try:
                line = self._q.get(timeout=max(0.0, end - time.monotonic()))
            except queue.Empty:
                raise AssertionError(f"never saw {text!r}: {''.join(self.seen)}") from None
            if line is None:
                raise AssertionError(f"exited before {text!r}: {''.join(self.seen)}")
            self.seen.append(line)
            if text in line:
                return

    def rest(self) -> str:
        self._t.join(10)
        while True:
            try:
                line = self._q.get_nowait()
            except queue.Empty:
                return "".join(self.seen)
            if line is not None:
                self.seen.append(line)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], Lines, str, Path]]:
    db = tmp_path / "hang.db"
    port = free_port()
    cmd = [
        sys.executable, "-m", "runtime", "serve", "tests.server.hang_app:build", "--graph",
        "--db", str(db), "--port", str(port),
        "-o", f"drain_timeout={DRAIN}", "-o", f"shutdown_grace={GRACE}",
    ]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        cmd, cwd=ROOT, env=env, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True
    )
    lines = Lines(proc)
    try:
        lines.wait_for("Uvicorn running on")
        yield proc, lines, f"http://127.0.0.1:{port}", db
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)


def post(url: str, body: dict[str, Any], answers: list[Any]) -> None:
    req = urllib.request.Request(
        url, json.dumps(body).encode(), {"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            answers.append((resp.status, json.loads(resp.read())))
    except urllib.error.HTTPError as exc:
        answers.append((exc.code, json.loads(exc.read())))
    except OSError as exc:
        answers.append(exc)


def test_sigterm_with_a_hung_turn_ends_in_time_and_fails_loudly(
    server: tuple[subprocess.Popen[str], Lines, str, Path],
) -> None:
    proc, lines, url, db = server
    answers: list[Any] = []
    body = {"input": {"log": ["hang"]}, "if_not_exists": "create"}
    client = threading.Thread(target=post, args=(f"{url}/threads/t1/runs/wait", body, answers))
    client.start()
    lines.wait_for(ENTERED)
    t0 = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    try:
        code = proc.wait(DRAIN + GRACE + SLACK)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise AssertionError(f"serve did not exit within the bound: {lines.rest()}") from None
    took = time.monotonic() - t0
    log = lines.rest()
    print(f"exited {code} after {took:.2f}s:\n{log}")
    client.join(10)
    assert took < DRAIN + GRACE + SLACK, log
    assert code == 1, log
    assert "the shutdown did not complete" in log, log
    assert "ShutdownIncompleteError" in log and "'t1'" in log and "cancelled" in log, log
    # the hung request was answered, as a refusal, not left to time out
    assert answers and answers[0][0] == 503, answers
    assert answers[0][1]["error"] == "ShuttingDownError", answers
    # what the turn had committed before its node hung was flushed
    graph = build(str(db))
    snap = graph.get_state({"configurable": {"thread_id": "t1"}})
    assert snap.values == {"log": ["hang"]} and snap.next == ("work",)
    graph.close()
