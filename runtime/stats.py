"""The runtime's figures: one frozen snapshot, ``CompiledGraph.statistics()``."""

from __future__ import annotations

import msgspec


class RuntimeStatistics(msgspec.Struct, frozen=True):
    active: int
    """Actors in memory now."""
    activations: int
    evictions: int
    evictions_idle: int
    evictions_lru: int
    rehydrations: int
    """Activations that loaded an existing thread from the store."""
    queued: int
    """Turns waiting in mailboxes."""
    in_flight: int
    """Turns running now."""
    turns: int
    """Turns finished (successfully or not)."""
    activating: int
    """Activations (rehydrations) in flight now."""
    rejected: int
    """Turns refused: mailbox full or busy under ``reject``."""
    interrupts: int
    """Running turns stopped early by a newer one (``multitask_strategy="interrupt"``)."""
    rollbacks: int
    """Running turns cancelled and undone by a newer one (``"rollback"``)."""
    restarts: int
    """Actors that crashed and were dropped, to restart on the next call."""
    dirty: int
    """Checkpoints not yet committed by the store."""
    flushes: int
    flushed_checkpoints: int
    flush_failures: int
    quarantined: int = 0
    """Threads whose checkpoints the store refused for good: kept in memory, unwritten,
    and the thread takes no new turns (status ``"error"``) until it is deleted."""
    quarantined_checkpoints: int = 0
    dirty_bytes: int = 0
    """Payload bytes of the checkpoints not yet committed (bounded by ``max_dirty_bytes``)."""
    evictions_deleted: int = 0
    """Actors dropped because their thread was deleted."""
    evictions_archived: int = 0
    evictions_stale: int = 0
    """Actors dropped because another process took their thread over (leases)."""
    parked: int = 0
    """Resident actors without an asyncio task: idle long enough to have given theirs up, or
    never given one (their turns all ran in their callers' tasks, see SessionActor.run_now)."""
