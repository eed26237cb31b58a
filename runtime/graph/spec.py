"""The compiled form of a graph: what the engine runs.

``StateGraph.compile()`` validates the builder and freezes it into a :class:`GraphSpec`.
Everything here is plain data plus the user's callables; the engine never looks at the
builder, and the builder never runs anything.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field
from typing import Any

START = "__start__"
END = "__end__"


@dataclass(frozen=True, slots=True)
class ChannelSpec:
    """One state key."""

    name: str
    reducer: Callable[[Any, Any], Any] | None
    """Binary reducer ``(current, update) -> new``; ``None`` keeps the last value and refuses
    two writes in one step (LangGraph's ``LastValue``)."""


@dataclass(frozen=True, slots=True)
class CallableSpec:
    """A user callable (node or path function) and how to call it."""

    fn: Callable[..., Any]
    is_async: bool
    """``True`` for ``async def`` (and callables whose ``__call__`` is async)."""
    takes_config: bool
    """The callable accepts a second positional parameter, or a ``config`` parameter."""
    injected: tuple[str, ...] = ()
    """Keyword parameters the engine fills, among ``store`` (the cross-session memory),
    ``writer`` (a custom stream writer) and ``runtime`` (the run context), as LangGraph."""


@dataclass(frozen=True, slots=True)
class NodeSpec:
    name: str
    call: CallableSpec
    input_schema: type | None = None
    """Schema the node's state argument is built as (``None``: the graph's state schema)."""
    defer: bool = False
    """``add_node(..., defer=True)``: once triggered, the node waits until no other node is
    left to run in the turn, then runs once (LangGraph's deferred nodes)."""


@dataclass(frozen=True, slots=True)
class BranchSpec:
    """A conditional edge out of ``source``."""

    source: str
    path: CallableSpec
    """Returns a target (str), a list of targets, ``END``, or ``Send``/lists of ``Send``."""
    path_map: Mapping[Hashable, str] | None
    """Maps the path's return values to node names (``None``: returned values are names)."""


@dataclass(frozen=True, slots=True)
class GraphSpec:
    """A validated, frozen graph."""

    schema: type
    """The state schema the user passed (TypedDict, dataclass or msgspec Struct)."""
    channels: Mapping[str, ChannelSpec]
    """State keys in schema order."""
    defaults: Mapping[str, Any]
    """Values a new thread starts with: each reducer key whose type can be built empty
    (``list`` -> ``[]``, ``int`` -> ``0``), as LangGraph's aggregate channels do. Field
    defaults of dataclass/Struct schemas are not here: ``to_state`` applies them."""
    nodes: Mapping[str, NodeSpec]
    """User nodes in insertion order. Never contains ``START`` or ``END``."""
    edges: Mapping[str, tuple[str, ...]]
    """Static single-source edges: ``source -> targets`` (``source`` may be ``START``; targets
    may include ``END``)."""
    joins: tuple[tuple[frozenset[str], str], ...]
    """Waiting edges from ``add_edge([a, b], c)``: ``c`` runs once every source has finished."""
    branches: Mapping[str, tuple[BranchSpec, ...]]
    """Conditional edges by source (``START`` for a conditional entry point)."""
    input_keys: tuple[str, ...]
    output_keys: tuple[str, ...]
    to_state: Callable[[dict[str, Any]], Any]
    """Builds what a node receives from a dict of values: the dict itself for a TypedDict
    schema, an instance for a dataclass or Struct schema (missing keys take defaults)."""
    interrupt_before: frozenset[str] = field(default_factory=frozenset)
    interrupt_after: frozenset[str] = field(default_factory=frozenset)
