"""The package's face: its names match langgraph.prebuilt's, missing pieces fail loudly,
and langchain-core stays optional for the rest of the runtime."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from typing import Any

import langgraph.prebuilt as lg_prebuilt
import langgraph.prebuilt.chat_agent_executor as lg_agent
import langgraph.prebuilt.interrupt as lg_interrupt
import pytest

import runtime.prebuilt as ours
import runtime.prebuilt.chat_agent_executor as our_agent
import runtime.prebuilt.interrupt as our_interrupt

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def _run(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, check=False
    )


UNBUILT = ["ToolCallTransformer", "ValidationNode"]


def test_same_public_names_as_langgraph() -> None:
    assert sorted([*ours.__all__, *UNBUILT]) == sorted(lg_prebuilt.__all__)
    assert sorted(our_agent.__all__) == sorted(lg_agent.__all__)
    assert sorted(our_interrupt.__all__) == sorted(
        n
        for n in dir(lg_interrupt)
        if n[0].isupper() and n not in ("Literal", "TypedDict", "LangGraphDeprecatedSinceV10")
    )
    for name in ours.__all__:
        assert getattr(ours, name) is not None


@pytest.mark.parametrize("name", UNBUILT)
def test_names_not_built_fail_loudly_at_import(name: str) -> None:
    with pytest.raises(ImportError, match="not built yet"):
        getattr(ours, name)


def test_import_runtime_does_not_import_prebuilt_or_langchain() -> None:
    out = _run(
        """
        import sys, runtime
        assert "runtime.prebuilt" not in sys.modules, "runtime imported runtime.prebuilt"
        assert "langchain_core" not in sys.modules, "runtime imported langchain_core"
        print("ok")
        """
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"


def test_without_langchain_core_the_import_error_says_what_to_install() -> None:
    out = _run(
        """
        import sys
        sys.modules["langchain_core"] = None  # as if it were not installed
        try:
            import runtime.prebuilt
        except ImportError as exc:
            print(exc)
        """
    )
    assert out.returncode == 0, out.stderr
    assert "pip install 'session-actors[langchain]'" in out.stdout


def test_agent_states_have_langgraph_keys() -> None:
    from typing import get_type_hints

    for name in ("AgentState", "AgentStateWithStructuredResponse"):
        assert set(get_type_hints(getattr(ours.chat_agent_executor, name))) == set(
            get_type_hints(getattr(lg_agent, name))
        )


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_pydantic_agent_state_runs_as_langgraphs() -> None:
    from .agent_runner import both, invoke
    from .helpers import ai, fake_model

    def build(side: Any) -> Any:
        module = lg_agent if side.name == "langgraph" else our_agent
        return side.create_react_agent(
            fake_model([ai("hello")]),
            [],
            state_schema=module.AgentStatePydantic,
            checkpointer=side.saver(),
        )

    theirs, mine = both(build, [invoke({"messages": [("user", "hi")]})])
    assert mine == theirs


def test_create_react_agent_argument_checks_match() -> None:
    from .helpers import fake_model

    for module in (lg_prebuilt, ours):
        with pytest.raises(ValueError, match="Invalid version v3"):
            module.create_react_agent(fake_model([]), [], version="v3")
        with pytest.raises(TypeError, match="unexpected keyword arguments"):
            module.create_react_agent(fake_model([]), [], bogus=1)

    from typing import TypedDict

    class NoSteps(TypedDict):
        messages: list

    with pytest.raises(ValueError, match="Missing required key"):
        ours.create_react_agent(fake_model([]), [], state_schema=NoSteps)


def test_string_model_needs_langchain_like_langgraph() -> None:
    try:
        import langchain.chat_models  # type: ignore[import-not-found]  # noqa: F401
    except ImportError:
        pass
    else:  # pragma: no cover
        pytest.skip("langchain is installed here: the string path would build a real model")
    with pytest.raises(ImportError, match="pip install langchain"):
        ours.create_react_agent("openai:gpt-4o", [])
