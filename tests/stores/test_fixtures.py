"""Checked-in fixture databases of every format version still read back as they were written.

Each ``tests/fixtures/v*/sessions.db`` was written by the code of its time
(``tests/fixtures/make_fixtures.py``); its ``expected.py`` says what it read back as. The
current code must read the same from a copy (never the original), and carry on the sessions.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import shutil
import sqlite3
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from runtime import Command

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
if str(FIXTURES) not in sys.path:
    sys.path.insert(0, str(FIXTURES))  # the fixture modules import each other by name
ft = importlib.import_module("fixture_types")
make = importlib.import_module("make_fixtures")

VERSIONS = sorted(p.parent.name for p in FIXTURES.glob("v*/sessions.db"))


def _expected(version: str) -> ModuleType:
    name = f"expected_{version}"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, FIXTURES / version / "expected.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        sys.modules[name] = module
    return sys.modules[name]


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(params=VERSIONS)
def version(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def copy(version: str, tmp_path: Path) -> Path:
    original = FIXTURES / version / "sessions.db"
    before = _digest(original)
    path = tmp_path / "sessions.db"
    shutil.copyfile(original, path)
    yield path  # type: ignore[misc]
    assert _digest(original) == before, f"{original} was modified"


@pytest.fixture
async def graphs(copy: Path) -> AsyncIterator[dict[str, Any]]:
    opened = make.open_graphs(copy)
    try:
        yield opened
    finally:
        for g in opened.values():
            await g.aclose()


def test_versions_are_checked_in() -> None:
    assert "v1" in VERSIONS


def test_fixture_is_small_and_keeps_its_schema_version(version: str, copy: Path) -> None:
    assert copy.stat().st_size < 200_000
    with sqlite3.connect(copy) as con:
        found = con.execute("PRAGMA user_version").fetchone()[0]
    con.close()
    assert found == _expected(version).USER_VERSION


async def test_every_thread_reads_back_as_written(version: str, graphs: dict[str, Any]) -> None:
    expected = _expected(version)
    observed = await make.observe(graphs)
    assert sorted(observed["threads"]) == sorted(expected.THREADS)
    for tid, want in expected.THREADS.items():
        got = observed["threads"][tid]
        assert len(got["history"]) == len(want["history"]), tid
        assert [h["metadata"] for h in got["history"]] == [h["metadata"] for h in want["history"]]
        diff = ft.same(got, want, tid)
        assert diff is None, diff
    assert (diff := ft.same(observed["items"], expected.ITEMS, "items")) is None, diff
    assert observed["listed"] == expected.LISTED


async def test_old_sessions_go_on(version: str, copy: Path, graphs: dict[str, Any]) -> None:
    """New turns on old threads: a pending interrupt is answered, the rest take new turns."""
    expected = _expected(version).THREADS
    review, tutorial, types = graphs["review"], graphs["tutorial"], graphs["types"]

    out = await review.ainvoke(Command(resume=("later", 3)), make.cfg("interrupted"))
    log = expected["interrupted"]["state"]["values"]["log"]
    assert out["log"] == [*log, ("approved", ("later", 3))]
    assert (await review.aget_thread("interrupted")).status == "idle"  # type: ignore[union-attr]

    out = await tutorial.ainvoke({}, make.cfg("tutorial"))
    said = expected["tutorial"]["state"]["values"]["messages"]
    assert out["messages"] == [*said, "Hello from the agent"]

    before = expected["types"]["state"]["values"]
    out = await types.ainvoke({}, make.cfg("types"))
    assert ft.same(out["values"], before["values"]) is None
    assert ft.same(out["items"][:-1], before["items"]) is None
    assert out["items"][-1][:2] == (before["count"] + 1, ft.Color.RED)

    for g in graphs.values():
        await g.aclose()
    reopened = make.open_graphs(copy)
    try:
        again = await reopened["types"].aget_state(make.cfg("types"))
        assert ft.same(again.values, out) is None
        state = await reopened["review"].aget_state(make.cfg("interrupted"))
        assert state.next == () and state.values["log"][-1] == ("approved", ("later", 3))
    finally:
        for g in reopened.values():
            await g.aclose()
