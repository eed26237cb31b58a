"""Twin of ``langgraph.config``: what a running node can reach."""

from __future__ import annotations

from .engine.interrupts import get_config, get_store, get_stream_writer
from .memory import Memory as BaseStore

__all__ = ["BaseStore", "get_config", "get_store", "get_stream_writer"]
