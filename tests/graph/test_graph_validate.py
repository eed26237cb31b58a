"""Every GraphDefinitionError the builder raises, and agreement with LangGraph's verdicts."""

from __future__ import annotations

import operator
import types
import warnings
from collections.abc import Callable
from typing import Annotated, Any, Literal, TypedDict

import pytest
from langgraph.types import Command as LGCommand

from runtime.errors import GraphDefinitionError
from runtime.graph.builder import StateGraph
from runtime.graph.spec import END, START
from runtime.graph.types import Command
from runtime.graph.validate import UnreachableNodeWarning


class State(TypedDict):
    total: Annotated[int, operator.add]
    note: str


def fn(state: Any) -> dict[str, Any]:
    return {}


def route(state: Any) -> str:
    return "a"


def route_to_ghost(state: Any) -> Literal["a", "ghost"]:
    return "a"


def alpha_or_ghost(state: Any) -> Literal["alpha", "ghost"]:
    return "alpha"


def goes_to_ghost(state: Any) -> Command[Literal["ghost"]]:
    return Command(goto="ghost")


def lg_goes_to_ghost(state: Any) -> LGCommand[Literal["ghost"]]:
    return LGCommand(goto="ghost")


def base() -> StateGraph:
    return StateGraph(State).add_node("alpha", fn).add_node("beta", fn).add_edge(START, "alpha")


def raises(match: str, node: str | None = None) -> Any:
    """Expect GraphDefinitionError matching ``match``, naming ``node`` in ``.node``."""

    class Check:
        def __enter__(self) -> None:
            self.ctx = pytest.raises(GraphDefinitionError, match=match)
            self.info = self.ctx.__enter__()

        def __exit__(self, *exc: Any) -> bool:
            handled = self.ctx.__exit__(*exc)
            assert self.info.value.node == node
            return bool(handled)

    return Check()


# -- errors raised at the offending call -------------------------------------------------------


@pytest.mark.parametrize("name", [START, END])
def test_reserved_node_names(name: str) -> None:
    with raises(rf"Node name '{name}' is reserved.*rename", node=name):
        StateGraph(State).add_node(name, fn)


@pytest.mark.parametrize("name", ["a|b", "a:b"])
def test_reserved_characters_in_node_names(name: str) -> None:
    with raises(rf"'{name}' contains '[|:]'.*reserved", node=name):
        StateGraph(State).add_node(name, fn)


def test_duplicate_node() -> None:
    with raises(r"Node 'alpha' already present.*another name", node="alpha"):
        base().add_node("alpha", fn)


def test_duplicate_node_from_function_name() -> None:
    with raises(r"Node 'fn' already present", node="fn"):
        StateGraph(State).add_node(fn).add_node(fn)


def test_add_node_without_function() -> None:
    with raises(r"add_node\('x'\) needs the node's function", node="x"):
        StateGraph(State).add_node("x")


def test_add_node_with_non_callable() -> None:
    with raises(r"Node 'x': expected a function or callable, got 42", node="x"):
        StateGraph(State).add_node("x", 42)  # type: ignore[arg-type]


def test_add_node_with_two_callables() -> None:
    with raises(r"first argument must be the node's name"):
        StateGraph(State).add_node(fn, fn)  # type: ignore[call-overload]


def test_end_as_edge_source() -> None:
    with raises(r"END cannot be the start of an edge \(END -> 'alpha'\)", node=END):
        base().add_edge(END, "alpha")


@pytest.mark.parametrize("source", ["alpha", ["alpha", "beta"]])
def test_start_as_edge_target(source: Any) -> None:
    with raises(r"START cannot be the end of an edge", node=START):
        base().add_edge(source, START)


@pytest.mark.parametrize("bad", [START, END])
def test_start_or_end_in_join_sources(bad: str) -> None:
    with raises(rf"Join .*'{bad}' cannot be a join source", node=bad):
        base().add_edge(["alpha", bad], "beta")


def test_empty_join() -> None:
    with raises(r"a join needs sources"):
        base().add_edge([], "beta")


def test_empty_sequence() -> None:
    with raises(r"add_sequence\(\) needs at least one node"):
        StateGraph(State).add_sequence([])


def test_sequence_with_duplicate_names() -> None:
    with raises(r"node '<lambda>' already exists.*\(name, fn\) tuples", node="<lambda>"):
        StateGraph(State).add_sequence([lambda s: {}, lambda s: {}])


def test_two_unnamed_paths_from_one_source() -> None:
    g = base().add_conditional_edges("alpha", lambda s: "beta")
    with raises(r"'alpha' already has a conditional edge named 'condition'", node="alpha"):
        g.add_conditional_edges("alpha", lambda s: END)


