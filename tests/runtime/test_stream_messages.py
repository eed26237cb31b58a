"""``stream_mode="messages"``: chat model tokens and the messages nodes return, against
LangGraph.

Each program is built twice from the same code, over LangGraph's names and over ours, and
streamed the same way; the events are compared after normalising what differs by design
(message and run ids become labels by first appearance, task ids in checkpoint namespaces
become labels per node call). Nodes call fake LangChain chat models: GenericFakeChatModel
streams its answer split on whitespace; FakeMessagesListChatModel cannot stream.

Liveness is tested deterministically: a model that does not produce its next token until
the consumer has seen the previous one (an event the consumer sets), with a timeout so that
a model kept waiting fails the test instead of hanging it.
"""

from __future__ import annotations

import asyncio
import operator
import re
import subprocess
import sys
from collections.abc import Callable
from types import SimpleNamespace
from typing import Annotated, Any, TypedDict

import pytest
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.language_models.fake_chat_models import (
    FakeMessagesListChatModel,
    GenericFakeChatModel,
)
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.runnables import RunnableConfig
from langchain_core.runnables.config import var_child_runnable_config
from langgraph.checkpoint.memory import InMemorySaver as LGSaver
from langgraph.config import get_config as lg_get_config
from langgraph.graph import END as LG_END
from langgraph.graph import START as LG_START
from langgraph.graph import MessagesState as LGMessagesState
from langgraph.graph import StateGraph as LGStateGraph
from langgraph.types import Command as LGCommand
from langgraph.types import Send as LGSend

import runtime
import runtime.config
from stores.memory import InMemorySaver
from tests.lc_fakes import GatedModel

LANGGRAPH = SimpleNamespace(
    kind="langgraph",
    MessagesState=LGMessagesState,
    Command=LGCommand,
    StateGraph=LGStateGraph,
    START=LG_START,
    END=LG_END,
    Send=LGSend,
    saver=LGSaver,
    get_config=lg_get_config,
)
OURS = SimpleNamespace(
    kind="ours",
    MessagesState=runtime.MessagesState,
    Command=runtime.Command,
    StateGraph=runtime.StateGraph,
    START=runtime.START,
    END=runtime.END,
    Send=runtime.Send,
    saver=InMemorySaver,
    get_config=runtime.config.get_config,
)
SIDES = (LANGGRAPH, OURS)
ANSWER = "hello big world"
ANSWER_TOKENS = ["hello", " ", "big", " ", "world"]


def model(answer: str = ANSWER, **kw: Any) -> GenericFakeChatModel:
    return GenericFakeChatModel(messages=iter([AIMessage(answer)]), **kw)


class Text(TypedDict):
    text: Annotated[list, operator.add]


# -- normalising ------------------------------------------------------------------------------

_GENERATED = re.compile(
    r"^(lc_run--)?[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}(-\d+)?$"
)


class Labels:
    """Generated ids (uuids, LangChain run ids) become ``#0, #1, ...`` by first appearance;
    ``node:<task id>`` namespaces become ``node:#0, ...`` the same way."""

    def __init__(self) -> None:
        self.ids: dict[str, str] = {}
        self.ns: dict[str, str] = {}

    def id(self, value: Any) -> Any:
        if isinstance(value, str) and _GENERATED.match(value):
            return self.ids.setdefault(value, f"#{len(self.ids)}")
        return value

    def namespace(self, value: Any) -> Any:
        if not isinstance(value, str) or ":" not in value:
            return value
        node, task = value.split(":", 1)
        return f"{node}:" + self.ns.setdefault(task, f"#{len(self.ns)}")

    def message(self, m: BaseMessage) -> tuple[Any, ...]:
        return (type(m).__name__, m.content, self.id(m.id))

    def metadata(self, meta: dict[str, Any]) -> dict[str, Any]:
        out = dict(meta)
        for key in ("checkpoint_ns", "langgraph_checkpoint_ns"):
            if key in out:
                out[key] = self.namespace(out[key])
        if "checkpoint_ns" in out:  # a model run's namespace is its node's
            assert out["checkpoint_ns"] == out["langgraph_checkpoint_ns"]
        return out

    def value(self, v: Any) -> Any:
        if isinstance(v, BaseMessage):
            return self.message(v)
        if isinstance(v, dict):
            return {k: self.value(x) for k, x in v.items()}
        if isinstance(v, list | tuple):
            return [self.value(x) for x in v]
        return v

    def event(self, mode: str, data: Any) -> tuple[Any, ...]:
        if mode == "messages":
            message, meta = data
            assert isinstance(meta, dict)
            return ("messages", *self.message(message), self.metadata(meta))
        return (mode, self.value(data))


