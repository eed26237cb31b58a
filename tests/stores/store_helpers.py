"""Row builders shared by the store tests (a module name no other test directory uses)."""

from __future__ import annotations

from stores import CheckpointRow, ThreadRow, WriteBatch


def row(
    thread_id: str,
    seq: int,
    *,
    parent: int | None = -1,
    base: int | None = None,
    payload: bytes | None = None,
) -> CheckpointRow:
    """A checkpoint row; by default a delta on the previous seq with base 1."""
    return CheckpointRow(
        thread_id,
        seq,
        (seq - 1 or None) if parent == -1 else parent,
        1 if base is None else base,
        payload if payload is not None else f"{thread_id}:{seq}".encode(),
    )


def thread(
    thread_id: str,
    *,
    status: str = "idle",
    created: float = 1.0,
    updated: float = 1.0,
    metadata: bytes | None = None,
    head: int = 0,
) -> ThreadRow:
    return ThreadRow(thread_id, status, created, updated, metadata, head)


def batch(
    checkpoints: list[CheckpointRow] | None = None,
    threads: list[ThreadRow] | None = None,
    discard: list[tuple[str, int]] | None = None,
) -> WriteBatch:
    return WriteBatch(checkpoints or [], threads or [], discard or [])


def seqs(rows: list[CheckpointRow]) -> list[int]:
    return [r.seq for r in rows]
