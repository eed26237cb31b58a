"""StateGraph's builder API and the GraphSpec it freezes."""

from __future__ import annotations

import dataclasses
import functools
import operator
import sys
import types
import warnings
from typing import Annotated, Any, Literal, TypedDict

import pytest

from runtime.errors import GraphDefinitionError
from runtime.graph.builder import StateGraph, UnsupportedOptionWarning
from runtime.graph.message import MessagesState, add_messages
from runtime.graph.spec import END, START, GraphSpec
from runtime.graph.types import Command


class State(TypedDict):
    messages: Annotated[list[Any], add_messages]
    count: Annotated[int, operator.add]
    note: str


class InState(TypedDict):
    question: str


class OutState(TypedDict):
    note: str


class Private(TypedDict):
    scratch: str
    count: int


@dataclasses.dataclass
class DCState:
    name: str
    items: Annotated[list[int], operator.add] = dataclasses.field(default_factory=list)


def node_a(state: Any) -> dict[str, Any]:
    return {}


def node_b(state: Any) -> dict[str, Any]:
    return {}


def node_c(state: Any) -> dict[str, Any]:
    return {}


def route(state: Any) -> str:
    return "node_b"


def route_literal(state: Any) -> Literal["node_b", "__end__"]:
    return "node_b"


def private_node(state: Private) -> dict[str, Any]:
    return {}


def commander(state: Any) -> Command[Literal["node_b", "node_c"]]:
    return Command(goto="node_b")


def linear() -> StateGraph:
    return StateGraph(State).add_node(node_a).add_edge(START, "node_a")


# -- adding nodes ----------------------------------------------------------------------------


def test_every_builder_method_returns_the_builder() -> None:
    g = StateGraph(State)
    assert g.add_node(node_a) is g
    assert g.add_node("b", node_b) is g
    assert g.add_sequence([node_c]) is g
    assert g.add_edge("node_a", "b") is g
    assert g.add_edge(["node_a", "b"], "node_c") is g
    assert g.add_conditional_edges("b", route, ["node_c"]) is g
    assert g.set_entry_point("node_a") is g
    assert g.set_conditional_entry_point(route, {"x": "b"}) is g
    assert g.set_finish_point("node_c") is g


def test_node_names_from_functions_partials_and_instances() -> None:
    class Callable_:
        def __call__(self, state: Any) -> dict[str, Any]:
            return {}

    g = StateGraph(State).add_node(node_a).add_node(functools.partial(node_b))
    g.add_node(Callable_()).add_node("explicit", node_c)
    assert list(g.nodes) == ["node_a", "partial", "Callable_", "explicit"]


def test_add_sequence_chains_functions_and_named_tuples() -> None:
    g = StateGraph(State).add_sequence([node_a, ("second", node_b), node_c])
    spec = g.set_entry_point("node_a").build_spec()
    assert list(spec.nodes) == ["node_a", "second", "node_c"]
    assert spec.edges == {START: ("node_a",), "node_a": ("second",), "second": ("node_c",)}


def test_entry_finish_and_conditional_entry_points() -> None:
    g = StateGraph(State).add_node(node_a).add_node(node_b)
    g.set_entry_point("node_a").set_finish_point("node_a")
    g.set_conditional_entry_point(route, ["node_b"])
    spec = g.build_spec()
    assert spec.edges == {START: ("node_a",), "node_a": (END,)}
    (branch,) = spec.branches[START]
    assert branch.source == START
    assert branch.path.fn is route
    assert branch.path_map == {"node_b": "node_b"}


def test_edges_keep_insertion_order_and_ignore_duplicates() -> None:
    g = linear().add_node(node_b).add_node(node_c)
    g.add_edge("node_a", "node_c").add_edge("node_a", "node_b").add_edge("node_a", "node_c")
    assert g.build_spec().edges["node_a"] == ("node_c", "node_b")


def test_joins() -> None:
    g = linear().add_node(node_b).add_node(node_c).add_edge(START, "node_b")
    g.add_edge(["node_a", "node_b"], "node_c").add_edge(("node_b", "node_a"), "node_c")
    assert g.build_spec().joins == (
        (frozenset({"node_a", "node_b"}), "node_c"),
        (frozenset({"node_a", "node_b"}), "node_c"),
    )


