"""The load tester's minimal HTTP/1.1 client against the real server."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from examples.server import create_app, tutorial_graph
from runtime.cli.httpclient import HttpClientError, RawClient
from tests.server.harness import free_port, serve_in_thread


async def test_raw_client_json_chunked_and_keep_alive(tmp_path: Path) -> None:
    with serve_in_thread(create_app(tutorial_graph(str(tmp_path / "h.db")))) as url:
        client = RawClient(url, timeout=10)
        try:
            body = json.dumps({"input": {"messages": []}, "if_not_exists": "create"}).encode()
            status, content = await client.request("POST", "/threads/h/runs/wait", body)
            assert status == 200 and json.loads(content) == {"messages": ["Hello from the agent"]}
            status, content = await client.request("GET", "/threads/nope")
            assert status == 404 and json.loads(content)["error"] == "NotFoundError"
            # a streamed (chunked) reply is read whole
            status, content = await client.request(
                "POST", "/threads/h/runs/stream", b'{"input": {}}'
            )
            text = content.decode()
            assert status == 200 and text.startswith("event: metadata")
            assert text.endswith("event: end\ndata: null\n\n")
            assert len(client._idle) == 1  # one connection, kept alive throughout
        finally:
            await client.aclose()


async def test_raw_client_errors() -> None:
    with pytest.raises(ValueError, match="only http://"):
        RawClient("https://example.com")
    client = RawClient(f"http://127.0.0.1:{free_port()}", timeout=5)
    with pytest.raises(HttpClientError, match="cannot connect"):
        await client.request("GET", "/ok")
