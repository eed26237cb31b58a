"""``loadtest TARGET``: S sessions x T turns at concurrency C, in-process or over HTTP.

``TARGET`` is an import path ``module:attr`` (a ``CompiledGraph``, or a function returning
one; with ``--db PATH`` the function is called with the path) driven in this process, or
the URL of the example server (``examples/server.py``) driven through
``POST /threads/{id}/runs/wait``. Like ``examples/bench.py``, each of the C in-flight
sessions runs its T turns one after another (a user waits for each reply); ``--rate``
also paces turn starts to at most R per second.

The default inputs are the session tutorial's: ``{"messages": []}`` for a session's first
turn and ``{}`` after. Thread ids are ``<prefix><n>`` (``--prefix``; a fresh one per run).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
import uuid
from typing import Any, Protocol

import msgspec

from runtime.api import CompiledGraph

from .common import CliError, Subparsers, load_graph, parse_options, print_json
from .httpclient import RawClient
from .jsonio import dumps, loads
from .report import Bar, Recorder, peak_rss_mb, plot, print_report, runtime_delta


def register(sub: Subparsers) -> None:
    p = sub.add_parser("loadtest", help="drive a graph (module:attr) or a server URL with load")
    p.add_argument("target", metavar="TARGET", help="module:attr, or http://host:port")
    p.add_argument("-S", "--sessions", type=int, default=100)
    p.add_argument("-T", "--turns", type=int, default=5, help="turns per session")
    p.add_argument("-C", "--concurrency", type=int, default=10, help="sessions in flight")
    p.add_argument("--rate", type=float, default=None, help="at most R turn starts per second")
    p.add_argument(
        "--rounds",
        action="store_true",
        help="every session has turn t before any has t+1 (sessions come back: rehydration)",
    )
    p.add_argument("--db", help="call the target function with this database path")
    p.add_argument(
        "-o",
        "--option",
        action="append",
        default=[],
        metavar="KEY=JSON",
        help="keyword for the target function, e.g. -o max_active=100 (repeatable)",
    )
    p.add_argument("--first-input", default='{"messages": []}', help="JSON, a session's 1st turn")
    p.add_argument("--input", default="{}", help="JSON input of the later turns")
    p.add_argument("--durability", choices=["async", "sync"], default=None)
    p.add_argument("--assistant-id", help="HTTP: which hosted graph")
    p.add_argument("--prefix", help="thread id prefix (default: lt-<random>-)")
    p.add_argument("--timeout", type=float, default=60.0, help="HTTP: seconds per request")
    p.add_argument(
        "--client", choices=["raw", "httpx"], default="raw", help="HTTP client (raw: cheapest)"
    )
    p.add_argument("--plot", metavar="PNG", help="save latency over time (needs matplotlib)")
    p.add_argument("--json", action="store_true", help="print the report as JSON only")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_loadtest)


class Target(Protocol):
    mode: str

    async def start(self) -> None: ...
    async def turn(self, thread_id: str, input: Any) -> None: ...
    async def statistics(self) -> dict[str, Any]: ...
    async def close(self) -> None: ...


class InProcess:
    mode = "inprocess"

    def __init__(self, graph: CompiledGraph, durability: str | None) -> None:
        self.graph = graph
        self.options: dict[str, Any] = {"durability": durability} if durability else {}

    async def start(self) -> None:
        await self.graph.__aenter__()

    async def turn(self, thread_id: str, input: Any) -> None:
        await self.graph.ainvoke(input, {"configurable": {"thread_id": thread_id}}, **self.options)

    async def statistics(self) -> dict[str, Any]:
        flusher = self.graph.supervisor.flusher
        if flusher is not None:
            await flusher.flush()  # so that the figures include the last batches
        return msgspec.structs.asdict(self.graph.statistics())

    async def close(self) -> None:
        await self.graph.aclose()


class HttpError(Exception):
    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind


class Http:
    mode = "http"

    def __init__(self, url: str, args: argparse.Namespace) -> None:
        self.url = url.rstrip("/")
        self.args = args
        self.client: Any = None
        self.extra: dict[str, Any] = {"if_not_exists": "create"}
        if args.assistant_id:
            self.extra["assistant_id"] = args.assistant_id
        if args.durability:
            self.extra["durability"] = args.durability
        self.server_rss: float | None = None

    async def start(self) -> None:
        if self.args.client == "raw":
            try:
                self.client = RawClient(self.url, timeout=self.args.timeout)
            except ValueError as exc:
                raise CliError(f"{exc}; use --client httpx", 2) from None
            return
        try:
            import httpx
        except ImportError:
            need = "--client httpx needs httpx: pip install 'session-actors[loadtest]'"
            raise CliError(need) from None
        c = self.args.concurrency
        self.client = httpx.AsyncClient(
            base_url=self.url,
            limits=httpx.Limits(max_connections=c, max_keepalive_connections=c),
            timeout=self.args.timeout,
        )

    async def _call(self, method: str, path: str, body: bytes = b"") -> tuple[int, bytes]:
        if isinstance(self.client, RawClient):
            return await self.client.request(method, path, body)
        headers = {"content-type": "application/json"}
        r = await self.client.request(method, path, content=body, headers=headers)
        return r.status_code, r.content

    async def turn(self, thread_id: str, input: Any) -> None:
        body = dumps({"input": input, **self.extra})
        status, content = await self._call("POST", f"/threads/{thread_id}/runs/wait", body)
        if status != 200:
            try:
                kind = str(loads(content)["error"])
            except Exception:
                kind = f"HTTP {status}"
            raise HttpError(kind)

    async def statistics(self) -> dict[str, Any]:
        try:
            _, content = await self._call("GET", "/stats")
            data = loads(content)
            graphs = data["graphs"]
            name = self.args.assistant_id or next(iter(graphs))
            self.server_rss = data.get("peak_rss_mb")
            return dict(graphs[name])
        except Exception:
            return {}  # not the example server: no runtime figures

    async def close(self) -> None:
        if self.client is not None:
            await self.client.aclose()


async def drive(
    target: Target,
    *,
    sessions: int,
    turns: int,
    concurrency: int,
    first_input: Any,
    input: Any,
    prefix: str,
    rate: float | None = None,
    rounds: bool = False,
    rec: Recorder | None = None,
    bar: Bar | None = None,
) -> tuple[Recorder, float]:
    """Run the workload; returns the recorder and the wall time it took.

    By default each worker takes a session and runs its turns back to back. With
    ``rounds`` every session has its turn ``t`` before any has turn ``t + 1`` (sessions
    come back after the others: with fewer resident actors than sessions, that is the
    eviction and rehydration workload).
    """
    rec = rec or Recorder()
    next_start = time.perf_counter()
    queue: list[tuple[str, int]] = []

    async def pace() -> None:
        nonlocal next_start
        if rate is None:
            return
        now = time.perf_counter()
        slot = max(now, next_start)
        next_start = slot + 1.0 / rate
        if slot > now:
            await asyncio.sleep(slot - now)

    async def one(tid: str, t: int) -> None:
        await pace()
        started = time.perf_counter()
        try:
            await target.turn(tid, first_input if t == 0 else input)
        except HttpError as exc:
            rec.failed(exc.kind)
        except Exception as exc:
            rec.failed(type(exc).__name__)
        else:
            rec.ok(started)

    async def worker() -> None:
        while queue:
            tid, t = queue.pop()
            for turn in range(t, t + 1) if rounds else range(turns):
                await one(tid, turn)

    async def ticker(bar: Bar) -> None:
        while True:
            await asyncio.sleep(0.2)
            bar.update(rec)

    tick = asyncio.ensure_future(ticker(bar)) if bar is not None and bar.progress else None
    rec.t0 = t0 = time.perf_counter()
    workers = max(1, min(concurrency, sessions))
    try:
        for t in range(turns if rounds else 1):
            queue[:] = [(f"{prefix}{i}", t) for i in reversed(range(sessions))]
            await asyncio.gather(*(worker() for _ in range(workers)))
    finally:
        if tick is not None:
            tick.cancel()
    return rec, time.perf_counter() - t0


async def run(args: argparse.Namespace) -> dict[str, Any]:
    for name in ("sessions", "turns", "concurrency"):
        if getattr(args, name) < 1:
            raise CliError(f"--{name} must be >= 1", 2)
    try:
        first_input, input = loads(args.first_input), loads(args.input)
    except msgspec.DecodeError as exc:
        raise CliError(f"--input/--first-input must be JSON: {exc}", 2) from exc
    target: Target
    if "://" in args.target:
        target = Http(args.target, args)
    else:
        graph = load_graph(args.target, args.db, parse_options(args.option))
        target = InProcess(graph, args.durability)
    prefix = args.prefix or f"lt-{uuid.uuid4().hex[:8]}-"
    await target.start()
    bar = Bar(args.sessions * args.turns, not (args.quiet or args.json) and sys.stderr.isatty())
    rec = Recorder()
    try:
        before = await target.statistics()
        rec, elapsed = await drive(
            target,
            sessions=args.sessions,
            turns=args.turns,
            concurrency=args.concurrency,
            first_input=first_input,
            input=input,
            prefix=prefix,
            rate=args.rate,
            rounds=args.rounds,
            rec=rec,
            bar=bar,
        )
        after = await target.statistics()
    finally:
        bar.close(rec)
        await target.close()
    report: dict[str, Any] = {
        "mode": target.mode,
        "target": args.target,
        "sessions": args.sessions,
        "turns_per_session": args.turns,
        "concurrency": args.concurrency,
        "rate": args.rate,
        "order": "rounds" if args.rounds else "sessions",
        "thread_prefix": prefix,
        "turns": rec.done,
        **rec.summary(elapsed),
        "runtime": runtime_delta(before, after) if after else {},
        "peak_rss_mb": peak_rss_mb(),
        "server_peak_rss_mb": getattr(target, "server_rss", None),
        "plot": None,
    }
    if args.plot:
        title = f"{target.mode} S={args.sessions} T={args.turns} C={args.concurrency}"
        skipped = plot(rec.samples, args.plot, title)
        if skipped:
            print(f"--plot skipped: {skipped}", file=sys.stderr)
            report["plot_skipped"] = skipped
        else:
            report["plot"] = args.plot
    return report


def cmd_loadtest(args: argparse.Namespace) -> int:
    report = asyncio.run(run(args))
    if args.json:
        print_json(report)
    else:
        print_report(report)
    return 0 if report["failed"] == 0 else 1
