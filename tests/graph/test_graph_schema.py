"""Schema introspection: TypedDict, dataclass, msgspec.Struct."""

from __future__ import annotations

import dataclasses
import operator
from collections.abc import Sequence
from typing import Annotated, Any, NotRequired, Required, TypedDict

import msgspec
import pydantic
import pytest

from runtime.errors import GraphDefinitionError
from runtime.graph.message import MessagesState, add_messages
from runtime.graph.schema import inspect_schema, merge_schema, state_builder
from stores._models import is_allowed


def keep_last(a: Any, b: Any) -> Any:
    return b


def unary(a: Any) -> Any:
    return a


class Base(TypedDict):
    messages: Annotated[list[Any], add_messages]


class Child(Base, total=False):
    count: Annotated[int, operator.add]
    note: str


class Qualified(TypedDict):
    a: NotRequired[Annotated[list[str], operator.add]]
    b: Annotated[Required[list[str]], operator.add]
    c: Annotated[Sequence[int], operator.add]
    d: Annotated[int | None, keep_last]
    e: Annotated[str, "doc", keep_last]
    f: Annotated[str, keep_last, "doc"]


class BadReducer(TypedDict):
    x: Annotated[int, unary]


@dataclasses.dataclass
class DC:
    name: str
    items: Annotated[list[int], operator.add] = dataclasses.field(default_factory=lambda: [1])
    tags: list[str] = dataclasses.field(default_factory=list)
    level: int = 3
    derived: int = dataclasses.field(default=0, init=False)


class St(msgspec.Struct):
    name: str
    items: Annotated[list[int], operator.add] = msgspec.field(default_factory=list)
    tags: list[str] = msgspec.field(default_factory=list)
    level: int = 3


class Plain:
    x: int


class InputTD(TypedDict):
    question: str


class OtherReducer(TypedDict):
    messages: Annotated[list[Any], operator.add]


class PlainMessages(TypedDict):
    messages: list[Any]


def test_typeddict_keys_in_order_with_inheritance_and_total_false() -> None:
    info = inspect_schema(Child)
    assert list(info.channels) == ["messages", "count", "note"]
    assert info.kind == "typeddict"
    assert info.channels["messages"].reducer is add_messages
    assert info.channels["count"].reducer is operator.add
    assert info.channels["note"].reducer is None
    assert info.initial == {"messages": [], "count": 0}


def test_qualifiers_abstract_containers_and_metadata_position() -> None:
    info = inspect_schema(Qualified)
    reducers = {k: c.reducer for k, c in info.channels.items()}
    assert reducers == {
        "a": operator.add,
        "b": operator.add,
        "c": operator.add,
        "d": keep_last,
        "e": keep_last,
        "f": None,  # LangGraph looks at the last metadata item only
    }
    assert info.initial == {"a": [], "b": [], "c": [], "e": ""}  # int | None: no T()


def test_initial_values_match_langgraph_channels() -> None:
    from langgraph.channels.binop import BinaryOperatorAggregate
    from langgraph.graph import StateGraph as LGStateGraph

    for schema in (Child, Qualified, DC):
        lg = LGStateGraph(schema).channels
        theirs = {
            k: c.value
            for k, c in lg.items()
            if isinstance(c, BinaryOperatorAggregate) and c.is_available()
        }
        assert inspect_schema(schema).initial == theirs, schema
        ours = {k: c.reducer for k, c in inspect_schema(schema).channels.items()}
        assert {k: getattr(c, "operator", None) for k, c in lg.items()} == ours


def test_reducer_with_wrong_arity_is_rejected() -> None:
    with pytest.raises(GraphDefinitionError, match=r"'x'.*BadReducer.*two positional"):
        inspect_schema(BadReducer)


def test_dataclass_schema() -> None:
    info = inspect_schema(DC)
    assert info.kind == "dataclass"
    assert list(info.channels) == ["name", "items", "tags", "level", "derived"]
    assert info.channels["items"].reducer is operator.add
    # The channel starts at list(), as LangGraph's does, not at the field's default.
    assert info.initial == {"items": []}


