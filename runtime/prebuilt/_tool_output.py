"""Getting a tool's ``Command`` through LangChain intact.

A tool invoked with a tool call has its return value turned into a ``ToolMessage`` (its
``str()`` as content) unless the value is a ``ToolOutputMixin``. LangGraph's ``Command``
inherits that mixin; ours cannot, since ``runtime`` must import without langchain_core. So
the node runs a private copy of each tool whose ``_run``/``_arun`` hand a returned
``Command`` over in a :class:`CommandOutput` (a mixin instance), and the node unwraps it.
The user's tool object is left as it is.
"""

from __future__ import annotations

import functools
from typing import Any

from langchain_core.messages.tool import ToolOutputMixin
from langchain_core.tools import BaseTool

from runtime.graph import Command

__all__ = ["CommandOutput", "carrying_copy", "unwrap"]


class CommandOutput(ToolOutputMixin):
    """A tool's ``Command``, passing through LangChain's output formatting untouched."""

    __slots__ = ("command",)

    def __init__(self, command: Command[Any]) -> None:
        self.command = command


def _carry(out: Any) -> Any:
    if isinstance(out, Command):
        return CommandOutput(out)
    if (
        isinstance(out, list)
        and out
        and any(isinstance(x, Command) for x in out)
        and all(isinstance(x, Command | ToolOutputMixin) for x in out)
    ):
        return [_carry(x) for x in out]
    return out


def unwrap(out: Any) -> Any:
    """The tool's own return value back from what LangChain handed on."""
    if isinstance(out, CommandOutput):
        return out.command
    if isinstance(out, list) and any(isinstance(x, CommandOutput) for x in out):
        return [unwrap(x) for x in out]
    return out


def carrying_copy(tool: BaseTool) -> BaseTool:
    """A shallow copy of ``tool`` whose ``Command`` results survive LangChain's formatting.

    The wrappers keep the originals' signatures (``functools.wraps``), which LangChain
    reads to decide whether to pass ``run_manager`` and ``config``.
    """
    copy = tool.model_copy()
    run, arun = copy._run, copy._arun

    @functools.wraps(run)
    def _run(*args: Any, **kwargs: Any) -> Any:
        return _carry(run(*args, **kwargs))

    @functools.wraps(arun)
    async def _arun(*args: Any, **kwargs: Any) -> Any:
        return _carry(await arun(*args, **kwargs))

    # Instance attributes shadow the class's methods for this copy alone.
    object.__setattr__(copy, "_run", _run)
    object.__setattr__(copy, "_arun", _arun)
    return copy
