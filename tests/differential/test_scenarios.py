"""Each scenario through LangGraph (InMemorySaver) and through ours (both stores): the
transcripts a user observes must be equal. See ``harness.py`` for what is normalized."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import pytest

from stores import MemoryStore, SqliteStore

from .harness import Scenario, arun_scenario, compile_langgraph, compile_ours, run_scenario
from .scenarios import SCENARIOS

STORES = ("memory", "sqlite")

_oracle: dict[tuple[str, str], list[Any]] = {}
"""LangGraph's transcript per (scenario, api): the same for every store of ours."""


def _params(scenarios: list[Scenario]) -> list[Any]:
    out = []
    for s in scenarios:
        marks = [pytest.mark.xfail(reason=s.xfail, strict=True)] if s.xfail else []
        for store in STORES:
            out.append(pytest.param(s, store, id=f"{s.name}-{store}", marks=marks))
    return out


def _store(kind: str, tmp_path: Path) -> Any:
    return MemoryStore() if kind == "memory" else SqliteStore(tmp_path / "diff.db")


def _oracle_sync(s: Scenario) -> list[Any]:
    key = (s.name, "sync")
    if key not in _oracle:
        _oracle[key] = run_scenario(compile_langgraph(s), s)
    return _oracle[key]


async def _oracle_async(s: Scenario) -> list[Any]:
    key = (s.name, "async")
    if key not in _oracle:
        _oracle[key] = await arun_scenario(compile_langgraph(s), s)
    return _oracle[key]


@pytest.fixture(autouse=True)
def _quiet() -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # LangGraph's deprecation chatter, unreachable nodes
        yield


@pytest.mark.parametrize(("scenario", "store"), _params([s for s in SCENARIOS if s.sync]))
def test_sync(scenario: Scenario, store: str, tmp_path: Path) -> None:
    expected = _oracle_sync(scenario)
    graph = compile_ours(scenario, _store(store, tmp_path))
    try:
        got = run_scenario(graph, scenario)
    finally:
        graph.close()
    assert got == expected


@pytest.mark.parametrize(("scenario", "store"), _params([s for s in SCENARIOS if s.run_async]))
async def test_async(scenario: Scenario, store: str, tmp_path: Path) -> None:
    expected = await _oracle_async(scenario)
    graph = compile_ours(scenario, _store(store, tmp_path))
    try:
        got = await arun_scenario(graph, scenario)
    finally:
        await graph.aclose()
    assert got == expected


def test_every_scenario_is_distinct() -> None:
    names = [s.name for s in SCENARIOS]
    assert len(names) == len(set(names)) >= 30
