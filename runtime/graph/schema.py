"""State schemas: which keys exist, how each merges, and what a node receives.

Accepted schemas are ``TypedDict`` classes (``total=False`` and inheritance included),
dataclasses, ``msgspec.Struct`` classes and pydantic models (a node gets a validated
instance: a value of the wrong type fails that node with pydantic's ``ValidationError``, as
in LangGraph). A key's reducer comes from
``Annotated[T, reducer]`` by LangGraph's rule: the *last* metadata item, if callable, must
take exactly two positional arguments.

Initial values follow LangGraph's channels, not the schema's field defaults: a key with a
reducer starts as ``T()`` when that can be built (``[]`` for ``list``, ``0`` for ``int``),
so the first write already goes through the reducer, and it shows in the state from the
start; a key without a reducer has no value until written. Field defaults of dataclasses
and Structs are applied when a node's state object is built (by their own constructor, so
a ``default_factory`` runs per call and no mutable default is ever shared).
"""

from __future__ import annotations

import collections.abc
import dataclasses
import inspect
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, get_origin, get_type_hints

import msgspec

from runtime.errors import GraphDefinitionError
from stores.codec import allow_types_named_by

from .spec import ChannelSpec

__all__ = ["SchemaInfo", "inspect_schema", "merge_schema", "state_builder"]

SchemaKind = Literal["typeddict", "dataclass", "struct", "pydantic"]

_QUALIFIERS = frozenset({"Required", "NotRequired", "ReadOnly"})
_ABSTRACT_CONTAINERS: dict[Any, type] = {
    collections.abc.Sequence: list,
    collections.abc.MutableSequence: list,
    collections.abc.Set: set,
    collections.abc.MutableSet: set,
    collections.abc.Mapping: dict,
    collections.abc.MutableMapping: dict,
}
_ACCEPTED = "a TypedDict, a dataclass, a msgspec.Struct or a pydantic model class"


@dataclass(frozen=True, slots=True)
class SchemaInfo:
    """What one schema class contributes to a graph."""

    schema: type
    kind: SchemaKind
    channels: dict[str, ChannelSpec]
    """The schema's keys in field order."""
    initial: dict[str, Any]
    """Values reducer keys hold before their first write (see the module docstring)."""


def schema_kind(schema: Any) -> SchemaKind | None:
    if not isinstance(schema, type):
        return None
    # Duck-typed so that typing_extensions.TypedDict classes are recognised too.
    if issubclass(schema, dict) and hasattr(schema, "__required_keys__"):
        return "typeddict"
    if dataclasses.is_dataclass(schema):
        return "dataclass"
    if issubclass(schema, msgspec.Struct):
        return "struct"
    pydantic = sys.modules.get("pydantic")  # a pydantic model means pydantic is imported
    if pydantic is not None and issubclass(schema, pydantic.BaseModel):
        return "pydantic"
    return None


def _describe(schema: Any) -> str:
    return getattr(schema, "__qualname__", None) or repr(schema)


def _strip_qualifiers(annotation: Any) -> Any:
    """``NotRequired[X]`` / ``Required[X]`` / ``ReadOnly[X]`` -> ``X``."""
    while getattr(get_origin(annotation), "_name", None) in _QUALIFIERS:
        annotation = annotation.__args__[0]
    return annotation


def _reducer(schema: type, key: str, annotation: Any) -> Callable[[Any, Any], Any] | None:
    metadata = getattr(_strip_qualifiers(annotation), "__metadata__", ())
    if not metadata or not callable(metadata[-1]):
        return None
    reducer: Callable[[Any, Any], Any] = metadata[-1]
    try:
        params = inspect.signature(reducer).parameters.values()
    except (TypeError, ValueError):
        raise GraphDefinitionError(
            f"State key {key!r} of {_describe(schema)}: cannot read the signature of reducer "
            f"{reducer!r}; wrap it in a function `def merge(current, update): ...`"
        ) from None
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    if len(positional) != 2:
        raise GraphDefinitionError(
            f"State key {key!r} of {_describe(schema)}: reducer {reducer!r} must take exactly "
            f"two positional arguments (current, update), got {len(positional)}"
        )
    return reducer


def _initial_value(annotation: Any) -> Any:
    """``T()`` for ``Annotated[T, reducer]``; ``_MISSING`` when ``T`` cannot be built so."""
    base = _strip_qualifiers(getattr(_strip_qualifiers(annotation), "__origin__", annotation))
    base = get_origin(base) or base
    base = _ABSTRACT_CONTAINERS.get(base, base)
    try:
        return base()
    except Exception:  # Union, Any, classes needing arguments: no initial value, as LangGraph
        return _MISSING


