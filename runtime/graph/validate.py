"""Whole-graph checks run when the builder is frozen into a ``GraphSpec``.

The rules are LangGraph's (``StateGraph.validate``): every edge starts at ``START`` or a
node, ends at a node or ``END``; there is an entry point; path maps and declared
destinations name real nodes; interrupt nodes exist. Checks that need only the call at
hand (reserved names, duplicates, ``END`` as a source) run in the builder methods, when
LangGraph runs them, so the traceback points at the offending line.

One check is ours: nodes that nothing routes to. LangGraph accepts them, and a node can be
reached by ``Command(goto=...)`` from any node without any declaration, so they cannot be
proven dead; they get an :class:`UnreachableNodeWarning`, not an error.
"""

from __future__ import annotations

import difflib
import warnings
from collections.abc import Collection, Hashable, Iterable, Mapping
from dataclasses import dataclass

from runtime.errors import GraphDefinitionError

from .spec import END, START

__all__ = [
    "GraphLayout",
    "UnreachableNodeWarning",
    "check_node_name",
    "suggest",
    "validate_layout",
]

_RESERVED_CHARACTERS = ("|", ":")
"""LangGraph's namespace separators (``NS_SEP``, ``NS_END``); a node name must avoid them."""


class UnreachableNodeWarning(UserWarning):
    """A node no edge, mapped branch or declared destination leads to."""


@dataclass(frozen=True, slots=True)
class BranchLayout:
    source: str
    name: str
    targets: tuple[str, ...] | None
    """Where the branch can go (``None``: anywhere, it has no path map)."""
    mapped_by: str
    """What the targets came from, for messages: ``"path_map"`` or the return annotation."""


@dataclass(frozen=True, slots=True)
class GraphLayout:
    """The graph's shape, without callables: all validation needs."""

    nodes: Collection[str]
    edges: Iterable[tuple[str, str]]
    joins: Iterable[tuple[tuple[str, ...], str]]
    branches: Iterable[BranchLayout]
    destinations: Mapping[str, tuple[str, ...]]
    """Declared (or annotated) ``Command`` targets by node."""


def suggest(name: Hashable, known: Iterable[str]) -> str:
    """`` Did you mean 'x'?`` for a close known name, else the list of known names."""
    candidates = sorted(known)
    close = difflib.get_close_matches(str(name), candidates, n=1, cutoff=0.6)
    if close:
        return f" Did you mean {close[0]!r}?"
    if not candidates:
        return " The graph has no nodes yet: add_node() it first."
    return f" Known nodes: {', '.join(map(repr, candidates))}."


def check_node_name(name: str, existing: Collection[str]) -> None:
    """Refuse a new node's name now, as LangGraph's ``add_node`` does."""
    if name in (START, END):
        raise GraphDefinitionError(
            f"Node name {name!r} is reserved for the graph's start/end; rename the node",
            node=name,
        )
    for character in _RESERVED_CHARACTERS:
        if character in name:
            raise GraphDefinitionError(
                f"Node name {name!r} contains {character!r}, which is reserved (it "
                "separates namespaces); rename the node",
                node=name,
            )
    if name in existing:
        raise GraphDefinitionError(
            f"Node {name!r} already present; give the second node another name "
            "(add_node('other_name', fn))",
            node=name,
        )


def _check_source(layout: GraphLayout, source: str, what: str) -> None:
    if source == START or source in layout.nodes:
        return
    if source == END:
        raise GraphDefinitionError(f"{what} starts at END; nothing runs after END", node=source)
    raise GraphDefinitionError(
        f"{what} starts at unknown node {source!r}.{suggest(source, layout.nodes)}",
        node=source,
    )


def _check_target(layout: GraphLayout, target: str, what: str) -> None:
    if target == END or target in layout.nodes:
        return
    if target == START:
        raise GraphDefinitionError(f"{what} ends at START; START cannot be a target", node=target)
    raise GraphDefinitionError(
        f"{what} ends at unknown node {target!r}.{suggest(target, layout.nodes)}",
        node=target,
    )


def validate_layout(
    layout: GraphLayout,
    *,
    interrupt_before: Iterable[str] = (),
    interrupt_after: Iterable[str] = (),
    stacklevel: int = 2,
) -> None:
    """Raise ``GraphDefinitionError`` for the first problem found; warn about dead nodes.

    ``stacklevel`` is the warning's, counted from the caller of this function.
    """
    for a, b in layout.edges:
        _check_source(layout, a, f"Edge {a!r} -> {b!r}")
        _check_target(layout, b, f"Edge {a!r} -> {b!r}")
    for sources, target in layout.joins:
        what = f"Join {list(sources)!r} -> {target!r}"
        for s in sources:
            _check_source(layout, s, what)
        _check_target(layout, target, what)
    for br in layout.branches:
        what = f"Conditional edge {br.name!r} out of {br.source!r}"
        _check_source(layout, br.source, what)
        for t in br.targets or ():
            _check_target(layout, t, f"{what} (via its {br.mapped_by})")
    for node, targets in layout.destinations.items():
        for t in targets:
            _check_target(layout, t, f"Destination of node {node!r}")

    has_entry = any(a == START for a, _ in layout.edges) or any(
        br.source == START for br in layout.branches
    )
    if not has_entry:
        first = next(iter(layout.nodes), "my_node")
        raise GraphDefinitionError(
            "Graph must have an entry point: add an edge from START, e.g. "
            f"builder.add_edge(START, {first!r}) or builder.set_entry_point({first!r})"
        )

    for when, names in (
        ("interrupt_before", interrupt_before),
        ("interrupt_after", interrupt_after),
    ):
        for n in names:
            if n not in layout.nodes:
                raise GraphDefinitionError(
                    f"{when} names unknown node {n!r}.{suggest(n, layout.nodes)}", node=n
                )

    dead = unreachable(layout)
    if dead:
        warnings.warn(
            f"Node(s) {', '.join(map(repr, dead))} cannot be reached from START by any edge, "
            "mapped conditional edge or declared destination. If a node routes there with "
            "Command(goto=...), declare it: add_node(..., destinations=(...)) or annotate the "
            "node's return as Command[Literal[...]]; otherwise add an edge.",
            UnreachableNodeWarning,
            stacklevel=stacklevel + 1,
        )


def unreachable(layout: GraphLayout) -> list[str]:
    """Nodes no path from ``START`` leads to, in insertion order."""
    out: dict[str, list[str]] = {}
    for a, b in layout.edges:
        out.setdefault(a, []).append(b)
    for node, targets in layout.destinations.items():
        out.setdefault(node, []).extend(targets)
    for br in layout.branches:
        # Without a path map the branch may return any node (or Send to any): LangGraph
        # draws it as an edge to every node, and so do we.
        out.setdefault(br.source, []).extend(br.targets if br.targets is not None else layout.nodes)
    joins = list(layout.joins)
    reached = {START}
    frontier = [START]
    while frontier:
        while frontier:
            for t in out.get(frontier.pop(), ()):
                if t not in reached:
                    reached.add(t)
                    frontier.append(t)
        # A join fires once all its sources have run, so it needs all of them reachable.
        for sources, target in joins:
            if target not in reached and all(s in reached for s in sources):
                reached.add(target)
                frontier.append(target)
    return [n for n in layout.nodes if n not in reached]
