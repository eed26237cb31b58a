"""A real session database made by a short script, and a way to run the CLI on it."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from examples.server import tutorial_graph
from stores import SqliteStore
from stores.records import CheckpointRow, ThreadRow
from tests.server.harness import ROOT, Gate, lab_graph


def cfg(tid: str) -> dict[str, Any]:
    return {"configurable": {"thread_id": tid}}


async def make_db(path: Path) -> None:
    """Threads t0..t2 (t<i> has i+1 turns, metadata user=u<i>) and ``ask``, paused."""
    graph = tutorial_graph(str(path))
    async with graph:
        for i in range(3):
            tid = f"t{i}"
            await graph.acreate_thread(tid, metadata={"user": f"u{i}"}, values={"messages": []})
            for _ in range(i + 1):
                await graph.ainvoke({}, cfg(tid))
    lab = lab_graph(Gate(), SqliteStore(path))
    async with lab:
        await lab.ainvoke({"log": ["ask"]}, cfg("ask"))


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "cli.db"
    asyncio.run(make_db(path))
    return path


def cli(
    *args: str | Path, stdin: bytes | None = None, check: bool = True
) -> subprocess.CompletedProcess[bytes]:
    """``python -m runtime ARGS`` in a subprocess, from the repository root."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "200"}
    proc = subprocess.run(
        [sys.executable, "-m", "runtime", *map(str, args)],
        input=stdin,
        capture_output=True,
        cwd=ROOT,
        env=env,
        timeout=60,
    )
    if check and proc.returncode != 0:
        raise AssertionError(
            f"exit {proc.returncode}: {proc.stderr.decode()}\n{proc.stdout.decode()}"
        )
    return proc


def stored(path: Path, tid: str) -> tuple[ThreadRow | None, list[CheckpointRow]]:
    """A thread's row and its checkpoint rows exactly as the store holds them."""

    async def read() -> tuple[ThreadRow | None, list[CheckpointRow]]:
        store = SqliteStore(path)
        await store.open()
        try:
            return await store.get_thread(tid), await store.list_checkpoints(tid, ascending=True)
        finally:
            await store.close()

    return asyncio.run(read())


def threads(path: Path) -> list[ThreadRow]:
    async def read() -> list[ThreadRow]:
        store = SqliteStore(path)
        await store.open()
        try:
            return await store.list_threads()
        finally:
            await store.close()

    return asyncio.run(read())
