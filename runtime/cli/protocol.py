"""The HTTP surface of the ASGI host: request bodies, errors and their status codes.

Bodies follow LangGraph server's API; unknown fields are ignored (its clients send more
than this runtime uses). A body nested deeper than ``MAX_DEPTH`` or holding an integer
outside 64 bits is refused (422): stores and JSON clients cannot carry them.

Every error is ``{"error": <type name>, "message": ...}``. The message is this runtime's
own for its errors; a node's exception (or any other unexpected one) and a store's
failure are named by type only, their text and traceback being for the server's log, or
for the body too when the server runs with ``debug`` (see ``safe_error``).
"""

from __future__ import annotations

import logging
import re
import traceback
from collections.abc import Awaitable, Callable
from typing import Any, Literal

import msgspec
from starlette.requests import Request
from starlette.responses import Response

from runtime.errors import (
    CorruptCheckpointError,
    EmptyInputError,
    InvalidConfigError,
    InvalidUpdateError,
    MailboxFullError,
    SerializationError,
    SessionBusyError,
    SessionRuntimeError,
    ShuttingDownError,
    StaleOwnerError,
    StoreError,
    StoreUnavailableError,
    ThreadArchivedError,
)

from .jsonio import dumps, error_json

__all__ = [
    "JSON",
    "MAX_DEPTH",
    "STATUS",
    "ClientGoneError",
    "CommandBody",
    "HistoryQuery",
    "NotFoundError",
    "ResponseTooLargeError",
    "RunCreate",
    "StateUpdate",
    "ThreadCreate",
    "ThreadExistsError",
    "ThreadSearch",
    "ValidationError",
    "endpoint",
    "error_response",
    "parse",
    "safe_error",
    "sse",
]

log = logging.getLogger("runtime.server")

#: How deep a request body may nest (objects and arrays).
MAX_DEPTH = 100
_INT_MIN, _INT_MAX = -(2**63), 2**63 - 1
#: 2**63 has 19 digits: a body without a run of 19 digits holds no integer beyond 64 bits.
_LONG_DIGITS = re.compile(rb"[0-9]{19}")


class Body(msgspec.Struct, kw_only=True):
    assistant_id: str | None = None


class ThreadCreate(Body):
    thread_id: str | None = None
    metadata: dict[str, Any] | None = None
    values: dict[str, Any] | None = None
    if_exists: Literal["raise", "do_nothing"] = "raise"


class ThreadSearch(Body):
    status: str | None = None
    metadata: dict[str, Any] | None = None
    limit: int = 10
    offset: int = 0


class CommandBody(msgspec.Struct, kw_only=True):
    resume: Any = None
    update: Any = None
    goto: str | list[str] = msgspec.field(default_factory=list)


class RunCreate(Body):
    input: Any = None
    command: CommandBody | None = None
    config: dict[str, Any] | None = None
    metadata: dict[str, Any] | None = None
    checkpoint_id: str | None = None
    multitask_strategy: str | None = None
    durability: str | None = None
    stream_mode: str | list[str] = "values"
    interrupt_before: str | list[str] | None = None
    interrupt_after: str | list[str] | None = None
    if_not_exists: Literal["create", "reject"] = "reject"


class StateUpdate(Body):
    values: Any = None
    as_node: str | None = None
    checkpoint_id: str | None = None


class HistoryQuery(Body):
    limit: int = 10
    before: str | None = None
    metadata: dict[str, Any] | None = None
    checkpoint_id: str | None = None


class NotFoundError(LookupError):
    """An unknown thread or assistant."""


class ThreadExistsError(Exception):
    """``POST /threads`` with an existing id and ``if_exists="raise"``."""


class ValidationError(ValueError):
    """A request body or query that does not have the documented shape."""


class ResponseTooLargeError(ValueError):
    """One item of a response is over the server's size limit for it."""


class ClientGoneError(Exception):
    """The client disconnected before its answer was ready (nobody reads the 499)."""


