"""What the commands share: errors, opening a database, printing JSON and tables."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any, TextIO

import msgspec

from runtime.api import CompiledGraph
from stores import SqliteStore, codec
from stores.records import ThreadRow

from .jsonio import dumps, iso, loads

Subparsers = Any  # argparse's _SubParsersAction is private
Command = Callable[[argparse.Namespace], int]


class CliError(Exception):
    """A failure to report as ``error: <message>`` with exit code ``code``."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


@asynccontextmanager
async def open_db(path: str, *, create: bool = False) -> AsyncIterator[SqliteStore]:
    """The SQLite store at ``path``, open; refuses a missing file unless ``create``."""
    if not create and not os.path.exists(path):
        raise CliError(f"no database at {path}")
    store = SqliteStore(path)
    try:
        await store.open()
    except Exception as exc:
        raise CliError(f"cannot open {path}: {exc}") from exc
    try:
        yield store
    finally:
        await store.close()


def thread_row_json(row: ThreadRow) -> dict[str, Any]:
    return {
        "thread_id": row.thread_id,
        "status": row.status,
        "created_at": iso(row.created_at),
        "updated_at": iso(row.updated_at),
        "metadata": codec.decode(row.metadata) if row.metadata else {},
        "checkpoints": row.head,
    }


def print_json(value: Any, out: TextIO | None = None) -> None:
    stream = out or sys.stdout
    stream.write(dumps(value).decode())
    stream.write("\n")


def short(value: Any, width: int) -> str:
    """``value`` as one line of JSON, cut to ``width`` characters."""
    text = dumps(value).decode()
    return text if len(text) <= width else text[: max(width - 1, 0)] + "…"


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], out: TextIO | None = None) -> None:
    """A plain aligned table; the last column is not padded."""
    stream = out or sys.stdout
    widths = [len(h) for h in headers]
    for row in rows:
        for i, cell in enumerate(row[:-1]):
            widths[i] = max(widths[i], len(cell))
    for row in (headers, *rows):
        cells = [c.ljust(widths[i]) for i, c in enumerate(row[:-1])]
        stream.write("  ".join([*cells, row[-1]]).rstrip() + "\n")


def add_db(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("db", metavar="DB", help="path of a session-actors SQLite database")


def add_json(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="machine-readable JSON output")


def parse_options(items: list[str]) -> dict[str, Any]:
    options: dict[str, Any] = {}
    for item in items:
        key, sep, raw = item.partition("=")
        if not sep or not key.isidentifier():
            raise CliError(f"--option takes KEY=JSON, got {item!r}", 2)
        try:
            options[key] = loads(raw)
        except msgspec.DecodeError:
            options[key] = raw  # a bare word: take it as a string
    return options


def load_graph(spec: str, db: str | None, options: dict[str, Any] | None = None) -> CompiledGraph:
    """``module:attr`` as a graph: the attribute itself, or what calling it returns."""
    module_name, _, attr = spec.partition(":")
    if not module_name or not attr:
        raise CliError(f"TARGET must be module:attr or a URL, got {spec!r}", 2)
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        obj: Any = importlib.import_module(module_name)
        for part in attr.split("."):
            obj = getattr(obj, part)
    except (ImportError, AttributeError) as exc:
        raise CliError(f"cannot import {spec}: {exc}") from exc
    if not isinstance(obj, CompiledGraph):
        if not callable(obj):
            raise CliError(f"{spec} is neither a CompiledGraph nor a function returning one")
        args = (db,) if db else ()
        try:
            obj = obj(*args, **(options or {}))
        except TypeError as exc:
            raise CliError(f"cannot call {spec}: {exc}") from exc
    elif db or options:
        raise CliError(f"--db and --option need a function; {spec} is a graph already", 2)
    if not isinstance(obj, CompiledGraph):
        raise CliError(f"{spec} returned {type(obj).__name__}, not a CompiledGraph")
    return obj
