"""Storage backends for session-actors: checkpoints, threads and cross-session memory.

``MemoryStore`` (alias ``InMemorySaver``) keeps everything in the process; ``SqliteStore``
(alias ``SqliteSaver``) keeps it in one SQLite file. Both implement :class:`Store`, and one
object can serve as a graph's ``checkpointer`` and its ``store`` at once.
"""

from __future__ import annotations

from ._protocol import Store
from .codec import allow_type, register_type
from .errors import (
    CorruptCheckpointError,
    SerializationError,
    SessionRuntimeError,
    StaleOwnerError,
    StoreError,
    StoreFileGoneError,
    StoreUnavailableError,
)
from .memory import InMemorySaver, MemoryStore
from .records import CHECKPOINT_FORMAT, Checkpoint, CheckpointRow, Item, ThreadRow, WriteBatch
from .sqlite import SqliteSaver, SqliteStore

__all__ = [
    "CHECKPOINT_FORMAT",
    "Checkpoint",
    "CheckpointRow",
    "CorruptCheckpointError",
    "InMemorySaver",
    "Item",
    "MemoryStore",
    "SerializationError",
    "SessionRuntimeError",
    "SqliteSaver",
    "SqliteStore",
    "StaleOwnerError",
    "Store",
    "StoreError",
    "StoreFileGoneError",
    "StoreUnavailableError",
    "ThreadRow",
    "WriteBatch",
    "allow_type",
    "register_type",
]