def test_non_callable_path() -> None:
    with raises(r"path must be callable", node="alpha"):
        base().add_conditional_edges("alpha", "beta")  # type: ignore[arg-type]


# -- errors raised when the graph is frozen ----------------------------------------------------


def test_no_entry_point() -> None:
    g = StateGraph(State).add_node("alpha", fn)
    with raises(r"must have an entry point.*add_edge\(START, 'alpha'\)"):
        g.build_spec()


def test_edge_to_unknown_node_suggests_close_name() -> None:
    with raises(r"Edge 'alpha' -> 'bet' ends at unknown node 'bet'\. Did you mean 'beta'\?", "bet"):
        base().add_edge("alpha", "bet").build_spec()


def test_edge_from_unknown_node_lists_known_names() -> None:
    with raises(r"starts at unknown node 'zzz'\. Known nodes: 'alpha', 'beta'", node="zzz"):
        base().add_edge("zzz", "alpha").build_spec()


def test_entry_to_unknown_node_with_no_nodes() -> None:
    with raises(r"unknown node 'x'\. The graph has no nodes yet", node="x"):
        StateGraph(State).set_entry_point("x").build_spec()


def test_join_with_unknown_source_and_target() -> None:
    with raises(r"Join \['alpha', 'gamma'\] -> 'beta' starts at unknown node 'gamma'", "gamma"):
        base().add_edge(["alpha", "gamma"], "beta").build_spec()
    with raises(r"Join \['alpha'\] -> 'omega' ends at unknown node 'omega'", node="omega"):
        base().add_edge(["alpha"], "omega").build_spec()


def test_branch_from_unknown_node_and_from_end() -> None:
    with raises(r"Conditional edge 'route' out of 'alfa' starts at unknown.*'alpha'", "alfa"):
        base().add_conditional_edges("alfa", route).build_spec()
    with raises(r"out of '__end__' starts at END", node=END):
        base().add_conditional_edges(END, route).build_spec()


def test_path_map_to_unknown_node() -> None:
    g = base().add_conditional_edges("alpha", route, {"x": "beta", "y": "gamma"})
    with raises(
        r"'route' out of 'alpha' \(via its path_map\) ends at unknown node 'gamma'", "gamma"
    ):
        g.build_spec()


def test_path_map_to_start() -> None:
    with raises(r"ends at START", node=START):
        base().add_conditional_edges("alpha", route, [START]).build_spec()


def test_literal_annotation_to_unknown_node() -> None:
    g = base().add_conditional_edges("alpha", alpha_or_ghost)
    with raises(r"via its Literal return annotation\) ends at unknown node 'ghost'", "ghost"):
        g.build_spec()


def test_declared_destination_to_unknown_node() -> None:
    g = base().add_node("c", fn, destinations=("alpha", "gost")).add_edge("alpha", "c")
    with raises(r"Destination of node 'c' ends at unknown node 'gost'", node="gost"):
        g.build_spec()
    g = base().add_node(goes_to_ghost).add_edge("alpha", "goes_to_ghost")
    with raises(r"Destination of node 'goes_to_ghost' ends at unknown node 'ghost'", "ghost"):
        g.build_spec()


@pytest.mark.parametrize("when", ["interrupt_before", "interrupt_after"])
def test_interrupt_on_unknown_node(when: str) -> None:
    with raises(rf"{when} names unknown node 'alpah'\. Did you mean 'alpha'\?", "alpah"):
        base().add_edge("alpha", "beta").build_spec(**{when: ["alpah"]})


# -- nodes nothing leads to: a warning, not an error -------------------------------------------


def assert_no_warning(g: StateGraph) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        g.build_spec()


def test_unreachable_node_warns_with_names_and_fix() -> None:
    with pytest.warns(UnreachableNodeWarning, match=r"'beta'.*destinations=") as record:
        spec = base().build_spec()
    assert "beta" in spec.nodes
    assert record[0].filename == __file__  # points at the caller


def test_dead_end_node_is_fine() -> None:
    assert_no_warning(base().add_edge("alpha", "beta"))


def test_branch_without_path_map_may_reach_anything() -> None:
    assert_no_warning(base().add_conditional_edges("alpha", route))


def test_branch_with_path_map_reaches_only_its_targets() -> None:
    g = base().add_node("gamma", fn).add_conditional_edges("alpha", route, ["beta"])
    with pytest.warns(UnreachableNodeWarning, match="'gamma'"):
        g.build_spec()


def test_declared_destinations_reach() -> None:
    assert_no_warning(base().add_node("c", fn, destinations=("beta",)).add_edge("alpha", "c"))


