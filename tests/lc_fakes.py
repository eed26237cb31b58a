"""Fake LangChain chat models for the ``stream_mode="messages"`` tests."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Iterator
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult

#: How long a gated model waits for the consumer before it gives up (a failure, not a hang).
PATIENCE = 10.0


class GatedModel(BaseChatModel):
    """Streams ``tokens``, producing each next one only after ``gates[i]`` is set (by the
    consumer, when it saw token ``i``). A gate not set in time means the consumer could not
    see the token while the model ran: the model notes it in ``late`` and stops."""

    tokens: list[str]
    gates: list[Any]
    late: list[int]

    @classmethod
    def make(cls, tokens: list[str]) -> GatedModel:
        return cls(tokens=tokens, gates=[threading.Event() for _ in tokens], late=[])

    def seen(self, n: int) -> None:
        """The consumer saw ``n`` tokens: let the model make the next one."""
        self.gates[n - 1].set()

    @property
    def _llm_type(self) -> str:
        return "gated"

    def _generate(self, messages: Any, stop: Any = None, run_manager: Any = None, **kw: Any) -> Any:
        return ChatResult(generations=[ChatGeneration(message=AIMessage("".join(self.tokens)))])

    def _stream(
        self, messages: Any, stop: Any = None, run_manager: Any = None, **kw: Any
    ) -> Iterator[ChatGenerationChunk]:
        for i, tok in enumerate(self.tokens):
            yield ChatGenerationChunk(message=AIMessageChunk(content=tok))
            if i + 1 < len(self.tokens) and not self.gates[i].wait(PATIENCE):
                self.late.append(i)
                return

    async def _astream(
        self, messages: Any, stop: Any = None, run_manager: Any = None, **kw: Any
    ) -> AsyncIterator[ChatGenerationChunk]:
        for i, tok in enumerate(self.tokens):
            chunk = ChatGenerationChunk(message=AIMessageChunk(content=tok))
            if run_manager is not None:  # BaseChatModel leaves token callbacks to _astream
                await run_manager.on_llm_new_token(tok, chunk=chunk)
            yield chunk
            last = i + 1 == len(self.tokens)
            if not last and not await asyncio.to_thread(self.gates[i].wait, PATIENCE):
                self.late.append(i)
                return
