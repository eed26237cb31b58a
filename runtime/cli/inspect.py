"""``threads``, ``state`` and ``history``: read a session database without its graph.

States are rebuilt from the stored rows with the engine's replay (snapshot plus the
changes of each checkpoint on the chain), so no node code, reducer or schema is needed.
The hidden record of a paused step (``source == "pending"``) is not a checkpoint: history
skips it, and ``state`` shows its interrupts.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
from typing import Any

from runtime.engine.context import format_checkpoint_id
from runtime.engine.interrupts import PENDING, PendingStep
from runtime.engine.replay import chain, decode_row, rebuild, states_forward
from stores import SqliteStore
from stores.records import Checkpoint, CheckpointRow

from .common import (
    CliError,
    Subparsers,
    add_db,
    add_json,
    open_db,
    print_json,
    short,
    table,
    thread_row_json,
)
from .jsonio import iso


def register(sub: Subparsers) -> None:
    p = sub.add_parser("threads", help="list threads with status, checkpoints and metadata")
    add_db(p)
    p.add_argument("--status", help="only threads with this status (idle, interrupted, ...)")
    p.add_argument("--limit", type=int, default=None, help="at most this many (newest first)")
    add_json(p)
    p.set_defaults(func=cmd_threads)

    p = sub.add_parser("state", help="a thread's current state (or at --checkpoint)")
    add_db(p)
    p.add_argument("thread", metavar="THREAD")
    p.add_argument("--checkpoint", help="a checkpoint id from `history`")
    add_json(p)
    p.set_defaults(func=cmd_state)

    p = sub.add_parser("history", help="a thread's checkpoints, newest first, with audit trail")
    add_db(p)
    p.add_argument("thread", metavar="THREAD")
    p.add_argument("--limit", type=int, default=None, help="only the newest N checkpoints")
    p.add_argument("--full", action="store_true", help="do not cut values to one line")
    add_json(p)
    p.set_defaults(func=cmd_history)


# -- reading -------------------------------------------------------------------------------
def checkpoint_json(row: CheckpointRow, record: Checkpoint) -> dict[str, Any]:
    return {
        "checkpoint_id": format_checkpoint_id(row.seq),
        "parent_checkpoint_id": format_checkpoint_id(row.parent) if row.parent else None,
        "step": record.step,
        "source": record.source,
        "created_at": iso(record.created_at),
        "next": list(record.next),
        "metadata": dict(record.metadata),
        "tasks": [
            {"node": node, "seconds": seconds, "wrote": list(wrote)}
            for node, seconds, wrote in record.tasks
        ],
        "snapshot": row.base == row.seq,
        "bytes": len(row.payload),
    }


async def read_state(store: SqliteStore, tid: str, checkpoint: int | None) -> dict[str, Any]:
    """The thread's state at its head (or ``checkpoint``), as ``state --json`` prints it."""
    thread = await store.get_thread(tid)
    rows = await store.load_chain(tid, checkpoint)
    if thread is None and not rows:
        raise CliError(f"thread {tid!r} not found")
    path = chain(rows, checkpoint)
    if checkpoint is not None and not path:
        raise CliError(f"thread {tid!r} has no checkpoint {checkpoint}")
    interrupts: list[dict[str, Any]] = []
    if path:
        last = decode_row(path[-1])
        if last.source == PENDING:
            pending = PendingStep.from_extra(last.extra.get("pending", {}))
            interrupts = [{"node": n, "value": i.value, "id": i.id} for n, i in pending.interrupts]
            path = path[:-1]
    out: dict[str, Any] = {
        "thread_id": tid,
        "status": thread.status if thread else None,
        "thread_metadata": thread_row_json(thread)["metadata"] if thread else {},
        "values": {},
        "checkpoint_id": None,
        "interrupts": interrupts,
    }
    if path:
        values, record = rebuild(path)
        out.update(checkpoint_json(path[-1], record))
        out["values"] = values
        out["interrupts"] = interrupts
    return out


async def read_history(store: SqliteStore, tid: str, limit: int | None) -> list[dict[str, Any]]:
    rows = await store.list_checkpoints(tid, ascending=True)
    if not rows and await store.get_thread(tid) is None:
        raise CliError(f"thread {tid!r} not found")
    out = []
    for row, record, values in states_forward(rows):  # skips pending records
        entry = checkpoint_json(row, record)
        entry["values"] = values
        out.append(entry)
    out.reverse()
    return out if limit is None else out[:limit]


# -- commands ------------------------------------------------------------------------------
def cmd_threads(args: argparse.Namespace) -> int:
    async def run() -> list[dict[str, Any]]:
        async with open_db(args.db) as store:
            rows = await store.list_threads(status=args.status, limit=args.limit)
            return [thread_row_json(r) for r in rows]

    threads = asyncio.run(run())
    if args.json:
        print_json(threads)
        return 0
    width = max(shutil.get_terminal_size().columns - 90, 30)
    table(
        ("THREAD", "STATUS", "CHECKPOINTS", "UPDATED", "METADATA"),
        [
            (
                t["thread_id"],
                t["status"],
                str(t["checkpoints"]),
                t["updated_at"][:23],
                short(t["metadata"], width),
            )
            for t in threads
        ],
    )
    return 0


def _checkpoint_arg(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        seq = int(value)
    except ValueError:
        raise CliError(f"checkpoint ids are numbers (see `history`), got {value!r}", 2) from None
    return seq


def cmd_state(args: argparse.Namespace) -> int:
    async def run() -> dict[str, Any]:
        async with open_db(args.db) as store:
            return await read_state(store, args.thread, _checkpoint_arg(args.checkpoint))

    state = asyncio.run(run())
    if args.json:
        print_json(state)
        return 0
    print(f"thread      {state['thread_id']}  ({state['status']})")
    if state["checkpoint_id"] is None:
        print("checkpoint  none: the thread has no state yet")
        return 0
    meta = state["metadata"]
    print(f"checkpoint  {state['checkpoint_id']}  {state['source']} step {state['step']}")
    print(f"created     {state['created_at']}")
    print(f"next        {', '.join(state['next']) or '-'}")
    if meta:
        print(f"metadata    {short(meta, 200)}")
    for i in state["interrupts"]:
        print(f"interrupt   {i['node']}: {short(i['value'], 200)}  (id {i['id']})")
    print("values")
    for key, value in state["values"].items():
        print(f"  {key}: {short(value, 2000)}")
    return 0


def cmd_history(args: argparse.Namespace) -> int:
    async def run() -> list[dict[str, Any]]:
        async with open_db(args.db) as store:
            return await read_history(store, args.thread, args.limit)

    history = asyncio.run(run())
    if args.json:
        print_json(history)
        return 0
    width = max(shutil.get_terminal_size().columns - 4, 40)
    for h in history:
        tasks = "; ".join(
            f"{t['node']} {t['seconds'] * 1000:.2f} ms wrote {','.join(t['wrote']) or '-'}"
            for t in h["tasks"]
        )
        kind = "snapshot" if h["snapshot"] else "delta"
        print(
            f"{h['checkpoint_id']}  {h['source']:<6} step {h['step']:<3} {h['created_at'][:23]}"
            f"  {kind} {h['bytes']} B  next: {', '.join(h['next']) or '-'}"
        )
        if tasks:
            print(f"    ran:    {tasks}")
        if h["metadata"]:
            print(f"    meta:   {short(h['metadata'], width - 12)}")
        values = short(h["values"], 10**9 if args.full else width - 12)
        print(f"    values: {values}")
    return 0
