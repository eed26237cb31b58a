"""``POST /threads/{id}/runs/stream`` with the messages modes, over real HTTP.

LangGraph Platform's two shapes: ``"messages-tuple"`` sends each ``(chunk, metadata)`` of
the graph as ``event: messages`` with ``[chunk, metadata]``; ``"messages"`` sends
``messages/metadata`` once per message id, then ``messages/partial`` with the message so
far (``messages/complete`` for a message that came whole). Messages are their
``model_dump()``.
"""

from __future__ import annotations

import operator
from collections.abc import Iterator
from typing import Annotated, Any, TypedDict

import httpx
import pytest
from langchain_core.language_models.fake_chat_models import (
    FakeMessagesListChatModel,
    GenericFakeChatModel,
)
from langchain_core.messages import AIMessage

from runtime import END, START, CompiledGraph, MessagesState, StateGraph
from runtime.cli.asgi import create_app
from stores import MemoryStore
from tests.lc_fakes import GatedModel

from .harness import serve_in_thread
from .test_server import sse_events

TOKENS = ["one", " two", " three"]


class Chat(TypedDict):
    text: Annotated[list, operator.add]
    ask: str


class Models:
    """What the graph's node calls: the test sets it before each run."""

    gated: GatedModel | None = None


def chat_graph(models: Models) -> CompiledGraph:
    async def reply(state: Chat) -> dict[str, Any]:
        if state.get("ask") == "gated":
            assert models.gated is not None
            msg = await models.gated.ainvoke("go")
        elif state.get("ask") == "whole":
            msg = FakeMessagesListChatModel(responses=[AIMessage("all at once")]).invoke("x")
        else:
            msg = await GenericFakeChatModel(messages=iter([AIMessage("hello big world")])).ainvoke(
                "hi"
            )
        return {"text": [msg.content]}

    b = StateGraph(Chat)
    b.add_node("reply", reply)
    b.add_edge(START, "reply")
    b.add_edge("reply", END)
    graph: CompiledGraph = b.compile(checkpointer=MemoryStore())
    return graph


def history_graph() -> CompiledGraph:
    """LangChain messages in state: a model's answer, then a note returned whole."""

    async def answer(state: MessagesState) -> dict[str, Any]:
        model = GenericFakeChatModel(messages=iter([AIMessage("sure thing")]))
        return {"messages": [await model.ainvoke(state["messages"])]}

    def note(state: MessagesState) -> dict[str, Any]:
        return {"messages": [AIMessage("noted", id="n1")]}

    b = StateGraph(MessagesState)
    b.add_node("answer", answer)
    b.add_node("note", note)
    b.add_edge(START, "answer")
    b.add_edge("answer", "note")
    graph: CompiledGraph = b.compile(checkpointer=MemoryStore())
    return graph


@pytest.fixture
def chat() -> Iterator[tuple[str, Models]]:
    models = Models()
    app = create_app({"agent": chat_graph(models), "history": history_graph()})
    with serve_in_thread(app) as url:
        yield url, models


async def run(url: str, thread: str, body: dict[str, Any]) -> list[tuple[str, Any]]:
    body = {"if_not_exists": "create", **body}
    async with (
        httpx.AsyncClient(base_url=url, timeout=30) as client,
        client.stream("POST", f"/threads/{thread}/runs/stream", json=body) as response,
    ):
        assert response.status_code == 200
        return [e async for e in sse_events(response)]


async def test_messages_tuple_sends_each_chunk_with_its_metadata(
    chat: tuple[str, Models],
) -> None:
    url, _ = chat
    body = {"input": {"text": [], "ask": "hi"}, "stream_mode": "messages-tuple"}
    events = await run(url, "t", body)
    names = [e for e, _ in events]
    assert names[0] == "metadata" and names[-1] == "end"
    tuples = [d for e, d in events if e == "messages"]
    assert names == ["metadata"] + ["messages"] * len(tuples) + ["end"]
    assert "".join(m["content"] for m, _ in tuples) == "hello big world"
    first, meta = tuples[0]
    # the chunk's model_dump(), the metadata as LangGraph gives it
    assert first["type"] == "AIMessageChunk" and first["content"] == "hello"
    assert set(first) >= {"content", "additional_kwargs", "response_metadata", "id", "tool_calls"}
    assert meta["langgraph_node"] == "reply" and meta["langgraph_step"] == 1
    assert meta["thread_id"] == "t" and meta["langgraph_path"] == ["__pregel_pull", "reply"]
    assert meta["ls_provider"] == "genericfakechatmodel"


