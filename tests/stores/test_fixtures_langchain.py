"""Checked-in databases of LangChain conversations read back as they were written.

``tests/fixtures/langchain-*/sessions.db`` were written by ``langchain_fixture.py`` with the
code of their time; ``expected.py`` beside each says what they read back as then.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import shutil
import sys
from pathlib import Path
from types import ModuleType

import pytest
from langchain_core.messages import HumanMessage

from stores import SqliteStore

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
if str(FIXTURES) not in sys.path:
    sys.path.insert(0, str(FIXTURES))
lc = importlib.import_module("langchain_fixture")

VERSIONS = sorted(p.parent.name for p in FIXTURES.glob("langchain-*/sessions.db"))


def expected(version: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        f"expected_{version.replace('-', '_')}", FIXTURES / version / "expected.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(params=VERSIONS)
def version(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def copy(version: str, tmp_path: Path) -> Path:
    original = FIXTURES / version / "sessions.db"
    before = hashlib.sha256(original.read_bytes()).hexdigest()
    path = tmp_path / "sessions.db"
    shutil.copyfile(original, path)
    yield path  # type: ignore[misc]
    assert hashlib.sha256(original.read_bytes()).hexdigest() == before


def test_a_version_is_checked_in() -> None:
    assert "langchain-v3" in VERSIONS


async def test_history_reads_back_as_written(version: str, copy: Path) -> None:
    want = expected(version).HISTORY
    got = await lc.observe(copy)
    assert len(got) == len(want) == 9  # 3 turns x 3 checkpoints (input, start, respond)
    for g, w in zip(got, want, strict=True):
        assert g["values"] == w["values"]
        assert g["next"] == w["next"]
        assert g["fields_set"] == w["fields_set"]
        for gm, wm in zip(g["values"].get("messages", []), w["values"]["messages"], strict=True):
            assert type(gm) is type(wm)
    latest = got[0]["values"]
    assert latest["messages"][3].artifact == {"hits": (2, 3)}
    assert latest["messages"][-1].custom_note == 12


async def test_the_conversation_goes_on(copy: Path) -> None:
    async with lc.builder().compile(checkpointer=SqliteStore(copy)) as graph:
        out = await graph.ainvoke({"messages": [HumanMessage("again", id="h3")]}, lc.cfg())
    n = len(expected("langchain-v3").HISTORY[0]["values"]["messages"])
    assert [m.id for m in out["messages"][n:]] == [
        "h3",
        *(f"{k}-{n + 1}" for k in ("ai", "tool", "chunk", "final")),
    ]
    assert out["answer"].citations[0].page == n + 1
