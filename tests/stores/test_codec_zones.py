"""Time zone keys in stored data never make the codec import anything.

``zoneinfo.ZoneInfo(key)`` of a key it finds no zone file for imports the package
``tzdata.zoneinfo.<key>`` (when tzdata is installed), so a crafted key could import a module
of the attacker's choosing. The codec resolves only keys of zones the system has.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import textwrap
import zoneinfo
from pathlib import Path

import msgspec
import pytest

from stores import CorruptCheckpointError, codec

_DATETIME = 4  # stores/_ext.py's extension code for datetimes


def _stored(text: str) -> bytes:
    return msgspec.msgpack.encode(msgspec.msgpack.Ext(_DATETIME, text.encode()))


def test_a_crafted_zone_key_imports_nothing(tmp_path: Path) -> None:
    # a stand-in tzdata whose "zone" package leaves a mark when imported
    pkg = tmp_path / "tzdata" / "zoneinfo" / "tripwire"
    pkg.mkdir(parents=True)
    (tmp_path / "tzdata" / "__init__.py").write_text("")
    (tmp_path / "tzdata" / "zoneinfo" / "__init__.py").write_text("")
    mark = tmp_path / "imported"
    (pkg / "__init__.py").write_text(f"open({str(mark)!r}, 'w').close()\n")
    script = textwrap.dedent(
        f"""
        import sys
        sys.path.insert(0, {str(tmp_path)!r})
        import msgspec
        from stores import CorruptCheckpointError, codec
        data = msgspec.msgpack.encode(
            msgspec.msgpack.Ext({_DATETIME}, b"2024-01-01T00:00:00[tripwire/x]")
        )
        try:
            codec.decode(data)
        except CorruptCheckpointError as exc:
            print("refused:", exc)
        print("imported" if "tzdata.zoneinfo.tripwire" in sys.modules else "not imported")
        """
    )
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": str(root)}
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert "refused: unknown time zone 'tripwire/x'" in done.stdout
    assert "not imported" in done.stdout
    assert not mark.exists()


@pytest.mark.parametrize("key", ["../../etc/passwd", "/etc/localtime", "", "Europe/../UTC"])
def test_zone_keys_that_are_no_zone_are_corrupt(key: str) -> None:
    with pytest.raises(CorruptCheckpointError, match="unknown time zone"):
        codec.decode(_stored(f"2024-01-01T00:00:00[{key}]"))


def test_real_zones_still_round_trip() -> None:
    keys = ["UTC", "Europe/Paris", "America/New_York", "Asia/Kolkata"]
    # a zone file outside the system's list of zones (posix/ and right/ copies) is one too
    keys += [k for k in ("posix/Europe/Paris",) if _on_disk(k)]
    for key in keys:
        value = dt.datetime(2024, 7, 1, 12, 30, tzinfo=zoneinfo.ZoneInfo(key))
        back = codec.decode(codec.encode({"at": value, "t": dt.time(1, tzinfo=value.tzinfo)}))
        assert back["at"] == value and back["at"].tzinfo is value.tzinfo
        assert back["t"].tzinfo is value.tzinfo


def _on_disk(key: str) -> bool:
    return any(os.path.isfile(os.path.join(root, key)) for root in zoneinfo.TZPATH)
