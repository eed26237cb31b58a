"""Twin of ``langgraph.constants``."""

from __future__ import annotations

from typing import Final

from ._unbuilt import unbuilt
from .graph.spec import END, START

__all__ = ["END", "START", "TAG_HIDDEN", "TAG_NOSTREAM"]

TAG_NOSTREAM: Final = "nostream"
"""A chat model tagged with it is left out of ``stream_mode="messages"``."""
TAG_HIDDEN: Final = "langsmith:hidden"
"""A node tagged with it is hidden from tracing and ``"debug"`` streams."""

_INTERNAL = "an engine internal of LangGraph's, with no counterpart here"
__getattr__ = unbuilt(
    __name__, {"CONF": _INTERNAL, "CONFIG_KEY_CHECKPOINTER": _INTERNAL, "TASKS": _INTERNAL}
)
