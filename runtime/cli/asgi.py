"""An ASGI application (Starlette) hosting compiled graphs in LangGraph server's shape.

``create_app(graphs)`` serves one graph or a ``{name: graph}`` mapping; runs and thread
calls pick one with ``assistant_id`` (the first is the default). The graphs start with
the app and close on shutdown: queued turns finish and every checkpoint is flushed.
``examples/server.py`` shows it hosting the session tutorial; ``python -m runtime serve``
runs it. Needs the ``server`` extra (starlette, uvicorn).
"""

from __future__ import annotations

import asyncio
import contextlib
import resource
import uuid
import weakref
from collections.abc import AsyncIterator, Awaitable, Iterable, Mapping
from typing import Any, TypeVar

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from runtime.api import CompiledGraph, ThreadInfo
from runtime.api.compiled import STREAM_MODES
from runtime.api.config import check_thread_id
from runtime.errors import InvalidConfigError
from runtime.graph.types import Command
from runtime.supervisor import DURABILITIES, STRATEGIES

from .guard import DEFAULT_MAX_BODY, Guard, thread_id
from .jsonio import dumps, output_json, snapshot_json, thread_json
from .msgstream import SERVER_MODES, MessagesView, graph_modes
from .protocol import (
    JSON,
    ClientGoneError,
    HistoryQuery,
    NotFoundError,
    ResponseTooLargeError,
    RunCreate,
    StateUpdate,
    ThreadCreate,
    ThreadExistsError,
    ThreadSearch,
    ValidationError,
    endpoint,
    parse,
    safe_error,
    sse,
)

__all__ = ["Host", "create_app"]


T = TypeVar("T")
#: The header naming a run request (retries send the same): IETF's draft
#: ``Idempotency-Key``, which LangGraph's SDK can send with ``headers=`` on every call.
IDEMPOTENCY_KEY = "idempotency-key"
_INT_MAX = 2**63 - 1


async def _disconnect(request: Request) -> None:
    """Returns once the client has gone (the body was read already: ``http.disconnect``
    is all the server has left to say)."""
    while (await request.receive())["type"] != "http.disconnect":
        pass


async def _unless_gone(request: Request, work: Awaitable[T]) -> T:
    """``await work``, cancelled if the client disconnects first (``ClientGoneError``): a
    turn still queued is then skipped (a started one runs to its end and commits)."""
    task = asyncio.ensure_future(work)
    gone = asyncio.ensure_future(_disconnect(request))
    try:
        await asyncio.wait((task, gone), return_when=asyncio.FIRST_COMPLETED)
    finally:
        for t in (task, gone):
            if not t.done():
                t.cancel()
        if not gone.done() or not task.done():
            await asyncio.gather(task, gone, return_exceptions=True)
    if task.cancelled() and gone.done() and not gone.cancelled():
        raise ClientGoneError("the client disconnected")
    return task.result()


#: An SSE comment: clients ignore it, proxies see traffic.
PING = b": ping\n\n"
_PING: Any = object()


async def _with_heartbeats(agen: AsyncIterator[Any], every: float | None) -> AsyncIterator[Any]:
    """``agen``'s items, with ``_PING`` after each ``every`` seconds without one."""
    if every is None:
        async for item in agen:
            yield item
        return
    while True:
        nxt = asyncio.ensure_future(agen.__anext__())
        try:
            while not (await asyncio.wait({nxt}, timeout=every))[0]:
                yield _PING
        finally:
            if not nxt.done():  # the client went away during a silence
                nxt.cancel()
                await asyncio.gather(nxt, return_exceptions=True)
        try:
            item = nxt.result()
        except StopAsyncIteration:
            return
        yield item


def _sse(item: tuple[str, Any], view: MessagesView | None) -> list[bytes]:
    """The SSE events of one ``(mode, payload)`` stream event."""
    mode, payload = item
    if mode == "messages" and view is not None:
        return [sse(name, data) for name, data in view.events(payload)]
    return [sse(mode, output_json(payload))]


def _choice(name: str, value: str | None, allowed: tuple[str, ...]) -> None:
    if value is not None and value not in allowed:
        raise ValidationError(f"{name} must be one of {', '.join(allowed)}; got {value!r}")


