"""``import`` checks an export as every read checks stored rows, before writing anything."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import msgspec
import pytest

from stores import codec

from .conftest import cli, threads

Line = dict[str, Any]


def _payload(line: Line) -> list[Any]:
    fields: list[Any] = msgspec.msgpack.decode(base64.b64decode(line["checkpoint"]["payload"]))
    return fields


def _set_payload(line: Line, fields: list[Any]) -> None:
    line["checkpoint"]["payload"] = base64.b64encode(msgspec.msgpack.encode(fields)).decode()


def _loop(rows: list[Line], thread: Line) -> None:
    rows[-1]["checkpoint"]["parent"] = rows[-1]["checkpoint"]["seq"]


def _op(rows: list[Line], thread: Line) -> None:
    fields = _payload(rows[-1])
    fields[5] = [["messages", 7, ["x"]]]
    _set_payload(rows[-1], fields)


def _version(rows: list[Line], thread: Line) -> None:
    fields = _payload(rows[-1])
    fields[0] = 99
    _set_payload(rows[-1], fields)


def _garbage(rows: list[Line], thread: Line) -> None:
    rows[-1]["checkpoint"]["payload"] = base64.b64encode(b"\xc1garbage").decode()


def _metadata(rows: list[Line], thread: Line) -> None:
    thread["thread"]["metadata"] = base64.b64encode(codec.encode([1, 2])).decode()


def _times(rows: list[Line], thread: Line) -> None:
    thread["thread"]["created_at"] = "yesterday"


def _head(rows: list[Line], thread: Line) -> None:
    thread["thread"]["head"] = rows[-1]["checkpoint"]["seq"] + 3


def _orphan(rows: list[Line], thread: Line) -> None:
    del rows[len(rows) // 2]  # a checkpoint whose parent is not there


DAMAGE: dict[str, tuple[Callable[[list[Line], Line], None], str]] = {
    "parent loop": (_loop, "does not come before it"),
    "unknown op": (_op, "unknown change op 7"),
    "newer format": (_version, "unknown record format 99"),
    "garbage payload": (_garbage, "cannot be decoded"),
    "metadata no dict": (_metadata, "metadata is no dict"),
    "times no times": (_times, "are no times"),
    "head not stored": (_head, "is not among its checkpoints"),
    "orphan": (_orphan, "comes before its parent"),
}


@pytest.mark.parametrize("name", sorted(DAMAGE))
def test_a_damaged_export_imports_nothing(db: Path, tmp_path: Path, name: str) -> None:
    damage, message = DAMAGE[name]
    lines = [json.loads(x) for x in cli("export", db, "--all").stdout.splitlines()]
    # the last thread of the file: an import that wrote as it went would have written others
    last = max(i for i, line in enumerate(lines) if "thread" in line)
    victim = lines[last]["thread"]["thread_id"]
    rows = [line for line in lines[last + 1 :] if "checkpoint" in line]
    damage(rows, lines[last])
    kept = [x for x in lines if "checkpoint" not in x or x in rows or x not in lines[last:]]
    if len(kept) != len(lines):
        kept[-1]["end"]["checkpoints"] -= len(lines) - len(kept)
    dump = b"\n".join(json.dumps(x).encode() for x in kept) + b"\n"

    target = tmp_path / "target.db"
    done = cli("import", target, stdin=dump, check=False)
    err = done.stderr.decode()
    assert done.returncode == 1, err
    assert "the export is damaged, nothing was imported" in err
    assert f"thread_id={victim!r}" in err and message in err
    assert not target.exists() or threads(target) == []
