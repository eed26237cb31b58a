"""``serve APP``: run an ASGI app (``module:attr``) with uvicorn.

``APP`` is what uvicorn takes: ``examples.server:app`` serves the session tutorial over
``--db`` (or ``$SESSION_ACTORS_DB``). With ``--graph``, ``APP`` is a ``CompiledGraph`` or a
function returning one (called with ``--db`` and ``-o KEY=JSON`` options), served with
:func:`runtime.cli.asgi.create_app`. The app's lifespan closes its graphs on SIGINT or
SIGTERM, so queued turns finish and every checkpoint is flushed before the process exits.
Needs the ``server`` extra: ``pip install 'session-actors[server]'``.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from .common import CliError, Subparsers, load_graph, parse_options

DB_ENV = "SESSION_ACTORS_DB"


def register(sub: Subparsers) -> None:
    p = sub.add_parser("serve", help="serve an ASGI app (module:attr) with uvicorn")
    p.add_argument("app", metavar="APP", help="module:attr, e.g. examples.server:app")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8123)
    p.add_argument("--db", help=f"database path for the example app (sets ${DB_ENV})")
    p.add_argument("--factory", action="store_true", help="APP is a function returning the app")
    p.add_argument(
        "--graph",
        action="store_true",
        help="APP is a CompiledGraph, or a function returning one (called with --db)",
    )
    p.add_argument(
        "-o",
        "--option",
        action="append",
        default=[],
        metavar="KEY=JSON",
        help="with --graph: keyword for the function, e.g. -o max_active=1000",
    )
    p.add_argument(
        "--debug",
        action="store_true",
        help="with --graph: error bodies carry node exception text and tracebacks",
    )
    p.add_argument(
        "--allowed-host",
        action="append",
        default=None,
        metavar="HOST",
        help="with --graph: serve only this Host (repeat; *.example.com for subdomains)",
    )
    p.add_argument(
        "--max-body-bytes",
        type=int,
        default=None,
        metavar="N",
        help="with --graph: refuse larger request bodies (413); default 10 MiB",
    )
    p.add_argument("--log-level", default="info", choices=["critical", "error", "warning", "info"])
    p.add_argument("--access-log", action="store_true", help="log every request")
    p.set_defaults(func=cmd_serve)


def cmd_serve(args: argparse.Namespace) -> int:
    try:
        import uvicorn
    except ImportError:
        raise CliError("serve needs uvicorn: pip install 'session-actors[server]'") from None
    if args.db:
        os.environ[DB_ENV] = args.db
    if os.getcwd() not in sys.path:  # like uvicorn's --app-dir .
        sys.path.insert(0, os.getcwd())
    app: Any = args.app
    if args.graph:
        from .asgi import create_app

        extra: dict[str, Any] = {"debug": args.debug, "allowed_hosts": args.allowed_host}
        if args.max_body_bytes is not None:
            extra["max_body_bytes"] = args.max_body_bytes
        try:
            app = create_app(load_graph(args.app, args.db, parse_options(args.option)), **extra)
        except ValueError as exc:
            raise CliError(str(exc), 2) from None
    else:
        given = [
            name
            for name, value in (
                ("--option", args.option),
                ("--debug", args.debug),
                ("--allowed-host", args.allowed_host),
                ("--max-body-bytes", args.max_body_bytes),
            )
            if value
        ]
        if given:
            raise CliError(
                f"{', '.join(given)} go(es) with --graph; an app of your own takes them as "
                "create_app(..., debug=, allowed_hosts=, max_body_bytes=)",
                2,
            )
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        factory=args.factory and not args.graph,
        log_level=args.log_level,
        access_log=args.access_log,
        lifespan="on",
    )
    return 0