#: LangGraph's server pages history at most 1000 states a request.
HISTORY_MAX_LIMIT = 1000
#: A history response's largest body: a long chat's states are each the whole conversation.
HISTORY_MAX_BYTES = 64 * 1024 * 1024


class Host:
    """The graphs an app serves, by name, and the endpoints over them.

    ``history_max_limit`` and ``history_max_bytes`` bound a history request: a larger
    ``limit`` is refused (422), and a response stops before the state that would take it
    past the byte cap (header ``X-History-Truncated: true``; the client pages on with
    ``before`` set to the last checkpoint it got), or is refused (413) when the newest
    state alone is over it.
    """

    history_max_limit = HISTORY_MAX_LIMIT
    history_max_bytes = HISTORY_MAX_BYTES

    def __init__(
        self,
        graphs: Mapping[str, CompiledGraph],
        *,
        heartbeat: float | None = 15.0,
        debug: bool = False,
    ) -> None:
        if not graphs:
            raise ValueError("create_app() needs at least one graph")
        if heartbeat is not None and heartbeat <= 0:
            raise ValueError(
                f"heartbeat must be a positive number of seconds or None, got {heartbeat}"
            )
        self.graphs = dict(graphs)
        self.default = next(iter(self.graphs))
        self.heartbeat = heartbeat
        self.debug = debug
        HOSTS.add(self)

    # -- lookup --------------------------------------------------------------------------
    def graph(self, assistant_id: str | None) -> tuple[str, CompiledGraph]:
        name = assistant_id or self.default
        graph = self.graphs.get(name)
        if graph is None:
            raise NotFoundError(f"no assistant {name!r}; this server hosts {sorted(self.graphs)}")
        return name, graph

    async def locate(
        self, tid: str, assistant_id: str | None = None
    ) -> tuple[str, CompiledGraph, ThreadInfo | None]:
        """The graph holding thread ``tid``; ``NotFoundError`` if none does."""
        names = [assistant_id] if assistant_id else list(self.graphs)
        for name in names:
            _, graph = self.graph(name)
            if graph.supervisor.actor(tid) is not None:  # resident: it exists, no store read
                return name, graph, None
            info = await graph.aget_thread(tid)
            if info is not None:
                return name, graph, info
        raise NotFoundError(f"thread {tid!r} not found")

    # -- threads -------------------------------------------------------------------------
    async def create_thread(self, request: Request) -> Response:
        body: ThreadCreate = await parse(request, ThreadCreate)
        name, graph = self.graph(body.assistant_id)
        tid = str(uuid.uuid4()) if body.thread_id is None else check_thread_id(body.thread_id)
        with contextlib.suppress(NotFoundError):
            holder, held_by, found = await self.locate(tid)  # ids are unique across graphs
            if body.if_exists == "raise":
                raise ThreadExistsError(f"thread {tid!r} already exists")
            return JSON(thread_json(found or await self._info(held_by, tid), graph_id=holder))
        try:
            info = await graph.acreate_thread(tid, metadata=body.metadata, values=body.values)
        except AssertionError:
            # acreate_thread without values reads the thread back before its row is
            # flushed and finds nothing; list_threads flushes, then it reads fine.
            await graph.alist_threads(limit=1)
            info = await self._info(graph, tid)
        return JSON(thread_json(info, graph_id=name))

    async def _info(self, graph: CompiledGraph, tid: str) -> ThreadInfo:
        info = await graph.aget_thread(tid)
        if info is None:
            raise NotFoundError(f"thread {tid!r} not found")
        return info

    async def get_thread(self, request: Request) -> Response:
        tid = thread_id(request)
        name, graph, info = await self.locate(tid, request.query_params.get("assistant_id"))
        return JSON(thread_json(info or await self._info(graph, tid), graph_id=name))

    async def delete_thread(self, request: Request) -> Response:
        tid = thread_id(request)
        _, graph, _ = await self.locate(tid, request.query_params.get("assistant_id"))
        await graph.adelete_thread(tid)
        return Response(status_code=204)

    async def search_threads(self, request: Request) -> Response:
        body: ThreadSearch = await parse(request, ThreadSearch)
        if body.limit < 0 or body.offset < 0 or body.limit + body.offset > _INT_MAX:
            raise ValidationError("limit and offset must be >= 0 and fit in 64 bits")
        names = [body.assistant_id] if body.assistant_id else list(self.graphs)
        wanted = body.metadata or {}
        found: list[dict[str, Any]] = []
        for name in names:
            _, graph = self.graph(name)
            # list_threads cannot filter by metadata: without a filter, one page suffices
            window = None if wanted else body.limit + body.offset
            for info in await graph.alist_threads(status=body.status, limit=window):
                if all(info.metadata.get(k) == v for k, v in wanted.items()):
                    found.append(thread_json(info, graph_id=name))
        found.sort(key=lambda t: (t["updated_at"], t["thread_id"]), reverse=True)
        return JSON(found[body.offset : body.offset + body.limit])

    # -- runs ----------------------------------------------------------------------------
    async def _run_args(
        self, request: Request
    ) -> tuple[CompiledGraph, RunCreate, Any, dict[str, Any], dict[str, Any]]:
        tid = thread_id(request)
        body: RunCreate = await parse(request, RunCreate)
        _choice("multitask_strategy", body.multitask_strategy, STRATEGIES)
        _choice("durability", body.durability, DURABILITIES)
        try:
            _, graph, _ = await self.locate(tid, body.assistant_id)
        except NotFoundError:
            if body.if_not_exists != "create":
                raise NotFoundError(
                    f"thread {tid!r} not found; create it with POST /threads or pass "
                    '"if_not_exists": "create"'
                ) from None
            _, graph = self.graph(body.assistant_id)
        config: dict[str, Any] = dict(body.config or {})
        configurable = config.get("configurable") or {}
        if not isinstance(configurable, dict):
            raise InvalidConfigError(
                f'config["configurable"] must be an object, got {type(configurable).__name__}'
            )
        configurable = dict(configurable)
        configurable["thread_id"] = tid
        if body.checkpoint_id is not None:
            configurable["checkpoint_id"] = body.checkpoint_id
        config["configurable"] = configurable
        if body.metadata:
            meta = config.get("metadata") or {}
            if not isinstance(meta, dict):
                raise InvalidConfigError(
                    f'config["metadata"] must be an object, got {type(meta).__name__}'
                )
            config["metadata"] = {**meta, **body.metadata}
        input = body.input
        if body.command is not None:
            c = body.command
            input = Command(resume=c.resume, update=c.update, goto=c.goto or ())
        options: dict[str, Any] = {
            "durability": body.durability,
            "multitask_strategy": body.multitask_strategy,
        }
        for key in ("interrupt_before", "interrupt_after"):
            value = getattr(body, key)
            if value is not None:
                unknown = {value} if isinstance(value, str) else set(value)
                unknown -= {"*", *graph.spec.nodes}
                if unknown:
                    raise ValidationError(f"{key} names unknown nodes {sorted(unknown)}")
                options[key] = value
        return graph, body, input, config, options

    async def run_wait(self, request: Request) -> Response:
        graph, _, input, config, options = await self._run_args(request)
        key = request.headers.get(IDEMPOTENCY_KEY)
        if key is not None:
            options["request_id"] = key
        out = await _unless_gone(request, graph.ainvoke(input, config, **options))
        return JSON(output_json(out))

    async def run_stream(self, request: Request) -> Response:
        graph, body, input, config, options = await self._run_args(request)
        if IDEMPOTENCY_KEY in request.headers:
            raise ValidationError(
                f"{IDEMPOTENCY_KEY} is not supported on runs/stream yet; use runs/wait"
            )
        modes = [body.stream_mode] if isinstance(body.stream_mode, str) else body.stream_mode
        for mode in modes:
            _choice("stream_mode", mode, (*STREAM_MODES, *SERVER_MODES))
        # the turn runs on without waiting for a slow client, as LangGraph Platform runs do
        agen = graph.astream(
            input, config, stream_mode=graph_modes(modes), lockstep=False, **options
        )
        # Wait for the first event before answering, so that a turn refused at once (busy,
        # mailbox full, shutting down, bad input) gets its status code, not an SSE error.
        try:
            # a client that leaves while the turn is queued has it skipped
            first: Any = await _unless_gone(request, agen.__anext__())
        except StopAsyncIteration:
            first = None
        except BaseException:
            await agen.aclose()
            raise
        run_id = str(uuid.uuid4())
        view = MessagesView(modes) if "messages" in modes or "messages-tuple" in modes else None
        return StreamingResponse(
            self._events(agen, first, run_id, view),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
        )

    async def _events(
        self, agen: AsyncIterator[Any], first: Any, run_id: str, view: MessagesView | None
    ) -> AsyncIterator[bytes]:
        failure: Exception | None = None
        try:
            yield sse("metadata", {"run_id": run_id})
            if first is not None:
                for event in _sse(first, view):
                    yield event
            async for item in _with_heartbeats(agen, self.heartbeat):
                if item is _PING:
                    yield PING
                else:
                    for event in _sse(item, view):
                        yield event
        except Exception as exc:  # a node failed: the client hears it as an event
            failure = exc
        finally:
            # On a client disconnect Starlette cancels us here; closing the stream lets a
            # turn that has started finish and commit (one still queued is dropped).
            await agen.aclose()  # type: ignore[attr-defined]
        if failure is not None:
            yield sse("error", safe_error(failure, debug=self.debug))
        yield sse("end", None)

    # -- state ---------------------------------------------------------------------------
    def _config(self, tid: str, checkpoint_id: str | None = None) -> dict[str, Any]:
        configurable = {"thread_id": tid}
        if checkpoint_id:
            configurable["checkpoint_id"] = checkpoint_id
        return {"configurable": configurable}

    async def get_state(self, request: Request) -> Response:
        tid = thread_id(request)
        q = request.query_params
        _, graph, _ = await self.locate(tid, q.get("assistant_id"))
        cid = request.path_params.get("checkpoint_id") or q.get("checkpoint_id")
        snap = await graph.aget_state(self._config(tid, cid))
        return JSON(snapshot_json(snap))

    async def update_state(self, request: Request) -> Response:
        tid = thread_id(request)
        body: StateUpdate = await parse(request, StateUpdate)
        _, graph, _ = await self.locate(tid, body.assistant_id)
        cfg = self._config(tid, body.checkpoint_id)
        new = await graph.aupdate_state(cfg, body.values, as_node=body.as_node)
        return JSON({"checkpoint": new["configurable"]})

    async def history(self, request: Request) -> Response:
        tid = thread_id(request)
        if request.method == "POST":
            body: HistoryQuery = await parse(request, HistoryQuery)
        else:
            q = request.query_params
            try:
                limit = int(q.get("limit", 10))
                if not 0 <= limit <= _INT_MAX:
                    raise ValueError(f"limit {limit} is out of range")
                body = HistoryQuery(
                    assistant_id=q.get("assistant_id"),
                    limit=limit,
                    before=q.get("before"),
                    checkpoint_id=q.get("checkpoint_id"),
                )
            except ValueError as exc:
                raise ValidationError(f"bad query: {exc}") from exc
        if not 1 <= body.limit <= self.history_max_limit:
            raise ValidationError(
                f"limit must be between 1 and {self.history_max_limit}, got {body.limit}; "
                "page on with 'before' set to the last checkpoint id of a page"
            )
        _, graph, _ = await self.locate(tid, body.assistant_id)
        before = self._config(tid, body.before) if body.before else None
        snaps = graph.aget_state_history(
            self._config(tid, body.checkpoint_id),
            limit=body.limit,
            before=before,
            filter=body.metadata,
        )
        parts: list[bytes] = []
        size, cap, truncated = 2, self.history_max_bytes, False
        try:
            async for s in snaps:
                part = dumps(snapshot_json(s))
                if size + len(part) > cap:
                    if not parts:
                        cid = s.config["configurable"]["checkpoint_id"]
                        raise ResponseTooLargeError(
                            f"checkpoint {cid} alone is {len(part)} bytes of JSON, over this "
                            f"server's history limit of {cap} bytes; read it with "
                            f"GET /threads/{{thread_id}}/state/{cid}"
                        )
                    truncated = True
                    break
                parts.append(part)
                size += len(part) + 1
        finally:
            await snaps.aclose()  # type: ignore[attr-defined]  # an async generator
        headers = {"X-History-Truncated": "true"} if truncated else None
        return Response(
            b"[" + b",".join(parts) + b"]", media_type="application/json", headers=headers
        )

    # -- operations ----------------------------------------------------------------------
    async def ok(self, request: Request) -> Response:
        return JSON({"ok": True})

    async def stats(self, request: Request) -> Response:
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        return JSON(
            {
                "graphs": {n: g.statistics() for n, g in self.graphs.items()},
                "peak_rss_mb": round(rss, 1),
            }
        )

    def routes(self) -> list[Route]:
        def e(fn: Any) -> Any:
            return endpoint(fn, debug=self.debug)

        return [
            Route("/ok", e(self.ok)),
            Route("/stats", e(self.stats)),
            Route("/threads", e(self.create_thread), methods=["POST"]),
            Route("/threads/search", e(self.search_threads), methods=["POST"]),
            Route("/threads/{thread_id}", e(self.get_thread), methods=["GET"]),
            Route("/threads/{thread_id}", e(self.delete_thread), methods=["DELETE"]),
            Route("/threads/{thread_id}/runs/wait", e(self.run_wait), methods=["POST"]),
            Route("/threads/{thread_id}/runs/stream", e(self.run_stream), methods=["POST"]),
            Route("/threads/{thread_id}/state", e(self.get_state), methods=["GET"]),
            Route("/threads/{thread_id}/state", e(self.update_state), methods=["POST"]),
            Route("/threads/{thread_id}/state/{checkpoint_id}", e(self.get_state)),
            Route("/threads/{thread_id}/history", e(self.history), methods=["GET", "POST"]),
        ]