def normalise(events: list[Any], modes: str | list[str]) -> list[tuple[Any, ...]]:
    labels = Labels()
    if isinstance(modes, str):
        return [labels.event(modes, e) for e in events]
    return [labels.event(mode, data) for mode, data in events]


def by_task(events: list[Any], modes: str | list[str]) -> dict[str, list[tuple[Any, ...]]]:
    """Parallel tasks interleave as the scheduler pleases (under LangGraph too): compare each
    task's own events, in order, with labels per task; other events as a set."""
    if isinstance(modes, str):
        events = [(modes, e) for e in events]
    groups: dict[str, list[Any]] = {}
    for mode, data in events:
        if mode == "messages":  # one group per task (two Sends to one node are two)
            key = f"{data[1]['langgraph_node']} {data[1]['langgraph_path']}"
        else:
            key = repr(data)
        groups.setdefault(key, []).append((mode, data))
    return {node: normalise(evs, [m for m, _ in evs]) for node, evs in groups.items()}


# -- running both ---------------------------------------------------------------------------


def stream_both(
    build: Callable[[Any], Any],
    turns: list[Any],
    modes: str | list[str] = "messages",
    *,
    use_async: bool = False,
    config: dict[str, Any] | None = None,
    **compile_kw: Any,
) -> dict[str, list[list[Any]]]:
    """Each side's raw events, per turn, streaming ``turns`` inputs on one thread."""
    out: dict[str, list[list[Any]]] = {}
    for ns in SIDES:
        kw = compile_kw if ns is OURS else {}
        graph = build(ns).compile(checkpointer=ns.saver(), **kw)
        conf = {"configurable": {"thread_id": "t1"}, **(config or {})}
        per_turn: list[list[Any]] = []
        for inp in turns:
            if use_async:

                async def collect(
                    inp: Any = inp, graph: Any = graph, conf: Any = conf
                ) -> list[Any]:
                    return [e async for e in graph.astream(inp, conf, stream_mode=modes)]

                per_turn.append(asyncio.run(collect()))
            else:
                per_turn.append(list(graph.stream(inp, conf, stream_mode=modes)))
        if ns is OURS:
            graph.close()
        out[ns.kind] = per_turn
    return out


def assert_same(
    raw: dict[str, list[list[Any]]], modes: str | list[str] = "messages", *, parallel: bool = False
) -> list[list[Any]]:
    for theirs, ours in zip(raw["langgraph"], raw["ours"], strict=True):
        if parallel:
            assert by_task(ours, modes) == by_task(theirs, modes)
        else:
            assert normalise(ours, modes) == normalise(theirs, modes)
    return raw["ours"]


# -- programs -------------------------------------------------------------------------------


def two_sync_nodes(ns: Any) -> Any:
    """One node calls the model without passing config, the next passes it."""

    def plain(state: Text) -> dict[str, Any]:
        return {"text": [model().invoke("hi").content]}

    def with_config(state: Text, config: RunnableConfig) -> dict[str, Any]:
        return {"text": [model("second answer").invoke("hi", config).content]}

    b = ns.StateGraph(Text)
    b.add_node("plain", plain)
    b.add_node("with_config", with_config)
    b.add_edge(ns.START, "plain")
    b.add_edge("plain", "with_config")
    b.add_edge("with_config", ns.END)
    return b


