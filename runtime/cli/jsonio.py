"""JSON views of runtime objects, shared by the command line and the example server.

Encoding is ``msgspec.json``. Values msgspec cannot encode (a type registered with
``stores.codec.register_type``, say) are shown as their ``repr``: these views are for
people and HTTP clients, not for storage. ``Interrupt`` objects become
``{"value": ..., "id": ...}`` (LangGraph server's shape); pydantic models (LangChain
messages) their ``model_dump()``, as LangGraph server writes them.
"""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Mapping
from typing import Any

import msgspec

from runtime.api import StateSnapshot, ThreadInfo
from runtime.graph.types import Interrupt, Send

INTERRUPT_KEY = "__interrupt__"


def _fallback(obj: Any) -> Any:
    if isinstance(obj, Interrupt):
        return interrupt_json(obj)
    if isinstance(obj, Send):
        return {"node": obj.node, "arg": obj.arg}
    if isinstance(obj, BaseException):
        return {"error": type(obj).__name__, "message": str(obj)}
    dump = getattr(obj, "model_dump", None)
    # pydantic models (LangChain messages) as LangGraph server writes them
    if callable(dump) and not isinstance(obj, type):
        return dump()
    return repr(obj)


_encoder = msgspec.json.Encoder(enc_hook=_fallback)


def dumps(value: Any) -> bytes:
    """``value`` as JSON bytes (see the module docstring for what is not plain JSON)."""
    return _encoder.encode(value)


def loads(data: bytes | str) -> Any:
    return msgspec.json.decode(data)


def interrupt_json(i: Interrupt) -> dict[str, Any]:
    return {"value": i.value, "id": i.id}


def output_json(value: Any) -> Any:
    """A turn's output or a stream event payload, with its interrupts in JSON shape."""
    if isinstance(value, Mapping) and INTERRUPT_KEY in value:
        out = dict(value)
        out[INTERRUPT_KEY] = [
            interrupt_json(i) if isinstance(i, Interrupt) else i for i in value[INTERRUPT_KEY]
        ]
        return out
    return value


def _address(config: Mapping[str, Any] | None) -> dict[str, Any] | None:
    return dict(config["configurable"]) if config else None


def snapshot_json(snap: StateSnapshot) -> dict[str, Any]:
    """A ``StateSnapshot`` in LangGraph server's ``ThreadState`` shape."""
    return {
        "values": snap.values,
        "next": list(snap.next),
        "tasks": [
            {
                "id": t.id,
                "name": t.name,
                "error": None if t.error is None else repr(t.error),
                "interrupts": [interrupt_json(i) for i in t.interrupts],
            }
            for t in snap.tasks
        ],
        "checkpoint": _address(snap.config),
        "metadata": snap.metadata,
        "created_at": snap.created_at,
        "parent_checkpoint": _address(snap.parent_config),
        "interrupts": [interrupt_json(i) for i in snap.interrupts],
    }


def thread_json(info: ThreadInfo, **extra: Any) -> dict[str, Any]:
    """A ``ThreadInfo`` as LangGraph server shows a thread (plus ``checkpoints``)."""
    return {
        "thread_id": info.thread_id,
        "status": info.status,
        "created_at": info.created_at,
        "updated_at": info.updated_at,
        "metadata": info.metadata,
        "checkpoints": info.checkpoints,
        **extra,
    }


def iso(ts: float) -> str:
    return dt.datetime.fromtimestamp(ts, dt.UTC).isoformat()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def unb64(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"), validate=True)


def error_json(exc: BaseException) -> dict[str, Any]:
    """``{"error": <type name>, "message": ...}``, the body of every error response."""
    message = getattr(exc, "message", None)
    if not isinstance(message, str):
        message = str(exc)
    body: dict[str, Any] = {"error": type(exc).__name__, "message": message}
    tid = getattr(exc, "thread_id", None)
    if tid is not None:
        body["thread_id"] = tid
    return body


__all__ = [
    "INTERRUPT_KEY",
    "b64",
    "dumps",
    "error_json",
    "interrupt_json",
    "iso",
    "loads",
    "output_json",
    "snapshot_json",
    "thread_json",
    "unb64",
]
