"""``serve APP``: run an ASGI app (``module:attr``) with uvicorn.

``APP`` is what uvicorn takes: ``examples.server:app`` serves the session tutorial over
``--db`` (or ``$SESSION_ACTORS_DB``). With ``--graph``, ``APP`` is a ``CompiledGraph`` or a
function returning one (called with ``--db`` and ``-o KEY=JSON`` options), served with
:func:`runtime.cli.asgi.create_app`.

Shutdown is bounded. On SIGINT or SIGTERM the graphs of every app built by ``create_app``
start closing at once, alongside uvicorn's wait for open requests: running and queued
turns get ``drain_timeout`` to finish (their requests are answered), then are cancelled
(their requests get 503), and every checkpoint is flushed; all within ``drain_timeout +
shutdown_grace`` (graph options, ``-o drain_timeout=5`` with ``--graph``). If turns had to
be cancelled or checkpoints could not be saved, the process says so on stderr (counts and
thread ids) and exits with status 1 instead of 0.
Needs the ``server`` extra: ``pip install 'session-actors[server]'``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import socket
import sys
from collections.abc import Iterator
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
    config = uvicorn.Config(
        app,
        host=args.host,
        port=args.port,
        factory=args.factory and not args.graph,
        log_level=args.log_level,
        access_log=args.access_log,
        lifespan="on",
    )
    server = _bounded_server(uvicorn, config)
    with contextlib.suppress(KeyboardInterrupt):
        server.run()
    if server.problems:
        print(
            "session-actors serve: the shutdown did not complete; exit status 1:\n  "
            + "\n  ".join(server.problems),
            file=sys.stderr,
        )
        return 1
    if not server.started:
        return 3  # uvicorn's status when the app or the socket failed at startup
    return 0


def _bounded_server(uvicorn: Any, config: Any) -> Any:
    """A uvicorn server whose shutdown closes the hosted graphs in bounded time."""
    from .asgi import HOSTS

    class BoundedServer(uvicorn.Server):  # type: ignore[misc]
        problems: list[str]

        async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
            self.problems = []
            loop = asyncio.get_running_loop()
            graphs = [
                g
                for host in list(HOSTS)
                for g in host.graphs.values()
                if g.supervisor.loop is loop  # this server's, started
            ]
            # Close the graphs now rather than after the requests end: a hung turn would
            # hold its request, and so uvicorn, forever. Their turns get drain_timeout;
            # their requests end when they do.
            closing = [asyncio.ensure_future(g.aclose()) for g in graphs]
            bounds = [g.supervisor.drain_timeout + g.supervisor.shutdown_grace for g in graphs]
            if bounds:  # a backstop for requests that wait on something else
                self.config.timeout_graceful_shutdown = max(bounds) + 1.0
            await super().shutdown(sockets)
            for outcome in await asyncio.gather(*closing, return_exceptions=True):
                if isinstance(outcome, BaseException):
                    self.problems.append(f"{type(outcome).__name__}: {outcome}")
            if getattr(self.lifespan, "shutdown_failed", False) and not self.problems:
                self.problems.append("the app's lifespan shutdown failed (see above)")

        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            self.problems = []
            with super().capture_signals():
                yield
                if self.problems:
                    # uvicorn would raise the signal again and die of it, which reads as a
                    # clean stop to a supervisor; exit with status 1 instead
                    self._captured_signals.clear()

    return BoundedServer(config)
