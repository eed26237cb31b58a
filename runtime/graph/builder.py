"""``StateGraph``: LangGraph's graph builder, producing a frozen :class:`GraphSpec`.

The builder only records; it never runs user code (beyond reading signatures and
annotations). Checks that need one call's arguments fail in that call, as in LangGraph;
whole-graph checks run in :meth:`StateGraph.build_spec` (see ``validate.py``).
"""

from __future__ import annotations

import importlib
import warnings
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Self

from runtime.errors import GraphDefinitionError

from .callables import (
    callable_name,
    command_destinations,
    hinted_input_type,
    literal_return,
    make_callable_spec,
)
from .schema import inspect_schema, merge_schema, schema_kind, state_builder
from .spec import END, START, BranchSpec, ChannelSpec, GraphSpec, NodeSpec
from .validate import BranchLayout, GraphLayout, check_node_name, validate_layout

__all__ = ["StateGraph", "UnsupportedOptionWarning"]

# LangGraph add_node options that change how a node runs, which this runtime does not do
# yet. They are accepted so LangGraph code still builds, with a warning, never silently.
_UNSUPPORTED_NODE_OPTIONS = (
    "retry_policy",
    "retry",
    "cache_policy",
    "error_handler",
    "timeout",
    "trace_policy",
)


class UnsupportedOptionWarning(UserWarning):
    """A LangGraph option was given that this runtime accepts but does not honour."""


@dataclass(slots=True)
class _Node:
    name: str
    fn: Callable[..., Any]
    input_schema: type | None
    destinations: tuple[str, ...]
    metadata: dict[str, Any] | None
    ignored_options: dict[str, Any] = field(default_factory=dict)
    defer: bool = False


@dataclass(slots=True)
class _Branch:
    source: str
    name: str
    path: Callable[..., Any]
    path_map: dict[Hashable, str] | None
    mapped_by: str


