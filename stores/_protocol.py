"""The store protocol: what the runtime needs from a backend.

Two roles share one object: as a *checkpointer* a store keeps sessions (checkpoint and
thread rows); as a *memory store* it keeps cross-session items (LangGraph's ``BaseStore``).
Every backend passes the one conformance suite in ``tests/stores``.

Rules every backend keeps:

* ``write_batch`` is atomic: after a crash either all of a batch is there or none of it.
* One writer: the runtime's flusher is the only caller of ``write_batch`` for a store, so a
  backend need not order concurrent batches; reads may run concurrently with a write.
* Rows go in and come out as they are; a store never decodes a payload.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

from .records import CheckpointRow, Item, ThreadRow, WriteBatch


@runtime_checkable
class Store(Protocol):
    """A session store backend."""

    async def open(self) -> None:
        """Connect and create or migrate the schema. Idempotent."""

    async def close(self) -> None:
        """Close connections. Idempotent; the store may be opened again."""

    # -- checkpoints -------------------------------------------------------------------
    async def write_batch(self, batch: WriteBatch) -> None:
        """Apply a group commit atomically (``discard``, then ``checkpoints``, then ``threads``)."""

    async def load_chain(self, thread_id: str, seq: int | None = None) -> list[CheckpointRow]:
        """Rows needed to rebuild the state at ``seq`` (the thread's head when ``None``).

        Ascending by ``seq``: every row of the thread from the target's ``base`` up to the
        target itself (rows of other branches in that range may be included; the caller
        follows ``parent``). Empty when the thread or the checkpoint does not exist.
        """

    async def list_checkpoints(
        self,
        thread_id: str,
        *,
        before: int | None = None,
        limit: int | None = None,
        ascending: bool = False,
    ) -> list[CheckpointRow]:
        """Rows of a thread, newest first (or oldest first), with ``seq < before``."""

    # -- threads -----------------------------------------------------------------------
    async def get_thread(self, thread_id: str) -> ThreadRow | None:
        """The thread's row, or ``None``."""

    async def list_threads(
        self,
        *,
        status: str | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[ThreadRow]:
        """Threads, most recently updated first, optionally only those with ``status``."""

    async def delete_thread(self, thread_id: str) -> bool:
        """Delete a thread's row and all its checkpoints. ``True`` if it existed."""

    async def set_thread_status(self, thread_id: str, status: str, *, updated_at: float) -> bool:
        """Set the thread row's ``status`` and ``updated_at`` (archive, restore); ``False``
        when the thread has no row."""

    # -- retention ---------------------------------------------------------------------
    # Writes outside the flusher: the runtime calls them only for a thread that has nothing
    # waiting to be written and no turn running (runtime.retention).
    async def prune_checkpoints(
        self, thread_id: str, before: int, *, limit: int, snapshot: bytes | None = None
    ) -> int:
        """Delete up to ``limit`` of the thread's checkpoints with ``seq < before`` in one
        transaction, newest first; return how many went (fewer than ``limit``: no more).

        With ``snapshot``, the same transaction first makes checkpoint ``before`` a snapshot:
        its payload becomes ``snapshot`` (the same checkpoint carrying its full state) and its
        ``base`` itself, and the thread's later rows whose ``base`` is older get
        ``base == before`` (the caller guarantees they reach it through their parents). If
        there is no checkpoint ``before``, nothing at all changes and 0 is returned.

        Newest first, so that every row still there after a partial prune (a crash between
        two calls) keeps the rows it replays from. The thread row is never touched.
        """

    async def expired_threads(
        self, before: float, *, limit: int, after: tuple[float, str] | None = None
    ) -> list[ThreadRow]:
        """Threads not ``archived`` with ``updated_at < before``, oldest first (ties by
        ``thread_id``), starting after the ``(updated_at, thread_id)`` cursor ``after``."""

    # -- cross-session memory ----------------------------------------------------------
    async def put_item(self, namespace: tuple[str, ...], key: str, value: dict[str, Any]) -> None:
        """Insert or replace an item (``created_at`` kept on replace)."""

    async def get_item(self, namespace: tuple[str, ...], key: str) -> Item | None:
        """One item, or ``None``."""

    async def delete_item(self, namespace: tuple[str, ...], key: str) -> None:
        """Delete an item if present."""

    async def search_items(
        self,
        namespace_prefix: tuple[str, ...],
        *,
        filter: dict[str, Any] | None = None,
        limit: int = 10,
        offset: int = 0,
    ) -> list[Item]:
        """Items whose namespace starts with the prefix and whose value matches every
        ``filter`` key by equality; most recently updated first."""

    async def list_item_namespaces(
        self,
        *,
        prefix: tuple[str, ...] = (),
        max_depth: int | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[tuple[str, ...]]:
        """Distinct namespaces under ``prefix`` (truncated to ``max_depth``), sorted."""

    async def acquire_lease(self, thread_id: str) -> None:
        """Own ``thread_id`` before serving it, across processes sharing the store; raises
        ``StaleOwnerError`` while another process owns it. A no-op for a one-process store."""

    async def renew_leases(self) -> int:
        """Extend every lease this store holds; returns how many it still held."""

    async def release_leases(self, thread_ids: Sequence[str]) -> None:
        """Give up the leases of ``thread_ids`` (they left memory)."""

    def statistics(self) -> Any:
        """A frozen snapshot of the backend's counters."""


def check_namespace(namespace: Sequence[str]) -> tuple[str, ...]:
    """Validate a memory namespace: a non-empty tuple of non-empty strings without dots."""
    ns = tuple(namespace)
    if not ns:
        raise ValueError("a namespace needs at least one label, e.g. ('users', 'u1')")
    for label in ns:
        if not isinstance(label, str) or not label or "." in label:
            raise ValueError(
                f"namespace labels must be non-empty strings without '.', got {label!r} in {ns!r}"
            )
    return ns
