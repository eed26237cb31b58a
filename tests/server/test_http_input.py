"""Hostile and careless HTTP input: 422 not 500, body limits, safe error bodies, content
types, host allow-list, awkward thread ids. Real uvicorn on 127.0.0.1, real httpx."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from examples.server import tutorial_graph
from runtime.cli.asgi import create_app
from stores import SqliteStore, StoreUnavailableError

from .harness import Gate, lab_graph, serve_in_thread
from .test_errors import error

BIG = b"99999999999999999999999"  # beyond 64 bits
JSON_TYPE = {"content-type": "application/json"}


def serve(tmp_path: Path, **options: Any) -> Any:
    graphs = {
        "agent": tutorial_graph(str(tmp_path / "agent.db")),
        "lab": lab_graph(Gate(), SqliteStore(tmp_path / "lab.db")),
    }
    return serve_in_thread(create_app(graphs, **options))


@pytest.fixture
def url(tmp_path: Path) -> Iterator[str]:
    with serve(tmp_path) as u:
        yield u


async def test_client_mistakes_are_422_and_change_nothing(url: str) -> None:
    async with httpx.AsyncClient(base_url=url, headers=JSON_TYPE) as c:
        await c.post("/threads", json={"thread_id": "t", "assistant_id": "lab"})
        r = await c.post("/threads/t/runs/wait", json={"input": {"log": ["a"]}})
        assert r.json() == {"log": ["a", "done"]}
        before = (await c.get("/threads/t/state")).json()
        deep = b"[" * 5000 + b"]" * 5000  # beyond msgspec's own recursion limit
        nested = b"[" * 500 + b"]" * 500  # decodes, but too deep to store
        bad: list[tuple[str, bytes, str]] = [
            ("/threads/t/runs/wait", b'{"input": {"obj": ' + BIG + b"}}", "ValidationError"),
            ("/threads/t/runs/wait", b'{"input": {"obj": -' + BIG + b"}}", "ValidationError"),
            ("/threads/t/runs/stream", b'{"input": {"obj": ' + BIG + b"}}", "ValidationError"),
            ("/threads/t/runs/wait", b'{"input": {"obj": ' + deep + b"}}", "ValidationError"),
            ("/threads/t/runs/wait", b'{"input": {"obj": ' + nested + b"}}", "ValidationError"),
            ("/threads/t/state", b'{"values": {"obj": ' + nested + b"}}", "ValidationError"),
            ("/threads/t/state", b'{"values": {"obj": ' + BIG + b"}}", "ValidationError"),
            ("/threads/search", b'{"limit": ' + BIG + b"}", "ValidationError"),
            ("/threads/search", b'{"limit": 9223372036854775807, "offset": 5}', "ValidationError"),
            (
                "/threads",
                b'{"thread_id": "n", "assistant_id": "lab", "metadata": {"x": ' + BIG + b"}}",
                "ValidationError",
            ),
            (
                "/threads/t/runs/wait",
                b'{"input": {"log": ["x"]}, "config": {"configurable": 5}}',
                "InvalidConfigError",
            ),
            (
                "/threads/t/runs/wait",
                b'{"input": {"log": ["x"]}, "config": {"configurable": ["x"]}}',
                "InvalidConfigError",
            ),
            (
                "/threads/t/runs/stream",
                b'{"input": {"log": ["x"]}, "config": {"configurable": "x"}}',
                "InvalidConfigError",
            ),
            (
                "/threads/t/runs/wait",
                b'{"input": {"log": ["x"]}, "config": {"metadata": 5}, "metadata": {"a": 1}}',
                "InvalidConfigError",
            ),
            (
                "/threads/t/runs/wait",
                b'{"input": {"log": ["x"]}, "checkpoint_id": "' + BIG + b'"}',
                "InvalidConfigError",
            ),
        ]
        for path, body, kind in bad:
            r = await c.post(path, content=body)
            error(r, 422, kind)
        r = await c.get("/threads/t/state/" + BIG.decode())
        error(r, 422, "InvalidConfigError")
        for limit in (BIG.decode(), "-1"):
            r = await c.get("/threads/t/history", params={"limit": limit})
            error(r, 422, "ValidationError")
        assert (await c.get("/threads/t/state")).json() == before
        assert (await c.get("/threads/n")).status_code == 404  # refused: not created
        # the largest 64-bit integers are fine
        r = await c.post(
            "/threads/t/runs/wait",
            content=b'{"input": {"obj": [9223372036854775807, -9223372036854775808]}}',
        )
        assert r.status_code == 200, r.text
        assert r.json()["obj"] == [2**63 - 1, -(2**63)]


async def test_body_limit_is_413_and_configurable(tmp_path: Path) -> None:
    with serve(tmp_path, max_body_bytes=1000) as u:
        async with httpx.AsyncClient(base_url=u, headers=JSON_TYPE) as c:
            await c.post("/threads", json={"thread_id": "t", "assistant_id": "lab"})
            small = {"input": {"log": ["x" * 900]}}
            assert (await c.post("/threads/t/runs/wait", json=small)).status_code == 200
            big = {"input": {"log": ["x" * 1000]}}
            error(await c.post("/threads/t/runs/wait", json=big), 413, "PayloadTooLargeError")

            async def chunks() -> Any:  # no Content-Length: counted as it arrives
                yield b'{"input": {"log": ["'
                for _ in range(20):
                    yield b"y" * 100
                yield b'"]}}'

            r = await c.post("/threads/t/runs/wait", content=chunks())
            error(r, 413, "PayloadTooLargeError")
            state = (await c.get("/threads/t/state")).json()
            assert state["values"]["log"] == ["x" * 900, "done"]
    with pytest.raises(ValueError, match="max_body_bytes"):
        create_app(tutorial_graph(str(tmp_path / "x.db")), max_body_bytes=0)


async def test_error_bodies_hide_node_text_unless_debug(tmp_path: Path) -> None:
    secret = "/secret/path/agent.py"

    def leaky(state: dict[str, Any]) -> dict[str, Any]:
        raise RuntimeError(f"cannot open {secret}")

    from runtime import END, START, StateGraph
    from tests.server.harness import Lab

    builder = StateGraph(Lab)
    builder.add_node("leaky", leaky)
    builder.add_edge(START, "leaky")
    builder.add_edge("leaky", END)
    for debug in (False, True):
        graph = builder.compile(checkpointer=SqliteStore(tmp_path / f"leak{debug}.db"))
        with serve_in_thread(create_app(graph, debug=debug)) as u:
            async with httpx.AsyncClient(base_url=u, headers=JSON_TYPE) as c:
                run = {"input": {"log": ["x"]}, "if_not_exists": "create"}
                r = await c.post("/threads/t/runs/wait", json=run)
                body = error(r, 500, "RuntimeError")
                r = await c.post("/threads/t/runs/stream", json=run)
                assert "event: error" in r.text
                if debug:
                    assert secret in body["message"]
                    assert any("leaky" in line for line in body["traceback"])
                    assert secret in r.text
                else:
                    assert secret not in r.text and secret not in str(body)
                    assert "traceback" not in body and "Traceback" not in r.text
                    assert "'leaky'" in body["message"]  # the node is named, not its text
                    assert ".py" not in str(body) and ".py" not in r.text


class FailingStore(SqliteStore):
    """Thread reads fail as SQLite's do, naming the file."""

    async def get_thread(self, thread_id: str) -> Any:
        raise StoreUnavailableError(f"cannot read {self.path}: disk I/O error")