def two_async_nodes(ns: Any) -> Any:
    async def plain(state: Text) -> dict[str, Any]:
        return {"text": [(await model().ainvoke("hi")).content]}

    async def with_config(state: Text, config: RunnableConfig) -> dict[str, Any]:
        msg = await model("second answer").ainvoke("hi", config)
        return {"text": [msg.content]}

    b = ns.StateGraph(Text)
    b.add_node("plain", plain)
    b.add_node("with_config", with_config)
    b.add_edge(ns.START, "plain")
    b.add_edge("plain", "with_config")
    b.add_edge("with_config", ns.END)
    return b


def parallel_nodes(ns: Any) -> Any:
    """A sync and an async node in one step, then a node fed by a Send."""

    def left(state: Text) -> dict[str, Any]:
        return {"text": [model("left side answer").invoke("l").content]}

    async def right(state: Text) -> dict[str, Any]:
        return {"text": [(await model("right side answer").ainvoke("r")).content]}

    def fan(state: Text) -> list[Any]:
        return [ns.Send("sent", {"text": ["a"]}), ns.Send("sent", {"text": ["b"]})]

    def sent(state: Text) -> dict[str, Any]:
        return {"text": [model(f"sent {state['text'][0]}").invoke("s").content]}

    b = ns.StateGraph(Text)
    b.add_node("left", left)
    b.add_node("right", right)
    b.add_node("sent", sent)
    b.add_edge(ns.START, "left")
    b.add_edge(ns.START, "right")
    b.add_conditional_edges("left", fan, ["sent"])
    return b


def streams_and_models(ns: Any) -> Any:
    """A model that cannot stream (its message comes whole), one tagged ``nostream``, and a
    model bound with tags and metadata of its own."""

    def node(state: Text) -> dict[str, Any]:
        whole = FakeMessagesListChatModel(responses=[AIMessage("not streamed")]).invoke("x")
        quiet = model("quiet please").with_config(tags=["nostream"]).invoke("x")
        tagged = model("tagged answer", tags=["mine"], metadata={"who": "m"}).invoke("x")
        return {"text": [whole.content, quiet.content, tagged.content]}

    b = ns.StateGraph(Text)
    b.add_node("node", node)
    b.add_edge(ns.START, "node")
    return b


# -- token streams against LangGraph ------------------------------------------------------


@pytest.mark.parametrize(
    ("build", "use_async"),
    [(two_sync_nodes, False), (two_sync_nodes, True), (two_async_nodes, True)],
    ids=["sync-nodes-stream", "sync-nodes-astream", "async-nodes-astream"],
)
def test_tokens_of_models_in_nodes_match_langgraph(build: Any, use_async: bool) -> None:
    raw = stream_both(build, [{"text": []}], use_async=use_async)
    (events,) = assert_same(raw)
    # the whole answer, token by token, from each node, with that node's metadata
    contents = [(e[0].content, e[1]["langgraph_node"]) for e in events]
    assert contents == [
        ("hello", "plain"),
        (" ", "plain"),
        ("big", "plain"),
        (" ", "plain"),
        ("world", "plain"),
        ("second", "with_config"),
        (" ", "with_config"),
        ("answer", "with_config"),
    ]
    assert all(isinstance(e[0], AIMessageChunk) for e in events)
    meta = events[0][1]
    assert meta["thread_id"] == "t1" and meta["langgraph_step"] == 1
    assert meta["langgraph_path"] == ("__pregel_pull", "plain")
    assert meta["ls_provider"] == "genericfakechatmodel"


def test_messages_with_other_modes_match_langgraph() -> None:
    modes = ["messages", "updates", "values"]
    raw = stream_both(two_sync_nodes, [{"text": []}], modes)
    (events,) = assert_same(raw, modes)
    kinds = [m for m, _ in events]
    # tokens of a node come before its update; values after each step
    assert kinds == ["values"] + ["messages"] * 5 + ["updates", "values"] + ["messages"] * 3 + [
        "updates",
        "values",
    ]


def test_parallel_nodes_and_sends_match_langgraph() -> None:
    modes = ["messages", "updates"]
    raw = stream_both(parallel_nodes, [{"text": []}], modes, use_async=True)
    (events,) = assert_same(raw, modes, parallel=True)
    sent = [e for m, e in events if m == "messages" and e[1]["langgraph_node"] == "sent"]
    assert {e[1]["langgraph_path"] for e in sent} == {
        ("__pregel_push", 0, False),
        ("__pregel_push", 1, False),
    }
    assert {e[1]["langgraph_triggers"] for e in sent} == {("__pregel_push",)}


