"""The session tutorial runs unchanged and prints exactly LangGraph's output."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EXPECTED = (
    "{'messages': ['Hello from the agent']}\n"
    "{'messages': ['Hello from the agent', 'Hello from the agent']}\n"
    "{'messages': ['Hello from the agent', 'Hello from the agent', 'Hello from the agent']}\n"
)


def run(script: str, cwd: Path) -> str:
    proc = subprocess.run(
        [sys.executable, str(ROOT / "examples" / script)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_tutorial_output_byte_for_byte(tmp_path: Path) -> None:
    assert run("tutorial.py", tmp_path) == EXPECTED


def test_sqlite_chat_continues_across_processes_without_close(tmp_path: Path) -> None:
    first = run("chat_sqlite.py", tmp_path)
    assert first == EXPECTED
    # A fresh process on the same file: the script never closed anything, yet every
    # acknowledged turn was flushed at exit.
    second = run("chat_sqlite.py", tmp_path).splitlines()
    assert [line.count("Hello from the agent") for line in second] == [4, 5, 6]


def test_tutorial_history_matches_langgraph() -> None:
    """Three checkpoints per turn, with LangGraph's sources, steps and next nodes."""
    from langgraph.checkpoint.memory import InMemorySaver as LGSaver
    from langgraph.graph import END as LG_END
    from langgraph.graph import START as LG_START
    from langgraph.graph import StateGraph as LGStateGraph

    from stores.memory import InMemorySaver

    from .conftest import ChatState, agent, tutorial_builder

    lg = LGStateGraph(ChatState)
    lg.add_node("agent", agent)
    lg.add_edge(LG_START, "agent")
    lg.add_edge("agent", LG_END)
    theirs = lg.compile(checkpointer=LGSaver())
    ours = tutorial_builder().compile(checkpointer=InMemorySaver())
    config = {"configurable": {"thread_id": "t"}}

    def transcript(graph: object) -> list[object]:
        out: list[object] = [graph.invoke({"messages": []}, config)]  # type: ignore[attr-defined]
        out += [graph.invoke({}, config) for _ in range(2)]  # type: ignore[attr-defined]
        out.append(graph.invoke(None, config))  # type: ignore[attr-defined]
        snap = graph.get_state(config)  # type: ignore[attr-defined]
        out.append((snap.values, snap.next, snap.metadata["source"], snap.metadata["step"]))
        for s in graph.get_state_history(config):  # type: ignore[attr-defined]
            out.append((s.values, s.next, s.metadata["source"], s.metadata["step"]))
        return out

    try:
        assert transcript(ours) == transcript(theirs)
    finally:
        ours.close()