async def test_store_errors_do_not_show_file_paths(tmp_path: Path) -> None:
    from runtime import END, START, StateGraph
    from tests.server.harness import Lab

    builder = StateGraph(Lab)
    builder.add_node("n", lambda s: None)
    builder.add_edge(START, "n")
    builder.add_edge("n", END)
    graph = builder.compile(checkpointer=FailingStore(tmp_path / "hidden-name.db"))
    for debug in (False, True):
        with serve_in_thread(create_app(graph, debug=debug)) as u:
            async with httpx.AsyncClient(base_url=u, headers=JSON_TYPE) as c:
                r = await c.get("/threads/other")
                error(r, 503, "StoreUnavailableError")
                assert ("hidden-name" in r.text) is debug, r.text


async def test_bodies_must_be_json_typed(url: str) -> None:
    async with httpx.AsyncClient(base_url=url) as c:
        await c.post("/threads", json={"thread_id": "t", "assistant_id": "lab"})
        body = b'{"input": {"log": ["x"]}}'
        # what a cross-origin page can send without asking: form and text bodies
        for kind in ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data"):
            r = await c.post("/threads/t/runs/wait", content=body, headers={"content-type": kind})
            error(r, 415, "UnsupportedMediaTypeError")
        r = await c.post("/threads/t/runs/wait", content=body)  # no type at all
        error(r, 415, "UnsupportedMediaTypeError")
        state = (await c.get("/threads/t/state")).json()
        assert state["values"] == {}  # nothing ran
        typed = {"content-type": "application/json; charset=utf-8"}
        r = await c.post("/threads/t/runs/wait", content=body, headers=typed)
        assert r.json() == {"log": ["x", "done"]}
        # a POST without a body needs no type (as LangGraph's clients send it)
        assert (await c.post("/threads")).status_code == 200


