"""Porting is one substitution: each public LangGraph module has a twin under ``runtime``.

For every public name of a LangGraph module (LangGraph itself is the list), the twin either
offers it or refuses the import with an ``ImportError`` that says it is not built yet;
nothing is silently missing. And the names offered behave as LangGraph's where that can be
checked without running a graph (constants, literals).
"""

from __future__ import annotations

import importlib
import subprocess
import sys
import typing
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

TWINS = [
    "graph",
    "graph.message",
    "types",
    "config",
    "runtime",
    "errors",
    "constants",
    "prebuilt",
    "store.base",
    "store.memory",
    "cache.memory",
    "managed",
    "func",
]


def langgraph_names(module: str) -> list[str]:
    original = importlib.import_module(f"langgraph.{module}")
    names = getattr(original, "__all__", None)
    if names is None:
        names = [
            n
            for n, v in vars(original).items()
            if not n.startswith("_")
            and getattr(v, "__module__", "").startswith("langgraph")
            and not isinstance(v, type(typing))
        ]
    return sorted(names)


CASES = [(m, n) for m in TWINS for n in langgraph_names(m)]


@pytest.mark.parametrize(("module", "name"), CASES, ids=[f"{m}.{n}" for m, n in CASES])
def test_every_langgraph_name_is_offered_or_refused_loudly(module: str, name: str) -> None:
    twin = importlib.import_module(f"runtime.{module}")
    try:
        value = getattr(twin, name)
    except ImportError as exc:
        assert "not built yet" in str(exc), exc
        assert f"langgraph.{module}.{name}" in str(exc)
    else:
        assert value is not None


@pytest.mark.parametrize("module", TWINS)
def test_a_name_langgraph_does_not_have_is_a_plain_attribute_error(module: str) -> None:
    twin = importlib.import_module(f"runtime.{module}")
    with pytest.raises(AttributeError):
        twin.no_such_name  # noqa: B018


def test_a_refused_name_fails_at_import() -> None:
    with pytest.raises(ImportError, match=r"RetryPolicy.*not built yet.*issue 13"):
        from runtime.types import RetryPolicy  # noqa: F401


def test_constants_and_literals_match_langgraph() -> None:
    import langgraph.constants as lc
    import langgraph.types as lt

    import runtime.constants as rc
    import runtime.types as rt

    assert (rc.START, rc.END, rc.TAG_NOSTREAM, rc.TAG_HIDDEN) == (
        lc.START,
        lc.END,
        lc.TAG_NOSTREAM,
        lc.TAG_HIDDEN,
    )
    assert typing.get_args(rt.Durability) == typing.get_args(lt.Durability)
    assert typing.get_args(rt.All) == typing.get_args(lt.All)
    assert set(typing.get_args(rt.StreamMode)) <= set(typing.get_args(lt.StreamMode))


def test_importing_the_twins_does_not_import_langchain() -> None:
    light = [m for m in TWINS if m != "prebuilt"]  # prebuilt needs langchain by nature
    script = "\n".join(
        ["import sys"]
        + [f"import runtime.{m}" for m in light]
        + ["print([m for m in ('langchain_core', 'langgraph') if m in sys.modules])"]
    )
    out = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
