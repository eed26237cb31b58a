"""Classes stored by name: pydantic models (LangChain's messages and documents among them),
and dataclasses, msgspec Structs, enums and NamedTuples that a graph's state schema names.

A value of such a class is the extension value ``_NAMED``: a msgpack array ``[name, ...]``
whose name is looked up in an allow-list, a dict from stored names to classes. Decoding
never imports what the data names: a name outside the allow-list is a
:class:`CorruptCheckpointError`. Encoding refuses a class outside it (``TypeError``, a
``SerializationError`` at the API), so nothing is ever written that could not be read back.

The allow-list holds:

* LangChain's message classes (chunks and ``RemoveMessage`` too) and ``Document``, under
  stable names (``"lc:AIMessage"``) that do not follow the module they live in. They are
  added the first time a LangChain value is encoded or a ``lc:`` name decoded, by importing
  two fixed modules (``langchain_core.messages``, ``langchain_core.documents``): without
  LangChain installed, nothing of it is imported and none of this costs anything.
* the classes a compiled graph's state schema names in its annotations (``runtime.graph``
  calls :func:`allow_type` for them), with the classes their own fields name;
* whatever the application passes to :func:`allow_type`.

A pydantic model is stored as ``[name, fields, fields_set, extra, private]`` (the last two
left out when empty) and rebuilt without validation, as pydantic's ``model_construct``
would, so that it comes back exactly as it was (``==``, ``model_fields_set``, extras).
The other kinds are ``[name, data]``, rebuilt by calling the class as ``register_type``'s
derived functions do.
"""

from __future__ import annotations

import dataclasses
import enum
import sys
import typing
from collections.abc import Callable
from typing import Any

import msgspec

from . import _ext
from .errors import CorruptCheckpointError

_Ext = msgspec.msgpack.Ext
_pack = msgspec.msgpack.Encoder().encode
_unpack = msgspec.msgpack.Decoder().decode
_NAMED = _ext._NAMED
_setattr = object.__setattr__

#: LangChain classes allowed by default, by their stored names; resolved on first need.
_LANGCHAIN_MESSAGES = (
    "AIMessage",
    "AIMessageChunk",
    "ChatMessage",
    "ChatMessageChunk",
    "FunctionMessage",
    "FunctionMessageChunk",
    "HumanMessage",
    "HumanMessageChunk",
    "RemoveMessage",
    "SystemMessage",
    "SystemMessageChunk",
    "ToolMessage",
    "ToolMessageChunk",
)
_LC = "lc:"


class _Entry(typing.NamedTuple):
    name: str
    encode: Callable[[Any], bytes]
    decode: Callable[[list[Any]], Any]


_by_type: dict[type, _Entry] = {}
_by_name: dict[str, _Entry] = {}
_langchain_loaded = False


# -- the allow-list ----------------------------------------------------------------------------
def allow_type(cls: type, name: str | None = None) -> None:
    """Let instances of exactly ``cls`` be stored and read back as themselves, by name.

    For pydantic models, dataclasses, msgspec Structs, enums and NamedTuples. ``name`` is
    what the stored data carries (default ``"module.QualName"``): pass one that does not
    change if the class may move to another module. The classes that a model's or
    dataclass's fields name are allowed too. Allowing a class again is harmless; a class
    defined again under the same name (a reloaded module) takes the name over for reading.
    ``register_type`` takes precedence: a class registered with a code keeps its code.
    """
    _allow(cls, name or f"{cls.__module__}.{cls.__qualname__}", set())


def is_allowed(cls: type) -> bool:
    """Whether instances of ``cls`` are stored by name."""
    return cls in _by_type


def allow_types_named_by(annotation: Any) -> list[type]:
    """Allow every class that ``annotation`` (a type hint) names, through ``list[...]``,
    ``dict[..., ...]``, ``Optional``, unions and ``Annotated``; returns those allowed."""
    found: list[type] = []
    _walk(annotation, found, set())
    for cls in found:
        if cls not in _by_type:
            allow_type(cls)
    return found