#: Every live :class:`Host`: ``serve`` starts closing their graphs as soon as a signal
#: arrives, before uvicorn's wait for open requests (which a hung turn would make endless).
HOSTS: weakref.WeakSet[Host] = weakref.WeakSet()


def create_app(
    graphs: CompiledGraph | Mapping[str, CompiledGraph],
    *,
    heartbeat: float | None = 15.0,
    debug: bool = False,
    max_body_bytes: int = DEFAULT_MAX_BODY,
    allowed_hosts: Iterable[str] | None = None,
) -> Starlette:
    """An app serving ``graphs``: one (named ``agent``) or a ``{name: graph}`` mapping.

    ``heartbeat``: seconds of silence after which a stream sends an SSE comment (``: ping``),
    so that proxies and clients with read timeouts keep a long turn's stream open.
    ``debug``: error bodies carry a node's exception text, notes and traceback (off: its
    type only; the server log has the rest). ``max_body_bytes``: larger request bodies get
    413. ``allowed_hosts``: the ``Host`` names served (``*.example.com`` for subdomains;
    ``None``: any), so that a DNS-rebinding page cannot reach a server on localhost.
    POSTs with a body must be ``Content-Type: application/json`` (415 otherwise), which
    keeps browsers from sending them cross-origin without the server's consent.
    """
    if isinstance(graphs, CompiledGraph):
        graphs = {"agent": graphs}
    host = Host(graphs, heartbeat=heartbeat, debug=debug)
    hosts = None if allowed_hosts is None else tuple(allowed_hosts)
    Guard(_no_app, max_body_bytes=max_body_bytes, allowed_hosts=hosts)  # checked now

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with contextlib.AsyncExitStack() as stack:
            for graph in host.graphs.values():
                await stack.enter_async_context(graph)  # started now, closed (flushed) last
            yield

    app = Starlette(
        routes=host.routes(),
        lifespan=lifespan,
        middleware=[Middleware(Guard, max_body_bytes=max_body_bytes, allowed_hosts=hosts)],
    )
    app.state.host = host
    return app


async def _no_app(scope: Any, receive: Any, send: Any) -> None:
    raise AssertionError("not called")
