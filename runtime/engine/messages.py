"""``stream_mode="messages"``: the LangChain callback handler that turns chat model tokens
and the messages nodes return into ``(message, metadata)`` stream events.

Imported only when a turn streams messages and ``langchain_core`` is already loaded (see
``lcconfig``): ``import runtime`` never imports LangChain.

What it emits, as LangGraph does:

* each token chunk (``AIMessageChunk``) a chat model produces inside a node, with the
  model run's metadata (the node's ``langgraph_*`` keys, ``thread_id``, the model's
  ``ls_*`` fields, user tags as ``tags``). Models called with ``invoke`` stream too: a
  handler with ``tap_output_iter``/``tap_output_aiter`` (LangChain's streaming-handler
  protocol) makes ``BaseChatModel`` take its streaming path;
* a model's final message if no chunk of it was streamed (a model that cannot stream);
* the messages a node returns (alone, in a list, in a dict of updates, in a
  ``Command.update``) that were not emitted already and were not in the node's input.

Messages are told apart by id: one without an id gets a fresh one (on the object the node
returned, so the state keeps that id, as under LangGraph).
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from dataclasses import fields, is_dataclass
from typing import Any, TypeVar

from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.messages import BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, LLMResult

from runtime.graph.types import Command

T = TypeVar("T")

#: A chat model run tagged with it is not streamed (LangGraph's ``TAG_NOSTREAM``).
NOSTREAM = "nostream"

#: Receives one ``(message, metadata)`` event; called on the event loop's thread.
Emit = Callable[[tuple[BaseMessage, dict[str, Any]]], None]


class MessagesHandler(BaseCallbackHandler):
    """One per streaming turn. Chat model callbacks may come from worker threads (sync
    nodes run there while messages stream); events are handed to the loop's thread."""

    run_inline = True
    """Under an async callback manager, be called in the model's own task (not in an
    executor), so that events keep the order the model produced them in."""

    def __init__(self, emit: Emit, loop: Any) -> None:
        self._emit_on_loop = emit
        self._loop = loop
        self._loop_thread = threading.get_ident()
        self.runs: dict[uuid.UUID, dict[str, Any]] = {}
        """Metadata of each chat model run being streamed, by run id."""
        self.seen: set[Any] = set()
        """Ids of messages already emitted or known from a node's input."""

    # -- LangChain's streaming-handler protocol --------------------------------------------
    def tap_output_aiter(self, run_id: uuid.UUID, output: AsyncIterator[T]) -> AsyncIterator[T]:
        return output

    def tap_output_iter(self, run_id: uuid.UUID, output: Iterator[T]) -> Iterator[T]:
        return output

    # -- emitting --------------------------------------------------------------------------
    def _emit(
        self, message: BaseMessage, metadata: dict[str, Any], *, dedupe: bool, copy: bool = False
    ) -> None:
        if dedupe and message.id in self.seen:
            return
        if message.id is None:  # on the original: the state keeps the id the stream showed
            message.id = str(uuid.uuid4())
        self.seen.add(message.id)
        # A node's own message object goes into the state: the consumer gets a copy (values
        # handed out are private copies). Chunks belong to nobody else.
        event = (message.model_copy(deep=True) if copy else message, metadata)
        if threading.get_ident() == self._loop_thread:
            self._emit_on_loop(event)
        else:
            self._loop.call_soon_threadsafe(self._emit_on_loop, event)

    def _emit_found(self, value: Any, metadata: dict[str, Any]) -> None:
        """Messages in a node's output: the value itself, a list of them, or the values of
        an update (a message or a list of messages under a key)."""
        if isinstance(value, BaseMessage):
            self._emit(value, metadata, dedupe=True, copy=True)
        elif isinstance(value, Sequence) and not isinstance(value, str):
            for item in value:
                if isinstance(item, BaseMessage):
                    self._emit(item, metadata, dedupe=True, copy=True)
        else:
            for v in _state_values(value):
                if isinstance(v, BaseMessage):
                    self._emit(v, metadata, dedupe=True, copy=True)
                elif isinstance(v, Sequence) and not isinstance(v, str):
                    for item in v:
                        if isinstance(item, BaseMessage):
                            self._emit(item, metadata, dedupe=True, copy=True)

    # -- nodes (called by the engine, on the loop) -----------------------------------------
    def node_start(self, state: Any) -> None:
        """Messages the node received are not news when it returns them."""
        for v in _state_values(state):
            if isinstance(v, BaseMessage):
                if v.id is not None:
                    self.seen.add(v.id)
            elif isinstance(v, Sequence) and not isinstance(v, str):
                for item in v:
                    if isinstance(item, BaseMessage) and item.id is not None:
                        self.seen.add(item.id)

    def node_end(self, ret: Any, metadata: dict[str, Any]) -> None:
        if isinstance(ret, Command):
            self._emit_found(ret.update, metadata)
        elif isinstance(ret, Sequence) and any(isinstance(v, Command) for v in ret):
            for v in ret:
                self._emit_found(v.update if isinstance(v, Command) else v, metadata)
        else:
            self._emit_found(ret, metadata)

    # -- chat models (called by LangChain, on the model's thread) --------------------------
    def on_chat_model_start(
        self,
        serialized: dict[str, Any],
        messages: list[list[BaseMessage]],
        *,
        run_id: uuid.UUID,
        parent_run_id: uuid.UUID | None = None,
        tags: list[str] | None = None,
        metadata: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> Any:
        if not metadata or (tags and NOSTREAM in tags):
            return
        user_tags = [t for t in tags if not t.startswith("seq:step")] if tags else None
        if user_tags:  # LangChain's own sequence bookkeeping is not the user's
            metadata["tags"] = user_tags
        self.runs[run_id] = metadata

    def on_llm_new_token(
        self,
        token: Any,
        *,
        chunk: Any = None,
        run_id: uuid.UUID,
        parent_run_id: uuid.UUID | None = None,
        tags: list[str] | None = None,
        **kwargs: Any,
    ) -> Any:
        if not isinstance(chunk, ChatGenerationChunk):
            return
        metadata = self.runs.get(run_id)
        if metadata is not None:
            self._emit(chunk.message, metadata, dedupe=False)

    def on_llm_end(
        self,
        response: LLMResult,
        *,
        run_id: uuid.UUID,
        parent_run_id: uuid.UUID | None = None,
        **kwargs: Any,
    ) -> Any:
        metadata = self.runs.pop(run_id, None)
        if metadata is not None and response.generations and response.generations[0]:
            gen = response.generations[0][0]
            if isinstance(gen, ChatGeneration):
                # Streamed: its id was seen with the chunks. Not streamed: emitted whole.
                self._emit(gen.message, metadata, dedupe=True, copy=True)

    def on_llm_error(
        self,
        error: BaseException,
        *,
        run_id: uuid.UUID,
        parent_run_id: uuid.UUID | None = None,
        **kwargs: Any,
    ) -> Any:
        self.runs.pop(run_id, None)


def _state_values(obj: Any) -> Sequence[Any]:
    """Top-level values of a state or update: a dict, a pydantic model or a dataclass."""
    if isinstance(obj, Mapping):
        return list(obj.values())
    model_fields = getattr(type(obj), "model_fields", None)
    if isinstance(model_fields, dict) and not isinstance(obj, type):
        return [getattr(obj, k) for k in model_fields]
    if is_dataclass(obj) and not isinstance(obj, type):
        return [getattr(obj, f.name) for f in fields(obj)]
    return ()


__all__ = ["MessagesHandler"]
