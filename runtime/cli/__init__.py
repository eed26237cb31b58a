"""The command line: ``python -m runtime ...`` (installed as ``session-actors`` too).

    python -m runtime serve examples.server:app --port 8123     # the example HTTP server
    python -m runtime serve mymod:build_graph --graph --db app.db  # any graph, same API
    python -m runtime threads chat.db                            # threads, status, metadata
    python -m runtime state chat.db THREAD [--json]              # current state
    python -m runtime history chat.db THREAD [--json]            # checkpoints, newest first
    python -m runtime export chat.db THREAD > t.jsonl            # a thread with its history
    python -m runtime import other.db < t.jsonl                  # ... into another database
    python -m runtime delete|archive|restore chat.db THREAD
    python -m runtime sweep chat.db --keep-last 50 --ttl 2592000  # retention, once
    python -m runtime vacuum chat.db                             # give free pages back
    python -m runtime loadtest examples.server:tutorial_graph -S 1000 -T 5 -C 100
    python -m runtime loadtest http://127.0.0.1:8123 -S 1000 -T 5 -C 100

The inspection commands read a SQLite database directly (no graph needed): state and
history are rebuilt from the stored checkpoints. Exit codes: 0 done, 1 not found or
failed, 2 usage errors.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from . import inspect, loadtest, serve, sweep, transfer
from .common import CliError

__all__ = ["CliError", "build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    name = os.path.basename(sys.argv[0])
    parser = argparse.ArgumentParser(
        prog="python -m runtime" if name in ("__main__.py", "-c", "") else name,
        description="session-actors: serve graphs, inspect session databases, load-test.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split("\n\n")[1] if __doc__ else None,
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in (serve, inspect, transfer, sweep, loadtest):
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        code: int = args.func(args)
    except CliError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `... | head`
        return 0
    return code