def test_models_that_do_not_stream_or_are_silenced_match_langgraph() -> None:
    raw = stream_both(streams_and_models, [{"text": []}])
    (events,) = assert_same(raw)
    contents = [e[0].content for e in events]
    assert contents == ["not streamed", "tagged", " ", "answer"]
    assert isinstance(events[0][0], AIMessage) and not isinstance(events[0][0], AIMessageChunk)
    assert events[1][1]["tags"] == ["mine"] and events[1][1]["who"] == "m"


def test_caller_tags_and_metadata_reach_the_events_as_in_langgraph() -> None:
    config = {"tags": ["caller"], "metadata": {"request": "r1"}}
    raw = stream_both(two_sync_nodes, [{"text": []}], config=config)
    (events,) = assert_same(raw)
    assert events[0][1]["tags"] == ["caller"] and events[0][1]["request"] == "r1"


def test_a_later_turn_on_the_same_thread_matches_langgraph() -> None:
    raw = stream_both(two_sync_nodes, [{"text": []}, {"text": ["more"]}])
    first, second = assert_same(raw)
    assert [e[1]["langgraph_step"] for e in second][:1] == [first[-1][1]["langgraph_step"] + 3]


def test_sync_nodes_inline_still_stream_every_token() -> None:
    """``sync_nodes="inline"`` is honoured: the tokens come, only not while the node runs."""
    raw = stream_both(two_sync_nodes, [{"text": []}], sync_nodes="inline")
    assert_same(raw)


# -- messages nodes return ------------------------------------------------------------------


def test_node_returns_messages_through_the_handler() -> None:
    """The node-level half of the handler on its own (no state holds the messages): what a
    node returns is streamed once, ids given to those without one, input messages skipped."""
    from runtime.engine.lcconfig import LangChainTurn

    async def run() -> list[Any]:
        got: list[Any] = []
        turn = LangChainTurn({"configurable": {"thread_id": "t"}}, got.append)
        known = AIMessage("from the input", id="known")
        run1 = turn.enter("node", 3, -1, {"messages": [known]})
        fresh = AIMessage("fresh")
        turn.leave(run1, {"messages": [known, fresh], "other": "x"}, True)
        run2 = turn.enter("node", 4, -1, {})
        turn.leave(run2, runtime.Command(update={"messages": [fresh]}), True)
        run3 = turn.enter("node", 5, -1, {})
        turn.leave(run3, AIMessage("alone", id="a1"), True)
        return got

    got = asyncio.run(run())
    assert [(m.content, m.id is not None) for m, _ in got] == [("fresh", True), ("alone", True)]
    _, meta = got[0]
    assert meta["langgraph_node"] == "node" and meta["langgraph_step"] == 3
    assert meta["ls_integration"] == "langgraph" and meta["thread_id"] == "t"
    assert "checkpoint_ns" not in meta  # a node's own metadata, not a model run's


class Chat(TypedDict):
    messages: list
    text: Annotated[list, operator.add]


def whole_messages(ns: Any) -> Any:
    def whole(state: Chat) -> dict[str, Any]:
        return {"messages": [*state["messages"], AIMessage("whole one")], "text": ["w"]}

    def streamed(state: Chat) -> dict[str, Any]:
        reply = model().invoke("hi")
        return {"messages": [*state["messages"], reply]}

    b = ns.StateGraph(Chat)
    b.add_node("whole", whole)
    b.add_node("streamed", streamed)
    b.add_edge(ns.START, "whole")
    b.add_edge("whole", "streamed")
    return b