STATUS: tuple[tuple[type[BaseException] | tuple[type[BaseException], ...], int], ...] = (
    (NotFoundError, 404),
    ((SessionBusyError, StaleOwnerError, ThreadExistsError, ThreadArchivedError), 409),
    (
        (
            ValidationError,
            InvalidUpdateError,
            EmptyInputError,
            InvalidConfigError,
            SerializationError,
        ),
        422,
    ),
    ((MailboxFullError, StoreUnavailableError, ShuttingDownError), 503),
    (ResponseTooLargeError, 413),
    (ClientGoneError, 499),
)


class JSON(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return dumps(content)


_STORE_MESSAGES: tuple[tuple[type[StoreError], str], ...] = (
    (StoreUnavailableError, "the store cannot serve this request now; retry later"),
    (CorruptCheckpointError, "a stored checkpoint of this thread cannot be read"),
    (StaleOwnerError, "another process owns this thread now"),
)
_OURS = (
    SessionRuntimeError,
    NotFoundError,
    ThreadExistsError,
    ValidationError,
    ClientGoneError,
    ResponseTooLargeError,
)
#: The note the engine adds to a node's exception (runtime/engine/turn.py): names only.
_NODE_NOTE = "raised by node "


def safe_error(exc: BaseException, *, debug: bool = False) -> dict[str, Any]:
    """``exc`` as an error body: its type and a message that tells nothing about the
    server beyond what the client sent (see the module docstring)."""
    body = error_json(exc)
    if debug:
        body["notes"] = list(getattr(exc, "__notes__", ()))
        body["traceback"] = traceback.format_exception(exc)
        return body
    if isinstance(exc, StoreError):  # its text may name files
        msg = next((m for kind, m in _STORE_MESSAGES if isinstance(exc, kind)), "store error")
        body["message"] = f"{msg} (details in the server log)"
    elif not isinstance(exc, _OURS):
        where = [n for n in getattr(exc, "__notes__", ()) if n.startswith(_NODE_NOTE)]
        body["message"] = (
            f"{type(exc).__name__} {where[0]}" if where else f"{type(exc).__name__} in the server"
        ) + " (its message is in the server log; run the server with debug to send it)"
    return body


def error_response(exc: BaseException, *, debug: bool = False) -> JSON:
    status = next((code for kinds, code in STATUS if isinstance(exc, kinds)), 500)
    headers = {"Retry-After": "1"} if status == 503 else None
    if status == 500:
        log.error("request failed: %s", type(exc).__name__, exc_info=exc)
    return JSON(safe_error(exc, debug=debug), status_code=status, headers=headers)


def sse(event: str, data: Any) -> bytes:
    return b"event: " + event.encode() + b"\ndata: " + dumps(data) + b"\n\n"


Handler = Callable[[Request], Awaitable[Response]]


def endpoint(fn: Handler, *, debug: bool = False) -> Handler:
    """Map exceptions to status codes with a JSON body."""

    async def run(request: Request) -> Response:
        try:
            return await fn(request)
        except Exception as exc:
            return error_response(exc, debug=debug)

    return run


async def parse(request: Request, kind: type[Any]) -> Any:
    raw = await request.body()
    try:
        body = msgspec.json.decode(raw or b"{}", type=kind)
    except (msgspec.ValidationError, msgspec.DecodeError) as exc:
        raise ValidationError(f"bad request body: {exc}") from exc
    except RecursionError:
        raise ValidationError(f"bad request body: nested deeper than {MAX_DEPTH}") from None
    # cheap tests on the bytes first: most bodies cannot break either limit
    deep = raw.count(b"[") + raw.count(b"{") > MAX_DEPTH
    if deep or _LONG_DIGITS.search(raw):
        check_json(msgspec.json.decode(raw))
    return body


def check_json(value: Any) -> None:
    """``ValidationError`` if ``value`` nests deeper than ``MAX_DEPTH`` or holds an
    integer beyond 64 bits. Iterative: the depth is what it checks."""
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if type(item) is int:
            if not _INT_MIN <= item <= _INT_MAX:
                raise ValidationError(
                    f"bad request body: {item} does not fit in 64 bits (a JSON number must)"
                )
            continue
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth >= MAX_DEPTH:
            raise ValidationError(f"bad request body: nested deeper than {MAX_DEPTH}")
        stack.extend((child, depth + 1) for child in children)
