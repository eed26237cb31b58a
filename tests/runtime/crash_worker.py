"""A worker for the crash tests: drives many sessions on one SQLite file until killed.

Run as ``python tests/runtime/crash_worker.py DB MODE [options]`` (MODE: ``sync``,
``async`` or ``exit`` durability). Each of ``--threads`` sessions runs turns one after another; turn
``n`` of thread ``i`` appends the numbered message :func:`message` and its node appends
:func:`reply`, so a thread's messages must always be a prefix of :func:`expected`.

The worker reports on stdout, one JSON list per line, each line written by a single
``os.write`` (so it is in the pipe, safe from SIGKILL, once the call returns):

``["start", i, length, next]``
    thread ``i`` as found on the file at start (messages length, next nodes).
``["ack", i, n, rehydrations]``
    turn ``n`` of thread ``i`` returned to its caller (under ``sync``: after its commit);
    ``rehydrations``: sessions evicted and loaded back so far in this process.
``["flush", [[thread_id, seq], ...]]``
    the store committed a batch holding these checkpoint rows.
``["dying", [[thread_id, seq], ...], spilled]``
    ``--die-in-batch``: the worker is inside the transaction of a batch holding these rows
    and kills itself with SIGKILL before its COMMIT; ``spilled``: SQLite had already
    written some of the uncommitted pages to the WAL file. ``--die-in-migration``: the same
    inside the schema migration of a new file (no rows).
``["blocked", i, n, dirty]``
    ``--block-at K``: thread 0 sent turns ``K - 1`` and ``K`` together (queued one behind
    the other) and the node of turn ``K`` is running and blocks for good. ``dirty``: the
    rows of turn ``K - 1`` had not reached the store when it began (so the batch that
    writes them is taken while turn ``K`` runs).
``["bad", i, n, got]``
    a turn returned something other than the expected prefix (the worker exits 3).

The graph (:func:`build_graph`) is shared with the parent, which reopens the file with it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import operator
import os
import signal
import sqlite3
import sys
from typing import Annotated, Any, TypedDict

from runtime import END, START, CompiledGraph, StateGraph
from stores import SqliteSaver, WriteBatch
from stores import _sqlite_pack as pack
from stores import _sqlite_schema as sql

#: Long enough that deltas add up to periodic snapshots within a few dozen checkpoints, so
#: crashes land between snapshots and deltas of every kind.
PAD = "." * 120


class CrashState(TypedDict):
    messages: Annotated[list[str], operator.add]


def thread_id(i: int) -> str:
    return f"c{i}"


def message(i: int, n: int) -> str:
    return f"t{i}-{n}{PAD}"


def reply(i: int, n: int) -> str:
    return f"r{i}-{n}{PAD}"


def expected(i: int, length: int) -> list[str]:
    """The first ``length`` messages thread ``i`` can ever hold."""
    out: list[str] = []
    for n in range((length + 1) // 2):
        out += [message(i, n), reply(i, n)]
    return out[:length]


#: ``--block-at``: the input message whose turn blocks in its node, and the graph it runs in
BLOCK: dict[str, Any] = {}


async def respond(state: CrashState) -> dict[str, Any]:
    last = state["messages"][-1]
    if BLOCK and last == BLOCK["message"]:
        flusher = BLOCK["graph"].supervisor.flusher
        emit(["blocked", 0, BLOCK["turn"], bool(flusher.pending_rows(thread_id(0)))])
        await asyncio.Event().wait()  # a slow node: the kill comes while it waits
    # Yield once: a turn then spans loop iterations, so a batch can hold part of a turn.
    await asyncio.sleep(0)
    return {"messages": ["r" + last[1:]]}


def build_graph() -> StateGraph:
    builder = StateGraph(CrashState)
    builder.add_node("respond", respond)
    builder.add_edge(START, "respond")
    builder.add_edge("respond", END)
    return builder


def emit(record: list[Any]) -> None:
    os.write(1, (json.dumps(record) + "\n").encode())


class ReportingSaver(SqliteSaver):
    """Says which rows each committed batch held, right after the commit."""

    async def write_batch(self, batch: WriteBatch) -> None:
        await super().write_batch(batch)
        if batch.checkpoints:
            emit(["flush", [[r.thread_id, r.seq] for r in batch.checkpoints]])


def die_in_batch(number: int, where: str) -> None:
    """Make the ``number``-th batch that inserts checkpoints kill the process mid-write.

    The store's own ``transaction`` runs, on a connection that dies at the chosen point:
    ``inserts`` right after the checkpoint INSERTs (before the thread rows are written),
    ``commit`` just before COMMIT, ``spill`` also before COMMIT but with a page cache so
    small that SQLite has written uncommitted pages to the WAL, which recovery must ignore.
    """
    real = sql.transaction
    seen = 0

    def transaction(db: sqlite3.Connection, steps: list[sql.Step]) -> list[int]:
        nonlocal seen
        if any(q is pack.insert for q, _, _ in steps):
            seen += 1
            if seen == number:
                rows = [[r.thread_id, r.seq] for q, ps, _ in steps if q is pack.insert for r in ps]
                return real(_Dying(db, where, rows), steps)  # type: ignore[arg-type]
        return real(db, steps)

    sql.transaction = transaction


def die_in_migration() -> None:
    """Make the schema migration of a new file kill the process just before its COMMIT."""
    real = sql.migrate

    def migrate(db: sqlite3.Connection, path: str, migrations: Any = None) -> tuple[int, int]:
        return real(_Dying(db, "commit", []), path, migrations)  # type: ignore[arg-type]

    sql.migrate = migrate


class _Dying:
    """A connection that SIGKILLs its process at a point of a write transaction."""

    def __init__(self, db: sqlite3.Connection, where: str, rows: list[list[Any]]) -> None:
        self.db, self.where, self.rows = db, where, rows
        self.wal = db.execute("PRAGMA database_list").fetchone()[2] + "-wal"
        self.before = _stat(self.wal)
        if where == "spill":
            db.execute("PRAGMA cache_size = 1")  # SQLite's floor is 10 pages

    @property
    def in_transaction(self) -> bool:
        return self.db.in_transaction

    def execute(self, query: str, params: Any = ()) -> sqlite3.Cursor:
        if query == "COMMIT":
            self.die()
        cur = self.db.execute(query, params)
        if self.where == "inserts" and query.startswith(sql.INSERT.partition("VALUES")[0]):
            self.die()  # after the (first) multi-row INSERT of the checkpoints
        return cur

    def die(self) -> None:
        emit(["dying", self.rows, _stat(self.wal) != self.before])
        os.kill(os.getpid(), signal.SIGKILL)


def _stat(path: str) -> tuple[int, int]:
    if not os.path.exists(path):  # no WAL: nothing can have spilled into one
        return -1, -1
    st = os.stat(path)
    return st.st_size, st.st_mtime_ns


async def drive(graph: CompiledGraph, i: int, turns: int) -> None:
    config = {"configurable": {"thread_id": thread_id(i)}}
    snap = await graph.aget_state(config)
    length = len(snap.values.get("messages", []))
    emit(["start", i, length, list(snap.next)])
    n = length // 2
    if snap.next:
        # a turn the crash cut short: finish it, as a client retrying would
        out = await graph.ainvoke(None, config)
        check(graph, i, n, out)
        n += 1
    while n < turns:
        if i == 0 and BLOCK and n == BLOCK["turn"] - 1:
            await queued_pair(graph, i, n, config)
        out = await graph.ainvoke({"messages": [message(i, n)]}, config)
        check(graph, i, n, out)
        n += 1


async def queued_pair(graph: CompiledGraph, i: int, n: int, config: dict[str, Any]) -> None:
    """Turns ``n`` and ``n + 1`` (``--block-at``) sent together: the second waits in the
    mailbox and starts the moment the first ends, before the flusher can take the first
    one's rows (the node is ``async``: every turn goes through the mailbox); its node blocks."""

    def turn(k: int) -> asyncio.Future[dict[str, Any]]:
        return asyncio.ensure_future(graph.ainvoke({"messages": [message(i, k)]}, config))

    first, second = turn(n), turn(n + 1)
    check(graph, i, n, await first)
    await second  # never returns: its node blocks until the kill


