"""``sweep``: enforce a retention policy on a session database once.

The same rules as ``compile(retention=Retention(...))``: ``--keep-last N`` keeps each
thread's newest N checkpoints (the oldest kept one rewritten as a snapshot), ``--ttl S``
deletes threads not updated for S seconds; archived threads are left as they are. Meant for
a database no runtime is serving: a running graph enforces its own retention, and rows
rewritten under a live session's feet would not match what it holds in memory.
"""

from __future__ import annotations

import argparse
import asyncio

import msgspec

from runtime.retention import Retention, SweepResult, sweep_store

from .common import CliError, Subparsers, add_db, open_db, print_json


def register(sub: Subparsers) -> None:
    p = sub.add_parser(
        "sweep",
        help="prune old checkpoints (--keep-last) and expired threads (--ttl) once",
        description=__doc__.split("\n\n")[1] if __doc__ else None,
    )
    add_db(p)
    p.add_argument("--keep-last", type=int, metavar="N", help="checkpoints kept per thread")
    p.add_argument(
        "--ttl", type=float, metavar="SECONDS", help="delete threads not updated for this long"
    )
    p.add_argument(
        "--batch-size", type=int, default=500, metavar="ROWS", help="rows per transaction"
    )
    p.set_defaults(func=cmd_sweep)


def cmd_sweep(args: argparse.Namespace) -> int:
    if args.keep_last is None and args.ttl is None:
        raise CliError("say what to sweep: --keep-last N and/or --ttl SECONDS", 2)
    try:
        policy = Retention(keep_last=args.keep_last, ttl=args.ttl, batch_size=args.batch_size)
    except ValueError as exc:
        raise CliError(str(exc), 2) from exc

    async def run() -> SweepResult:
        async with open_db(args.db) as store:
            return await sweep_store(store, policy)

    result = asyncio.run(run())
    print_json({"db": args.db, **msgspec.structs.asdict(result)})
    return 0
