"""``export``, ``import``, ``delete``, ``archive``, ``restore`` and ``vacuum``.

An export is JSON lines, the stored rows as they are (payloads in base64, so a thread's
history moves byte for byte)::

    {"format": "session-actors/threads", "version": 1, "checkpoint_format": 1, ...}
    {"thread": {"thread_id": ..., "status": ..., "created_at": ..., "metadata": <b64>, ...}}
    {"checkpoint": {"thread_id": ..., "seq": 1, "parent": null, "base": 1, "payload": <b64>}}
    ...
    {"end": {"threads": 1, "checkpoints": 12}}

The last line guards against a truncated file. ``import`` writes each thread with one
``write_batch`` (all of it or nothing).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sqlite3
import sys
import time
from collections.abc import Iterable, Iterator
from typing import Any

from runtime.engine.replay import states_forward
from runtime.retention import ARCHIVED, resting_status
from stores import CHECKPOINT_FORMAT, CorruptCheckpointError, SqliteStore, codec
from stores._check import check_rows, check_thread, corrupt
from stores.records import CheckpointRow, ThreadRow, WriteBatch

from .common import CliError, Subparsers, add_db, open_db, print_json
from .jsonio import b64, dumps, iso, loads, unb64

FORMAT = "session-actors/threads"
VERSION = 1


def register(sub: Subparsers) -> None:
    p = sub.add_parser("export", help="write threads with their history as JSON lines")
    add_db(p)
    p.add_argument("threads", metavar="THREAD", nargs="*", help="thread ids (see --all)")
    p.add_argument("--all", action="store_true", help="every thread of the database")
    p.add_argument("-o", "--output", help="a file instead of stdout")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("import", help="read an export (stdin or --input) into a database")
    add_db(p)
    p.add_argument("-i", "--input", help="a file instead of stdin")
    p.add_argument("--replace", action="store_true", help="replace threads that exist")
    p.add_argument("--thread-id", help="import the (single) exported thread under this id")
    p.set_defaults(func=cmd_import)

    p = sub.add_parser("delete", help="delete threads and their whole history")
    add_db(p)
    p.add_argument("threads", metavar="THREAD", nargs="+")
    p.set_defaults(func=cmd_delete)

    p = sub.add_parser("archive", help="set threads' status to 'archived' (history is kept)")
    add_db(p)
    p.add_argument("threads", metavar="THREAD", nargs="+")
    p.set_defaults(func=cmd_archive)

    p = sub.add_parser("restore", help="make archived threads take turns again")
    add_db(p)
    p.add_argument("threads", metavar="THREAD", nargs="+")
    p.set_defaults(func=cmd_restore)

    p = sub.add_parser("vacuum", help="checkpoint the WAL and VACUUM the database file")
    add_db(p)
    p.set_defaults(func=cmd_vacuum)


# -- export --------------------------------------------------------------------------------
async def export_lines(store: SqliteStore, ids: list[str], source: str) -> list[bytes]:
    header = {
        "format": FORMAT,
        "version": VERSION,
        "checkpoint_format": CHECKPOINT_FORMAT,
        "exported_at": iso(time.time()),
        "source": source,
    }
    lines = [dumps(header)]
    count = 0
    for tid in ids:
        thread = await store.get_thread(tid)
        rows = await store.list_checkpoints(tid, ascending=True)
        if thread is None:
            raise CliError(f"thread {tid!r} not found")
        t = thread._asdict()
        t["metadata"] = b64(thread.metadata) if thread.metadata is not None else None
        lines.append(dumps({"thread": t}))
        for row in rows:
            r = row._asdict()
            r["payload"] = b64(row.payload)
            lines.append(dumps({"checkpoint": r}))
        count += len(rows)
    lines.append(dumps({"end": {"threads": len(ids), "checkpoints": count}}))
    return lines


def cmd_export(args: argparse.Namespace) -> int:
    if bool(args.threads) == args.all:
        raise CliError("name the threads to export, or pass --all", 2)

    async def run() -> list[bytes]:
        async with open_db(args.db) as store:
            ids = args.threads
            if args.all:
                ids = [t.thread_id for t in await store.list_threads()]
            return await export_lines(store, ids, os.path.basename(args.db))

    lines = asyncio.run(run())
    data = b"\n".join(lines) + b"\n"
    if args.output:
        with open(args.output, "wb") as f:
            f.write(data)
    else:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    return 0


# -- import --------------------------------------------------------------------------------
def parse_export(lines: Iterable[bytes]) -> list[tuple[ThreadRow, list[CheckpointRow]]]:
    """The threads of an export, checked for format, version and completeness."""
    it: Iterator[bytes] = (line for line in lines if line.strip())
    try:
        header = loads(next(it))
    except StopIteration:
        raise CliError("the export is empty") from None
    except Exception as exc:
        raise CliError(f"not an export: {exc}") from exc
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise CliError(f"not a {FORMAT} export (first line: {header!r:.200})")
    if header.get("version") != VERSION:
        raise CliError(f"export version {header.get('version')} is not supported (want {VERSION})")
    if header.get("checkpoint_format", 0) > CHECKPOINT_FORMAT:
        raise CliError("the export holds checkpoints of a newer format; upgrade first")
    threads: list[tuple[ThreadRow, list[CheckpointRow]]] = []
    end: dict[str, Any] | None = None
    for n, line in enumerate(it, start=2):
        if end is not None:
            raise CliError(f"line {n}: data after the end line")
        try:
            item = loads(line)
            if "thread" in item:
                t = dict(item["thread"])
                t["metadata"] = unb64(t["metadata"]) if t["metadata"] is not None else None
                threads.append((ThreadRow(**t), []))
            elif "checkpoint" in item:
                c = dict(item["checkpoint"])
                c["payload"] = unb64(c["payload"])
                row = CheckpointRow(**c)
                if not threads or threads[-1][0].thread_id != row.thread_id:
                    raise ValueError("a checkpoint outside its thread's block")
                threads[-1][1].append(row)
            elif "end" in item:
                end = item["end"]
            else:
                raise ValueError("unknown line")
        except CliError:
            raise
        except Exception as exc:
            raise CliError(f"line {n} of the export is malformed: {exc}") from exc
    if end is None:
        raise CliError("the export is truncated (no end line)")
    rows = sum(len(cs) for _, cs in threads)
    if end.get("threads") != len(threads) or end.get("checkpoints") != rows:
        raise CliError(f"the export is inconsistent: its end line says {end}")
    return threads


def check_export(threads: list[tuple[ThreadRow, list[CheckpointRow]]]) -> None:
    """Refuse an export holding anything a store would later refuse to read: the checks of
    every read (row and column types, parents before children, record formats and ops,
    states that decode and replay), run on all of it before anything is written."""
    seen: set[str] = set()
    for thread, rows in threads:
        try:
            check_thread(thread)
            tid = thread.thread_id
            if tid in seen:
                raise corrupt("the export holds this thread twice", tid)
            seen.add(tid)
            if thread.metadata is not None and type(codec.decode(thread.metadata)) is not dict:
                raise corrupt("its metadata is no dict", tid)
            check_rows(rows, tid)
            seqs = [r.seq for r in rows]
            if seqs != sorted(set(seqs)):
                raise corrupt("its checkpoints are not in ascending order, once each", tid)
            if rows and thread.head not in seqs:
                raise corrupt(f"its head {thread.head} is not among its checkpoints", tid)
            for _ in states_forward(rows):  # decodes every record and replays every state
                pass
        except CorruptCheckpointError as exc:
            raise CliError(f"the export is damaged, nothing was imported: {exc}") from exc
        except Exception as exc:  # the metadata's bytes: damage may fail in any way
            raise CliError(
                f"the export is damaged, nothing was imported: thread {thread.thread_id!r}: "
                f"its metadata cannot be decoded ({type(exc).__name__}: {exc})"
            ) from exc


def _renamed(
    thread: ThreadRow, rows: list[CheckpointRow], new: str
) -> tuple[ThreadRow, list[CheckpointRow]]:
    # payloads never name their thread, so renaming is a matter of the key columns
    return thread._replace(thread_id=new), [r._replace(thread_id=new) for r in rows]


async def import_threads(
    store: SqliteStore,
    threads: list[tuple[ThreadRow, list[CheckpointRow]]],
    *,
    replace: bool = False,
) -> list[str]:
    for thread, _ in threads:
        if not replace and await store.get_thread(thread.thread_id) is not None:
            raise CliError(
                f"thread {thread.thread_id!r} exists in the target; pass --replace, or "
                "--thread-id to import it under another id"
            )
    done = []
    for thread, rows in threads:
        if replace:
            await store.delete_thread(thread.thread_id)
        await store.write_batch(WriteBatch(checkpoints=rows, threads=[thread], discard=[]))
        done.append(thread.thread_id)
    return done


def cmd_import(args: argparse.Namespace) -> int:
    if args.input:
        with open(args.input, "rb") as f:
            threads = parse_export(f.read().splitlines())
    else:
        threads = parse_export(sys.stdin.buffer.read().splitlines())
    if args.thread_id:
        if len(threads) != 1:
            raise CliError("--thread-id needs an export of exactly one thread", 2)
        threads = [_renamed(*threads[0], args.thread_id)]
    check_export(threads)

    async def run() -> list[str]:
        async with open_db(args.db, create=True) as store:
            return await import_threads(store, threads, replace=args.replace)

    done = asyncio.run(run())
    rows = sum(len(cs) for _, cs in threads)
    print(f"imported {len(done)} thread(s), {rows} checkpoint(s): {', '.join(done)}")
    return 0


# -- maintenance ---------------------------------------------------------------------------
def cmd_delete(args: argparse.Namespace) -> int:
    async def run() -> list[str]:
        async with open_db(args.db) as store:
            return [t for t in args.threads if not await store.delete_thread(t)]

    missing = asyncio.run(run())
    for tid in missing:
        print(f"thread {tid!r} not found", file=sys.stderr)
    deleted = len(args.threads) - len(missing)
    print(f"deleted {deleted} thread(s)")
    return 1 if missing else 0


def cmd_archive(args: argparse.Namespace) -> int:
    async def run() -> list[str]:
        async with open_db(args.db) as store:
            now = time.time()
            return [
                tid
                for tid in args.threads
                if not await store.set_thread_status(tid, ARCHIVED, updated_at=now)
            ]

    missing = asyncio.run(run())
    for tid in missing:
        print(f"thread {tid!r} not found", file=sys.stderr)
    print(f"archived {len(args.threads) - len(missing)} thread(s)")
    return 1 if missing else 0


def cmd_restore(args: argparse.Namespace) -> int:
    async def run() -> list[str]:
        refused = []
        async with open_db(args.db) as store:
            for tid in args.threads:
                row = await store.get_thread(tid)
                if row is None or row.status != ARCHIVED:
                    why = "not found" if row is None else f"not archived (status {row.status})"
                    print(f"thread {tid!r} {why}", file=sys.stderr)
                    refused.append(tid)
                    continue
                status = await resting_status(store, tid)
                await store.set_thread_status(tid, status, updated_at=time.time())
        return refused

    refused = asyncio.run(run())
    print(f"restored {len(args.threads) - len(refused)} thread(s)")
    return 1 if refused else 0


def cmd_vacuum(args: argparse.Namespace) -> int:
    if not os.path.exists(args.db):
        raise CliError(f"no database at {args.db}")

    def size() -> int:
        return sum(os.path.getsize(p) for p in (args.db, args.db + "-wal") if os.path.exists(p))

    before = size()
    db = sqlite3.connect(args.db, isolation_level=None, timeout=30)
    try:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        db.execute("VACUUM")
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    except sqlite3.Error as exc:
        raise CliError(f"cannot vacuum {args.db}: {exc}") from exc
    finally:
        db.close()
    print_json({"db": args.db, "bytes_before": before, "bytes_after": size()})
    return 0