def check(graph: CompiledGraph, i: int, n: int, out: dict[str, Any]) -> None:
    got = out["messages"]
    if got != expected(i, 2 * n + 2):
        emit(["bad", i, n, got])
        os._exit(3)
    emit(["ack", i, n, graph.statistics().rehydrations])


async def main(argv: list[str]) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("db")
    p.add_argument("mode", choices=["sync", "async", "exit"])
    p.add_argument("--threads", type=int, default=24)
    p.add_argument("--turns", type=int, default=10_000, help="turns per thread, then exit")
    p.add_argument("--max-active", type=int, default=10_000)
    p.add_argument("--die-in-batch", type=int, default=0)
    p.add_argument("--die-at", choices=["inserts", "commit", "spill"], default="commit")
    p.add_argument("--die-in-migration", action="store_true")
    p.add_argument("--writer", choices=["loop", "thread"], default="loop")
    p.add_argument("--block-at", type=int, default=0, help="see the 'blocked' record")
    args = p.parse_args(argv)
    if args.die_in_batch:
        die_in_batch(args.die_in_batch, args.die_at)
    if args.die_in_migration:
        die_in_migration()
    graph = build_graph().compile(
        checkpointer=ReportingSaver(args.db, writer=args.writer),
        durability=args.mode,
        max_active=args.max_active,
    )
    if args.block_at:
        BLOCK.update(graph=graph, turn=args.block_at, message=message(0, args.block_at))
    async with graph:
        await asyncio.gather(*(drive(graph, i, args.turns) for i in range(args.threads)))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:]))
