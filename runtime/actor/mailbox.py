"""A bounded single-consumer mailbox: many callers put, one actor takes, in order."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Generic, TypeVar

import msgspec

from runtime.errors import MailboxFullError

T = TypeVar("T")


class MailboxStatistics(msgspec.Struct, frozen=True):
    depth: int
    """Messages waiting now."""
    max_size: int
    put_total: int
    rejected_total: int
    """Puts refused because the mailbox was full."""


class Mailbox(Generic[T]):
    """FIFO of bounded size with one consumer.

    A list plus one waiter future: cheaper than ``asyncio.Queue`` on the hot path (and than a
    deque at rest: an empty deque holds ~700 bytes, and thousands of idle actors each hold a
    mailbox; mailboxes are short, so taking from the front of a list is cheap), and
    ``put_nowait`` refuses at once when full instead of making callers wait (overload
    should surface as an error a server can turn into a 503, not as unbounded latency).
    """

    __slots__ = ("_items", "_max", "_puts", "_rejected", "_waiter", "on_put", "thread_id")

    def __init__(
        self, max_size: int, thread_id: str = "", on_put: Callable[[], None] | None = None
    ) -> None:
        self._items: list[T] = []
        self._max = max_size
        self._waiter: asyncio.Future[None] | None = None
        self._puts = 0
        self._rejected = 0
        self.thread_id = thread_id
        self.on_put = on_put
        """Called after a put that found no consumer waiting (it may have to be started)."""

    def __len__(self) -> int:
        return len(self._items)

    def put_nowait(self, item: T) -> None:
        if len(self._items) >= self._max:
            self._rejected += 1
            raise MailboxFullError(
                f"the mailbox holds {self._max} queued turns already (mailbox_size); "
                "retry later or compile with a larger mailbox_size",
                thread_id=self.thread_id,
            )
        self._items.append(item)
        self._puts += 1
        self._wake()

    def put_front(self, item: T) -> None:
        """Put ``item`` first, past the bound: it runs next (``interrupt``/``rollback``)."""
        self._items.insert(0, item)
        self._puts += 1
        self._wake()

    def _wake(self) -> None:
        if self._waiter is not None:
            self.nudge()
        elif self.on_put is not None:
            self.on_put()

    def put_control(self, item: T) -> None:
        """Put ``item`` last, bypassing the bound (control messages such as stop)."""
        self._items.append(item)
        self._wake()

    def get_nowait(self) -> T:
        """The first message; the mailbox must not be empty."""
        return self._items.pop(0)

    async def get(self) -> T:
        items = self._items
        while not items:
            await self.wait()
        return items.pop(0)

    async def wait(self) -> None:
        """Wait for the next put or :meth:`nudge` (the mailbox may still be empty then)."""
        waiter = self._waiter = asyncio.get_running_loop().create_future()
        await waiter

    def nudge(self) -> None:
        """Wake a consumer blocked in :meth:`wait` without giving it a message."""
        waiter = self._waiter
        if waiter is not None:
            self._waiter = None
            if not waiter.done():
                waiter.set_result(None)

    def drain(self) -> list[T]:
        """Take everything queued (shutdown, eviction races)."""
        out = list(self._items)
        self._items.clear()
        return out

    def statistics(self) -> MailboxStatistics:
        return MailboxStatistics(len(self._items), self._max, self._puts, self._rejected)
