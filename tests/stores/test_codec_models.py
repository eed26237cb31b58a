"""Classes stored by name: LangChain messages and documents, pydantic models, and the classes
a state schema names. Exact round trips, the allow-list, and crafted records."""

from __future__ import annotations

import dataclasses
import enum
import operator
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Annotated, Any, TypedDict

import msgspec
import pydantic
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from langchain_core.documents import Document
from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    ChatMessage,
    ChatMessageChunk,
    FunctionMessage,
    FunctionMessageChunk,
    HumanMessage,
    HumanMessageChunk,
    RemoveMessage,
    SystemMessage,
    SystemMessageChunk,
    ToolMessage,
    ToolMessageChunk,
)

from runtime import END, START, StateGraph
from stores import (
    CorruptCheckpointError,
    MemoryStore,
    SerializationError,
    SqliteStore,
    _ext,
    _models,
    codec,
)

ROOT = Path(__file__).resolve().parents[2]


def roundtrip(value: Any) -> Any:
    return codec.decode(codec.encode(value))


def assert_exact(before: Any, after: Any) -> None:
    assert type(after) is type(before)
    assert after == before
    assert after.model_fields_set == before.model_fields_set
    assert (after.__pydantic_extra__ or {}) == (before.__pydantic_extra__ or {})
    assert after.model_dump() == before.model_dump()


# -- every LangChain message class, by hypothesis over its fields ------------------------------
json_scalars = st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.text(max_size=8)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=8,
)
ids = st.none() | st.text(min_size=1, max_size=12)
content = st.text(max_size=30) | st.lists(
    st.fixed_dictionaries({"type": st.just("text"), "text": st.text(max_size=10)}), max_size=2
)
tool_calls = st.lists(
    st.fixed_dictionaries(
        {
            "name": st.text(min_size=1, max_size=8),
            "args": st.dictionaries(st.text(max_size=5), json_values, max_size=3),
            "id": st.text(min_size=1, max_size=8),
        }
    ),
    max_size=3,
)
usage = st.none() | st.fixed_dictionaries(
    {
        "input_tokens": st.integers(0, 10**6),
        "output_tokens": st.integers(0, 10**6),
        "total_tokens": st.integers(0, 10**6),
    }
)
common = {
    "content": content,
    "id": ids,
    "name": st.none() | st.text(max_size=8),
    "additional_kwargs": st.dictionaries(st.text(max_size=5), json_values, max_size=3),
    "response_metadata": st.dictionaries(st.text(max_size=5), json_values, max_size=3),
}
artifacts = st.none() | json_values | st.tuples(st.integers(), st.text(max_size=4))


def make(cls: Any) -> Any:
    """The class called with keywords only (builds() would infer the other fields)."""
    return lambda **fields: cls(**fields)


messages = st.one_of(
    st.builds(make(HumanMessage), **common),
    st.builds(make(HumanMessageChunk), **common),
    st.builds(make(SystemMessage), **common),
    st.builds(make(SystemMessageChunk), **common),
    st.builds(make(AIMessage), **common, tool_calls=tool_calls, usage_metadata=usage),
    st.builds(make(AIMessageChunk), **common, usage_metadata=usage),
    st.builds(
        make(ToolMessage),
        **common,
        tool_call_id=st.text(min_size=1, max_size=8),
        artifact=artifacts,
        status=st.sampled_from(["success", "error"]),
    ),
    st.builds(make(ToolMessageChunk), **common, tool_call_id=st.text(min_size=1, max_size=8)),
    st.builds(make(FunctionMessage), **common | {"name": st.text(min_size=1, max_size=8)}),
    st.builds(make(FunctionMessageChunk), **common | {"name": st.text(min_size=1, max_size=8)}),
    st.builds(make(ChatMessage), **common, role=st.sampled_from(["user", "critic"])),
    st.builds(make(ChatMessageChunk), **common, role=st.sampled_from(["user", "critic"])),
    st.builds(make(RemoveMessage), id=st.text(min_size=1, max_size=8)),
    st.builds(
        make(Document),
        page_content=st.text(max_size=20),
        metadata=st.dictionaries(st.text(max_size=5), json_values, max_size=3),
        id=ids,
    ),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(messages, max_size=4))