def _allow(cls: type, name: str, seen: set[type]) -> None:
    if not isinstance(cls, type):
        raise TypeError(f"allow_type() takes a class, got {cls!r}")
    known = _by_type.get(cls)
    if known is not None:
        if known.name == name:
            return
        raise ValueError(f"{cls.__qualname__} is already allowed as {known.name!r}")
    # A class defined again under a name already allowed (a module reloaded, a notebook
    # cell run twice) takes the name over for reading; the old class can still be written.
    entry = _entry(cls, name)
    _ext.note_value_enum(cls)
    _by_type[cls] = entry
    _by_name[name] = entry
    seen.add(cls)
    # the classes its fields name come back as themselves too
    nested: list[type] = []
    for hint in _field_hints(cls):
        _walk(hint, nested, seen)
    for sub in nested:
        if sub not in _by_type:
            _allow(sub, f"{sub.__module__}.{sub.__qualname__}", seen)


def _entry(cls: type, name: str) -> _Entry:
    pydantic = sys.modules.get("pydantic")
    if pydantic is not None and issubclass(cls, pydantic.BaseModel):
        return _Entry(name, *_pydantic_codec(cls, name))
    try:
        to_data, from_data = _ext.fields_codec(cls)
    except TypeError:
        raise TypeError(
            f"allow_type({cls.__qualname__}): only pydantic models, dataclasses, msgspec "
            "Structs, enums and NamedTuples can be stored by name; use register_type() "
            "with encode and decode functions for other classes"
        ) from None
    encode = _ext.encode

    def decode_parts(parts: list[Any]) -> Any:
        if len(parts) != 2:
            raise ValueError(f"a stored {name} has {len(parts)} parts")
        return from_data(parts[1])

    return _Entry(name, lambda obj: encode([name, to_data(obj)]), decode_parts)


def _field_hints(cls: Any) -> list[Any]:
    pydantic = sys.modules.get("pydantic")
    if pydantic is not None and issubclass(cls, pydantic.BaseModel):
        return [f.annotation for f in cls.model_fields.values()]
    if dataclasses.is_dataclass(cls) or issubclass(cls, msgspec.Struct):
        try:
            return list(typing.get_type_hints(cls).values())
        except Exception:  # a forward reference that does not resolve: nothing to follow
            return []
    return []


def _walk(hint: Any, found: list[type], seen: set[type]) -> None:
    """Collect the storable-by-name classes a type hint mentions."""
    if isinstance(hint, type):  # list[X] is not a type: its args are walked below
        if hint in seen or hint in found or not _named_kind(hint):
            return
        found.append(hint)
        return
    for arg in typing.get_args(hint):
        if arg is not Ellipsis and not isinstance(arg, str | int | float | bool | bytes):
            _walk(arg, found, seen)


def _named_kind(cls: type) -> bool:
    if cls in _ext._NATIVE or cls in _ext._by_type or cls.__module__ == "builtins":
        return False
    if cls.__module__.startswith(("langchain_core.", "typing", "collections")):
        return False  # LangChain's own are allowed under their stable names
    pydantic = sys.modules.get("pydantic")
    if pydantic is not None and issubclass(cls, pydantic.BaseModel):
        return True
    return (
        dataclasses.is_dataclass(cls)
        or issubclass(cls, msgspec.Struct | enum.Enum)
        or (issubclass(cls, tuple) and hasattr(cls, "_fields"))
    )


# -- pydantic models ---------------------------------------------------------------------------
def _pydantic_codec(
    cls: Any, name: str
) -> tuple[Callable[[Any], bytes], Callable[[list[Any]], Any]]:
    fields = frozenset(cls.model_fields)
    extra_allowed = cls.model_config.get("extra") == "allow"
    encode = _ext.encode

    head = b"\x93" + _pack(name)  # msgpack array of 3: name, fields, fields set

    def encode_model(obj: Any) -> bytes:
        values = obj.__dict__
        extra, private = obj.__pydantic_extra__, obj.__pydantic_private__
        if not (extra or private or _ext.value_enums):
            # Fields are mostly JSON-like: msgpack as they are, if that keeps them exactly.
            # One C encode and decode checks that at half the cost of is_plain's walk over
            # a message's many small dicts; anything msgpack would change (a tuple, a
            # datetime, a nested model, NaN) compares unequal and takes the walk below.
            try:
                packed = _pack(values)
            except (TypeError, OverflowError):
                pass
            else:
                if _unpack(packed) == values:
                    return head + packed + _pack(list(obj.__pydantic_fields_set__))
        parts: list[Any] = [name, values, list(obj.__pydantic_fields_set__)]
        if extra or private:
            parts.append(extra or None)
            if private:
                parts.append(private)
        return encode(parts)

    def decode_model(parts: list[Any]) -> Any:
        n = len(parts)
        if not 3 <= n <= 5:
            raise ValueError(f"a stored {name} has {n} parts")
        values, fields_set = parts[1], parts[2]
        if type(values) is not dict or type(fields_set) is not list:
            raise ValueError(f"a stored {name} is malformed")
        if values.keys() != fields:
            values = _complete(cls, name, values, fields)
        obj = cls.__new__(cls)
        _setattr(obj, "__dict__", values)
        _setattr(obj, "__pydantic_fields_set__", set(fields_set))
        extra = parts[3] if n > 3 else None
        if extra is not None and type(extra) is not dict:
            raise ValueError(f"a stored {name}'s extra fields are malformed")
        _setattr(obj, "__pydantic_extra__", (extra or {}) if extra_allowed else extra)
        private = parts[4] if n > 4 else None
        if private is None and cls.__private_attributes__:
            private = {}  # private attributes stored empty: their defaults do not apply
        _setattr(obj, "__pydantic_private__", private)
        return obj

    return encode_model, decode_model