def test_join_needs_every_source_reachable() -> None:
    g = base().add_node("gamma", fn).add_edge(["alpha", "beta"], "gamma")
    with pytest.warns(UnreachableNodeWarning, match=r"'beta', 'gamma'"):
        g.build_spec()
    assert_no_warning(g.add_edge("alpha", "beta"))


# -- same verdict as LangGraph -----------------------------------------------------------------

Lib = types.SimpleNamespace


def _ours() -> Lib:
    return Lib(
        StateGraph=StateGraph, START=START, END=END, Command=Command, done=lambda g: g.build_spec()
    )


def _langgraph() -> Lib:
    from langgraph.graph import END as LG_END
    from langgraph.graph import START as LG_START
    from langgraph.graph import StateGraph as LGStateGraph
    from langgraph.types import Command as LGCommand

    return Lib(
        StateGraph=LGStateGraph,
        START=LG_START,
        END=LG_END,
        Command=LGCommand,
        done=lambda g: g.compile(),
    )


def _g(lib: Lib) -> Any:
    return lib.StateGraph(State).add_node("a", fn).add_node("b", fn)


def _command_to_ghost(lib: Lib) -> Any:
    go = goes_to_ghost if lib.Command is Command else lg_goes_to_ghost
    return _g(lib).add_node("go", go).add_edge(lib.START, "a").add_edge("a", "go")


CASES: dict[str, tuple[bool, Callable[[Lib], Any]]] = {
    "linear": (True, lambda L: _g(L).add_edge(L.START, "a").add_edge("a", "b")),
    "no entry": (False, lambda L: _g(L).add_edge("a", "b")),
    "edge to unknown": (False, lambda L: _g(L).add_edge(L.START, "a").add_edge("a", "zz")),
    "edge from unknown": (False, lambda L: _g(L).add_edge(L.START, "a").add_edge("zz", "a")),
    "node START": (False, lambda L: _g(L).add_node(L.START, fn)),
    "node with |": (False, lambda L: _g(L).add_node("x|y", fn)),
    "node with :": (False, lambda L: _g(L).add_node("x:y", fn)),
    "duplicate": (False, lambda L: _g(L).add_node("a", fn)),
    "END source": (False, lambda L: _g(L).add_edge(L.END, "a")),
    "START target": (False, lambda L: _g(L).add_edge("a", L.START)),
    "path_map unknown": (
        False,
        lambda L: _g(L).add_edge(L.START, "a").add_conditional_edges("a", route, ["b", "zz"]),
    ),
    "literal unknown": (
        False,
        lambda L: _g(L).add_edge(L.START, "a").add_conditional_edges("a", route_to_ghost),
    ),
    "command unknown": (False, _command_to_ghost),
    "destinations unknown": (
        False,
        lambda L: _g(L).add_node("c", fn, destinations=("zz",)).add_edge(L.START, "c"),
    ),
    "join to unknown": (False, lambda L: _g(L).add_edge(L.START, "a").add_edge(["a", "b"], "zz")),
    "two lambda paths": (
        False,
        lambda L: (
            _g(L)
            .add_edge(L.START, "a")
            .add_conditional_edges("a", lambda s: "b")
            .add_conditional_edges("a", lambda s: "b")
        ),
    ),
    "unreachable node": (True, lambda L: _g(L).add_edge(L.START, "a")),
    "dead end": (True, lambda L: _g(L).add_edge(L.START, "a").add_edge("a", "b")),
    "self loop": (True, lambda L: _g(L).add_edge(L.START, "a").add_edge("a", "a")),
    "conditional entry": (True, lambda L: _g(L).set_conditional_entry_point(route)),
    "START to END, no nodes": (True, lambda L: L.StateGraph(State).add_edge(L.START, L.END)),
    "node named like a key": (True, lambda L: _g(L).add_node("note", fn).add_edge(L.START, "note")),
    "join": (
        True,
        lambda L: _g(L).add_node("c", fn).set_entry_point("a").add_edge(["a", "b"], "c"),
    ),
}


def _accepts(lib: Lib, case: Callable[[Lib], Any]) -> bool:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            lib.done(case(lib))
    except (ValueError, GraphDefinitionError):
        return False
    return True


@pytest.mark.parametrize("name", list(CASES))
def test_same_verdict_as_langgraph(name: str) -> None:
    expected, case = CASES[name]
    assert _accepts(_langgraph(), case) is expected, "LangGraph's verdict changed"
    assert _accepts(_ours(), case) is expected


def test_interrupt_on_unknown_node_like_langgraph() -> None:
    with pytest.raises(ValueError, match="zz"):
        _g(_langgraph()).add_edge(START, "a").compile(interrupt_before=["zz"])
    with pytest.raises(GraphDefinitionError, match="zz"):
        _g(_ours()).add_edge(START, "a").build_spec(interrupt_before=["zz"])