@pytest.mark.parametrize("use_async", [False, True], ids=["stream", "astream"])
def test_messages_nodes_return_whole_match_langgraph(use_async: bool) -> None:
    modes = ["messages", "updates"]
    turns = [{"messages": [], "text": []}, {"text": []}]
    raw = stream_both(whole_messages, turns, modes, use_async=use_async)
    first, second = assert_same(raw, modes)
    for events in (first, second):
        # the node's new message once, then the model's tokens: the messages the nodes got
        # in their input and returned again (the whole history) are not news
        shown = [(e[1]["langgraph_node"], e[0].content) for m, e in events if m == "messages"]
        assert shown == [("whole", "whole one")] + [("streamed", t) for t in ANSWER_TOKENS]
    new_ids = [
        e[0].id for m, e in first + second if m == "messages" and e[0].content == "whole one"
    ]
    assert len(set(new_ids)) == 2 and None not in new_ids


def chatbot(ns: Any) -> Any:
    """LangGraph's chatbot: MessagesState, one node answering with a model, sync or async
    (the ``ask`` decides), a Command update carrying a message too."""

    def bot(state: Any) -> dict[str, Any]:
        return {"messages": [model(f"reply {len(state['messages'])}").invoke(state["messages"])]}

    async def abot(state: Any) -> Any:
        reply = await model("async reply").ainvoke(state["messages"])
        return ns.Command(update={"messages": [reply, AIMessage("and a note")]})

    b = ns.StateGraph(ns.MessagesState)
    b.add_node("bot", bot)
    b.add_node("abot", abot)
    b.add_edge(ns.START, "bot")
    b.add_edge("bot", "abot")
    return b


@pytest.mark.parametrize("modes", ["messages", ["messages", "values", "updates"]])
def test_a_chatbot_with_messages_in_state_matches_langgraph(modes: Any) -> None:
    turns = [{"messages": [("user", "hi")]}, {"messages": [("user", "again")]}]
    raw = stream_both(chatbot, turns, modes, use_async=True)
    first, second = assert_same(raw, modes)
    for events, n in ((first, 1), (second, 5)):
        msgs = [
            e if modes == "messages" else e[1]
            for e in events
            if modes == "messages" or e[0] == "messages"
        ]
        texts = "".join(m.content for m, _ in msgs if isinstance(m, AIMessageChunk))
        assert texts == f"reply {n}async reply"
        assert [m.content for m, _ in msgs if not isinstance(m, AIMessageChunk)] == ["and a note"]


# -- a node's config ------------------------------------------------------------------------


def config_probe(ns: Any, seen: list[Any]) -> Any:
    def probe(state: Text, config: RunnableConfig) -> dict[str, Any]:
        ambient = var_child_runnable_config.get()
        seen.append((config, ambient is config, ns.get_config() is config))
        return {"text": ["p"]}

    async def aprobe(state: Text, config: RunnableConfig) -> dict[str, Any]:
        return probe(state, config)

    b = ns.StateGraph(Text)
    b.add_node("probe", probe)
    b.add_node("aprobe", aprobe)
    b.add_edge(ns.START, "probe")
    b.add_edge("probe", "aprobe")
    return b


def _shape(config: dict[str, Any], labels: Labels) -> dict[str, Any]:
    conf = {
        k: labels.namespace(v) if k == "checkpoint_ns" else v
        for k, v in config["configurable"].items()
        if not k.startswith("__") and k != "checkpoint_map"
    }
    return {
        "keys": sorted(config),
        "tags": config["tags"],
        "metadata": labels.metadata(config["metadata"]),
        "configurable": conf,
        "callbacks": config["callbacks"] is not None,
    }


@pytest.mark.parametrize("mode", ["values", "messages"])
def test_nodes_get_langgraphs_config_and_get_config(mode: str) -> None:
    shapes: dict[str, list[Any]] = {}
    for ns in SIDES:
        seen: list[Any] = []
        graph = config_probe(ns, seen).compile(checkpointer=ns.saver())
        conf = {
            "configurable": {"thread_id": "t1", "user": "u"},
            "metadata": {"m": 1},
            "tags": ["caller"],
        }

        async def run(graph: Any = graph, conf: Any = conf) -> None:
            async for _ in graph.astream({"text": []}, conf, stream_mode=mode):
                pass

        asyncio.run(run())
        labels = Labels()
        shapes[ns.kind] = [(_shape(c, labels), same, got) for c, same, got in seen]
        if ns is OURS:
            graph.close()
    assert shapes["ours"] == shapes["langgraph"]
    (first, ambient, got), _ = shapes["ours"]
    assert ambient and got
    assert first["metadata"]["langgraph_node"] == "probe"
    assert first["configurable"]["user"] == "u"