def _complete(cls: Any, name: str, values: dict[str, Any], fields: frozenset[str]) -> Any:
    """Values written by another version of the class: defaults fill fields it lacked."""
    unknown = values.keys() - fields
    if unknown:
        raise ValueError(f"a stored {name} has fields its class does not: {sorted(unknown)}")
    out = {}
    for field_name, info in cls.model_fields.items():
        if field_name in values:
            out[field_name] = values[field_name]
        elif info.is_required():
            raise ValueError(f"a stored {name} lacks the required field {field_name!r}")
        else:
            out[field_name] = info.get_default(call_default_factory=True)
    return out


# -- LangChain's classes -----------------------------------------------------------------------
def _load_langchain() -> bool:
    """Allow LangChain's message and document classes; False if LangChain is absent."""
    global _langchain_loaded
    if _langchain_loaded:
        return True
    try:
        from langchain_core import documents, messages
    except ImportError:
        return False
    for cls_name in _LANGCHAIN_MESSAGES:
        cls = getattr(messages, cls_name)
        if cls not in _by_type:
            _allow(cls, _LC + cls_name, set())
    if documents.Document not in _by_type:
        _allow(documents.Document, _LC + "Document", set())
    _langchain_loaded = True
    return True


# -- the hooks _ext calls ----------------------------------------------------------------------
def encode_named(obj: Any) -> Any:
    """The extension value for ``obj``, or ``None`` if its class is not stored by name."""
    cls = type(obj)
    entry = _by_type.get(cls)
    if entry is None:
        if _langchain_loaded or not cls.__module__.startswith("langchain_core."):
            return _refuse(cls)
        _load_langchain()
        entry = _by_type.get(cls)
        if entry is None:
            return _refuse(cls)
    return _Ext(_NAMED, entry.encode(obj))


def _refuse(cls: type) -> None:
    pydantic = sys.modules.get("pydantic")
    if pydantic is not None and issubclass(cls, pydantic.BaseModel):
        raise TypeError(
            f"pydantic model {cls.__module__}.{cls.__qualname__} is not allowed in stored "
            "state: name it in the graph's state schema, or stores.allow_type() it"
        )
    return None


_parts_decoder = msgspec.msgpack.Decoder(list, ext_hook=_ext._ext_hook)


def decode_named(data: memoryview) -> Any:
    parts = _parts_decoder.decode(data)
    name = parts[0] if parts else None
    if type(name) is not str:
        raise ValueError("a value stored by name has no name")
    entry = _by_name.get(name)
    if entry is None:
        if name.startswith(_LC) and not _langchain_loaded:
            if not _load_langchain():
                raise CorruptCheckpointError(
                    f"stored data holds a LangChain {name[len(_LC) :]}, and langchain-core is "
                    "not installed: pip install 'session-actors[langchain]'"
                )
            entry = _by_name.get(name)
        if entry is None:
            raise CorruptCheckpointError(
                f"stored data names the class {name!r}, which is not allowed here: name it in "
                "the graph's state schema or stores.allow_type() it before reading"
            )
    return entry.decode(parts)


_ext._decoders[_NAMED] = decode_named
_ext._encode_named = encode_named