async def test_allowed_hosts(tmp_path: Path) -> None:
    with serve(tmp_path, allowed_hosts=["localhost", "127.0.0.1", "*.example.com"]) as u:
        async with httpx.AsyncClient(base_url=u, headers=JSON_TYPE) as c:
            assert (await c.get("/ok")).status_code == 200  # Host: 127.0.0.1:<port>
            for host in ("localhost:8123", "api.example.com"):
                assert (await c.get("/ok", headers={"host": host})).status_code == 200
            for host in ("evil.test", "example.com.evil.test", "localhost.evil.test"):
                r = await c.get("/ok", headers={"host": host})
                error(r, 400, "HostNotAllowedError")
                r = await c.post("/threads", headers={"host": host}, json={"thread_id": "h"})
                error(r, 400, "HostNotAllowedError")
            assert (await c.get("/threads/h")).status_code == 404


async def test_thread_ids_empty_slash_and_surrogate(url: str) -> None:
    async with httpx.AsyncClient(base_url=url, headers=JSON_TYPE) as c:
        r = await c.post("/threads", json={"thread_id": "", "assistant_id": "lab"})
        error(r, 422, "InvalidConfigError")
        assert (await c.post("/threads/search", json={})).json() == []  # nothing made
        r = await c.post("/threads", content=b'{"thread_id": "a\\ud800b"}')
        error(r, 422, "ValidationError")
        # ids with a slash: created in a body, reached percent-encoded in paths
        for tid in ("a/b", "/lead", "trail/", "x/runs/wait", "%2F"):
            r = await c.post("/threads", json={"thread_id": tid, "assistant_id": "lab"})
            assert r.json()["thread_id"] == tid
            path = "/threads/" + tid.replace("%", "%25").replace("/", "%2F")
            assert (await c.get(path)).json()["thread_id"] == tid
            r = await c.post(path + "/runs/wait", json={"input": {"log": [tid]}})
            assert r.json() == {"log": [tid, "done"]}, r.text
            r = await c.post(path + "/runs/stream", json={"input": {"log": ["s"]}})
            assert "event: values" in r.text
            state = (await c.get(path + "/state")).json()
            assert state["values"]["log"] == [tid, "done", "s", "done"]
            assert state["checkpoint"]["thread_id"] == tid
            cid = state["checkpoint"]["checkpoint_id"]
            assert (await c.get(f"{path}/state/{cid}")).json()["values"] == state["values"]
            history = (await c.get(path + "/history")).json()
            assert history[0]["values"] == state["values"] and len(history) > 2
            assert {h["checkpoint"]["thread_id"] for h in history} == {tid}
            assert (await c.delete(path)).status_code == 204
            assert (await c.get(path)).status_code == 404
        # "a" and "b" exist on their own: "a%2Fb" is one id, not a path through them
        await c.post("/threads", json={"thread_id": "a", "assistant_id": "lab"})
        assert (await c.get("/threads/a%2Fb")).status_code == 404
        r = await c.get("/threads/%FF%2F")  # not UTF-8
        error(r, 422, "InvalidConfigError")
