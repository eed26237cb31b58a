"""A node's LangChain run config, as LangGraph gives it.

LangGraph runs each node with a ``RunnableConfig`` of its own: the caller's config plus
``langgraph_*`` metadata (step, node, triggers, path, checkpoint namespace), the thread id
in the metadata, the task's ``checkpoint_ns`` and callbacks. It hands that config to nodes
that take ``config`` and sets it as LangChain's ambient config
(``langchain_core.runnables.config.var_child_runnable_config``), so that a chat model
called inside the node without a config sees it too. That is how ``stream_mode="messages"``
reaches the tokens of models the node calls.

This module is imported only when ``langchain_core`` is already loaded (the engine checks
``sys.modules`` once per turn): turns of graphs that never touch LangChain pay nothing, and
``import runtime`` never imports it.
"""

from __future__ import annotations

import asyncio
import itertools
import random
from contextvars import Token
from typing import Any

from langchain_core.callbacks import BaseCallbackManager, CallbackManager
from langchain_core.runnables.config import var_child_runnable_config

from .messages import MessagesHandler

#: ``configurable`` keys LangGraph copies into the run metadata (when set and not empty).
_TO_METADATA = frozenset(
    ("thread_id", "checkpoint_id", "checkpoint_ns", "task_id", "run_id", "assistant_id", "graph_id")
)
#: Top-level keys of the caller's config a node's config does not inherit: they describe
#: the graph's own run, or are rebuilt per node.
_NOT_INHERITED = frozenset(
    {"callbacks", "configurable", "metadata", "tags", "run_name", "run_id", "recursion_limit"}
)


class NodeRun:
    """One node call's config, and what to restore when it ends."""

    __slots__ = ("config", "node_keys", "token")

    def __init__(self, config: dict[str, Any], node_keys: dict[str, Any], token: Token[Any]):
        self.config = config
        self.node_keys = node_keys
        self.token = token


class LangChainTurn:
    """Per turn: builds each node's config; holds the messages handler when streaming."""

    __slots__ = (
        "base",
        "callbacks",
        "configurable",
        "extra",
        "handler",
        "inherited",
        "tags",
        "thread_sync_nodes",
        "user_callbacks",
    )

    def __init__(self, raw: dict[str, Any], messages: Any = None) -> None:
        """``raw``: the caller's config. ``messages``: the sink for ``(message, metadata)``
        events when the turn streams messages (called on the loop's thread)."""
        self.thread_sync_nodes = False
        """Run every sync node of this turn in a worker thread (set by the engine)."""
        configurable = raw.get("configurable") or {}
        base = dict(raw.get("metadata") or {})
        for key, value in configurable.items():
            if key in _TO_METADATA and value and key not in base:
                base[key] = value
        self.base = base
        # What the callback manager of LangGraph's graph run carries down to every run
        # beneath it (in this order: the stream's metadata shows it).
        self.inherited = {**base, "ls_integration": "langgraph"}
        self.configurable = configurable
        self.tags: list[str] = list(raw.get("tags") or ())
        self.extra = {k: v for k, v in raw.items() if k not in _NOT_INHERITED}
        self.user_callbacks = raw.get("callbacks")
        self.handler = (
            MessagesHandler(messages, asyncio.get_running_loop()) if messages is not None else None
        )
        # One manager for the turn's nodes: LangChain copies what it takes from it.
        self.callbacks = self._callbacks()

    def _callbacks(self) -> BaseCallbackManager:
        handler, user = self.handler, self.user_callbacks
        if isinstance(user, BaseCallbackManager):
            manager = user.copy()
            if handler is not None:
                manager.add_handler(handler, inherit=True)
            manager.add_metadata(self.inherited, inherit=True)
            return manager
        handlers = list(user or ())
        if handler is not None:
            handlers.append(handler)
        return CallbackManager(
            handlers,
            list(handlers),
            tags=list(self.tags),
            inheritable_tags=list(self.tags),
            metadata=dict(self.inherited),
            inheritable_metadata=dict(self.inherited),
        )

    def enter(self, node: str, step: int, push: int, state: Any) -> NodeRun:
        """Make the node's config the ambient one; ``push``: the index of the ``Send``
        that made the task, or -1 for a node pulled by an edge."""
        ns = f"{node}:{_TASK_ID_PREFIX}{next(_TASK_COUNT) & 0xFFFFFFFFFFFF:012x}"
        if push >= 0:
            triggers: tuple[Any, ...] = ("__pregel_push",)
            path: tuple[Any, ...] = ("__pregel_push", push, False)
        else:
            triggers = (f"branch:to:{node}",)
            path = ("__pregel_pull", node)
        node_keys = {
            "langgraph_step": step,
            "langgraph_node": node,
            "langgraph_triggers": triggers,
            "langgraph_path": path,
            "langgraph_checkpoint_ns": ns,
        }
        metadata = {**self.base, **node_keys}
        config = {
            **self.extra,
            "tags": list(self.tags),
            "metadata": metadata,
            "configurable": {
                **self.configurable,
                "checkpoint_ns": ns,
                "checkpoint_id": None,
            },
            "callbacks": self.callbacks,
        }
        if self.handler is not None:
            self.handler.node_start(state)
        token = var_child_runnable_config.set(config)  # type: ignore[arg-type]
        return NodeRun(config, node_keys, token)

    def leave(self, run: NodeRun, ret: Any, ok: bool) -> None:
        """The node returned ``ret`` (``ok``) or raised: restore the ambient config, and
        stream the messages it returned."""
        var_child_runnable_config.reset(run.token)
        if ok and self.handler is not None:
            # the node's run metadata as a chain callback sees it under LangGraph
            self.handler.node_end(ret, {**self.inherited, **run.node_keys})


def _task_id_prefix() -> str:
    bits = f"{random.getrandbits(80):020x}"
    return f"{bits[:8]}-{bits[8:12]}-{bits[12:16]}-{bits[16:]}-"


# Task ids for checkpoint namespaces (``node:<id>``), uuid-shaped as LangGraph's: 80 random
# bits per process (not for secrecy), then a count (a uuid per node costs more). A count's
# next() is atomic, so graphs on loops in several threads may share it.
_TASK_ID_PREFIX = _task_id_prefix()
_TASK_COUNT = itertools.count(random.getrandbits(40))


__all__ = ["LangChainTurn", "NodeRun"]
