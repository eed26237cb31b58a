"""Twin of ``langgraph.config``: what a running node can reach."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._unbuilt import unbuilt
from .engine.interrupts import get_store, get_stream_writer
from .memory import Memory as BaseStore

__all__ = ["BaseStore", "get_store", "get_stream_writer"]

if not TYPE_CHECKING:  # so that mypy flags a name that is not built
    __getattr__ = unbuilt(
        __name__,
        {"get_config": "declare a second parameter `config` on the node to receive its config"},
    )
