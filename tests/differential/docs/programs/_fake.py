"""Scripted stand-ins for what LangGraph's documentation calls over the network.

Each program of the corpus imports this one module on both sides (LangGraph's run and the
ported run), so the chat model is the very same object in both: a
``GenericFakeChatModel`` that answers with a script instead of Anthropic or OpenAI.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from typing import Any

from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from langchain_core.runnables import Runnable, RunnableLambda
from langchain_core.tools import BaseTool
from langchain_core.vectorstores import VectorStore

__all__ = [
    "FakeChatModel",
    "KeywordVectorStore",
    "PromptedChatModel",
    "TavilySearch",
    "call",
    "chat_model",
    "prompted_model",
    "tool_ai",
]


class FakeChatModel(GenericFakeChatModel):
    """Answers with the scripted replies in order, whatever it is asked.

    ``bind_tools`` returns the model itself (the script already knows which tools it
    calls); ``with_structured_output(schema)`` takes the next reply's content as JSON and
    gives it back as ``schema`` (a pydantic class) or as the dict. Streaming yields the
    content word by word, then the tool calls as one chunk, so a model streamed by
    ``stream_mode="messages"`` ends up with the same message as one invoked directly.
    """

    def bind_tools(self, tools: Sequence[Any], **kwargs: Any) -> FakeChatModel:
        return self

    def with_structured_output(self, schema: Any, **kwargs: Any) -> Runnable[Any, Any]:
        def parse(_input: Any) -> Any:
            reply = next(self.messages)
            text = reply if isinstance(reply, str) else str(reply.content)
            data = json.loads(text)
            if hasattr(schema, "model_validate"):
                return schema.model_validate(data)
            return data

        return RunnableLambda(parse)

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: Any = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        message = self._generate(messages, stop=stop, **kwargs).generations[0].message
        assert isinstance(message, AIMessage)
        content = str(message.content)
        tokens = [t for t in re.split(r"(\s)", content) if t] if content else []
        for token in tokens:
            chunk = ChatGenerationChunk(message=AIMessageChunk(content=token, id=message.id))
            if run_manager:
                run_manager.on_llm_new_token(token, chunk=chunk)
            yield chunk
        if message.tool_calls:
            chunk = ChatGenerationChunk(
                message=AIMessageChunk(
                    content="",
                    id=message.id,
                    tool_call_chunks=[
                        {
                            "name": c["name"],
                            "args": json.dumps(c["args"]),
                            "id": c["id"],
                            "index": i,
                            "type": "tool_call_chunk",
                        }
                        for i, c in enumerate(message.tool_calls)
                    ],
                )
            )
            if run_manager:
                run_manager.on_llm_new_token("", chunk=chunk)
            yield chunk


def _prompt_text(value: Any) -> str:
    """The text of the last message of a model input (a string, messages, or a prompt value)."""
    if hasattr(value, "to_messages"):
        value = value.to_messages()
    if isinstance(value, str):
        return value
    last = list(value)[-1]
    if isinstance(last, BaseMessage):
        return str(last.content)
    if isinstance(last, dict):
        return str(last.get("content", ""))
    return str(last)


class PromptedChatModel(FakeChatModel):
    """Answers by what it is asked: the reply of the first key found in the last message.

    For nodes that call one model in parallel (``Send`` workers, fan-out edges): which
    thread asks first is chance, so a reply script in order would differ from run to run.
    """

    replies: dict[str, Any]

    def _pick(self, messages: Any) -> Any:
        text = _prompt_text(messages)
        for key, reply in self.replies.items():
            if key in text:
                return reply
        raise KeyError(f"no scripted reply for {text!r}")

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: Any = None,
        **kwargs: Any,
    ) -> Any:
        reply = self._pick(messages)
        message = AIMessage(content=reply) if isinstance(reply, str) else reply
        return ChatResult(generations=[ChatGeneration(message=message)])

    def with_structured_output(self, schema: Any, **kwargs: Any) -> Runnable[Any, Any]:
        def parse(value: Any) -> Any:
            reply = self._pick(value)
            data = json.loads(reply if isinstance(reply, str) else str(reply.content))
            return schema.model_validate(data) if hasattr(schema, "model_validate") else data

        return RunnableLambda(parse)


def prompted_model(replies: dict[str, AIMessage | str], **kwargs: Any) -> PromptedChatModel:
    """A model answering ``replies[key]`` to a prompt whose last message contains ``key``."""
    return PromptedChatModel(messages=iter([]), replies=replies, **kwargs)


def chat_model(*replies: AIMessage | str, **kwargs: Any) -> FakeChatModel:
    """The stand-in for ``init_chat_model(...)`` / ``ChatAnthropic(...)``: these replies, in order.

    ``kwargs`` are the model's own (``tags=["joke"]``), as the docs pass them.
    """
    return FakeChatModel(messages=iter(list(replies)), **kwargs)


def call(name: str, args: dict[str, Any], id: str) -> dict[str, Any]:
    """One tool call, with a fixed id (a real model's ids are random)."""
    return {"name": name, "args": args, "id": id, "type": "tool_call"}


def tool_ai(*calls: dict[str, Any], content: str = "") -> AIMessage:
    """An AI reply asking for ``calls``."""
    return AIMessage(content=content, tool_calls=list(calls))


class TavilySearch(BaseTool):
    """Stands in for ``langchain_tavily.TavilySearch``: same name, canned results, no network."""

    name: str = "tavily_search"
    description: str = "A search engine. Input should be a search query."
    max_results: int = 2

    def _run(self, query: str, **kwargs: Any) -> dict[str, Any]:
        return {
            "query": query,
            "results": [
                {
                    "title": f"Result {i + 1} for {query}",
                    "url": f"https://example.com/{i + 1}",
                    "content": "LangGraph is a library for building stateful agents.",
                }
                for i in range(self.max_results)
            ],
        }


def _words(text: str) -> set[str]:
    return set(re.findall(r"[a-z]+", text.lower()))


class KeywordVectorStore(VectorStore):
    """Stands in for ``InMemoryVectorStore`` + an embedding model (no numpy here, no network).

    Ranks documents by the words they share with the query (ties: the first added first);
    ``as_retriever()`` is VectorStore's own, so a retriever tool over it is the real one.
    """

    def __init__(self, embedding: Embeddings | None = None) -> None:
        self.docs: list[Document] = []

    @property
    def embeddings(self) -> Embeddings | None:
        return None

    def add_texts(
        self,
        texts: Any,
        metadatas: list[dict[str, Any]] | None = None,
        *,
        ids: list[str] | None = None,
        **kwargs: Any,
    ) -> list[str]:
        out = []
        for i, text in enumerate(texts):
            doc_id = f"doc-{len(self.docs)}"
            meta = metadatas[i] if metadatas else {}
            self.docs.append(Document(id=doc_id, page_content=text, metadata=meta))
            out.append(doc_id)
        return out

    def similarity_search(self, query: str, k: int = 4, **kwargs: Any) -> list[Document]:
        wanted = _words(query)
        ranked = sorted(
            enumerate(self.docs), key=lambda p: (-len(wanted & _words(p[1].page_content)), p[0])
        )
        return [doc for _, doc in ranked[:k]]

    @classmethod
    def from_texts(
        cls,
        texts: list[str],
        embedding: Embeddings | None = None,
        metadatas: list[dict[str, Any]] | None = None,
        **kwargs: Any,
    ) -> KeywordVectorStore:
        store = cls(embedding)
        store.add_texts(texts, metadatas)
        return store
