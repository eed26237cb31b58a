"""The public face of ``stores``: ``__all__`` and the LangGraph-style import paths."""

from __future__ import annotations

import importlib
import sqlite3
from pathlib import Path
from typing import TypedDict

import pytest

import stores

EXPECTED = {
    "MemoryStore",
    "InMemorySaver",
    "SqliteStore",
    "SqliteSaver",
    "Store",
    "CheckpointRow",
    "ThreadRow",
    "WriteBatch",
    "Item",
    "Checkpoint",
    "CHECKPOINT_FORMAT",
    "register_type",
    "allow_type",
    "SessionRuntimeError",
    "StoreError",
    "StoreUnavailableError",
    "StoreFileGoneError",
    "CorruptCheckpointError",
    "StaleOwnerError",
    "SerializationError",
}


def test_all_lists_exactly_the_public_names() -> None:
    assert set(stores.__all__) == EXPECTED
    for name in stores.__all__:
        assert getattr(stores, name) is not None


def test_langgraph_style_import_paths() -> None:
    from stores.memory import InMemorySaver
    from stores.sqlite import SqliteSaver

    assert InMemorySaver is stores.MemoryStore
    assert SqliteSaver is stores.SqliteStore


def test_error_tree() -> None:
    assert issubclass(stores.StoreUnavailableError, stores.StoreError)
    assert issubclass(stores.StoreFileGoneError, stores.StoreUnavailableError)
    assert issubclass(stores.CorruptCheckpointError, stores.StoreError)
    assert issubclass(stores.StaleOwnerError, stores.StoreError)
    assert issubclass(stores.StoreError, stores.SessionRuntimeError)
    assert not issubclass(stores.SerializationError, stores.StoreError)


def test_langgraph_constructors_of_the_sqlite_saver(tmp_path: Path) -> None:
    """``SqliteSaver(conn)``, ``SqliteSaver.from_conn_string`` and ``AsyncSqliteSaver``, as
    LangGraph's documents use them, give a store on the same file."""
    from stores.sqlite import AsyncSqliteSaver, SqliteSaver

    path = tmp_path / "x.db"
    conn = sqlite3.connect(path, check_same_thread=False)
    assert SqliteSaver(conn).path == str(path)
    conn.close()
    memory = sqlite3.connect(":memory:")
    assert SqliteSaver(memory).path == ":memory:"
    memory.close()
    with SqliteSaver.from_conn_string(str(path)) as saver:
        assert isinstance(saver, stores.SqliteStore) and saver.path == str(path)
    assert AsyncSqliteSaver is stores.SqliteStore


async def test_from_conn_string_keeps_what_the_block_acknowledged(tmp_path: Path) -> None:
    from runtime import END, START, StateGraph
    from stores.sqlite import AsyncSqliteSaver

    class S(TypedDict):
        n: int

    builder = StateGraph(S)
    builder.add_node("inc", lambda s: {"n": s["n"] + 1})
    builder.add_edge(START, "inc")
    builder.add_edge("inc", END)
    config = {"configurable": {"thread_id": "t"}}
    async with AsyncSqliteSaver.from_conn_string(str(tmp_path / "a.db")) as saver:
        graph = builder.compile(checkpointer=saver)
        await graph.ainvoke({"n": 1}, config)
    # leaving the block closed nothing: the graph still works, then closes (and flushes)
    assert (await graph.ainvoke({"n": 5}, config))["n"] == 6
    await graph.aclose()
    async with builder.compile(checkpointer=stores.SqliteStore(tmp_path / "a.db")) as again:
        assert (await again.aget_state(config)).values == {"n": 6}


def test_older_and_unbuilt_langgraph_names() -> None:
    from stores.memory import MemorySaver

    assert MemorySaver is stores.MemoryStore
    with pytest.raises(ImportError, match=r"not built yet.*issue 16"):
        importlib.import_module("stores.postgres")
