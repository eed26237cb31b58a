"""Encoding of everything a store persists, and the errors of encoding.

Values (states, writes, metadata) are encoded by :mod:`stores._ext`: msgpack whose extension
types keep tuples, datetimes, UUIDs, ``Decimal``\\ s, sets, enums and registered classes as
they are. A checkpoint record's own fields are plain msgpack, in the array layout of
:class:`Checkpoint`. Classes stored by name (pydantic models,
LangChain messages, schema-named dataclasses) are :mod:`stores._models`' allow-list.
Nothing is ever imported by name from stored data and nothing is unpickled.
"""

from __future__ import annotations

import dataclasses
import typing
from typing import Any

import msgspec

from . import _ext
from ._check import check_record
from ._ext import _FLAT, FIRST_USER_CODE, decode, encode, is_plain, register_type
from ._models import allow_type, allow_types_named_by
from .errors import CorruptCheckpointError, SerializationError
from .records import Checkpoint


# -- checkpoint records ------------------------------------------------------------------------
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
_checkpoint_decoder = msgspec.msgpack.Decoder(_WireCheckpoint, ext_hook=_ext._ext_hook)
#: The record's own fields are plain msgpack (its tuples are arrays, as its typed decoder
#: expects); the user values inside go in pre-encoded, as ``Raw``.
_skeleton_encode = msgspec.msgpack.Encoder().encode
_Raw = msgspec.Raw
_replace = msgspec.structs.replace


def encode_checkpoint(checkpoint: Checkpoint) -> bytes:
    """Encode a checkpoint payload. Raises ``TypeError`` for unencodable writes.

    The record's own fields are plain msgpack in its array layout. When the user values in
    it (changes, metadata, extra) are plain, which the checks below see without a copy, the
    record is one msgspec encode; else each value is encoded on its own, through the walk
    of :func:`encode` that keeps tuples, datetimes and the rest as extension values.
    """
    changes, metadata, extra = checkpoint.changes, checkpoint.metadata, checkpoint.extra
    if (
        (not changes or _plain_changes(changes))
        and (not metadata or is_plain(metadata))
        and (not extra or is_plain(extra))
    ):
        try:
            return _skeleton_encode(checkpoint)
        except OverflowError:  # an int beyond 64 bits: the way below converts it
            pass
    return _skeleton_encode(
        _replace(
            checkpoint,
            changes=[
                (ch, op, v if type(v) is _Raw else _Raw(encode(v)))
                for ch, op, v in checkpoint.changes
            ],
            # an empty one stays equal to its default, which the layout omits when trailing
            metadata=_Raw(encode(metadata)) if metadata else metadata,
            extra=_Raw(encode(extra)) if extra else extra,
        )
    )


def _plain_changes(changes: list[tuple[str, int, Any]]) -> bool:
    """Whether every change's value is plain msgpack as it is (the hot path: a step's
    changes are a list of scalars appended, a value set, an input already encoded)."""
    for _, _, v in changes:
        t = type(v)
        if t in _FLAT or t is _Raw or (t is list and set(map(type, v)) <= _FLAT):
            continue
        if not is_plain(v):
            return False
    return True


def decode_checkpoint(
    payload: bytes, *, thread_id: str | None = None, seq: int | None = None
) -> Checkpoint:
    """Decode a checkpoint payload; a bad one raises :class:`CorruptCheckpointError`, and so
    does one this version cannot read (a newer format, an unknown change op)."""
    try:
        wire = _checkpoint_decoder.decode(payload)
    # anything: bytes can be damaged in any way (a nesting too deep is a RecursionError, a
    # registered type's decode function raises what it raises)
    except Exception as exc:
        which = "a checkpoint" if seq is None else f"checkpoint {seq}"
        reason = exc.message if isinstance(exc, CorruptCheckpointError) else str(exc)
        raise CorruptCheckpointError(
            f"{which} cannot be decoded ({type(exc).__name__}: {reason}); the row is left as it is",
            thread_id=thread_id,
        ) from exc
    fields = list(msgspec.structs.astuple(wire))
    for i in _OPTIONAL_RAW:
        if fields[i] == _NIL:
            fields[i] = None
    return check_record(Checkpoint(*fields), thread_id, seq)


# -- errors ------------------------------------------------------------------------------------
def encode_value(value: Any, *, what: str = "value", thread_id: str | None = None) -> bytes:
    """Encode ``value``; on failure raise :class:`SerializationError` naming the key path."""
    try:
        return encode(value)
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
        "use builtins, datetimes, UUIDs, Decimals, enums, dataclasses, msgspec Structs, "
        "LangChain messages, or pydantic models named in the state schema; or "
        "stores.allow_type() / stores.register_type() it",
        path=path,
        thread_id=thread_id,
        node=node,
    )


def _encodes(value: Any) -> bool:
    try:
        encode(value)
    except Exception:  # locating the failure: any error counts
        return False
    return True


def _find_unencodable(value: Any, path: str) -> tuple[str, Any]:
    # Only runs on the failure path, so a plain recursive walk is fine.
    if _encodes(value):
        return path, value
    children: list[tuple[str, Any]] = []
    if isinstance(value, dict):
        # a key that cannot be encoded is itself the culprit
        for k in value:
            if not _encodes({k: None}):
                return f"{path} key {k!r}", k
        children = [(f"{path}[{k!r}]" if path else repr(k), v) for k, v in value.items()]
    elif isinstance(value, list | tuple | set | frozenset):
        children = [(f"{path}[{i}]", v) for i, v in enumerate(value)]
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        children = [(f"{path}.{f.name}", getattr(value, f.name)) for f in dataclasses.fields(value)]
    elif isinstance(value, msgspec.Struct):
        children = [(f"{path}.{n}", getattr(value, n)) for n in value.__struct_fields__]
    for child_path, child in children:
        if not _encodes(child):
            return _find_unencodable(child, child_path)
    return path, value


__all__ = [
    "FIRST_USER_CODE",
    "allow_type",
    "allow_types_named_by",
    "decode",
    "decode_checkpoint",
    "encode",
    "encode_checkpoint",
    "encode_value",
    "is_plain",
    "register_type",
    "serialization_error",
]