_MISSING: Any = object()


def _field_names(schema: type, kind: SchemaKind, hints: dict[str, Any]) -> list[str]:
    if kind == "dataclass":
        return [f.name for f in dataclasses.fields(schema)]
    if kind == "struct":
        return [f.name for f in msgspec.structs.fields(schema)]
    if kind == "pydantic":
        return list(schema.model_fields)  # type: ignore[attr-defined]
    return list(hints)


def inspect_schema(schema: Any, *, role: str = "state_schema") -> SchemaInfo:
    """Introspect one schema; ``role`` names the argument it came from, for errors."""
    kind = schema_kind(schema)
    if kind is None:
        raise GraphDefinitionError(f"{role} must be {_ACCEPTED}, got {_describe(schema)}")
    try:
        hints = get_type_hints(schema, include_extras=True)
    except Exception as exc:
        raise GraphDefinitionError(
            f"{role} {_describe(schema)}: cannot resolve its annotations ({exc}); define the "
            "schema at module level, with every name it mentions importable there"
        ) from exc
    channels: dict[str, ChannelSpec] = {}
    initial: dict[str, Any] = {}
    if kind == "pydantic":  # an instance may be the input, stored with its checkpoint
        allow_types_named_by(schema)
    for name in _field_names(schema, kind, hints):
        annotation = hints.get(name, Any)
        # values of the classes a key names come back as themselves (as in LangGraph)
        allow_types_named_by(annotation)
        reducer = _reducer(schema, name, annotation)
        channels[name] = ChannelSpec(name=name, reducer=reducer)
        if reducer is not None and (value := _initial_value(annotation)) is not _MISSING:
            initial[name] = value
    return SchemaInfo(schema=schema, kind=kind, channels=channels, initial=initial)


def _same_reducer(a: Callable[..., Any], b: Callable[..., Any]) -> bool:
    # LangGraph's rule: every lambda is called "<lambda>", so one can't tell them apart.
    lambdas = getattr(a, "__name__", "") == "<lambda>" or getattr(b, "__name__", "") == "<lambda>"
    return lambdas or a is b


def merge_schema(
    channels: dict[str, ChannelSpec],
    initial: dict[str, Any],
    origin: dict[str, type],
    info: SchemaInfo,
) -> None:
    """Add ``info``'s keys to the graph's; a key must merge the same way in every schema.

    A key with no reducer in a later schema takes the earlier one's (LangGraph's rule: an
    input or node schema may restate a key plainly).
    """
    for name, channel in info.channels.items():
        existing = channels.get(name)
        if existing is None:
            channels[name] = channel
            origin[name] = info.schema
            if name in info.initial:
                initial[name] = info.initial[name]
            continue
        if channel.reducer is None:
            continue
        if existing.reducer is None or not _same_reducer(existing.reducer, channel.reducer):
            had = "no reducer" if existing.reducer is None else f"reducer {existing.reducer!r}"
            raise GraphDefinitionError(
                f"State key {name!r} has reducer {channel.reducer!r} in "
                f"{_describe(info.schema)} but {had} in {_describe(origin[name])}; annotate "
                "it with the same Annotated[..., reducer] in every schema"
            )


def state_builder(
    schema: type, graph_keys: collections.abc.Iterable[str]
) -> Callable[[dict[str, Any]], Any]:
    """What a node whose input is ``schema`` receives, built from a dict of state values.

    TypedDict: the schema's keys only (the dict itself when it has every graph key, the
    common case, so no copy is made here). Dataclass / Struct / pydantic model: an instance
    from the keys it has fields for; missing keys take the field defaults; extra keys are
    ignored; pydantic validates the values.
    """
    info = inspect_schema(schema)
    keys = tuple(info.channels)
    if info.kind == "typeddict":
        if set(keys) >= set(graph_keys):
            return _identity
        return lambda values: {k: values[k] for k in keys if k in values}
    if info.kind == "dataclass":
        keys = tuple(f.name for f in dataclasses.fields(schema) if f.init)

    def build(values: dict[str, Any]) -> Any:
        return schema(**{k: values[k] for k in keys if k in values})

    return build


def _identity(values: dict[str, Any]) -> Any:
    return values
