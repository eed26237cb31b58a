"""Fixtures shared by the store tests: every backend, opened, plus row builders."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from stores import MemoryStore, SqliteStore, Store

BACKENDS = ["memory", "sqlite", "sqlite-loop"]


def make_store(kind: str, tmp_path: Path) -> Store:
    if kind == "memory":
        return MemoryStore()
    return SqliteStore(tmp_path / "store.db", writer="loop" if kind == "sqlite-loop" else "thread")


@pytest.fixture(params=BACKENDS)
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    s = make_store(request.param, tmp_path)
    await s.open()
    try:
        yield s
    finally:
        await s.close()
