"""One actor per active thread: takes envelopes from its mailbox one at a time.

The actor owns its thread's ``ThreadState``; turns never interleave and never re-enter.
A caller that stops waiting (cancelled, disconnected) before its turn starts has the turn
skipped; once a turn has started it runs to the end and commits, whatever the caller does.
"""

from __future__ import annotations

import asyncio
import contextvars
import types
from collections.abc import Awaitable, Callable, Coroutine, Generator
from functools import partial
from typing import TYPE_CHECKING, Any

from runtime.engine import Engine, EventSink, RowSink, RunConfig, ThreadState
from runtime.engine.interrupts import PENDING, current_task
from runtime.engine.replay import chain, checkout, decode_row
from runtime.errors import InvalidConfigError, RolledBackError
from stores.records import Checkpoint, CheckpointRow

from .mailbox import Mailbox

if TYPE_CHECKING:
    from runtime.flusher import Flusher

#: Reads the rows to rebuild a thread at a checkpoint (store plus unflushed rows).
Loader = Callable[[str, int], Awaitable[list[CheckpointRow]]]


class Envelope:
    """One request for an actor: a turn, or a call run in the actor's order."""

    __slots__ = ("after", "before", "call", "cfg", "exit", "future", "input", "on_event", "seq")

    def __init__(
        self,
        input: Any,
        cfg: RunConfig | None,
        on_event: EventSink | None = None,
        call: Callable[[SessionActor], Awaitable[Any]] | None = None,
        before: frozenset[str] | None = None,
        after: frozenset[str] | None = None,
    ) -> None:
        self.input = input
        self.cfg = cfg
        self.on_event = on_event
        self.call = call
        self.before = before
        self.after = after
        self.future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self.seq = 0
        """Highest checkpoint id when the turn ended (what a ``"sync"`` caller waits for)."""
        self.exit = False
        """``durability="exit"``: store only the turn's last checkpoint."""


