"""The human-in-the-loop request and answer shapes of ``langgraph.prebuilt.interrupt``.

Plain ``TypedDict``\\ s: a node passes a ``HumanInterrupt`` to ``interrupt()`` and gets a
``HumanResponse`` back from ``Command(resume=...)``.
"""

from __future__ import annotations

from typing import Literal

from typing_extensions import TypedDict

__all__ = ["ActionRequest", "HumanInterrupt", "HumanInterruptConfig", "HumanResponse"]


class HumanInterruptConfig(TypedDict):
    """Which answers the human may give."""

    allow_ignore: bool
    allow_respond: bool
    allow_edit: bool
    allow_accept: bool


class ActionRequest(TypedDict):
    """The action awaiting approval and its arguments."""

    action: str
    args: dict


class HumanInterrupt(TypedDict):
    """What the graph asks the human."""

    action_request: ActionRequest
    config: HumanInterruptConfig
    description: str | None


class HumanResponse(TypedDict):
    """The human's answer: ``accept``, ``ignore``, ``response`` (text) or ``edit``."""

    type: Literal["accept", "ignore", "response", "edit"]
    args: str | ActionRequest | None