@pytest.mark.parametrize(
    ("path", "path_map", "expected"),
    [
        (route, {True: "node_b", False: END}, {True: "node_b", False: END}),
        (route, ["node_b", END], {"node_b": "node_b", END: END}),
        (route, None, None),
        (route_literal, None, {"node_b": "node_b", END: END}),
        (route_literal, ["node_b"], {"node_b": "node_b"}),
    ],
)
def test_conditional_edge_path_maps(path: Any, path_map: Any, expected: Any) -> None:
    g = linear().add_node(node_b).add_conditional_edges("node_a", path, path_map)
    (branch,) = g.build_spec().branches["node_a"]
    assert branch.path_map == expected


def test_two_named_paths_from_one_source() -> None:
    g = linear().add_node(node_b).add_conditional_edges("node_a", route)
    g.add_conditional_edges("node_a", route_literal)
    assert [b.path.fn for b in g.build_spec().branches["node_a"]] == [route, route_literal]


# -- schemas -----------------------------------------------------------------------------------


def test_spec_channels_defaults_and_keys() -> None:
    spec = linear().build_spec()
    assert list(spec.channels) == ["messages", "count", "note"]
    assert spec.channels["messages"].reducer is add_messages
    assert spec.channels["note"].reducer is None
    assert spec.defaults == {"messages": [], "count": 0}
    assert spec.input_keys == spec.output_keys == ("messages", "count", "note")
    assert spec.schema is State
    values = {"messages": [], "count": 1, "note": "x"}
    assert spec.to_state(values) is values


def test_input_and_output_schemas_add_keys() -> None:
    g = StateGraph(State, input_schema=InState, output_schema=OutState)
    spec = g.add_node(node_a).set_entry_point("node_a").build_spec()
    assert list(spec.channels) == ["messages", "count", "note", "question"]
    assert spec.input_keys == ("question",)
    assert spec.output_keys == ("note",)
    # The state schema's nodes do not see the input-only key.
    assert spec.to_state({"question": "q", "note": "n"}) == {"note": "n"}


def test_legacy_input_output_keywords() -> None:
    g = StateGraph(State, input=InState, output=OutState)
    assert (g.input_schema, g.output_schema) == (InState, OutState)
    with pytest.raises(TypeError, match="bogus"):
        StateGraph(State, bogus=1)


def test_dataclass_state_spec() -> None:
    spec = StateGraph(DCState).add_node(node_a).set_entry_point("node_a").build_spec()
    assert spec.to_state({"name": "n", "junk": 1}) == DCState(name="n")
    assert spec.defaults == {"items": []}


def test_node_input_schema_explicit_and_inferred() -> None:
    g = linear().add_node("explicit", node_b, input_schema=Private).add_node(private_node)
    g.add_node("same", node_c, input_schema=State).add_edge("node_a", "explicit")
    g.add_edge("node_a", "private_node").add_edge("node_a", "same")
    spec = g.build_spec()
    assert spec.nodes["explicit"].input_schema is Private
    assert spec.nodes["private_node"].input_schema is Private
    assert spec.nodes["node_a"].input_schema is None
    assert spec.nodes["same"].input_schema is None
    assert "scratch" in spec.channels
    assert spec.channels["count"].reducer is operator.add  # restated plainly: kept


def test_node_annotated_with_unsupported_class_uses_state_schema() -> None:
    class NotASchema:
        x: int

    def annotated(state: NotASchema) -> dict[str, Any]:
        return {}

    spec = linear().add_node(annotated).add_edge("node_a", "annotated").build_spec()
    assert spec.nodes["annotated"].input_schema is None


# -- callables ---------------------------------------------------------------------------------


async def async_node(state: Any) -> dict[str, Any]:
    return {}


class AsyncCallable:
    async def __call__(self, state: Any) -> dict[str, Any]:
        return {}


def with_config(state: Any, config: Any) -> dict[str, Any]:
    return {}


def with_cfg(state: Any, cfg: Any) -> dict[str, Any]:
    return {}


def with_config_default(state: Any, config: Any = None) -> dict[str, Any]:
    return {}


def with_optional_other(state: Any, other: Any = None) -> dict[str, Any]:
    return {}


def echo_config(state: Any, config: Any) -> Any:
    return config


def with_kw_config(state: Any, *, config: Any) -> Any:
    return config


