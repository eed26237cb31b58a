"""The public face of ``stores``: ``__all__`` and the LangGraph-style import paths."""

from __future__ import annotations

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
    assert issubclass(stores.CorruptCheckpointError, stores.StoreError)
    assert issubclass(stores.StaleOwnerError, stores.StoreError)
    assert issubclass(stores.StoreError, stores.SessionRuntimeError)
    assert not issubclass(stores.SerializationError, stores.StoreError)
