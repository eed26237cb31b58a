"""Values nodes return or receive to steer a run: ``Send``, ``Command``, ``Interrupt``.

They mirror ``langgraph.types`` field for field, so code written against LangGraph
constructs, compares and prints them the same way. All are frozen: they travel through the
engine and into checkpoints, where a later mutation must not change what was recorded.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass, fields
from typing import Any, ClassVar, Final, Generic, TypeVar

__all__ = ["Command", "Interrupt", "Send"]

N = TypeVar("N", bound=Hashable)

_PLACEHOLDER_INTERRUPT_ID: Final = "placeholder-id"
"""LangGraph's id for an ``Interrupt`` built by hand, before the engine assigns one."""


@dataclass(frozen=True, slots=True)
class Send:
    """Run ``node`` once with ``arg`` as its input, in the next super-step.

    Returned by a conditional edge's path function (map-reduce fan-out) or given as
    ``Command(goto=Send(...))``. Each ``Send`` is its own task, even to the same node.
    """

    node: str
    arg: Any


@dataclass(frozen=True, slots=True, kw_only=True)
class Command(Generic[N]):
    """Update the state and choose where to go next, from one node's return value.

    Generic like LangGraph's, so ``-> Command[Literal["a", "b"]]`` annotations work (and
    declare where the node may go).

    ``update`` is applied like a node's returned dict; ``goto`` is a node name, a ``Send``
    or a sequence of either; ``resume`` answers a pending ``interrupt()`` when passed as the
    input of ``invoke``; ``graph=Command.PARENT`` addresses the enclosing graph.
    """

    graph: str | None = None
    update: Any | None = None
    resume: Any | None = None
    goto: Send | N | Sequence[Send | N] = ()

    PARENT: ClassVar[str] = "__parent__"

    def __repr__(self) -> str:
        # LangGraph prints only the fields that carry something; printed output of
        # tutorials must match, so keep its field order and truthiness rule.
        shown = ", ".join(
            f"{f.name}={getattr(self, f.name)!r}" for f in fields(self) if getattr(self, f.name)
        )
        return f"Command({shown})"


@dataclass(frozen=True, slots=True)
class Interrupt:
    """A pause raised by ``interrupt(value)`` inside a node, as the caller sees it.

    ``id`` identifies the interrupt so that ``Command(resume={id: value})`` can answer one of
    several. ``response_schema`` is carried (never used here) so that the value prints as
    LangGraph's does.
    """

    value: Any
    id: str = _PLACEHOLDER_INTERRUPT_ID
    response_schema: Any = None