@pytest.mark.parametrize(
    ("fn", "is_async", "takes_config"),
    [
        (node_a, False, False),
        (async_node, True, False),
        (AsyncCallable(), True, False),
        (functools.partial(async_node), True, False),
        (functools.partial(AsyncCallable()), True, False),
        (lambda s: {}, False, False),
        (with_config, False, True),
        (with_cfg, False, True),
        (with_config_default, False, True),
        (with_optional_other, False, False),
        (max, False, False),  # a builtin without a signature
    ],
)
def test_callable_spec(fn: Any, is_async: bool, takes_config: bool) -> None:
    spec = linear().add_node("n", fn).add_edge("node_a", "n").build_spec().nodes["n"].call
    assert (spec.is_async, spec.takes_config) == (is_async, takes_config)
    assert spec.fn is fn


@pytest.mark.parametrize(
    "fn",
    # A partial binding ``config`` makes it keyword-only.
    [with_kw_config, functools.partial(echo_config, config=None)],
)
def test_keyword_only_config_is_adapted_to_positional(fn: Any) -> None:
    call = linear().add_node("n", fn).add_edge("node_a", "n").build_spec().nodes["n"].call
    assert call.takes_config and not call.is_async
    assert call.fn({}, "cfg") == "cfg"


async def test_async_keyword_only_config_is_adapted() -> None:
    async def node(state: Any, *, config: Any) -> Any:
        return config

    call = linear().add_node(node).add_edge("node_a", "node").build_spec().nodes["node"].call
    assert call.is_async and call.takes_config
    assert await call.fn({}, "cfg") == "cfg"


def test_path_callable_spec() -> None:
    g = linear().add_node(node_b).add_conditional_edges("node_a", with_config)
    (branch,) = g.build_spec().branches["node_a"]
    assert branch.path.takes_config and not branch.path.is_async


# -- options, interrupts, freezing ---------------------------------------------------------------


def test_metadata_and_destinations_are_accepted_quietly() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        g = linear().add_node("b", node_b, metadata={"k": 1}, destinations=("node_a",))
        g.add_node("c", node_c, destinations={"b": "label"}).add_edge("node_a", "c")
        g.build_spec()
    assert g.nodes["c"].destinations == ("b",)


def test_command_annotation_declares_destinations() -> None:
    g = linear().add_node(node_b).add_node(node_c).add_node(commander)
    assert g.nodes["commander"].destinations == ("node_b", "node_c")


@pytest.mark.parametrize("option", ["retry_policy", "cache_policy", "timeout"])
def test_unsupported_node_options_warn(option: str) -> None:
    with pytest.warns(UnsupportedOptionWarning, match=rf"'n'.*{option}"):
        linear().add_node("n", node_b, **{option: object()})


def test_unsupported_option_left_at_default_does_not_warn() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        linear().add_node("n", node_b, retry_policy=None, defer=False)


def test_unknown_node_keyword_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="colour"):
        linear().add_node("n", node_b, colour="red")


def test_interrupts() -> None:
    g = linear().add_node(node_b).add_edge("node_a", "node_b")
    spec = g.build_spec(interrupt_before=["node_b"], interrupt_after="*")
    assert spec.interrupt_before == frozenset({"node_b"})
    assert spec.interrupt_after == frozenset({"node_a", "node_b"})
    assert g.build_spec(interrupt_before=None).interrupt_before == frozenset()
    assert g.build_spec().interrupt_after == frozenset()


def test_spec_is_a_snapshot() -> None:
    g = linear()
    spec = g.build_spec()
    g.add_node(node_b).add_edge("node_a", "node_b")
    assert list(spec.nodes) == ["node_a"]
    assert "node_a" not in spec.edges
    with pytest.raises(TypeError):
        spec.nodes["x"] = spec.nodes["node_a"]  # type: ignore[index]
    assert isinstance(spec, GraphSpec)


def test_compile_hands_the_spec_to_compiled_graph(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[Any, ...]] = []

    class FakeCompiledGraph:
        def __init__(self, spec: GraphSpec, **kwargs: Any) -> None:
            calls.append((spec, kwargs))

    module = types.ModuleType("runtime.api.compiled")
    module.CompiledGraph = FakeCompiledGraph  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "runtime.api.compiled", module)
    saver, store = object(), object()
    graph = linear().compile(saver, store=store, interrupt_before="*", max_active=5)
    assert isinstance(graph, FakeCompiledGraph)
    ((spec, kwargs),) = calls
    assert spec.interrupt_before == frozenset({"node_a"})
    assert kwargs == {"checkpointer": saver, "store": store, "max_active": 5}


def test_compile_validates_before_importing_the_runtime() -> None:
    with pytest.raises(GraphDefinitionError, match="entry point"):
        StateGraph(MessagesState).add_node(node_a).compile()
