"""An ASGI server hosting the session tutorial's graph, in the shape of LangGraph's server.

    pip install -e '.[server]'
    python -m runtime serve examples.server:app --db chat.db --port 8123
    curl -s localhost:8123/threads --json '{"thread_id": "t1", "metadata": {"user": "ann"}}'
    curl -s localhost:8123/threads/t1/runs/wait --json '{"input": {"messages": []}}'
    curl -s localhost:8123/threads/t1/runs/wait --json '{"input": {}}'
    curl -sN localhost:8123/threads/t1/runs/stream --json '{"input": {}, "stream_mode": "updates"}'
    curl -s localhost:8123/threads/t1/state

(``--json`` sends ``Content-Type: application/json``, which the server requires of a body.)

``app`` (built on first access, so importing this module opens nothing) serves the
tutorial graph over ``SqliteStore($SESSION_ACTORS_DB or sessions.db)``. To host your own
graphs, pass them to ``create_app``: one, or several by name (requests choose one with
``"assistant_id"``)::

    app = create_app({"chat": chat_graph, "review": review_graph})

The app starts each graph's runtime on startup and, on shutdown (SIGINT/SIGTERM), lets
queued turns finish and flushes every checkpoint (``await graph.aclose()``). Endpoints
and error codes: ``runtime/cli/asgi.py`` and the README.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any, TypedDict

from starlette.applications import Starlette

from runtime import END, START, CompiledGraph, StateGraph
from runtime.cli import asgi
from stores import SqliteStore

DB_ENV = "SESSION_ACTORS_DB"


# -- the hosted graph: LangGraph's session tutorial --------------------------------------
class State(TypedDict):
    messages: list


def agent(state: State) -> dict[str, Any]:
    state["messages"].append("Hello from the agent")
    return {"messages": state["messages"]}


def tutorial_graph(path: str | None = None, **options: Any) -> CompiledGraph:
    """The tutorial graph over ``SqliteStore(path or $SESSION_ACTORS_DB or sessions.db)``.

    ``options`` go to ``compile()`` (``max_active``, ``mailbox_size``, ``durability``...).
    """
    builder = StateGraph(State)
    builder.add_node("agent", agent)
    builder.add_edge(START, "agent")
    builder.add_edge("agent", END)
    store = SqliteStore(path or os.environ.get(DB_ENV) or "sessions.db")
    graph: CompiledGraph = builder.compile(checkpointer=store, **options)
    return graph


def create_app(
    graphs: CompiledGraph | Mapping[str, CompiledGraph] | None = None,
    *,
    heartbeat: float | None = 15.0,
    **options: Any,
) -> Starlette:
    """An app serving ``graphs`` (default: the tutorial graph, as assistant ``agent``).

    ``heartbeat``: seconds of silence after which a stream sends an SSE comment (``: ping``).
    ``options``: ``debug``, ``max_body_bytes``, ``allowed_hosts`` (see ``runtime.cli.asgi``).
    """
    graph = tutorial_graph() if graphs is None else graphs
    return asgi.create_app(graph, heartbeat=heartbeat, **options)


def __getattr__(name: str) -> Any:
    if name == "app":
        value = globals()["app"] = create_app()
        return value
    raise AttributeError(name)


if __name__ == "__main__":
    import uvicorn

    uvicorn.run(create_app(), host="127.0.0.1", port=8123)