async def test_messages_sends_metadata_then_the_message_so_far(chat: tuple[str, Models]) -> None:
    url, _ = chat
    body = {"input": {"text": [], "ask": "hi"}, "stream_mode": ["messages", "updates"]}
    events = await run(url, "m", body)
    names = [e for e, _ in events]
    assert names == [
        "metadata",
        "messages/metadata",
        *["messages/partial"] * 5,
        "updates",
        "end",
    ]
    ((mid, meta),) = events[1][1].items()
    assert meta["metadata"]["langgraph_node"] == "reply"
    partials = [d for e, d in events if e == "messages/partial"]
    assert [p[0]["content"] for p in partials] == [
        "hello",
        "hello ",
        "hello big",
        "hello big ",
        "hello big world",
    ]
    assert {p[0]["id"] for p in partials} == {mid}
    assert partials[0][0]["type"] == "ai"  # chunks added up are shown as the message
    assert events[-2][1] == {"reply": {"text": ["hello big world"]}}


async def test_a_message_that_came_whole_is_complete(chat: tuple[str, Models]) -> None:
    url, _ = chat
    events = await run(url, "w", {"input": {"text": [], "ask": "whole"}, "stream_mode": "messages"})
    assert [e for e, _ in events] == [
        "metadata",
        "messages/metadata",
        "messages/complete",
        "end",
    ]
    (message,) = events[2][1]
    assert message["type"] == "ai" and message["content"] == "all at once"


async def test_messages_in_state_stream_as_model_dumps(chat: tuple[str, Models]) -> None:
    url, _ = chat
    body = {
        "assistant_id": "history",
        "input": {"messages": [{"role": "user", "content": "can you?", "id": "u1"}]},
        "stream_mode": ["messages", "values"],
    }
    events = await run(url, "h", body)
    names = [e for e, _ in events]
    assert names == [
        "metadata",
        "values",
        "messages/metadata",
        *["messages/partial"] * 3,
        "values",
        "messages/metadata",
        "messages/complete",
        "values",
        "end",
    ]
    assert [m["content"] for m in events[5][1]] == ["sure thing"]
    assert events[8][1] == [events[9][1]["messages"][-1]]  # the note, as it is in state
    final = events[-2][1]["messages"]
    assert [(m["type"], m["content"], m["id"]) for m in final[::2]] == [
        ("human", "can you?", "u1"),
        ("ai", "noted", "n1"),
    ]
    streamed = events[5][1][0]
    assert final[1] == streamed  # the message the tokens added up to is the one stored


async def test_both_modes_asked_tuples_win(chat: tuple[str, Models]) -> None:
    url, _ = chat
    body = {"input": {"text": [], "ask": "hi"}, "stream_mode": ["messages", "messages-tuple"]}
    names = {e for e, _ in await run(url, "b", body)}
    assert names == {"metadata", "messages", "end"}


async def test_tokens_reach_the_client_while_the_model_runs(chat: tuple[str, Models]) -> None:
    """The model makes its next token only once the client has read the previous one."""
    url, models = chat
    gated = models.gated = GatedModel.make(TOKENS)
    body = {
        "input": {"text": [], "ask": "gated"},
        "stream_mode": "messages-tuple",
        "if_not_exists": "create",
    }
    seen: list[str] = []
    async with (
        httpx.AsyncClient(base_url=url, timeout=30) as client,
        client.stream("POST", "/threads/g/runs/stream", json=body) as response,
    ):
        assert response.status_code == 200
        async for event, data in sse_events(response):
            if event == "messages" and data[0]["content"]:
                seen.append(data[0]["content"])
                gated.seen(len(seen))
    assert seen == TOKENS and gated.late == []


async def test_an_unknown_stream_mode_is_refused(chat: tuple[str, Models]) -> None:
    url, _ = chat
    async with httpx.AsyncClient(base_url=url) as client:
        r = await client.post(
            "/threads/x/runs/stream",
            json={"input": {"text": []}, "stream_mode": "tokens", "if_not_exists": "create"},
        )
    assert r.status_code == 422 and "messages-tuple" in r.json()["message"]
