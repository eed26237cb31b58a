"""Stored values: msgpack with extension types, so that values come back as they went in.

msgspec would flatten some types on its own (tuples and sets to arrays, datetimes and UUIDs to
text, enums to values), so values are first walked by :func:`_wire`, which turns those into
msgpack extension values (``msgspec.msgpack.Ext``), both on disk and in the engine's private
copies of a state (``decode(encode(x))``). The walk is cheap where it matters: a list or dict
whose members are all plain scalars is checked with C-level ``set(map(type, ...))`` and used
as it is, so plain data costs no copy and its bytes are exactly msgspec's. Decoding is
msgspec's, with :func:`_ext_hook` for the extension values.

Extension codes 0..31 are this module's (below); :func:`register_type` hands out 32..127.
Nothing is ever imported by name from stored data and nothing is unpickled: a stored code
that no type claims is a :class:`CorruptCheckpointError`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import functools
import os
import struct
import uuid
import zoneinfo
from collections.abc import Callable
from decimal import Decimal
from typing import Any, NamedTuple

import msgspec

from .errors import CorruptCheckpointError

# -- extension codes: part of the stored format, never reuse or renumber one -----------------
_TUPLE = 1
_SET = 2
_FROZENSET = 3
_DATETIME = 4
"""ISO 8601 text; a ``zoneinfo`` zone appends ``[key]`` (RFC 9557), a fold of 1 ``|fold``."""
_DATE = 5
_TIME = 6
"""As a datetime."""
_TIMEDELTA = 7
"""days, seconds, microseconds as three little-endian int32."""
_UUID = 8
_DECIMAL = 9
_BIGINT = 10
"""An int beyond 64 bits: signed little-endian bytes."""
_NAMED = 11
"""An instance of a class stored by name, from an allow-list (see :mod:`stores._models`)."""
FIRST_USER_CODE = 32
"""Codes below this one are reserved for the types above (and future ones)."""

_Ext = msgspec.msgpack.Ext
_pack = msgspec.msgpack.Encoder().encode
_TIMEDELTA_LAYOUT = struct.Struct("<iii")
_FOLD = "|fold"


#: Scalars msgpack keeps exactly (ints within 64 bits; bigger ones fail the fast walk).
_FLAT: frozenset[type] = frozenset({str, int, float, bool, type(None), bytes})
_I_MIN, _U_MAX = -(2**63), 2**64 - 1


_NESTED: frozenset[type] = _FLAT | {list, dict}


def encode(value: Any) -> bytes:
    """Encode a value to bytes. Raises ``TypeError``; use ``codec.encode_value`` at API edges."""
    try:
        return _pack(value if is_plain(value) else _wire(value))
    except OverflowError:  # an int beyond 64 bits somewhere: walk again, converting ints
        return _pack(_wire(value, True))


def is_plain(value: Any) -> bool:
    """Whether msgpack keeps ``value`` exactly as it is (scalars, lists and str-keyed dicts
    of them), checked level by level with C-level type sets, without copying anything."""
    t = type(value)
    if t in _FLAT:
        return True
    if t is list:
        kinds = set(map(type, value))
        return kinds <= _FLAT or (kinds <= _NESTED and all(map(is_plain, value)))
    if t is dict:
        if not set(map(type, value)) <= _FLAT:
            return False
        kinds = set(map(type, value.values()))
        return kinds <= _FLAT or (kinds <= _NESTED and all(map(is_plain, value.values())))
    return False


def _wire(value: Any, big: bool = False) -> Any:
    """``value`` with every type msgpack would not keep made an extension value; plain
    lists and dicts are returned as they are (no copy)."""
    t = type(value)
    if t in _FLAT:
        if big and t is int and not _I_MIN <= value <= _U_MAX:
            return _bigint(value)
        return value
    if t is list:
        if not big and set(map(type, value)) <= _FLAT:
            return value
        return [_wire(v, big) for v in value]
    if t is dict:
        if not big and set(map(type, value)) <= _FLAT and set(map(type, value.values())) <= _FLAT:
            return value
        return {_key(k): _wire(v, big) for k, v in value.items()}
    if t is _Ext or t is msgspec.Raw:  # already encoded (an input, a snapshot)
        return value
    out = _default(value)
    return out if type(out) is _Ext else _wire(out, big)


def _key(key: Any) -> Any:
    """A dict key as msgpack takes it: scalars and tuples of them as they are; dates,
    UUIDs and enums as their text or value (keys cannot be extension values: decoded
    keys must hash, and a key's type is rarely what a state is about)."""
    t = type(key)
    if t in _FLAT or t is tuple:
        return key
    if isinstance(key, enum.Enum):
        return _key(key.value)
    if isinstance(key, dt.date | dt.time):
        return key.isoformat()
    if isinstance(key, uuid.UUID):
        return str(key)
    raise TypeError(f"dict keys of type {t.__qualname__} are not supported")


# -- the registry ------------------------------------------------------------------------------
class _Registered(NamedTuple):
    code: int
    encode: Callable[[Any], bytes]
    decode: Callable[[memoryview], Any]


_by_type: dict[type, _Registered] = {}
_by_code: dict[int, type] = {}
#: Types the codec stores exactly by itself: registering one would only shadow that.
_NATIVE: frozenset[type] = frozenset(
    {str, int, float, bool, type(None), list, dict, bytes, bytearray, memoryview, tuple, set,
     frozenset, dt.datetime, dt.date, dt.time, dt.timedelta, uuid.UUID, Decimal}
)  # fmt: skip


def register_type(
    cls: type,
    code: int,
    encode: Callable[[Any], bytes] | None = None,
    decode: Callable[[bytes], Any] | None = None,
) -> None:
    """Make instances of exactly ``cls`` storable as msgpack extension ``code`` (32..127).

    ``encode`` turns an instance into bytes and ``decode`` turns them back. Both may be left
    out for an ``Enum`` (stored by value), a dataclass or msgspec ``Struct`` (stored as its
    fields, rebuilt by calling the class with them; fields declared ``init=False`` are set
    afterwards) and a ``NamedTuple``. Codes are part of the stored format: never reuse one
    for another type, and register every type before reading data that holds it. Passing
    ``pickle.dumps`` / ``pickle.loads`` is an explicit, per-type opt-in to pickle.
    """
    if not FIRST_USER_CODE <= code <= 127:
        raise ValueError(
            f"extension code must be in {FIRST_USER_CODE}..127, got {code} "
            f"(0..{FIRST_USER_CODE - 1} are reserved for the types the codec stores itself)"
        )
    if not isinstance(cls, type) or cls in _NATIVE:
        raise ValueError(f"{cls!r} is stored exactly without registration")
    known = _by_code.get(code)
    if known is not None and known is not cls:
        raise ValueError(
            f"extension code {code} is already registered for {known.__qualname__}; "
            "pick another code"
        )
    if (encode is None) != (decode is None):
        raise TypeError("pass both encode and decode, or neither")
    if encode is not None and decode is not None:
        user_decode = decode
        entry = _Registered(code, encode, lambda data: user_decode(bytes(data)))
    else:
        entry = _Registered(code, *_derived(cls))
    note_value_enum(cls)
    _by_type[cls] = entry
    _by_code[code] = cls
    _decoders[code] = entry.decode


value_enums = False
"""Whether an enum that compares equal to its value (``IntEnum``, ``StrEnum``) is registered
or allowed: msgpack would store one as its plain value, and equality cannot tell."""


def note_value_enum(cls: type) -> None:
    global value_enums
    if issubclass(cls, enum.Enum) and issubclass(cls, int | str | float | bytes):
        value_enums = True


def _derived(cls: type) -> tuple[Callable[[Any], bytes], Callable[[memoryview], Any]]:
    """encode/decode for the kinds of classes whose instances can be rebuilt from fields."""
    to_data, from_data = fields_codec(cls)
    return (lambda obj: encode(to_data(obj))), (lambda data: from_data(decode(data)))


def fields_codec(cls: type) -> tuple[Callable[[Any], Any], Callable[[Any], Any]]:
    """What an instance is made of (plain data), and the instance rebuilt from that data,
    for enums, msgspec Structs, dataclasses and NamedTuples; ``TypeError`` for others."""
    if issubclass(cls, enum.Enum):
        return (lambda obj: obj.value), cls
    if issubclass(cls, msgspec.Struct):
        asdict = msgspec.structs.asdict
        return asdict, (lambda fields: cls(**fields))
    if dataclasses.is_dataclass(cls):
        names = tuple(f.name for f in dataclasses.fields(cls))
        late = frozenset(f.name for f in dataclasses.fields(cls) if not f.init)

        def from_fields(fields: dict[str, Any]) -> Any:
            obj = cls(**{k: v for k, v in fields.items() if k not in late})
            for k in late & fields.keys():
                object.__setattr__(obj, k, fields[k])  # frozen dataclasses too
            return obj

        return (lambda obj: {n: getattr(obj, n) for n in names}), from_fields
    if issubclass(cls, tuple) and hasattr(cls, "_fields"):
        return list, (lambda items: cls(*items))
    raise TypeError(
        f"register_type({cls.__qualname__}, {{code}}) needs encode and decode functions: "
        "only enums, dataclasses, msgspec Structs and NamedTuples can do without"
    )


# -- encoding: what _wire does with a non-plain value -------------------------------------------
def _tuple(obj: tuple[Any, ...]) -> Any:
    return _Ext(_TUPLE, encode(list(obj)))


def _set(obj: set[Any]) -> Any:
    return _Ext(_SET, encode(list(obj)))


def _frozenset(obj: frozenset[Any]) -> Any:
    return _Ext(_FROZENSET, encode(list(obj)))


def _zoned(obj: dt.datetime | dt.time, text: str) -> bytes:
    tz = obj.tzinfo
    if tz is not None and type(tz) is not dt.timezone:  # else the text's offset is all of it
        if isinstance(tz, zoneinfo.ZoneInfo) and tz.key:
            text = f"{text}[{tz.key}]"
        elif obj.utcoffset() is None:
            raise TypeError(f"{type(obj).__name__} with tzinfo {tz!r} has no UTC offset")
        # other tzinfo classes come back as the fixed offset they had
    return f"{text}{_FOLD}".encode() if obj.fold else text.encode()


# The base classes' own isoformat: a subclass may print more (nanoseconds, say).
def _datetime(obj: dt.datetime) -> Any:
    return _Ext(_DATETIME, _zoned(obj, dt.datetime.isoformat(obj)))


def _date(obj: dt.date) -> Any:
    return _Ext(_DATE, dt.date.isoformat(obj).encode())


def _time(obj: dt.time) -> Any:
    return _Ext(_TIME, _zoned(obj, dt.time.isoformat(obj)))


def _timedelta(obj: dt.timedelta) -> Any:
    return _Ext(_TIMEDELTA, _TIMEDELTA_LAYOUT.pack(obj.days, obj.seconds, obj.microseconds))


def _uuid(obj: uuid.UUID) -> Any:
    return _Ext(_UUID, obj.bytes)


def _decimal(obj: Decimal) -> Any:
    return _Ext(_DECIMAL, Decimal.__str__(obj).encode())


def _bigint(obj: int) -> Any:
    return _Ext(_BIGINT, obj.to_bytes(obj.bit_length() // 8 + 1, "little", signed=True))


_BUILTIN: dict[type, Callable[[Any], Any]] = {
    tuple: _tuple,
    set: _set,
    frozenset: _frozenset,
    dt.datetime: _datetime,
    dt.date: _date,
    dt.time: _time,
    dt.timedelta: _timedelta,
    uuid.UUID: _uuid,
    Decimal: _decimal,
    int: _bigint,  # only big ones get here: smaller ints are plain msgpack
    bytearray: bytes,  # msgpack has one binary type: these come back as bytes
    memoryview: bytes,
}
#: Subclasses of builtins that are not registered: stored as their base (datetime first: it
#: is a date). ``str.__str__`` and co. return the base value even if the subclass overrides.
_BASES: tuple[tuple[type, Callable[[Any], Any]], ...] = (
    (tuple, _tuple),
    (dt.datetime, _datetime),
    (dt.date, _date),
    (dt.time, _time),
    (dt.timedelta, _timedelta),
    (uuid.UUID, _uuid),
    (Decimal, _decimal),
    (str, str.__str__),
    (int, int.__int__),
    (float, float.__float__),
    (dict, dict),
    (list, list),
    (set, _set),
    (frozenset, _frozenset),
    (bytes, bytes),
)


def _no_named(obj: Any) -> Any:
    return None


#: Set by :mod:`stores._models` (which imports this module) when it is loaded.
_encode_named: Callable[[Any], Any] = _no_named


def _default(obj: Any) -> Any:
    cls = type(obj)
    registered = _by_type.get(cls)
    if registered is not None:
        return _Ext(registered.code, registered.encode(obj))
    builtin = _BUILTIN.get(cls)
    if builtin is not None:
        return builtin(obj)
    named = _encode_named(obj)  # allow-listed classes, pydantic models (stores._models)
    if named is not None:
        return named
    # Unregistered classes: stored as what they are made of (as before this codec kept
    # types); ``register_type`` makes them come back as themselves.
    if isinstance(obj, enum.Enum):
        return obj.value
    if isinstance(obj, msgspec.Struct):
        return msgspec.structs.asdict(obj)
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)}
    for base, convert in _BASES:
        if isinstance(obj, base):
            return convert(obj)
    raise TypeError(f"objects of type {cls.__qualname__} are not supported")


# -- decoding: msgspec's ext hook --------------------------------------------------------------
def _ext_hook(code: int, data: memoryview) -> Any:
    fn = _decoders.get(code)
    if fn is None:
        raise CorruptCheckpointError(
            f"unknown extension code {code} in stored data: register_type() the type that "
            "wrote it before reading"
        )
    try:
        return fn(data)
    except CorruptCheckpointError:
        raise
    except Exception as exc:  # a decode function may raise anything on bad bytes
        raise CorruptCheckpointError(
            f"an extension value (code {code}) cannot be decoded ({type(exc).__name__}: {exc})"
        ) from exc


def _unzoned(cls: Any, data: memoryview) -> Any:
    text = str(data, "utf-8")
    fold = text.endswith(_FOLD)
    if fold:
        text = text[: -len(_FOLD)]
    if text.endswith("]"):
        text, key = text[:-1].split("[", 1)
        value = cls.fromisoformat(text).replace(tzinfo=_zone(key))
    else:
        value = cls.fromisoformat(text)
    return value.replace(fold=1) if fold else value


@functools.cache
def _known_zones() -> frozenset[str]:
    # once per process: it lists the zone files on disk (and tzdata's, when installed)
    return frozenset(zoneinfo.available_timezones())


def _zone_file(key: str) -> bool:
    """Whether ``key`` names a zone file under the system's zone directories (``posix/UTC``
    is one, though ``available_timezones()`` leaves those out): looked up on disk only."""
    parts = key.split("/")
    if not key or key.startswith("/") or any(p in ("", ".", "..") for p in parts):
        return False
    return any(os.path.isfile(os.path.join(root, *parts)) for root in zoneinfo.TZPATH)


def _zone(key: str) -> zoneinfo.ZoneInfo:
    """The zone named ``key`` in stored data, if the system has it: a key the system's zone
    list names, or a zone file on disk. ``ZoneInfo(key)`` of any other key would import the
    module ``tzdata.zoneinfo.<key>`` when tzdata is installed, so such a key never gets there.
    """
    if key not in _known_zones() and not _zone_file(key):
        raise CorruptCheckpointError(f"unknown time zone {key!r} in stored data")
    return zoneinfo.ZoneInfo(key)


def _decode_timedelta(data: memoryview) -> dt.timedelta:
    days, seconds, micros = _TIMEDELTA_LAYOUT.unpack(data)
    return dt.timedelta(days, seconds, micros)


_decoder = msgspec.msgpack.Decoder(ext_hook=_ext_hook)
_tuple_decoder = msgspec.msgpack.Decoder(tuple, ext_hook=_ext_hook)
_set_decoder = msgspec.msgpack.Decoder(set, ext_hook=_ext_hook)
_frozenset_decoder = msgspec.msgpack.Decoder(frozenset, ext_hook=_ext_hook)

_decoders: dict[int, Callable[[memoryview], Any]] = {
    _TUPLE: _tuple_decoder.decode,
    _SET: _set_decoder.decode,
    _FROZENSET: _frozenset_decoder.decode,
    _DATETIME: lambda data: _unzoned(dt.datetime, data),
    _DATE: lambda data: dt.date.fromisoformat(str(data, "ascii")),
    _TIME: lambda data: _unzoned(dt.time, data),
    _TIMEDELTA: _decode_timedelta,
    _UUID: lambda data: uuid.UUID(bytes=bytes(data)),
    _DECIMAL: lambda data: Decimal(str(data, "ascii")),
    _BIGINT: lambda data: int.from_bytes(data, "little", signed=True),
}

#: Decode bytes written by :func:`encode`. Unknown extension codes raise
#: :class:`CorruptCheckpointError`.
decode = _decoder.decode