def test_invoke_gives_nodes_the_config_and_callbacks_reach_models() -> None:
    """Not streaming: a caller's own callback handler sees the model run inside the node,
    with the node's metadata (nodes run with LangGraph's config under invoke too)."""
    starts: list[dict[str, Any]] = []

    class Recorder(BaseCallbackHandler):
        def on_chat_model_start(self, serialized: Any, messages: Any, **kw: Any) -> None:
            starts.append(kw["metadata"])

    graph = two_sync_nodes(OURS).compile(checkpointer=InMemorySaver())
    out = graph.invoke(
        {"text": []}, {"configurable": {"thread_id": "t"}, "callbacks": [Recorder()]}
    )
    graph.close()
    assert out == {"text": [ANSWER, "second answer"]}
    assert [(m["langgraph_node"], m["thread_id"]) for m in starts] == [
        ("plain", "t"),
        ("with_config", "t"),
    ]


def test_get_config_outside_a_node_raises_as_langgraph() -> None:
    with pytest.raises(RuntimeError) as ours:
        runtime.get_config()
    with pytest.raises(RuntimeError):
        lg_get_config()
    assert "outside" in str(ours.value)


def test_runtime_alone_never_imports_langchain() -> None:
    """``import runtime`` and a streamed turn of a graph without LangChain leave
    ``langchain_core`` unimported (it is an optional dependency)."""
    code = (
        "import sys\n"
        "from runtime import StateGraph, START\n"
        "from typing import TypedDict\n"
        "class S(TypedDict):\n    x: int\n"
        "b = StateGraph(S)\n"
        "b.add_node('n', lambda s: {'x': s['x'] + 1})\n"
        "b.add_edge(START, 'n')\n"
        "g = b.compile()\n"
        "print(list(g.stream({'x': 1}, stream_mode=['messages', 'values'])))\n"
        "assert 'langchain_core' not in sys.modules, 'langchain_core was imported'\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    assert "('values', {'x': 2})" in done.stdout


# -- liveness -------------------------------------------------------------------------------


def gated_graph(sync_node: bool, gated: GatedModel, **kw: Any) -> Any:
    def node(state: Text) -> dict[str, Any]:
        return {"text": [gated.invoke("go").content]}

    async def anode(state: Text) -> dict[str, Any]:
        return {"text": [(await gated.ainvoke("go")).content]}

    b = runtime.StateGraph(Text)
    b.add_node("node", node if sync_node else anode)
    b.add_edge(runtime.START, "node")
    return b.compile(checkpointer=InMemorySaver(), **kw)


TOKENS = ["one", "two", "three", "four"]


def _gated() -> GatedModel:
    return GatedModel.make(TOKENS)


@pytest.mark.parametrize("sync_node", [True, False], ids=["sync-node", "async-node"])
def test_stream_shows_each_token_before_the_next_is_made(sync_node: bool) -> None:
    gated = _gated()
    graph = gated_graph(sync_node, gated)
    seen = []
    for message, _meta in graph.stream(
        {"text": []}, {"configurable": {"thread_id": "g"}}, stream_mode="messages"
    ):
        if message.content:  # LangChain closes a stream with an empty "last" chunk
            seen.append(message.content)
            gated.seen(len(seen))
    graph.close()
    assert gated.late == [] and seen == TOKENS


@pytest.mark.parametrize("sync_node", [True, False], ids=["sync-node", "async-node"])
def test_astream_shows_each_token_before_the_next_is_made(sync_node: bool) -> None:
    gated = _gated()

    async def run() -> list[str]:
        async with gated_graph(sync_node, gated) as graph:
            seen: list[str] = []
            conf = {"configurable": {"thread_id": "g"}}
            async for mode, data in graph.astream(
                {"text": []}, conf, stream_mode=["messages", "updates"]
            ):
                if mode == "messages" and data[0].content:
                    seen.append(data[0].content)
                    gated.seen(len(seen))
            return seen

    assert asyncio.run(run()) == TOKENS and gated.late == []
