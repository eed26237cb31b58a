"""The runtime's side of leases (one owner per thread across processes sharing a store;
the store side is ``stores/_leases.py``): take a thread's lease before loading it, give
back the leases of evicted threads and renew the others from the sweeper."""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from runtime.supervisor import Supervisor


class Leases:
    """Lease bookkeeping of one supervisor; a no-op over a store without ``lease_ttl``."""

    def __init__(self, supervisor: Supervisor) -> None:
        self._sup = supervisor
        self.releasing: set[str] = set()
        """Threads evicted whose leases the next :meth:`maintain` gives back."""
        self.stale_tasks: dict[str, asyncio.Task[None]] = {}
        """Tasks of actors evicted as stale owners, still finishing a turn."""
        self._renewed = 0.0

    @property
    def ttl(self) -> float | None:
        ttl = getattr(self._sup.checkpointer, "lease_ttl", None)
        return ttl if isinstance(ttl, int | float) else None

    async def own(self, tid: str) -> None:
        """Take ``tid``'s lease before reading it, so no other process writes it meanwhile."""
        sup = self._sup
        assert sup.checkpointer is not None
        self.releasing.discard(tid)  # evicted and back before its lease was given up
        stale = self.stale_tasks.pop(tid, None)
        if stale is not None:  # the out-of-date actor must be done before we load afresh
            await asyncio.wait([stale])
        if sup.flusher is not None:
            sup.flusher.forget_stale(tid)  # a takeover refused our rows: start afresh
        await sup.checkpointer.acquire_lease(tid)

    def evicted(self, tid: str) -> None:
        if self.ttl is not None:
            self.releasing.add(tid)

    async def maintain(self) -> None:
        """Give back the leases of evicted threads; renew the others every ttl/3."""
        ttl, store = self.ttl, self._sup.checkpointer
        if ttl is None or store is None:
            return
        if self.releasing:
            done, self.releasing = list(self.releasing), set()
            await store.release_leases(done)
        now = time.monotonic()
        if now - self._renewed >= ttl / 3:
            self._renewed = now
            await store.renew_leases()
