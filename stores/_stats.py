"""Counters kept by the store backends and the frozen snapshots ``statistics()`` returns.

The counters are plain integers bumped on the event loop thread (never in a database worker
thread), so no lock is needed; a snapshot is a consistent-enough copy for monitoring.
"""

from __future__ import annotations

import msgspec


class Counters:
    """Mutable counters shared by every backend."""

    __slots__ = (
        "batches",
        "discards",
        "item_writes",
        "reads",
        "rows_written",
        "threads_written",
        "wal_checkpoints",
        "write_errors",
        "write_seconds",
    )

    def __init__(self) -> None:
        self.batches = 0
        self.rows_written = 0
        self.threads_written = 0
        self.discards = 0
        self.write_errors = 0
        self.write_seconds = 0.0
        self.reads = 0
        self.item_writes = 0
        self.wal_checkpoints = 0


class MemoryStoreStatistics(msgspec.Struct, frozen=True, kw_only=True):
    """A snapshot of a :class:`~stores.MemoryStore`'s counters."""

    is_open: bool
    batches: int
    """``write_batch`` calls that committed."""
    rows_written: int
    """Checkpoint rows committed."""
    threads_written: int
    """Thread-row upserts committed."""
    discards: int
    """``discard`` entries applied."""
    write_errors: int
    """Writes that failed and were rolled back."""
    reads: int
    item_writes: int
    """Memory items put or deleted."""
    threads: int
    """Threads with a row or checkpoints now resident."""
    checkpoints: int
    """Checkpoint rows now resident."""


class SqliteStoreStatistics(msgspec.Struct, frozen=True, kw_only=True):
    """A snapshot of a :class:`~stores.SqliteStore`'s counters."""

    path: str
    is_open: bool
    writer: str
    """Where writes run: ``"thread"`` or ``"loop"`` (see ``stores.sqlite``)."""
    schema_version: int
    batches: int
    rows_written: int
    threads_written: int
    discards: int
    write_errors: int
    write_seconds: float
    """Wall time spent in committed ``write_batch`` calls (queueing included)."""
    reads: int
    item_writes: int
    wal_checkpoints: int
    """Background WAL checkpoints run (``writer="loop"`` only; otherwise SQLite's own)."""
