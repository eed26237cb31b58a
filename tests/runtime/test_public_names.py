"""The façade: exactly these names are public, and each one is what it says."""

from __future__ import annotations

import inspect

import runtime
import runtime.errors

EXPECTED = {
    "END",
    "ActorCrashedError",
    "START",
    "Command",
    "CompiledGraph",
    "CorruptCheckpointError",
    "EmptyInputError",
    "GraphDefinitionError",
    "GraphRecursionError",
    "Interrupt",
    "InvalidConfigError",
    "InvalidUpdateError",
    "Item",
    "MailboxFullError",
    "Memory",
    "MessagesState",
    "PregelTask",
    "RemoveMessage",
    "Retention",
    "RolledBackError",
    "Runtime",
    "RuntimeStatistics",
    "Send",
    "SerializationError",
    "SessionBusyError",
    "SessionRuntimeError",
    "ShuttingDownError",
    "ShutdownIncompleteError",
    "StepTimeoutError",
    "StaleOwnerError",
    "StateGraph",
    "StateSnapshot",
    "StoreError",
    "StoreUnavailableError",
    "Supervisor",
    "SweepResult",
    "ThreadArchivedError",
    "ThreadInfo",
    "add_messages",
    "get_config",
    "get_store",
    "get_stream_writer",
    "interrupt",
}


def test_all_is_exactly_the_public_surface() -> None:
    assert set(runtime.__all__) == EXPECTED
    for name in runtime.__all__:
        assert getattr(runtime, name) is not None


def test_every_error_has_one_root_and_is_drawn_in_the_tree() -> None:
    doc = runtime.errors.__doc__ or ""
    errors = [
        obj
        for name in runtime.errors.__all__
        if inspect.isclass(obj := getattr(runtime.errors, name))
    ]
    assert len(errors) == len(runtime.errors.__all__)
    for cls in errors:
        assert issubclass(cls, runtime.SessionRuntimeError)
        assert cls.__name__ in doc, f"{cls.__name__} is missing from the tree in the docstring"


def test_errors_carry_where_they_happened() -> None:
    err = runtime.InvalidUpdateError("bad", thread_id="t1", node="agent", step=3)
    assert (err.thread_id, err.node, err.step) == ("t1", "agent", 3)
    assert str(err) == "bad (thread_id='t1', node='agent', step=3)"
    # LangGraph raises ValueError at compile time; handlers written for it keep working
    assert issubclass(runtime.GraphDefinitionError, ValueError)


def test_constants_match_langgraph() -> None:
    import langgraph.graph

    assert (runtime.START, runtime.END) == (langgraph.graph.START, langgraph.graph.END)