def test_dataclass_to_state_fills_defaults_ignores_extras_and_is_fresh() -> None:
    build = state_builder(DC, ["name", "items", "tags", "level", "derived"])
    first = build({"name": "n", "extra": 1, "derived": 9})
    assert first == DC(name="n", items=[1], tags=[], level=3)
    second = build({"name": "m", "level": 5})
    assert second.level == 5
    assert second.tags is not first.tags  # default_factory runs per state built


def test_struct_schema_and_to_state() -> None:
    info = inspect_schema(St)
    assert info.kind == "struct"
    assert list(info.channels) == ["name", "items", "tags", "level"]
    assert info.channels["items"].reducer is operator.add
    assert info.initial == {"items": []}
    build = state_builder(St, info.channels)
    state = build({"name": "x", "items": [2], "nope": 0})
    assert state == St(name="x", items=[2], tags=[], level=3)
    assert build({"name": "y"}).tags is not build({"name": "z"}).tags


def test_missing_required_field_fails_like_the_constructor() -> None:
    with pytest.raises(TypeError, match="name"):
        state_builder(DC, ["name"])({})


def test_typeddict_to_state_is_identity_when_schema_has_every_key() -> None:
    values = {"messages": [], "count": 1}
    assert state_builder(Child, ["messages", "count", "note"])(values) is values


def test_typeddict_to_state_keeps_only_its_keys_otherwise() -> None:
    build = state_builder(MessagesState, ["messages", "question"])
    assert build({"messages": [1], "question": "q"}) == {"messages": [1]}
    assert build({"question": "q"}) == {}  # unset keys stay absent


@pytest.mark.parametrize("schema", [Plain, int, dict, list[int], "State"])
def test_unsupported_schemas_say_what_is_accepted(schema: Any) -> None:
    with pytest.raises(GraphDefinitionError) as err:
        inspect_schema(schema, role="state_schema")
    message = str(err.value)
    assert (
        "state_schema must be a TypedDict, a dataclass, a msgspec.Struct or a pydantic model"
        in message
    )


class Item(pydantic.BaseModel):
    name: str


class PydanticState(pydantic.BaseModel):
    log: Annotated[list[str], operator.add] = []
    items: list[Item] = []
    note: str | None = None


def test_pydantic_models_are_schemas() -> None:
    info = inspect_schema(PydanticState)
    assert info.kind == "pydantic"
    assert list(info.channels) == ["log", "items", "note"]
    assert info.channels["log"].reducer is operator.add
    assert info.channels["note"].reducer is None
    build = state_builder(PydanticState, ["log", "items", "note"])
    state = build({"log": ["a"], "items": [{"name": "x"}]})
    assert state == PydanticState(log=["a"], items=[Item(name="x")])  # validated, coerced
    with pytest.raises(pydantic.ValidationError):
        build({"note": 3})
    assert is_allowed(PydanticState) and is_allowed(Item)  # storable by name


def test_unresolvable_annotation_is_reported() -> None:
    class Broken(TypedDict):
        x: Undefined  # type: ignore[name-defined]  # noqa: F821

    with pytest.raises(GraphDefinitionError, match=r"Broken.*Undefined"):
        inspect_schema(Broken)


def _merged(*schemas: type) -> dict[str, Any]:
    channels: dict[str, Any] = {}
    initial: dict[str, Any] = {}
    origin: dict[str, type] = {}
    for s in schemas:
        merge_schema(channels, initial, origin, inspect_schema(s))
    return {k: c.reducer for k, c in channels.items()}


def test_merge_adds_new_keys_and_accepts_plain_restatement() -> None:
    assert _merged(MessagesState, InputTD, PlainMessages) == {
        "messages": add_messages,
        "question": None,
    }


@pytest.mark.parametrize(
    ("first", "second"), [(MessagesState, OtherReducer), (PlainMessages, MessagesState)]
)
def test_merge_rejects_conflicting_reducers(first: type, second: type) -> None:
    with pytest.raises(GraphDefinitionError, match=r"'messages'.*same Annotated"):
        _merged(first, second)
