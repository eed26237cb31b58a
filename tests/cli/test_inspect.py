"""``threads``, ``state``, ``history``, ``export``/``import``, ``delete``, ``archive``, ``vacuum``
run as subprocesses on a real database."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from examples.server import tutorial_graph

from .conftest import cfg, cli, stored, threads

HELLO = "Hello from the agent"


def as_json(*args: str | Path) -> Any:
    return json.loads(cli(*args).stdout)


async def runtime_history(path: Path, tid: str) -> list[Any]:
    graph = tutorial_graph(str(path))
    async with graph:
        return [s async for s in graph.aget_state_history(cfg(tid))]


def test_threads(db: Path) -> None:
    listed = as_json("threads", db, "--json")
    by_id = {t["thread_id"]: t for t in listed}
    assert set(by_id) == {"t0", "t1", "t2", "ask"}
    assert by_id["t1"]["metadata"] == {"user": "u1"} and by_id["t1"]["status"] == "idle"
    assert by_id["t2"]["checkpoints"] == 1 + 3 * 3  # the create update, then 3 per turn
    assert by_id["ask"]["status"] == "interrupted"
    assert [
        t["thread_id"] for t in as_json("threads", db, "--json", "--status", "interrupted")
    ] == ["ask"]
    pretty = cli("threads", db).stdout.decode().splitlines()
    assert pretty[0].split() == ["THREAD", "STATUS", "CHECKPOINTS", "UPDATED", "METADATA"]
    assert any(line.startswith("t1 ") and '{"user":"u1"}' in line for line in pretty)


def test_state(db: Path) -> None:
    state = as_json("state", db, "t2", "--json")
    assert state["values"] == {"messages": [HELLO] * 3}
    assert state["next"] == [] and state["source"] == "loop"
    assert state["checkpoint_id"] == f"{10:012d}"
    assert state["thread_metadata"] == {"user": "u2"}
    paused = as_json("state", db, "ask", "--json")
    assert paused["next"] == ["work"] and paused["values"] == {"log": ["ask"]}
    assert [(i["node"], i["value"]) for i in paused["interrupts"]] == [
        ("work", {"question": "name?"})
    ]
    past = as_json("state", db, "t2", "--json", "--checkpoint", "4")
    assert past["values"] == {"messages": [HELLO]} and past["checkpoint_id"] == f"{4:012d}"
    text = cli("state", db, "ask").stdout.decode()
    assert "interrupt   work:" in text and "name?" in text
    missing = cli("state", db, "nope", check=False)
    assert missing.returncode == 1 and b"thread 'nope' not found" in missing.stderr


def test_history_matches_the_runtime(db: Path) -> None:
    history = as_json("history", db, "t1", "--json")
    oracle = asyncio.run(runtime_history(db, "t1"))
    assert len(history) == len(oracle) == 7
    for mine, snap in zip(history, oracle, strict=True):
        assert mine["checkpoint_id"] == snap.config["configurable"]["checkpoint_id"]
        assert mine["values"] == snap.values
        assert (mine["source"], mine["step"]) == (snap.metadata["source"], snap.metadata["step"])
        assert mine["next"] == list(snap.next)
    assert [t["node"] for t in history[0]["tasks"]] == ["agent"]  # the audit trail
    assert as_json("history", db, "ask", "--json", "--limit", "2")[0]["source"] != "pending"
    text = cli("history", db, "t1", "--limit", "1").stdout.decode()
    assert text.startswith(f"{7:012d}  loop") and "ran:    agent" in text


def test_export_import_moves_a_thread_byte_for_byte(db: Path, tmp_path: Path) -> None:
    dump = cli("export", db, "t2").stdout
    header = json.loads(dump.splitlines()[0])
    assert header["format"] == "session-actors/threads" and header["version"] == 1
    other = tmp_path / "other.db"
    out = cli("import", other, stdin=dump).stdout.decode()
    assert "imported 1 thread(s), 10 checkpoint(s)" in out
    assert stored(other, "t2") == stored(db, "t2")  # rows and payloads, as they were
    assert as_json("history", other, "t2", "--json") == as_json("history", db, "t2", "--json")

    again = cli("import", other, stdin=dump, check=False)
    assert again.returncode == 1 and b"exists in the target" in again.stderr
    cli("import", other, "--replace", stdin=dump)
    cli("import", other, "--thread-id", "copy", stdin=dump)
    thread, rows = stored(other, "copy")
    assert thread is not None and thread.metadata == stored(db, "t2")[0].metadata  # type: ignore[union-attr]
    assert [r.payload for r in rows] == [r.payload for r in stored(db, "t2")[1]]

    async def go_on() -> Any:  # the moved session goes on where it was
        graph = tutorial_graph(str(other))
        async with graph:
            return await graph.ainvoke({}, cfg("copy"))

    assert asyncio.run(go_on()) == {"messages": [HELLO] * 4}

    truncated = b"\n".join(dump.splitlines()[:-1])
    bad = cli("import", tmp_path / "third.db", stdin=truncated, check=False)
    assert bad.returncode == 1 and b"truncated" in bad.stderr
    everything = cli("export", db, "--all").stdout
    cli("import", tmp_path / "all.db", stdin=everything)
    assert {t.thread_id for t in threads(tmp_path / "all.db")} == {"t0", "t1", "t2", "ask"}


def test_delete_archive_vacuum(db: Path) -> None:
    assert "deleted 1 thread(s)" in cli("delete", db, "t0").stdout.decode()
    assert stored(db, "t0") == (None, [])
    gone = cli("delete", db, "t0", check=False)
    assert gone.returncode == 1 and b"not found" in gone.stderr
    cli("archive", db, "t1")
    assert as_json("state", db, "t1", "--json")["status"] == "archived"
    assert stored(db, "t1")[0].metadata is not None  # type: ignore[union-attr]
    sizes = as_json("vacuum", db)
    assert sizes["bytes_after"] > 0
    missing = cli("threads", db.with_name("missing.db"), check=False)
    assert missing.returncode == 1 and b"no database" in missing.stderr
