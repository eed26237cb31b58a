"""Every error status the server maps, and a client that disconnects mid-stream."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx

from .conftest import Lab

HOLD = {"input": {"log": ["hold"]}, "assistant_id": "lab"}


def error(r: httpx.Response, status: int, kind: str) -> dict[str, Any]:
    assert r.status_code == status, r.text
    body: dict[str, Any] = r.json()
    assert body["error"] == kind and body["message"], body
    return body


async def hold(client: httpx.AsyncClient, lab: Lab, tid: str) -> asyncio.Task[httpx.Response]:
    """Start a turn that waits at the gate; returns once its node is running."""
    await client.post("/threads", json={"thread_id": tid, "assistant_id": "lab"})
    held = asyncio.ensure_future(client.post(f"/threads/{tid}/runs/wait", json=HOLD))
    await asyncio.to_thread(lab.gate.wait_entered)
    return held


async def test_404_unknown_thread_or_assistant(lab: Lab) -> None:
    async with httpx.AsyncClient(base_url=lab.url) as client:
        error(await client.get("/threads/nope"), 404, "NotFoundError")
        error(await client.get("/threads/nope/state"), 404, "NotFoundError")
        error(await client.get("/threads/nope/history"), 404, "NotFoundError")
        error(await client.delete("/threads/nope"), 404, "NotFoundError")
        r = await client.post("/threads/nope/runs/wait", json={"input": {"messages": []}})
        assert "if_not_exists" in error(r, 404, "NotFoundError")["message"]
        r = await client.post("/threads", json={"assistant_id": "other"})
        error(r, 404, "NotFoundError")


async def test_422_bad_input(lab: Lab) -> None:
    async with httpx.AsyncClient(base_url=lab.url) as client:
        await client.post("/threads", json={"thread_id": "b"})
        run = "/threads/b/runs/wait"
        json_type = {"content-type": "application/json"}
        r = await client.post(run, content=b"{not json", headers=json_type)
        error(r, 422, "ValidationError")
        error(await client.post(run, json={"config": 5}), 422, "ValidationError")
        r = await client.post(run, json={"input": {}, "multitask_strategy": "bogus"})
        assert "enqueue" in error(r, 422, "ValidationError")["message"]
        r = await client.post(run, json={"input": {}, "interrupt_before": ["nowhere"]})
        error(r, 422, "ValidationError")
        error(await client.post(run, json={"input": [1]}), 422, "InvalidUpdateError")
        error(await client.post(run, json={"input": None}), 422, "EmptyInputError")
        r = await client.post(
            run, json={"input": {"messages": []}, "config": {"recursion_limit": 0}}
        )
        error(r, 422, "InvalidConfigError")
        r = await client.post(
            "/threads/p/runs/wait",
            json={"input": {"log": ["poison"]}, "assistant_id": "lab", "if_not_exists": "create"},
        )
        error(r, 422, "SerializationError")
        error(await client.post("/threads/search", json={"limit": "x"}), 422, "ValidationError")
        # the session is unharmed by all of that
        r = await client.post(run, json={"input": {"messages": []}})
        assert r.json() == {"messages": ["Hello from the agent"]}


async def test_500_node_error_and_the_thread_stays_usable(lab: Lab) -> None:
    async with httpx.AsyncClient(base_url=lab.url) as client:
        await client.post("/threads", json={"thread_id": "k"})
        # the tutorial's node reads state["messages"]: on a new thread with {} it fails
        error(await client.post("/threads/k/runs/wait", json={"input": {}}), 500, "KeyError")
        r = await client.post("/threads/k/runs/wait", json={"input": {"messages": []}})
        assert r.status_code == 200, r.text


async def test_409_busy_under_reject(lab: Lab) -> None:
    async with httpx.AsyncClient(base_url=lab.url, timeout=20) as client:
        held = await hold(client, lab, "r")
        body = {"input": {"log": ["x"]}, "assistant_id": "lab", "multitask_strategy": "reject"}
        error(await client.post("/threads/r/runs/wait", json=body), 409, "SessionBusyError")
        r = await client.post("/threads/r/runs/stream", json=body)
        error(r, 409, "SessionBusyError")
        lab.gate.release.set()
        assert (await held).json() == {"log": ["hold", "done"]}
        # free again: reject lets it through
        r = await client.post("/threads/r/runs/wait", json=body)
        assert r.json() == {"log": ["hold", "done", "x", "done"]}


async def test_503_mailbox_full(lab: Lab) -> None:
    async with httpx.AsyncClient(base_url=lab.url, timeout=20) as client:
        held = await hold(client, lab, "m")
        body = {"input": {"log": ["q"]}, "assistant_id": "lab"}
        # mailbox_size=1: of two more turns one is queued, the other refused
        turns = [
            asyncio.ensure_future(client.post("/threads/m/runs/wait", json=body)) for _ in range(2)
        ]
        done, waiting = await asyncio.wait(turns, return_when=asyncio.FIRST_COMPLETED)
        assert len(done) == 1 and len(waiting) == 1  # the queued one waits for the gate
        refused = done.pop().result()
        error(refused, 503, "MailboxFullError")
        assert refused.headers["retry-after"] == "1"
        lab.gate.release.set()
        queued = await waiting.pop()
        assert queued.status_code == 200, queued.text
        assert (await held).status_code == 200
        state = (await client.get("/threads/m/state")).json()
        assert state["values"]["log"] == ["hold", "done", "q", "done"]


async def test_503_store_unavailable(lab: Lab) -> None:
    async with httpx.AsyncClient(base_url=lab.url) as client:
        await client.post("/threads", json={"thread_id": "f", "assistant_id": "flaky"})
        lab.flaky.down = True
        try:
            # a thread not in memory: answering needs the store, which is down
            r = await client.get("/threads/not-resident", params={"assistant_id": "flaky"})
            error(r, 503, "StoreUnavailableError")
        finally:
            lab.flaky.down = False
        r = await client.get("/threads/not-resident", params={"assistant_id": "flaky"})
        assert r.status_code == 404
        r = await client.get("/threads/f", params={"assistant_id": "flaky"})
        assert r.status_code == 200


async def test_disconnect_mid_stream_leaves_a_consistent_usable_thread(lab: Lab) -> None:
    async with httpx.AsyncClient(base_url=lab.url, timeout=20) as client:
        await client.post("/threads", json={"thread_id": "d", "assistant_id": "lab"})
        body = {**HOLD, "stream_mode": ["values", "custom"]}
        async with client.stream("POST", "/threads/d/runs/stream", json=body) as response:
            lines = response.aiter_lines()
            seen = []
            async for line in lines:
                seen.append(line)
                if line.startswith("event: custom"):
                    break  # the node is running (it streams before waiting at the gate)
            await asyncio.to_thread(lab.gate.wait_entered)
        # the connection is closed: wait until the server has noticed, then let the turn end
        assert await asyncio.to_thread(lab.disconnects.seen.wait, 10)
        lab.gate.release.set()
        # the next turn queues behind the abandoned one, which ran to its end exactly once
        r = await client.post("/threads/d/runs/wait", json={"input": {"log": ["after"]}})
        assert r.json() == {"log": ["hold", "done", "after", "done"]}
        history = (await client.get("/threads/d/history", params={"limit": 50})).json()
        assert [h["metadata"]["step"] for h in history] == [4, 3, 2, 1, 0, -1]
        ids = [h["checkpoint"]["checkpoint_id"] for h in history]
        parents = [h["parent_checkpoint"]["checkpoint_id"] for h in history[:-1]]
        assert parents == ids[1:]  # one unbroken chain
        assert (await client.get("/threads/d")).json()["status"] == "idle"


def test_every_runtime_error_has_its_status() -> None:
    from runtime import errors
    from runtime.cli.protocol import NotFoundError, ValidationError, error_response

    expected = {
        NotFoundError("x"): 404,
        errors.SessionBusyError("x"): 409,
        errors.StaleOwnerError("x"): 409,
        errors.ThreadArchivedError("x", thread_id="t"): 409,
        ValidationError("x"): 422,
        errors.InvalidUpdateError("x"): 422,
        errors.EmptyInputError("x"): 422,
        errors.InvalidConfigError("x"): 422,
        errors.SerializationError("x", path="k"): 422,
        errors.MailboxFullError("x"): 503,
        errors.StoreUnavailableError("x"): 503,
        errors.ShuttingDownError("x", thread_id="t"): 503,
        errors.GraphRecursionError("x"): 500,
        errors.CorruptCheckpointError("x"): 500,
        KeyError("messages"): 500,
    }
    for exc, status in expected.items():
        r = error_response(exc)
        assert r.status_code == status, exc
        body = json.loads(bytes(r.body))
        assert body["error"] == type(exc).__name__ and body["message"]
    assert json.loads(bytes(error_response(errors.ShuttingDownError("x", thread_id="t")).body)) == {
        "error": "ShuttingDownError",
        "message": "x",
        "thread_id": "t",
    }
