"""Request ids: a retried turn is answered from the first, never run twice.

``ainvoke(input, config, request_id="...")`` (over HTTP, the ``Idempotency-Key`` header of
``runs/wait``) names a turn. The id goes into the checkpoint metadata of every checkpoint
the turn writes (``metadata["request_id"]``), so it outlives the process. A call with an id
the thread has seen:

- while the first call's turn is still queued or running, waits for it and gets its
  result (or its exception);
- once it has finished in this process, gets its result at once;
- when only the store knows it (after a restart, or after the first caller went away while
  its turn ran), gets the thread's output at the turn's last checkpoint (its output keys,
  and ``__interrupt__`` if it paused there), read once that turn has ended.

A call refused before its turn ran (busy, mailbox full, shutting down, store unavailable,
bad config; ``RETRYABLE``), undone by a rollback, or skipped because its caller left while
it was queued leaves no answer: the retry runs. A turn that ran and raised answers its
retries with the same exception while the process lives; after a restart, with the
thread's output at the checkpoint the failed turn left. Bounds: each thread remembers the ids of its
last ``PER_THREAD`` keyed turns in memory, for at most ``THREADS`` threads (least recently
used go first); a thread whose ids are not in memory has them read back from its newest
``SCAN`` checkpoints, once per process. An id older than that runs as a new turn.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from runtime.errors import (
    EmptyInputError,
    InvalidConfigError,
    MailboxFullError,
    RolledBackError,
    SessionBusyError,
    ShuttingDownError,
    StoreError,
    ThreadArchivedError,
)

if TYPE_CHECKING:
    from runtime.engine import RunConfig

    from .compiled import CompiledGraph

__all__ = ["KEY", "PER_THREAD", "SCAN", "THREADS", "RequestLog"]

#: The checkpoint metadata key a turn's request id is stored under.
KEY = "request_id"
PER_THREAD = 1000
THREADS = 10_000
SCAN = 1000
MAX_LENGTH = 256
_INTERRUPT = "__interrupt__"
#: Errors of a call whose turn did not run (or was undone): its retry runs.
RETRYABLE = (
    EmptyInputError,
    InvalidConfigError,
    MailboxFullError,
    RolledBackError,
    SessionBusyError,
    ShuttingDownError,
    StoreError,
    ThreadArchivedError,
)


class _Thread:
    __slots__ = ("answers", "read")

    def __init__(self) -> None:
        self.answers: OrderedDict[str, asyncio.Future[Any]] = OrderedDict()
        """Request id -> its turn's result (pending while the turn is queued or runs)."""
        self.read = False
        """Whether the ids the store holds for this thread are in ``answers``."""


def check_request_id(value: Any) -> str:
    if type(value) is not str or not value or len(value) > MAX_LENGTH:
        raise InvalidConfigError(
            f"request_id must be a non-empty str of at most {MAX_LENGTH} characters, got {value!r}"
        )
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidConfigError(f"request_id {value!r} is not valid Unicode text") from None
    return value


class RequestLog:
    """The request ids of one graph's threads (see the module docstring)."""

    def __init__(self) -> None:
        self._threads: OrderedDict[str, _Thread] = OrderedDict()

    def forget(self, thread_id: str) -> None:
        self._threads.pop(thread_id, None)

    def _thread(self, tid: str) -> _Thread:
        t = self._threads.get(tid)
        if t is None:
            t = self._threads[tid] = _Thread()
            while len(self._threads) > THREADS:
                old_tid, old = next(iter(self._threads.items()))
                if any(not f.done() for f in old.answers.values()):
                    break  # a turn still running keeps its thread's ids
                del self._threads[old_tid]
        else:
            self._threads.move_to_end(tid)
        return t

    async def once(
        self,
        graph: CompiledGraph,
        cfg: RunConfig,
        request_id: str,
        run: Callable[[], Awaitable[Any]],
    ) -> Any:
        """``run()``'s result, or the answer of an earlier call with ``request_id``."""
        tid = cfg.thread_id
        t = self._thread(tid)
        found = t.answers.get(request_id)
        if found is None and not t.read:
            if graph.supervisor.checkpointer is None:
                t.read = True  # nothing outlives the process
            else:
                # Read what the store knows, after every turn queued so far has ended (one
                # with this id, its caller gone, may still be running).
                await graph.supervisor.call(tid, _nothing)
                await self._read(graph, tid, t)
                found = t.answers.get(request_id)
        if found is not None:
            return _copy(await asyncio.shield(found))
        mine: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        t.answers[request_id] = mine
        while len(t.answers) > PER_THREAD:
            t.answers.popitem(last=False)
        cfg.metadata = {**(cfg.metadata or {}), KEY: request_id}
        try:
            result = await run()
        except BaseException as exc:
            if isinstance(exc, (asyncio.CancelledError, *RETRYABLE)):
                # No answer to keep: the turn was refused, or its caller left (it was
                # skipped, or runs on); a retry reads the store again, after that turn.
                if t.answers.get(request_id) is mine:
                    del t.answers[request_id]
                t.read = False
            if isinstance(exc, asyncio.CancelledError):
                mine.cancel()
            else:  # the turn ran and failed: a retry hears the same error
                mine.set_exception(exc)
                mine.exception()  # retrieved: waiters re-raise it, nobody else must
            raise
        mine.set_result(result)
        return result

    async def _read(self, graph: CompiledGraph, tid: str, t: _Thread) -> None:
        config = {"configurable": {"thread_id": tid}}
        # newest first: the first checkpoint met with an id is its turn's last
        ends: dict[str, Any] = {}
        async for snap in graph.aget_state_history(config, limit=SCAN):
            rid = (snap.metadata or {}).get(KEY)
            if isinstance(rid, str) and rid not in ends and rid not in t.answers:
                ends[rid] = snap
        loop = asyncio.get_running_loop()
        keys = graph.spec.output_keys
        for rid, snap in ends.items():  # each older one goes in front of the newer
            out = {k: snap.values[k] for k in keys if k in snap.values}
            if snap.interrupts:
                out[_INTERRUPT] = list(snap.interrupts)
            fut = loop.create_future()
            fut.set_result(out)
            t.answers[rid] = fut
            t.answers.move_to_end(rid, last=False)
        while len(t.answers) > PER_THREAD:
            t.answers.popitem(last=False)
        t.read = True


async def _nothing(actor: Any) -> None:
    return None


def _copy(value: Any) -> Any:
    """Each answer is the caller's own (callers may change what they get)."""
    from stores import codec

    paused = isinstance(value, dict) and _INTERRUPT in value
    plain = {k: v for k, v in value.items() if k != _INTERRUPT} if paused else value
    try:
        plain = codec.decode(codec.encode(plain))
    except Exception:
        return value
    if paused:  # Interrupt objects are not changed by callers, and stay themselves
        plain[_INTERRUPT] = list(value[_INTERRUPT])
    return plain
