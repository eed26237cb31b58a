"""The one-line port of a LangGraph program to session-actors: the ``sed`` a user runs.

``SED`` is the whole port, as given in the README::

    sed -E "$SED" program.py > ported.py

LangGraph's checkpointers become ``stores`` (``langgraph.checkpoint.memory`` ->
``stores.memory``, ``langgraph.checkpoint.sqlite[.aio]`` -> ``stores.sqlite``); every other
``langgraph.X`` becomes ``runtime.X``; ``from langgraph import`` becomes
``from runtime import``. :func:`port` applies the very same expressions with Python's
``re`` (they use nothing on which ERE and ``re`` differ); a test runs real ``sed -E`` over
every program and checks both give the same text.
"""

from __future__ import annotations

import re

__all__ = ["SED", "port"]

SED = (
    r"s/\blanggraph\.checkpoint\.(memory|sqlite)(\.aio)?\b/stores.\1/g;"
    r" s/\blanggraph\./runtime./g;"
    r" s/\bfrom langgraph import\b/from runtime import/g"
)

_COMMAND = re.compile(r"^s/((?:[^/\\]|\\.)*)/((?:[^/\\]|\\.)*)/(g?)$")


def _commands(script: str) -> list[tuple[re.Pattern[str], str]]:
    out = []
    for part in script.split(";"):
        m = _COMMAND.match(part.strip())
        if m is None:
            raise ValueError(f"not a sed s command this port understands: {part!r}")
        pattern, replacement, flag = m.groups()
        if not flag:
            # Without g, sed replaces the first match of each line, re.sub of the text.
            raise ValueError(f"every command of the port is global (s/../../g): {part!r}")
        out.append((re.compile(pattern), replacement))
    return out


_PORT = _commands(SED)


def port(text: str) -> str:
    """``text`` as ``sed -E "$SED"`` leaves it."""
    for pattern, replacement in _PORT:
        text = pattern.sub(replacement, text)
    return text
