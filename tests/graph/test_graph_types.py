"""Send, Command, Interrupt: constructed, compared and printed like LangGraph's."""

from __future__ import annotations

import dataclasses
from typing import Any, Literal

import pytest
from langgraph import types as lg

from runtime.graph.types import Command, Interrupt, Send

SAMPLES: list[tuple[Any, Any]] = [
    (Send("node", {"x": 1}), lg.Send("node", {"x": 1})),
    (Command(), lg.Command()),
    (Command(goto="a"), lg.Command(goto="a")),
    (Command(update={"k": 1}, goto=["a", "b"]), lg.Command(update={"k": 1}, goto=["a", "b"])),
    (Command(resume="yes"), lg.Command(resume="yes")),
    (Command(graph=Command.PARENT, goto="x"), lg.Command(graph=lg.Command.PARENT, goto="x")),
    (Command(goto=Send("a", 1)), lg.Command(goto=lg.Send("a", 1))),
    (Interrupt("what?", "abc"), lg.Interrupt("what?", "abc")),
    (Interrupt("v"), lg.Interrupt("v")),
]


@pytest.mark.parametrize(("ours", "theirs"), SAMPLES, ids=[repr(s[1]) for s in SAMPLES])
def test_repr_matches_langgraph(ours: Any, theirs: Any) -> None:
    assert repr(ours) == repr(theirs)


def test_parent_constant() -> None:
    assert Command.PARENT == lg.Command.PARENT == "__parent__"


def test_equality() -> None:
    assert Send("a", 1) == Send("a", 1)
    assert Send("a", 1) != Send("a", 2)
    assert Send("a", 1) != Send("b", 1)
    assert Command(goto="a", update={"x": 1}) == Command(goto="a", update={"x": 1})
    assert Command(goto="a") != Command(goto="b")
    assert Interrupt("v", "1") == Interrupt("v", "1")
    assert Interrupt("v", "1") != Interrupt("v", "2")
    assert hash(Send("a", 1)) == hash(Send("a", 1))


def test_fields_and_defaults() -> None:
    c = Command()
    assert (c.graph, c.update, c.resume, c.goto) == (None, None, None, ())
    i = Interrupt(value={"q": 1}, id="x")
    assert (i.value, i.id) == ({"q": 1}, "x")
    s = Send(node="n", arg=[1])
    assert (s.node, s.arg) == ("n", [1])


def test_command_is_keyword_only_like_langgraph() -> None:
    with pytest.raises(TypeError):
        Command({"x": 1})  # type: ignore[misc]


@pytest.mark.parametrize("value", [Send("a", 1), Command(goto="a"), Interrupt("v", "1")])
def test_frozen(value: Any) -> None:
    field = dataclasses.fields(value)[0].name
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(value, field, "other")


def test_command_is_subscriptable_for_annotations() -> None:
    def node(state: dict[str, Any]) -> Command[Literal["a", "b"]]:
        return Command(goto="a")

    assert node({}).goto == "a"