def test_every_message_class_round_trips_exactly(values: list[Any]) -> None:
    back = roundtrip({"messages": values})["messages"]
    assert len(back) == len(values)
    for before, after in zip(values, back, strict=True):
        assert_exact(before, after)


def test_extra_fields_and_invalid_tool_calls_round_trip() -> None:
    m = AIMessage(
        content="x",
        invalid_tool_calls=[{"name": "f", "args": "{oops", "id": "1", "error": "bad json"}],
        custom_field={"when": (1, 2)},
    )
    back = roundtrip(m)
    assert_exact(m, back)
    assert back.custom_field == {"when": (1, 2)}  # type: ignore[attr-defined]


def test_a_decoded_message_is_a_new_object() -> None:
    m = HumanMessage("hi", id="1", additional_kwargs={"k": [1]})
    back = roundtrip(m)
    back.additional_kwargs["k"].append(2)
    assert m.additional_kwargs == {"k": [1]}


# -- pydantic models ---------------------------------------------------------------------------
class Subsection(pydantic.BaseModel):
    heading: str
    words: int = 0


class Section(pydantic.BaseModel):
    title: str
    parts: list[Subsection] = []
    meta: dict[str, Any] = {}


class Frozen(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(frozen=True)
    x: int


class WithPrivate(pydantic.BaseModel):
    x: int
    _cache: dict[str, int] = pydantic.PrivateAttr(default_factory=dict)


class Loose(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="allow")
    x: int = 1


class Unnamed(pydantic.BaseModel):
    x: int


class Color(enum.Enum):
    RED = "r"
    BLUE = "b"


@dataclasses.dataclass
class Note:
    text: str
    color: Color


class SchemaState(TypedDict):
    sections: list[Section]
    notes: Annotated[list[Note], operator.add]
    frozen: Frozen | None
    private: WithPrivate
    loose: Loose


def test_a_state_schema_allows_the_classes_it_names() -> None:
    StateGraph(SchemaState)  # building the graph allows them: no extra step for users
    for cls in (Section, Subsection, Note, Color, Frozen, WithPrivate, Loose):
        assert _models.is_allowed(cls), cls
    assert not _models.is_allowed(Unnamed)


def test_pydantic_models_round_trip_exactly() -> None:
    StateGraph(SchemaState)
    private = WithPrivate(x=1)
    private._cache["a"] = 1
    values = [
        Section(title="t", parts=[Subsection(heading="h", words=3)], meta={"at": (1, "x")}),
        Section(title="defaults"),
        Frozen(x=3),
        private,
        Loose(x=2, other=[1, 2], deeper={"a": None}),
    ]
    back = roundtrip(values)
    for before, after in zip(values, back, strict=True):
        assert_exact(before, after)
    assert back[3]._cache == {"a": 1}
    assert type(back[0].parts[0]) is Subsection


def test_schema_named_dataclasses_and_enums_come_back_as_themselves() -> None:
    StateGraph(SchemaState)
    note = Note("n", Color.BLUE)
    assert roundtrip({"n": [note]}) == {"n": [note]}
    assert type(roundtrip(note).color) is Color


def test_an_unnamed_pydantic_model_is_refused_when_written() -> None:
    with pytest.raises(SerializationError, match=r"state\['m'\].*allow_type"):
        codec.encode_value({"m": Unnamed(x=1)}, what="state")


def test_allow_type_lets_an_unnamed_model_be_stored_under_a_stable_name() -> None:
    class Moving(pydantic.BaseModel):
        y: int

    codec.allow_type(Moving, name="tests.Moving")
    payload = codec.encode(Moving(y=2))
    assert b"tests.Moving" in payload
    assert roundtrip(Moving(y=2)) == Moving(y=2)
    with pytest.raises(ValueError, match=r"already allowed as 'tests\.Moving'"):
        codec.allow_type(Moving, name="tests.Elsewhere")


def test_a_class_defined_again_under_the_same_name_takes_it_over() -> None:
    def define() -> type[pydantic.BaseModel]:
        class Again(pydantic.BaseModel):
            z: int

        return Again

    first, second = define(), define()
    codec.allow_type(first)
    codec.allow_type(second)
    assert type(roundtrip(first(z=1))) is second  # the newest definition reads
    assert type(roundtrip(second(z=1))) is second


# -- crafted and damaged records ---------------------------------------------------------------
def named(*parts: Any) -> bytes:
    return msgspec.msgpack.encode(msgspec.msgpack.Ext(11, msgspec.msgpack.encode(list(parts))))


@pytest.mark.parametrize(
    ("payload", "match"),
    [
        (named("os.system", {}), "not allowed"),
        (named("lc:NoSuchMessage", {}, []), "not allowed"),
        (named(), "no name"),
        (named(7, {}), "no name"),
        (named("lc:HumanMessage"), "parts"),
        (named("lc:HumanMessage", [], []), "malformed"),
        (named("lc:Document", {"metadata": {}}, []), "required field .page_content."),
        (named("lc:HumanMessage", {"bogus": 1}, []), "fields its class does not"),
        (
            named("lc:HumanMessage", {"content": "x", "type": "human"}, [], [1]),
            "extra fields are malformed",
        ),
        (msgspec.msgpack.encode(msgspec.msgpack.Ext(11, b"\xc1")), "cannot be decoded"),
    ],
)
def test_crafted_records_are_corrupt_data(payload: bytes, match: str) -> None:
    with pytest.raises(CorruptCheckpointError, match=match):
        codec.decode(payload)


def test_an_older_record_missing_a_field_gets_its_default() -> None:
    # written by a LangChain version without 'name': the field takes its default
    fields = HumanMessage("x").__dict__.copy()
    del fields["name"]
    back = codec.decode(named("lc:HumanMessage", fields, ["content"]))
    assert back == HumanMessage("x")


def test_decoding_never_imports_what_the_data_names(tmp_path: Path) -> None:
    (tmp_path / "tripwire_mod.py").write_text("raise SystemExit('imported by name!')\n")
    script = textwrap.dedent(
        f"""
        import sys
        sys.path.insert(0, {str(tmp_path)!r})
        import msgspec
        from stores import codec, CorruptCheckpointError
        for name in ("tripwire_mod.Thing", "tripwire_mod:Thing", "lc:tripwire_mod"):
            data = msgspec.msgpack.encode(
                msgspec.msgpack.Ext(11, msgspec.msgpack.encode([name, {{}}, []])))
            try:
                codec.decode(data)
            except CorruptCheckpointError:
                pass
            else:
                raise SystemExit("decoded " + name)
        assert "tripwire_mod" not in sys.modules
        print("ok")
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"


def test_plain_sessions_import_neither_langchain_nor_pydantic() -> None:
    script = textwrap.dedent(
        """
        import sys
        sys.path.insert(0, "examples")
        import runtime, stores
        import tutorial  # the tutorial graph, run through the memory store
        banned = [m for m in ("langchain_core", "pydantic") if m in sys.modules]
        print(banned)
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_langchain_values_read_in_a_process_that_never_imported_langchain(
    tmp_path: Path,
) -> None:
    payload = codec.encode({"m": [HumanMessage("hi", id="1"), Document("d", id="2")]})
    (tmp_path / "payload.bin").write_bytes(payload)
    script = textwrap.dedent(
        f"""
        import sys
        from stores import codec
        assert "langchain_core" not in sys.modules
        values = codec.decode(open({str(tmp_path / "payload.bin")!r}, "rb").read())
        print([(type(m).__name__, m.id) for m in values["m"]])
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[('HumanMessage', '1'), ('Document', '2')]"


# -- through sessions, on both stores ----------------------------------------------------------
def merge_by_id(left: list[Any], right: list[Any]) -> list[Any]:
    return [*left, *right]


class ChatState(TypedDict):
    messages: Annotated[list[Any], merge_by_id]
    docs: list[Document]
    sections: list[Section]


def chat(state: ChatState) -> dict[str, Any]:
    n = len(state["messages"])
    return {
        "messages": [
            AIMessage(
                content=f"reply {n}",
                id=f"ai-{n}",
                tool_calls=[{"name": "look", "args": {"n": n}, "id": f"c{n}"}],
                usage_metadata={"input_tokens": n, "output_tokens": 1, "total_tokens": n + 1},
            ),
            ToolMessage(content="seen", tool_call_id=f"c{n}", id=f"t-{n}", artifact=(n, "x")),
        ],
        "docs": [Document(page_content=f"doc {n}", metadata={"n": n})],
        "sections": [*state.get("sections", []), Section(title=f"s{n}")],
    }


@pytest.fixture(params=["memory", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    return MemoryStore() if request.param == "memory" else SqliteStore(tmp_path / "lc.db")


async def test_langchain_state_survives_turns_history_and_rehydration(
    store: Any, tmp_path: Path
) -> None:
    builder = StateGraph(ChatState)
    builder.add_node("chat", chat)
    builder.add_edge(START, "chat")
    builder.add_edge("chat", END)
    config = {"configurable": {"thread_id": "t"}}
    async with builder.compile(checkpointer=store) as graph:
        for i in range(3):
            out = await graph.ainvoke({"messages": [HumanMessage(f"q{i}", id=f"h{i}")]}, config)
        history = [s.values async for s in graph.aget_state_history(config)]
    assert [type(m).__name__ for m in out["messages"][:3]] == [
        "HumanMessage",
        "AIMessage",
        "ToolMessage",
    ]
    assert out["messages"][2].artifact == (1, "x")
    assert [s.title for s in out["sections"]] == ["s1", "s4", "s7"]
    if isinstance(store, SqliteStore):  # a new runtime reads the file back
        builder2 = StateGraph(ChatState)
        builder2.add_node("chat", chat)
        builder2.add_edge(START, "chat")
        async with builder2.compile(checkpointer=SqliteStore(tmp_path / "lc.db")) as again:
            snap = await again.aget_state(config)
            assert snap.values == out
            assert [s.values async for s in again.aget_state_history(config)] == history


async def test_an_unstorable_write_is_not_committed() -> None:
    class Bad(TypedDict):
        messages: Annotated[list[Any], merge_by_id]
        thing: Any

    def node(state: Bad) -> dict[str, Any]:
        return {"thing": Unnamed(x=1)} if len(state["messages"]) > 1 else {}

    builder = StateGraph(Bad)
    builder.add_node("node", node)
    builder.add_edge(START, "node")
    config = {"configurable": {"thread_id": "t"}}
    async with builder.compile(checkpointer=MemoryStore()) as graph:
        await graph.ainvoke({"messages": [HumanMessage("a", id="1")]}, config)
        with pytest.raises(SerializationError, match="Unnamed"):
            await graph.ainvoke({"messages": [HumanMessage("b", id="2")]}, config)
        after = await graph.aget_state(config)
    # the input step is committed (as in LangGraph), the node's write is not
    assert "thing" not in after.values
    assert [m.id for m in after.values["messages"]] == ["1", "2"]
    assert after.next == ("node",)


def test_values_msgpack_would_change_inside_fields_are_kept_exactly(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # the fast path packs a model's fields as they are only when that is exact
    monkeypatch.setattr(_ext, "value_enums", False)
    import datetime as dt
    from decimal import Decimal
    from uuid import UUID

    odd = {
        "t": (1, 2),
        "s": {1, 2},
        "when": dt.datetime(2026, 1, 2, 3, 4, 5),
        "u": UUID(int=7),
        "d": Decimal("1.50"),
        "big": 2**80,
        "nan": float("nan"),
        "section": Section(title="inner"),
    }
    StateGraph(SchemaState)
    for key, value in odd.items():
        m = AIMessage("x", additional_kwargs={key: value})
        back = roundtrip(m).additional_kwargs[key]
        assert type(back) is type(value), key
        if key != "nan":
            assert back == value, key


class Level(enum.IntEnum):
    LOW = 1


def test_an_allowed_int_enum_inside_fields_keeps_its_type(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_ext, "value_enums", False)  # restored after: the flag is sticky
    codec.allow_type(Level)  # equal to its value: the fast path must not flatten it
    back = roundtrip(HumanMessage("x", additional_kwargs={"level": Level.LOW}))
    assert type(back.additional_kwargs["level"]) is Level