class SessionActor:
    """The single owner of one thread's state while it is in memory."""

    __slots__ = (
        "_parking",
        "_rollback_of",
        "busy",
        "clock",
        "current",
        "engine",
        "flusher",
        "head",
        "last_used",
        "loader",
        "mailbox",
        "on_exit",
        "stopped",
        "task",
        "thread_id",
    )

    def __init__(
        self,
        head: ThreadState,
        engine: Engine,
        flusher: Flusher,
        mailbox_size: int,
        clock: Callable[[], float],
        loader: Loader,
    ) -> None:
        self.loader = loader
        self.flusher = flusher
        self.current: Envelope | None = None
        """The envelope being handled now."""
        self._rollback_of: Envelope | None = None
        self.thread_id = head.thread_id
        self.head = head
        self.engine = engine
        self.mailbox: Mailbox[Envelope | None] = Mailbox(mailbox_size, head.thread_id, self._on_put)
        self.busy = False
        self.stopped = False
        """Asked to stop (evicted or closing): takes nothing new."""
        self.clock = clock
        self.last_used = clock()
        """When the actor last finished a message (idle timeouts and parking count from it)."""
        self.task: asyncio.Task[None] | None = None
        """The task taking from the mailbox; ``None`` while parked (idle, see :meth:`park`)."""
        self._parking = False
        self.on_exit: Callable[[SessionActor, asyncio.Task[None]], None] | None = None
        """Called when a task of this actor ends (the supervisor watches for crashes); one
        callable shared by all actors, not one closure each (idle sessions must be small)."""

    def start(self) -> None:
        task = self.task = asyncio.get_running_loop().create_task(
            self._run(), name=f"session-actor:{self.thread_id}"
        )
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task[None]) -> None:
        if self.on_exit is not None:
            self.on_exit(self, task)

    def _on_put(self) -> None:
        if self.task is None and not self.stopped:  # parked: a message wakes it
            self.start()

    def park(self) -> None:
        """Let the task end while the actor is idle; the next message starts a new one.

        An idle actor then holds no task, coroutine or frame (about 1 KB), which is most of
        what a resident session costs beyond its state.
        """
        if self.task is not None and self.idle and not self.stopped:
            self._parking = True
            self.mailbox.nudge()

    def stop_nowait(self) -> None:
        """Ask the loop to end after what is queued (``None`` is the stop message)."""
        self.stopped = True
        if self.task is not None:  # a parked actor has nothing to stop
            self.mailbox.put_control(None)

    def rollback(self, env: Envelope) -> None:
        """Cancel the running turn ``env`` and undo it (``multitask_strategy="rollback"``).

        A busy actor is suspended inside its turn, so the cancellation lands there.
        """
        if self.current is env and self.task is not None:
            self._rollback_of = env
            self.task.cancel()

    async def _undo(self, env: Envelope, seq_before: int, top_before: int) -> None:
        head = self.head
        self.flusher.discard(head, top_before + 1)
        if seq_before == 0:
            head.become(self.engine.new_thread(self.thread_id))
            head.top = top_before
        else:
            path = chain(await self.loader(self.thread_id, seq_before), seq_before)
            checkout(head, path, top=top_before)
        head.status = "idle"
        if not env.future.done():
            env.future.set_exception(
                RolledBackError(
                    "a newer turn with multitask_strategy='rollback' cancelled this one; its "
                    "checkpoints were discarded",
                    thread_id=self.thread_id,
                )
            )

    def _turn(
        self,
        input: Any,
        cfg: RunConfig,
        on_event: EventSink | None,
        before: frozenset[str] | None,
        after: frozenset[str] | None,
        *,
        exit: bool,
        fork: bool = False,
        env: Envelope | None = None,
        sink: RowSink | None = None,
    ) -> Coroutine[Any, Any, Any]:
        """The turn as a coroutine (from the mailbox: ``env``; or :meth:`run_now`). Its rows
        go to ``sink``, by default straight to the flusher; under ``exit`` they are
        squashed first."""
        head = self.head
        sink = sink or partial(self.flusher.add, head)
        rows: list[CheckpointRow] = []
        run = self.engine.run(
            head,
            input,
            cfg,
            rows.append if exit else sink,
            on_event,
            interrupt_before=before,
            interrupt_after=after,
            fork=fork,
        )
        return self._squashed(run, rows, env, sink) if exit else run

    async def _squashed(
        self,
        run: Coroutine[Any, Any, Any],
        rows: list[CheckpointRow],
        env: Envelope | None,
        sink: RowSink,
    ) -> Any:
        """A turn under ``durability="exit"``: its rows (collected in ``rows``) reach
        ``sink`` as one at the end, also when it fails or pauses (what it did until then is
        kept, as in LangGraph)."""
        head = self.head
        mark = head.mark()
        records: list[Checkpoint] = []
        head.collect = records
        try:
            return await run
        finally:
            head.collect = None
            if rows and (env is None or self._rollback_of is not env):
                for row in head.squash(rows, records, mark):
                    sink(row)

    async def run_now(
        self,
        input: Any,
        cfg: RunConfig,
        *,
        exit: bool,
        before: frozenset[str] | None,
        after: frozenset[str] | None,
    ) -> Any:
        """Run a turn in the caller's task, skipping the mailbox: the actor is idle and the
        engine is atomic (no turn can suspend), so nothing can interleave with it and no
        cancellation can land inside it, as if the actor's task ran it.

        This saves the handoff: an envelope, two futures and a task switch (the caller
        still yields once, see Supervisor.turn): 6% of a tutorial turn's instructions.

        The turn runs in a copy of the caller's context, as LangGraph runs nodes: they see
        the caller's context variables, and what they set stays in the turn. Should the
        turn suspend after all, a task finishes it.
        """
        self.busy = True
        self.head.status = "busy"
        # Its rows go to the flusher in one call as it ends: nothing can look in between.
        rows: list[CheckpointRow] = []
        coro = self._turn(input, cfg, None, before, after, exit=exit, sink=rows.append)
        ctx = contextvars.copy_context()
        try:
            yielded = ctx.run(_first_step, coro)
        except StopIteration as stop:
            self._ended(rows, failed=False)
            return stop.value
        except BaseException:
            self._ended(rows, failed=True)
            raise
        if rows:  # it suspended: what it wrote so far is for the flusher now
            self.flusher.add_all(self.head, rows[:])
            rows.clear()
        task = asyncio.get_running_loop().create_task(_rest(coro, yielded), context=ctx)
        task.add_done_callback(
            partial(self._ended_task, rows)
        )  # first: the caller resumes after it
        return await asyncio.shield(task)  # a started turn runs to the end

    def _ended(self, rows: list[CheckpointRow], *, failed: bool) -> None:
        if rows:
            self.flusher.add_all(self.head, rows)
        head = self.head
        head.status = "error" if failed else "interrupted" if head.next else "idle"
        self.busy = False
        self.last_used = self.clock()
        if self.mailbox:  # only after a turn that suspended: what was queued meanwhile
            if self.task is None:
                self._on_put()
            else:
                self.mailbox.nudge()

    def _ended_task(self, rows: list[CheckpointRow], task: asyncio.Task[Any]) -> None:
        self._ended(rows, failed=task.cancelled() or task.exception() is not None)

    def on_row(self, row: CheckpointRow) -> None:
        self.flusher.add(self.head, row)

    async def checkout(self, seq: int) -> None:
        """Move the head to checkpoint ``seq`` (time travel: the next turn forks from it)."""
        head = self.head
        path = chain(await self.loader(self.thread_id, seq), seq)
        if not path or decode_row(path[-1]).source == PENDING:
            raise InvalidConfigError(
                f"thread {self.thread_id!r} has no checkpoint {seq}; take checkpoint ids "
                "from get_state() or get_state_history()",
                thread_id=self.thread_id,
            )
        checkout(head, path, top=head.top)

    @property
    def idle(self) -> bool:
        return not self.busy and not self.mailbox

    async def _run(self) -> None:
        mailbox = self.mailbox
        # A copy of its starter's context: a caller inside a node must not lend its node's
        # context to this actor's turns.
        current_task.set(None)
        while True:
            if not mailbox or self.busy:  # busy: a turn of run_now's that suspended
                if self._parking:
                    # Checked and given up with no await in between: a put from here on
                    # finds no task and starts one (see _on_put).
                    self._parking = False
                    self.task = None
                    return
                await mailbox.wait()
                continue
            # Under load the next envelope is already there: take it without a suspension.
            env = mailbox.get_nowait()
            if env is None:
                return
            # Known before handling starts: if handling itself fails (a bug, not a node), the
            # supervisor can still fail this caller instead of leaving it waiting forever.
            self.current = env
            await self._handle(env)
            # an idle actor must not keep its last envelope (config, input, future) alive
            del env

    async def _handle(self, env: Envelope) -> None:
        fut = env.future
        if fut.done():  # the caller gave up before the turn started: skip it
            self.current = None
            return
        self.busy = True
        head = self.head
        seq_before, top_before = head.seq, head.top
        try:
            if env.call is not None:
                result = await env.call(self)
            else:
                cfg = env.cfg
                assert cfg is not None
                head.status = "busy"
                fork = cfg.checkpoint_id is not None
                if fork:
                    await self.checkout(cfg.checkpoint_id)  # type: ignore[arg-type]
                result = await self._turn(
                    env.input,
                    cfg,
                    env.on_event,
                    env.before,
                    env.after,
                    exit=env.exit,
                    fork=fork,
                    env=env,
                )
                head.status = "interrupted" if head.next else "idle"
        except asyncio.CancelledError:
            if self._rollback_of is env:
                self._rollback_of = None
                task = asyncio.current_task()
                if task is not None:
                    task.uncancel()
                await self._undo(env, seq_before, top_before)
                return
            head.status = "idle"
            if not fut.done():
                fut.cancel()
            raise
        except BaseException as exc:
            head.status = "error"
            env.seq = head.top
            if not fut.done():
                fut.set_exception(exc)
            if not isinstance(exc, Exception):
                raise
        else:
            env.seq = head.top
            if not fut.done():
                fut.set_result(result)
        finally:
            self.busy = False
            self.current = None
            self.last_used = self.clock()


def _first_step(coro: Coroutine[Any, Any, Any]) -> Any:
    current_task.set(None)  # never refill the node context of a caller inside a node
    return coro.send(None)


@types.coroutine
def _drive(coro: Coroutine[Any, Any, Any], yielded: Any) -> Generator[Any, Any, Any]:
    """Go on with ``coro``, which was started by hand and is suspended on ``yielded``."""
    while True:
        try:
            sent = yield yielded
        except BaseException as exc:
            try:
                yielded = coro.throw(exc)
            except StopIteration as stop:
                return stop.value
        else:
            try:
                yielded = coro.send(sent)
            except StopIteration as stop:
                return stop.value


async def _rest(coro: Coroutine[Any, Any, Any], yielded: Any) -> Any:
    return await _drive(coro, yielded)