class StateGraph:
    """A graph whose nodes read a shared state and return updates to it.

    ``state_schema`` is a TypedDict, dataclass or ``msgspec.Struct``; a key annotated
    ``Annotated[T, reducer]`` merges updates with ``reducer(current, update)``, any other key
    keeps the last value written. ``input_schema`` / ``output_schema`` restrict what
    ``invoke`` accepts and returns (default: the state schema). Every builder method
    returns the builder, so calls chain.
    """

    def __init__(
        self,
        state_schema: type,
        context_schema: type | None = None,
        *,
        input_schema: type | None = None,
        output_schema: type | None = None,
        **deprecated: Any,
    ) -> None:
        # LangGraph's pre-1.0 names, accepted as it still does.
        input_schema = input_schema or deprecated.pop("input", None)
        output_schema = output_schema or deprecated.pop("output", None)
        context_schema = context_schema or deprecated.pop("config_schema", None)
        if deprecated:
            raise TypeError(f"StateGraph() got unexpected keyword(s): {', '.join(deprecated)}")
        self.state_schema = state_schema
        self.input_schema = input_schema or state_schema
        self.output_schema = output_schema or state_schema
        self.context_schema = context_schema
        """Kept for LangGraph compatibility; the runtime context is not typed-checked."""
        self.nodes: dict[str, _Node] = {}
        self.edges: dict[tuple[str, str], None] = {}  # an ordered set
        self.waiting_edges: dict[tuple[tuple[str, ...], str], None] = {}
        self.branches: dict[str, dict[str, _Branch]] = {}
        self._channels: dict[str, ChannelSpec] = {}
        self._initial: dict[str, Any] = {}
        self._key_origin: dict[str, type] = {}
        self._add_schema(state_schema, "state_schema")
        self._add_schema(self.input_schema, "input_schema")
        self._add_schema(self.output_schema, "output_schema")

    def _add_schema(self, schema: type, role: str) -> None:
        merge_schema(
            self._channels, self._initial, self._key_origin, inspect_schema(schema, role=role)
        )

    # -- nodes -------------------------------------------------------------------------------

    def add_node(
        self,
        node: str | Callable[..., Any],
        action: Callable[..., Any] | None = None,
        *,
        input_schema: type | None = None,
        metadata: dict[str, Any] | None = None,
        destinations: dict[str, str] | Sequence[str] | None = None,
        defer: bool = False,
        **options: Any,
    ) -> Self:
        """Add ``action`` as node ``node``, or a callable as a node named after it.

        ``destinations`` declares where the node may go with ``Command(goto=...)`` (only
        used to check the graph); a ``-> Command[Literal[...]]`` annotation does the same.
        The node receives ``input_schema``'s keys: by default the state schema, or the
        class annotated on its first parameter (LangGraph's rule). ``defer=True``: once
        triggered, the node runs when nothing else is left to run (a fan-in that waits for
        branches of different lengths).
        """
        if isinstance(node, str):
            name = node
        elif action is not None:
            raise GraphDefinitionError(
                f"add_node({node!r}, {action!r}): the first argument must be the node's "
                "name when a function follows it"
            )
        else:
            name, action = callable_name(node), node
        if action is None:
            raise GraphDefinitionError(
                f"add_node({name!r}) needs the node's function: add_node({name!r}, fn)",
                node=name,
            )
        if not callable(action):
            raise GraphDefinitionError(
                f"Node {name!r}: expected a function or callable, got {action!r}", node=name
            )
        check_node_name(name, self.nodes)
        input_schema = input_schema or options.pop("input", None)
        ignored = self._take_options(name, options)
        if input_schema is None:
            hinted = hinted_input_type(action)
            # An annotation the runtime cannot build a state from is just documentation.
            if hinted is not None and schema_kind(hinted) is not None:
                input_schema = hinted
        if input_schema is not None:
            self._add_schema(input_schema, f"input_schema of node {name!r}")
            if input_schema is self.state_schema:
                input_schema = None
        # A dict maps targets to edge labels (LangGraph draws them); only the targets matter.
        declared = tuple(destinations) if destinations is not None else command_destinations(action)
        self.nodes[name] = _Node(
            name, action, input_schema, declared, metadata, ignored, defer=bool(defer)
        )
        return self

    @staticmethod
    def _take_options(node: str, options: dict[str, Any]) -> dict[str, Any]:
        unknown = sorted(set(options) - set(_UNSUPPORTED_NODE_OPTIONS))
        if unknown:
            raise TypeError(f"add_node({node!r}) got unexpected keyword(s): {', '.join(unknown)}")
        given = {k: v for k, v in options.items() if v not in (None, False)}
        if given:
            warnings.warn(
                f"add_node({node!r}): {', '.join(given)} not supported by this runtime; "
                "ignored (the node runs once, without retries, caching or a timeout)",
                UnsupportedOptionWarning,
                stacklevel=3,
            )
        return given

    def add_sequence(
        self, nodes: Sequence[Callable[..., Any] | tuple[str, Callable[..., Any]]]
    ) -> Self:
        """Add nodes that run one after the other, each an edge to the next."""
        if not nodes:
            raise GraphDefinitionError("add_sequence() needs at least one node")
        previous: str | None = None
        for item in nodes:
            if isinstance(item, tuple) and len(item) == 2:
                name, fn = item
            else:
                name, fn = callable_name(item), item
            if name in self.nodes:
                raise GraphDefinitionError(
                    f"add_sequence(): node {name!r} already exists; two callables with one "
                    "name (lambdas, say) must be given as (name, fn) tuples",
                    node=name,
                )
            self.add_node(name, fn)
            if previous is not None:
                self.add_edge(previous, name)
            previous = name
        return self

    # -- edges -------------------------------------------------------------------------------

    def add_edge(self, start_key: str | Sequence[str], end_key: str) -> Self:
        """``a -> b``; or, with a list of sources, run ``end_key`` once all of them ran."""
        if end_key == START:
            raise GraphDefinitionError("START cannot be the end of an edge", node=end_key)
        if isinstance(start_key, str):
            if start_key == END:
                raise GraphDefinitionError(
                    f"END cannot be the start of an edge (END -> {end_key!r})", node=start_key
                )
            self.edges[(start_key, end_key)] = None
            return self
        sources = tuple(start_key)
        if not sources:
            raise GraphDefinitionError(f"add_edge([], {end_key!r}): a join needs sources")
        for s in sources:
            if s in (START, END):
                raise GraphDefinitionError(
                    f"Join {list(sources)!r} -> {end_key!r}: {s!r} cannot be a join source",
                    node=s,
                )
        self.waiting_edges[(sources, end_key)] = None
        return self

    def add_conditional_edges(
        self,
        source: str,
        path: Callable[..., Any],
        path_map: dict[Hashable, str] | list[str] | None = None,
    ) -> Self:
        """After ``source``, go where ``path(state)`` says (names, ``END``, ``Send``\\ s).

        ``path_map`` maps its return values to nodes; a list maps names to themselves.
        Without one, a ``-> Literal[...]`` annotation on ``path`` serves as the map.
        """
        if not callable(path):
            raise GraphDefinitionError(
                f"Conditional edge out of {source!r}: path must be callable, got {path!r}",
                node=source,
            )
        name = callable_name(path)
        if name == "<lambda>":
            name = "condition"  # LangGraph's name for unnamed paths, so lambdas collide too
        existing = self.branches.setdefault(source, {})
        if name in existing:
            raise GraphDefinitionError(
                f"Node {source!r} already has a conditional edge named {name!r}; use one "
                "path function returning several targets, or give each a distinct name",
                node=source,
            )
        mapping: dict[Hashable, str] | None
        mapped_by = "path_map"
        if isinstance(path_map, dict):
            mapping = dict(path_map)
        elif path_map is not None:
            mapping = {n: n for n in path_map}
        elif (literal := literal_return(path)) is not None:
            mapping = {v: str(v) for v in literal}
            mapped_by = "Literal return annotation"
        else:
            mapping = None
        existing[name] = _Branch(source, name, path, mapping, mapped_by)
        return self

    def set_entry_point(self, key: str) -> Self:
        return self.add_edge(START, key)

    def set_conditional_entry_point(
        self,
        path: Callable[..., Any],
        path_map: dict[Hashable, str] | list[str] | None = None,
    ) -> Self:
        return self.add_conditional_edges(START, path, path_map)

    def set_finish_point(self, key: str) -> Self:
        return self.add_edge(key, END)

    # -- freezing ----------------------------------------------------------------------------

    def _interrupt_nodes(self, names: str | Iterable[str] | None) -> frozenset[str]:
        if names is None:
            return frozenset()
        if names == "*":
            return frozenset(self.nodes)
        if isinstance(names, str):
            return frozenset((names,))
        return frozenset(names)

    def build_spec(
        self,
        *,
        interrupt_before: str | Iterable[str] | None = (),
        interrupt_after: str | Iterable[str] | None = (),
        _stacklevel: int = 2,
    ) -> GraphSpec:
        """Validate the graph and freeze it. ``"*"`` interrupts before/after every node."""
        before = self._interrupt_nodes(interrupt_before)
        after = self._interrupt_nodes(interrupt_after)
        branches = [b for per_source in self.branches.values() for b in per_source.values()]
        layout = GraphLayout(
            nodes=self.nodes,
            edges=self.edges,
            joins=self.waiting_edges,
            branches=[
                BranchLayout(
                    b.source,
                    b.name,
                    None if b.path_map is None else tuple(b.path_map.values()),
                    b.mapped_by,
                )
                for b in branches
            ],
            destinations={n.name: n.destinations for n in self.nodes.values() if n.destinations},
        )
        validate_layout(
            layout,
            interrupt_before=sorted(before),
            interrupt_after=sorted(after),
            stacklevel=_stacklevel,
        )

        edges: dict[str, tuple[str, ...]] = {}
        for source, target in self.edges:
            edges[source] = (*edges.get(source, ()), target)
        by_source: dict[str, tuple[BranchSpec, ...]] = {}
        for b in branches:
            spec = BranchSpec(
                source=b.source,
                path=make_callable_spec(b.path),
                path_map=None if b.path_map is None else MappingProxyType(dict(b.path_map)),
            )
            by_source[b.source] = (*by_source.get(b.source, ()), spec)
        channels = dict(self._channels)
        return GraphSpec(
            schema=self.state_schema,
            channels=MappingProxyType(channels),
            defaults=MappingProxyType(dict(self._initial)),
            nodes=MappingProxyType(
                {
                    n.name: NodeSpec(
                        n.name, make_callable_spec(n.fn), n.input_schema, defer=n.defer
                    )
                    for n in self.nodes.values()
                }
            ),
            edges=MappingProxyType(edges),
            joins=tuple((frozenset(s), t) for s, t in self.waiting_edges),
            branches=MappingProxyType(by_source),
            input_keys=tuple(inspect_schema(self.input_schema).channels),
            output_keys=tuple(inspect_schema(self.output_schema).channels),
            to_state=state_builder(self.state_schema, channels),
            interrupt_before=before,
            interrupt_after=after,
        )

    def compile(
        self,
        checkpointer: Any = None,
        *,
        store: Any = None,
        interrupt_before: str | Iterable[str] | None = (),
        interrupt_after: str | Iterable[str] | None = (),
        **runtime_options: Any,
    ) -> Any:
        """Validate, freeze and hand the graph to the runtime: returns a ``CompiledGraph``.

        ``runtime_options`` (``durability``, ``max_active``, ``idle_timeout``, ...) go to
        the ``CompiledGraph``; see its documentation.
        """
        spec = self.build_spec(
            interrupt_before=interrupt_before, interrupt_after=interrupt_after, _stacklevel=3
        )
        # Looked up at call time: the graph layer sits below the API layer and must import
        # (and be tested) without it.
        compiled_graph = importlib.import_module("runtime.api.compiled").CompiledGraph
        return compiled_graph(spec, checkpointer=checkpointer, store=store, **runtime_options)
