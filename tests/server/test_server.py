"""The example server over HTTP: the tutorial across a restart, threads, state, streaming."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx

from examples.server import create_app, tutorial_graph

from .conftest import Lab
from .harness import serve_in_thread

HELLO = "Hello from the agent"


async def sse_events(response: httpx.Response) -> AsyncIterator[tuple[str, Any]]:
    """Parse server-sent events as they arrive: ``(event, data)``."""
    event, data = None, None
    async for line in response.aiter_lines():
        if line.startswith("event: "):
            event = line[len("event: ") :]
        elif line.startswith("data: "):
            data = httpx.Response(200, content=line[len("data: ") :]).json()
        elif line == "" and event is not None:
            yield event, data
            event, data = None, None


async def test_tutorial_conversation_survives_a_restart(db: Path) -> None:
    with serve_in_thread(create_app(tutorial_graph(str(db)))) as url:
        async with httpx.AsyncClient(base_url=url) as client:
            r = await client.post("/threads", json={"thread_id": "1", "metadata": {"user": "ann"}})
            assert r.status_code == 200, r.text
            assert r.json()["status"] == "idle" and r.json()["metadata"] == {"user": "ann"}
            outs = []
            inputs: list[dict[str, Any]] = [{"messages": []}, {}, {}]
            for body in inputs:
                r = await client.post("/threads/1/runs/wait", json={"input": body})
                assert r.status_code == 200, r.text
                outs.append(r.json())
            assert outs == [{"messages": [HELLO] * n} for n in (1, 2, 3)]
            state = (await client.get("/threads/1/state")).json()
            assert state["values"] == {"messages": [HELLO] * 3} and state["next"] == []
            assert state["checkpoint"]["thread_id"] == "1"
            history = (await client.get("/threads/1/history", params={"limit": 100})).json()
            assert len(history) == 9  # three checkpoints per turn, newest first
            assert [h["metadata"]["source"] for h in history[:3]] == ["loop", "loop", "input"]
            assert history[0]["checkpoint"] == state["checkpoint"]
    # a new server process on the same file: the session and its metadata are there
    with serve_in_thread(create_app(tutorial_graph(str(db)))) as url:
        async with httpx.AsyncClient(base_url=url) as client:
            thread = (await client.get("/threads/1")).json()
            assert thread["metadata"] == {"user": "ann"} and thread["checkpoints"] == 9
            assert (await client.get("/threads/1/state")).json()["values"] == {
                "messages": [HELLO] * 3
            }
            r = await client.post("/threads/1/runs/wait", json={"input": {}})
            assert r.json() == {"messages": [HELLO] * 4}


async def test_fifty_concurrent_runs_on_one_thread_are_all_applied(server: str) -> None:
    limits = httpx.Limits(max_connections=50)
    async with httpx.AsyncClient(base_url=server, limits=limits, timeout=30) as client:
        r = await client.post(
            "/threads/c/runs/wait", json={"input": {"messages": []}, "if_not_exists": "create"}
        )
        assert r.status_code == 200, r.text
        replies = await asyncio.gather(
            *(client.post("/threads/c/runs/wait", json={"input": {}}) for _ in range(50))
        )
        assert [r.status_code for r in replies] == [200] * 50
        # one turn at a time: every reply is a distinct length, 2..51
        assert sorted(len(r.json()["messages"]) for r in replies) == list(range(2, 52))
        state = (await client.get("/threads/c/state")).json()
        assert state["values"]["messages"] == [HELLO] * 51
        history = (await client.post("/threads/c/history", json={"limit": 1000})).json()
        assert len(history) == 3 * 51


async def test_stream_is_read_event_by_event(server: str) -> None:
    async with httpx.AsyncClient(base_url=server) as client:
        await client.post("/threads", json={"thread_id": "s"})
        body = {"input": {"messages": []}, "stream_mode": ["values", "updates"]}
        async with client.stream("POST", "/threads/s/runs/stream", json=body) as response:
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("text/event-stream")
            events = [e async for e in sse_events(response)]
        assert [e for e, _ in events] == ["metadata", "values", "updates", "values", "end"]
        assert events[1][1] == {"messages": []}
        assert events[2][1] == {"agent": {"messages": [HELLO]}}
        assert events[3][1] == {"messages": [HELLO]}
        # the streamed turn is committed like any other
        state = (await client.get("/threads/s/state")).json()
        assert state["values"] == {"messages": [HELLO]}


async def test_custom_stream_mode_and_interrupt_resume(lab: Lab) -> None:
    async with httpx.AsyncClient(base_url=lab.url) as client:
        await client.post("/threads", json={"thread_id": "i", "assistant_id": "lab"})
        body = {"input": {"log": ["go"]}, "stream_mode": "custom"}
        async with client.stream("POST", "/threads/i/runs/stream", json=body) as response:
            events = [e async for e in sse_events(response)]
        assert events[1:] == [("custom", {"working_on": "go"}), ("end", None)]
        r = await client.post("/threads/i/runs/wait", json={"input": {"log": ["ask"]}})
        pause = r.json()["__interrupt__"]
        assert [p["value"] for p in pause] == [{"question": "name?"}] and pause[0]["id"]
        state = (await client.get("/threads/i/state")).json()
        assert state["next"] == ["work"] and state["interrupts"] == pause
        assert (await client.get("/threads/i")).json()["status"] == "interrupted"
        r = await client.post("/threads/i/runs/wait", json={"command": {"resume": "Bo"}})
        assert r.json() == {"log": ["go", "done", "ask", "hi Bo"]}


async def test_thread_endpoints(lab: Lab) -> None:
    async with httpx.AsyncClient(base_url=lab.url) as client:
        for i in range(5):
            meta = {"team": "red" if i % 2 else "blue", "n": i}
            r = await client.post("/threads", json={"thread_id": f"t{i}", "metadata": meta})
            assert r.status_code == 200 and r.json()["graph_id"] == "agent"
        r = await client.post("/threads", json={"assistant_id": "lab"})  # a fresh id
        fresh = r.json()["thread_id"]
        assert r.json()["graph_id"] == "lab" and len(fresh) == 36
        assert (await client.post("/threads", json={"thread_id": "t0"})).status_code == 409
        again = await client.post("/threads", json={"thread_id": "t0", "if_exists": "do_nothing"})
        assert again.json()["metadata"] == {"team": "blue", "n": 0}

        found = await client.post("/threads/search", json={"metadata": {"team": "red"}})
        assert sorted(t["thread_id"] for t in found.json()) == ["t1", "t3"]
        everything = (await client.post("/threads/search", json={"limit": 100})).json()
        assert {t["thread_id"] for t in everything} >= {"t0", "t4", fresh}
        page = await client.post("/threads/search", json={"limit": 2, "offset": 1})
        assert [t["thread_id"] for t in page.json()] == [t["thread_id"] for t in everything[1:3]]
        await client.post(f"/threads/{fresh}/runs/wait", json={"input": {"log": ["ask"]}})
        status = await client.post("/threads/search", json={"status": "interrupted"})
        assert [t["thread_id"] for t in status.json()] == [fresh]

        assert (await client.delete("/threads/t4")).status_code == 204
        assert (await client.get("/threads/t4")).status_code == 404
        assert (await client.delete("/threads/t4")).status_code == 404
        assert (await client.get(f"/threads/{fresh}")).json()["graph_id"] == "lab"


async def test_update_state_and_read_a_past_checkpoint(server: str) -> None:
    async with httpx.AsyncClient(base_url=server) as client:
        await client.post(
            "/threads/u/runs/wait", json={"input": {"messages": []}, "if_not_exists": "create"}
        )
        first = (await client.get("/threads/u/state")).json()["checkpoint"]["checkpoint_id"]
        r = await client.post(
            "/threads/u/state", json={"values": {"messages": ["edited"]}, "as_node": "agent"}
        )
        assert r.status_code == 200, r.text
        new = r.json()["checkpoint"]["checkpoint_id"]
        state = (await client.get("/threads/u/state")).json()
        assert state["values"] == {"messages": ["edited"]}
        assert state["checkpoint"]["checkpoint_id"] == new
        assert state["metadata"]["source"] == "update"
        past = (await client.get(f"/threads/u/state/{first}")).json()
        assert past["values"] == {"messages": [HELLO]}
        r = await client.post("/threads/u/runs/wait", json={"input": {}})
        assert r.json() == {"messages": ["edited", HELLO]}
