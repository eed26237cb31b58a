"""History over HTTP: a bounded page size and body size, paging with ``before``."""

from __future__ import annotations

from pathlib import Path

import httpx

from examples.server import create_app, tutorial_graph
from runtime.cli.asgi import HISTORY_MAX_LIMIT
from runtime.cli.jsonio import dumps

from .harness import serve_in_thread

CREATE = {"input": {"messages": []}, "if_not_exists": "create"}


async def test_limit_beyond_the_maximum_is_refused(db: Path) -> None:
    with serve_in_thread(create_app(tutorial_graph(str(db)))) as url:
        async with httpx.AsyncClient(base_url=url) as client:
            await client.post("/threads/t/runs/wait", json=CREATE)
            for limit in (HISTORY_MAX_LIMIT + 1, 0, -1):
                for r in (
                    await client.get("/threads/t/history", params={"limit": limit}),
                    await client.post("/threads/t/history", json={"limit": limit}),
                ):
                    assert r.status_code == 422, r.text
                    body = r.json()
                    assert body["error"] == "ValidationError" and "limit" in body["message"]
            r = await client.post("/threads/t/history", json={"limit": HISTORY_MAX_LIMIT})
            assert r.status_code == 200 and len(r.json()) == 3


async def test_a_body_over_the_cap_stops_before_the_state_that_would_pass_it(db: Path) -> None:
    app = create_app(tutorial_graph(str(db)))
    with serve_in_thread(app) as url:
        async with httpx.AsyncClient(base_url=url) as client:
            await client.post("/threads/t/runs/wait", json=CREATE)
            for _ in range(29):
                await client.post("/threads/t/runs/wait", json={"input": {}})
            full = await client.post("/threads/t/history", json={"limit": 1000})
            assert full.status_code == 200 and "X-History-Truncated" not in full.headers
            states = full.json()
            assert len(states) == 90
            parts = [dumps(s) for s in states]
            assert full.content == b"[" + b",".join(parts) + b"]"
            sizes = list(map(len, parts))
            # a cap that holds the newest five states (and their separators) exactly
            app.state.host.history_max_bytes = 2 + sum(sizes[:5]) + 4
            r = await client.post("/threads/t/history", json={"limit": 1000})
            assert r.status_code == 200, r.text
            assert r.headers["X-History-Truncated"] == "true"
            page = r.json()
            assert page == states[:5]
            assert len(r.content) <= app.state.host.history_max_bytes
            # the client pages on from the last checkpoint it got
            last = page[-1]["checkpoint"]["checkpoint_id"]
            r = await client.post("/threads/t/history", json={"limit": 1000, "before": last})
            assert r.json() == states[5:10]
            # the newest state alone over the cap: 413, naming the way to read it
            app.state.host.history_max_bytes = sizes[0] - 1
            r = await client.get("/threads/t/history")
            assert r.status_code == 413, r.text
            assert r.json()["error"] == "ResponseTooLargeError"
            assert "/state/" in r.json()["message"]
            assert r.json()["message"].count(states[0]["checkpoint"]["checkpoint_id"]) >= 1
