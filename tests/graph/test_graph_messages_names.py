"""The message names: LangChain's when langchain-core is installed, resolved lazily.

``import runtime`` must not import langchain_core; without it, messages stay dicts (checked in
subprocesses where langchain_core is made unimportable).
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

lg_message = pytest.importorskip("langgraph.graph.message")

from langchain_core.messages import RemoveMessage  # noqa: E402

import runtime  # noqa: E402
import runtime.graph  # noqa: E402
from runtime.graph import message  # noqa: E402
from runtime.graph.message import REMOVE_ALL_MESSAGES, add_messages  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]


def test_names_are_langchains() -> None:
    assert message.RemoveMessage is RemoveMessage
    assert runtime.RemoveMessage is RemoveMessage
    assert runtime.graph.RemoveMessage is RemoveMessage
    assert runtime.MessagesState is message.MessagesState is runtime.graph.MessagesState
    assert runtime.add_messages is add_messages
    assert REMOVE_ALL_MESSAGES == lg_message.REMOVE_ALL_MESSAGES


def test_messages_state_matches_langgraphs() -> None:
    from typing import get_type_hints

    ours = get_type_hints(message.MessagesState, include_extras=True)["messages"]
    theirs = get_type_hints(lg_message.MessagesState, include_extras=True)["messages"]
    assert ours.__origin__ == theirs.__origin__  # list[AnyMessage]
    assert ours.__metadata__ == (add_messages,)
    assert message.MessagesState.__required_keys__ == lg_message.MessagesState.__required_keys__


def test_not_built_names_fail_loudly() -> None:
    with pytest.raises(ImportError, match=r"push_message.*not built yet"):
        from runtime.graph.message import push_message  # noqa: F401
    with pytest.raises(ImportError, match=r"MessageGraph.*not built yet"):
        from runtime.graph.message import MessageGraph
    with pytest.raises(ImportError, match=r"langgraph\.graph\.MessageGraph.*not built yet"):
        from runtime.graph import MessageGraph  # noqa: F401
    with pytest.raises(AttributeError):
        message.NoSuchName  # noqa: B018


def run_python(code: str) -> str:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_import_runtime_does_not_import_langchain() -> None:
    out = run_python(
        """
        import sys
        import runtime, runtime.graph, runtime.graph.message
        from runtime import StateGraph, add_messages
        from runtime.graph import REMOVE_ALL_MESSAGES
        before = sorted(m for m in sys.modules if m.startswith("langchain"))
        from runtime import RemoveMessage
        after = RemoveMessage.__module__
        print(before, after)
        """
    )
    assert out == "[] langchain_core.messages.modifier"


def test_without_langchain_messages_stay_dicts() -> None:
    out = run_python(
        """
        import sys
        sys.modules["langchain_core"] = None  # makes it unimportable
        import runtime
        from runtime import MessagesState, RemoveMessage, add_messages
        from runtime.graph import _plain_messages
        assert RemoveMessage is _plain_messages.RemoveMessage
        assert MessagesState is _plain_messages.MessagesState
        out = add_messages([("user", "hi")], ["there"])
        assert [type(m).__name__ for m in out] == ["dict", "dict"], out
        assert [m["role"] for m in out] == ["user", "user"]
        out = add_messages(out, [RemoveMessage(out[0]["id"])])
        assert [m["content"] for m in out] == ["there"], out
        try:
            add_messages(format="langchain-openai")
        except ImportError as exc:
            assert "langchain-core" in str(exc)
        else:
            raise AssertionError("format='langchain-openai' without langchain")
        print(sorted(m for m, mod in sys.modules.items() if m.startswith("langchain") and mod))
        """
    )
    assert out == "[]"
