"""The server's front door: what a request must be before any endpoint sees it.

``Guard`` is ASGI middleware around the app:

- a ``Host`` header outside ``allowed_hosts`` is refused (400), so a page that rebinds its
  own DNS name to this server's address cannot talk to it through a visitor's browser;
- a POST, PUT or PATCH with a body must say ``Content-Type: application/json`` (415
  otherwise): a browser sends a cross-origin request without asking first ("simple"
  request) only with a form or text type, so such requests never reach an endpoint;
- a body over ``max_body_bytes`` is refused (413), by its ``Content-Length`` up front or as
  soon as the bytes received pass the limit; the body is read whole here and handed on;
- a thread id holding ``/`` travels percent-encoded (``/threads/a%2Fb/state``): servers
  decode the path before routing, so the id is taken from the raw path and the route
  sees a placeholder segment; ``thread_id(request)`` gives the id either way.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from typing import Any
from urllib.parse import unquote

from starlette.requests import Request

from .jsonio import dumps

__all__ = ["DEFAULT_MAX_BODY", "THREAD_KEY", "Guard", "thread_id"]

#: ``create_app(max_body_bytes=...)``'s default: 10 MiB.
DEFAULT_MAX_BODY = 10 * 1024 * 1024
#: Where ``Guard`` leaves a thread id it took from the raw path.
THREAD_KEY = "session_actors.thread_id"
_PLACEHOLDER = "~encoded-thread-id~"
_WITH_BODY = frozenset({"POST", "PUT", "PATCH"})
#: Bytes past the limit read and dropped before a 413 (see ``Guard._read_body``).
_DRAIN = 1024 * 1024

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]


def thread_id(request: Request) -> str:
    """The request's ``{thread_id}``, percent-encoded slashes and all."""
    tid = request.scope.get(THREAD_KEY)
    return tid if tid is not None else str(request.path_params["thread_id"])


class Refused(Exception):
    def __init__(self, status: int, kind: str, message: str) -> None:
        super().__init__(message)
        self.status, self.kind, self.message = status, kind, message


def _hosts(allowed: Iterable[str] | None) -> frozenset[str] | None:
    if allowed is None:
        return None
    hosts = frozenset(h.lower() for h in allowed)
    if not hosts:
        raise ValueError("allowed_hosts must name at least one host (or be None for any)")
    return hosts


class Guard:
    """See the module docstring. ``allowed_hosts`` ``None`` lets every host in; a name may
    start with ``*.`` to allow its subdomains."""

    def __init__(
        self,
        app: App,
        *,
        max_body_bytes: int = DEFAULT_MAX_BODY,
        allowed_hosts: Iterable[str] | None = None,
    ) -> None:
        if type(max_body_bytes) is not int or max_body_bytes < 1:
            raise ValueError(f"max_body_bytes must be an int > 0, got {max_body_bytes!r}")
        self.app = app
        self.max_body = max_body_bytes
        self.hosts = _hosts(allowed_hosts)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        try:
            self._check_host(scope)
            _route_encoded_thread_id(scope)
            if scope["method"] in _WITH_BODY:
                receive = await self._read_body(scope, receive)
        except Refused as no:
            await _refuse(send, no)
            return
        await self.app(scope, receive, send)

    def _check_host(self, scope: Scope) -> None:
        if self.hosts is None:
            return
        host = _header(scope, b"host").lower()
        name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
        if name in self.hosts or any(
            h.startswith("*.") and name.endswith(h[1:]) for h in self.hosts
        ):
            return
        raise Refused(400, "HostNotAllowedError", f"host {host!r} is not served here")

    async def _read_body(self, scope: Scope, receive: Receive) -> Receive:
        length = _header(scope, b"content-length")
        if length:
            if not length.isdigit():
                raise Refused(400, "ValidationError", "Content-Length is not a number")
            if int(length) > self.max_body:
                await _discard(receive, {"more_body": True}, _DRAIN)
                raise self._too_large()
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # gone before the body arrived
                return _replay([message], receive)
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body:
                # A client still sending reads no answer: take (and drop) a bounded rest
                # first, so that a body a little over the limit hears why it was refused.
                await _discard(receive, message, _DRAIN)
                raise self._too_large()
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        if body and not _is_json(_header(scope, b"content-type")):
            raise Refused(
                415,
                "UnsupportedMediaTypeError",
                "a request body must be JSON, sent with Content-Type: application/json",
            )
        return _replay([{"type": "http.request", "body": body, "more_body": False}], receive)

    def _too_large(self) -> Refused:
        return Refused(
            413, "PayloadTooLargeError", f"the request body is over {self.max_body} bytes"
        )


async def _discard(receive: Receive, message: Message, limit: int) -> None:
    dropped = 0
    while message.get("more_body", False) and dropped <= limit:
        message = await receive()
        if message["type"] != "http.request":
            return
        dropped += len(message.get("body", b""))


def _header(scope: Scope, name: bytes) -> str:
    for key, value in scope.get("headers") or ():
        if key.lower() == name:
            return bytes(value).decode("latin-1").strip()
    return ""


def _is_json(content_type: str) -> bool:
    return content_type.split(";", 1)[0].strip().lower() == "application/json"


def _replay(messages: list[Message], receive: Receive) -> Receive:
    """``receive`` that first gives back ``messages``, then what the server sends (the
    disconnect the endpoints listen for)."""
    pending = list(messages)

    async def again() -> Message:
        if pending:
            return pending.pop(0)
        return await receive()

    return again


def _route_encoded_thread_id(scope: Scope) -> None:
    raw = scope.get("raw_path")
    if not raw or b"%2f" not in raw.lower():
        return
    parts = raw.split(b"?", 1)[0].split(b"/")
    # b"/threads/<id>/..." -> [b"", b"threads", b"<id>", ...]
    if len(parts) < 3 or parts[1] != b"threads" or b"%2f" not in parts[2].lower():
        return
    try:
        scope[THREAD_KEY] = unquote(parts[2].decode("latin-1"), errors="strict")
    except UnicodeDecodeError:
        raise Refused(422, "InvalidConfigError", "the thread id in the path is not UTF-8") from None
    rest = [unquote(p.decode("latin-1")) for p in parts[3:]]
    scope["path"] = "/".join(["", "threads", _PLACEHOLDER, *rest])


async def _refuse(send: Send, no: Refused) -> None:
    body = dumps({"error": no.kind, "message": no.message})
    await send(
        {
            "type": "http.response.start",
            "status": no.status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
