"""The load tester run small, in-process and against the example server, its JSON report
checked against the database; and ``serve`` across a process restart."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.server.harness import serve_in_subprocess

from .conftest import cli, stored, threads

SMALL = ("-S", "20", "-T", "3", "-C", "5", "--json")


def loadtest(*args: str | Path, check: bool = True) -> dict[str, Any]:
    proc = cli("loadtest", *args, check=check)
    report: dict[str, Any] = json.loads(proc.stdout)
    return report


def check_against_db(report: dict[str, Any], db: Path) -> None:
    """The tutorial graph writes three checkpoints per turn: the database must agree."""
    prefix = report["thread_prefix"]
    mine = [t for t in threads(db) if t.thread_id.startswith(prefix)]
    assert len(mine) == report["sessions"]
    checkpoints = sum(len(stored(db, t.thread_id)[1]) for t in mine)
    assert checkpoints == 3 * report["ok"]
    assert all(t.head == 3 * report["turns_per_session"] for t in mine)


def test_in_process(tmp_path: Path) -> None:
    db = tmp_path / "lt.db"
    report = loadtest("examples.server:tutorial_graph", "--db", db, *SMALL)
    assert report["mode"] == "inprocess"
    assert (report["turns"], report["ok"], report["failed"], report["errors"]) == (60, 60, 0, {})
    lat = report["latency_ms"]
    assert 0 < lat["p50"] <= lat["p90"] <= lat["p99"] <= lat["max"]
    assert report["turns_per_s"] > 0 and report["peak_rss_mb"] > 0
    rt = report["runtime"]
    assert rt["turns"] == 60 and rt["activations"] == 20 and rt["rehydrations"] == 0
    assert rt["flushed_checkpoints"] == 180 and rt["flushes"] >= 1
    check_against_db(report, db)


def test_rounds_with_few_resident_sessions_rehydrate(tmp_path: Path) -> None:
    db = tmp_path / "lt.db"
    report = loadtest(
        "examples.server:tutorial_graph", "--db", db, *SMALL, "--rounds",
        "--durability", "sync", "-o", "max_active=2",
    )  # fmt: skip
    assert report["order"] == "rounds" and (report["ok"], report["failed"]) == (60, 0)
    rt = report["runtime"]
    assert rt["evictions"] > 0 and rt["rehydrations"] > 0 and rt["active"] <= 5
    check_against_db(report, db)


def test_errors_are_counted_by_type(tmp_path: Path) -> None:
    db = tmp_path / "lt.db"
    # the tutorial's node needs "messages": a session started with {} fails every turn
    proc = cli(
        "loadtest", "examples.server:tutorial_graph", "--db", db, "--first-input", "{}",
        "-S", "4", "-T", "2", "-C", "2", "--json", check=False,
    )  # fmt: skip
    assert proc.returncode == 1
    report = json.loads(proc.stdout)
    assert report["ok"] == 0 and report["errors"] == {"KeyError": 8}


def test_against_the_server_and_serve_across_a_restart(tmp_path: Path) -> None:
    db = tmp_path / "served.db"
    with serve_in_subprocess(db) as url:
        report = loadtest(url, *SMALL)
        stats = httpx.get(f"{url}/stats").json()["graphs"]["agent"]
        other = loadtest(url, "-S", "4", "-T", "2", "-C", "2", "--json", "--client", "httpx")
        assert (other["ok"], other["failed"]) == (8, 0)
    assert report["mode"] == "http" and report["server_peak_rss_mb"] > 0
    assert (report["ok"], report["failed"]) == (60, 0)
    assert report["runtime"]["turns"] == 60 == stats["turns"]
    check_against_db(report, db)  # the server flushed everything on SIGTERM
    first = f"{report['thread_prefix']}0"
    # a new process, serving the graph function directly this time
    with serve_in_subprocess(db, "examples.server:tutorial_graph", "--graph") as url:
        state = httpx.get(f"{url}/threads/{first}/state").json()
        assert state["values"] == {"messages": ["Hello from the agent"] * 3}
        out = httpx.post(f"{url}/threads/{first}/runs/wait", json={"input": {}}).json()
        assert len(out["messages"]) == 4


def test_plot_and_pretty_report(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    png = tmp_path / "latency.png"
    proc = cli(
        "loadtest", "examples.server:tutorial_graph", "--db", tmp_path / "p.db",
        "-S", "10", "-T", "2", "-C", "3", "--plot", png,
    )  # fmt: skip
    text = proc.stdout.decode()
    assert "throughput" in text and "latency ms" in text and "20 ok, 0 failed" in text
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
