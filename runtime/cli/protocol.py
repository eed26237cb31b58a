"""The HTTP surface of the ASGI host: request bodies, errors and their status codes.

Bodies follow LangGraph server's API; unknown fields are ignored (its clients send more
than this runtime uses). Every error is ``{"error": <type name>, "message": ...}``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Literal

import msgspec
from starlette.requests import Request
from starlette.responses import Response

from runtime.errors import (
    EmptyInputError,
    InvalidConfigError,
    InvalidUpdateError,
    MailboxFullError,
    SerializationError,
    SessionBusyError,
    ShuttingDownError,
    StaleOwnerError,
    StoreUnavailableError,
    ThreadArchivedError,
)

from .jsonio import dumps, error_json

__all__ = [
    "JSON",
    "STATUS",
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
    "sse",
]


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
)


class JSON(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return dumps(content)


def error_response(exc: BaseException) -> JSON:
    status = next((code for kinds, code in STATUS if isinstance(exc, kinds)), 500)
    headers = {"Retry-After": "1"} if status == 503 else None
    return JSON(error_json(exc), status_code=status, headers=headers)


def sse(event: str, data: Any) -> bytes:
    return b"event: " + event.encode() + b"\ndata: " + dumps(data) + b"\n\n"


Handler = Callable[[Request], Awaitable[Response]]


def endpoint(fn: Handler) -> Handler:
    """Map exceptions to status codes with a JSON body."""

    async def run(request: Request) -> Response:
        try:
            return await fn(request)
        except Exception as exc:
            return error_response(exc)

    return run


async def parse(request: Request, kind: type[Any]) -> Any:
    raw = await request.body()
    try:
        return msgspec.json.decode(raw or b"{}", type=kind)
    except (msgspec.ValidationError, msgspec.DecodeError) as exc:
        raise ValidationError(f"bad request body: {exc}") from exc
