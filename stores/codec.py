"""Encoding of everything a store persists: msgspec msgpack with reused encoders.

Nothing is ever imported by name from stored data and nothing is unpickled: a type that
msgspec does not encode natively must be registered with :func:`register_type`, which maps
it to a msgpack extension code and a pair of plain functions.
"""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Callable
from typing import Any

import msgspec

from .errors import CorruptCheckpointError, SerializationError
from .records import Checkpoint

_by_type: dict[type, tuple[int, Callable[[Any], bytes]]] = {}
_by_code: dict[int, Callable[[bytes], Any]] = {}


def register_type(
    cls: type, code: int, encode: Callable[[Any], bytes], decode: Callable[[bytes], Any]
) -> None:
    """Make ``cls`` storable as msgpack extension ``code`` (0..127).

    ``encode`` turns an instance into bytes and ``decode`` turns them back. Codes are part
    of the stored format: never reuse one for another type.
    """
    if not 0 <= code <= 127:
        raise ValueError(f"extension code must be in 0..127, got {code}")
    known = _by_code.get(code)
    if known is not None and _by_type.get(cls, (None,))[0] != code:
        raise ValueError(f"extension code {code} is already registered for another type")
    _by_type[cls] = (code, encode)
    _by_code[code] = decode


def _enc_hook(obj: Any) -> Any:
    entry = _by_type.get(type(obj))
    if entry is None:
        raise TypeError(f"Encoding objects of type {type(obj).__name__} is unsupported")
    code, fn = entry
    return msgspec.msgpack.Ext(code, fn(obj))


def _ext_hook(code: int, data: memoryview) -> Any:
    fn = _by_code.get(code)
    if fn is None:
        raise ValueError(f"unknown extension code {code}: register_type() it before reading")
    return fn(bytes(data))


_encoder = msgspec.msgpack.Encoder(enc_hook=_enc_hook)
_decoder = msgspec.msgpack.Decoder(ext_hook=_ext_hook)


def _wire_struct(cls: type[msgspec.Struct]) -> tuple[type[msgspec.Struct], tuple[int, ...]]:
    """A twin of ``cls`` for decoding, with each ``Raw | None`` field typed plain ``Raw``.

    msgspec cannot decode ``Raw`` inside a union (it expects ``nil`` and rejects anything
    else), so a snapshot's ``values`` would never decode. The twin takes the field as
    ``Raw``; an encoded ``None`` then arrives as ``Raw(b"\\xc0")`` and is turned back into
    ``None``. Built from ``cls`` so that fields added later follow automatically.
    """
    specs: list[tuple[str, Any, Any]] = []
    optional_raw: list[int] = []
    for i, f in enumerate(msgspec.structs.fields(cls)):
        args = typing.get_args(f.type)
        if msgspec.Raw in args and type(None) in args:
            optional_raw.append(i)
            specs.append((f.name, msgspec.Raw, msgspec.field(default=_NIL)))
        elif f.default_factory is not msgspec.NODEFAULT:
            specs.append((f.name, f.type, msgspec.field(default_factory=f.default_factory)))
        elif f.default is not msgspec.NODEFAULT:
            specs.append((f.name, f.type, f.default))
        else:
            specs.append((f.name, f.type))  # type: ignore[arg-type]
    cfg = cls.__struct_config__
    wire = msgspec.defstruct(f"_Wire{cls.__name__}", specs, array_like=cfg.array_like)
    return wire, tuple(optional_raw)


_NIL = msgspec.Raw(b"\xc0")  # msgpack nil
_WireCheckpoint, _OPTIONAL_RAW = _wire_struct(Checkpoint)
_checkpoint_decoder = msgspec.msgpack.Decoder(_WireCheckpoint, ext_hook=_ext_hook)

#: Encode a value to bytes. Raises ``TypeError``; use :func:`encode_value` at API edges.
encode = _encoder.encode
#: Decode bytes written by :data:`encode`.
decode = _decoder.decode


def encode_value(value: Any, *, what: str = "value", thread_id: str | None = None) -> bytes:
    """Encode ``value``; on failure raise :class:`SerializationError` naming the key path."""
    try:
        return _encoder.encode(value)
    except (TypeError, ValueError, OverflowError) as exc:
        raise serialization_error(value, exc, what=what, thread_id=thread_id) from exc


def serialization_error(
    value: Any,
    exc: BaseException,
    *,
    what: str,
    thread_id: str | None = None,
    node: str | None = None,
) -> SerializationError:
    """Build the error for a value that failed to encode, locating the culprit."""
    path, culprit = _find_unencodable(value, what)
    return SerializationError(
        f"cannot serialize {path}: {type(culprit).__name__} is not supported ({exc}); "
        "use builtins, dataclasses or msgspec Structs, or stores.codec.register_type() it",
        path=path,
        thread_id=thread_id,
        node=node,
    )


def _find_unencodable(value: Any, path: str) -> tuple[str, Any]:
    # Only runs on the failure path, so a plain recursive walk is fine.
    try:
        _encoder.encode(value)
        return path, value
    except Exception:  # locating the failure: any error counts
        pass
    children: list[tuple[str, Any]] = []
    if isinstance(value, dict):
        children = [(f"{path}[{k!r}]" if path else repr(k), v) for k, v in value.items()]
        # a non-string key that cannot be encoded is itself the culprit
        for k in value:
            try:
                _encoder.encode(k)
            except Exception:
                return f"{path} key {k!r}", k
    elif isinstance(value, list | tuple | set | frozenset):
        children = [(f"{path}[{i}]", v) for i, v in enumerate(value)]
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        children = [(f"{path}.{f.name}", getattr(value, f.name)) for f in dataclasses.fields(value)]
    elif isinstance(value, msgspec.Struct):
        children = [(f"{path}.{n}", getattr(value, n)) for n in value.__struct_fields__]
    for child_path, child in children:
        try:
            _encoder.encode(child)
        except Exception:
            return _find_unencodable(child, child_path)
    return path, value


def encode_checkpoint(checkpoint: Checkpoint) -> bytes:
    """Encode a checkpoint payload. Raises ``TypeError`` for unencodable writes."""
    return _encoder.encode(checkpoint)


def decode_checkpoint(
    payload: bytes, *, thread_id: str | None = None, seq: int | None = None
) -> Checkpoint:
    """Decode a checkpoint payload; a bad one raises :class:`CorruptCheckpointError`."""
    try:
        wire = _checkpoint_decoder.decode(payload)
    # TypeError too: a registered type's decode function may raise anything on bad bytes
    except (msgspec.DecodeError, ValueError, TypeError) as exc:
        which = "a checkpoint" if seq is None else f"checkpoint {seq}"
        raise CorruptCheckpointError(
            f"{which} cannot be decoded ({exc}); the row is left as it is",
            thread_id=thread_id,
        ) from exc
    fields = list(msgspec.structs.astuple(wire))
    for i in _OPTIONAL_RAW:
        if fields[i] == _NIL:
            fields[i] = None
    return Checkpoint(*fields)
