"""Export/import (JSON Lines) round trip, through the API and the `mana-desktop` commands."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from mana_desktop.cli import main
from mana_desktop.store import Replica
from mana_desktop.store.backup import BackupError, export_to, import_lines
from mana_desktop.store.profile import Profile
from tests.fixtures.replica import AGENT, USER


def _fill(replica: Replica) -> None:
    replica.apply_remote("todo", [
        {"table": "tasks", "id": "t-1", "op": "insert", "data": {"id": "t-1", "title": "Ä ✓", "n": 1.5}},
        {"table": "tasks", "id": "t-2", "op": "delete", "deletedAt": "2026-04-03T08:00:00.000Z"},
    ])
    with replica.write() as tx:
        tx.update("todo", "tasks", "t-1", {"title": "edited"}, actor=AGENT)
        tx.insert("notes", "notes", {"id": "n-1", "text": None}, actor=USER)


def _state(replica: Replica) -> list[tuple[object, ...]]:
    return [(r.app, r.collection, r.id, r.data, r.field_meta, r.deleted_at) for r in replica.iter_all()]


def test_round_trip_keeps_records_meta_and_tombstones(tmp_path: Path) -> None:
    buffer = io.StringIO()
    with Replica.open(tmp_path / "a.db") as source:
        _fill(source)
        assert export_to(source, buffer) == 3
        expected = _state(source)
    lines = buffer.getvalue().splitlines()
    first = json.loads(lines[0])
    assert set(first) == {"app", "collection", "id", "data", "deletedAt", "fieldMeta"}
    with Replica.open(tmp_path / "b.db") as target:
        assert import_lines(target, lines) == 3
        assert _state(target) == expected
        assert target.pending_count() == 0


def test_import_refuses_a_profile_with_data(tmp_path: Path, replica: Replica) -> None:
    _fill(replica)
    with pytest.raises(BackupError, match="empty profile"):
        import_lines(replica, ['{"app":"a","collection":"c","id":"x","data":{}}'])


def test_bad_line_is_named_and_nothing_is_written(replica: Replica) -> None:
    good = '{"app":"a","collection":"c","id":"x","data":{},"deletedAt":null,"fieldMeta":{}}'
    with pytest.raises(BackupError, match="line 2"):
        import_lines(replica, [good, '{"app":"a","collection":"c","id":"y","data":[]}'])
    with pytest.raises(BackupError, match="line 1: not valid JSON"):
        import_lines(replica, ["{nope"])
    assert replica.count() == 0


def test_export_and_import_commands(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source, target = tmp_path / "src", tmp_path / "dst"
    with Profile(source).open_replica() as replica:
        _fill(replica)
        expected = _state(replica)
    out = tmp_path / "backup.jsonl"
    assert main(["export", "--data-dir", str(source), "--out", str(out)]) == 0
    assert len(out.read_text().splitlines()) == 3
    assert main(["import", "--data-dir", str(target), str(out)]) == 0
    with Profile(target).open_replica() as replica:
        assert _state(replica) == expected
    assert main(["import", "--data-dir", str(target), str(out)]) == 1  # not empty any more
    assert "empty profile" in capsys.readouterr().err
    assert main(["import", "--data-dir", str(target), str(tmp_path / "missing.jsonl")]) == 2


def test_export_to_stdout(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with Profile(tmp_path / "p").open_replica() as replica:
        _fill(replica)
    assert main(["export", "--data-dir", str(tmp_path / "p")]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [json.loads(line)["id"] for line in lines] == ["n-1", "t-1", "t-2"]


def test_commands_report_a_damaged_replica_without_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    profile = tmp_path / "p"
    profile.mkdir()
    (profile / "replica.db").write_bytes(b"garbage" * 200)
    assert main(["export", "--data-dir", str(profile)]) == 1
    assert "not a Mana Desktop replica" in capsys.readouterr().err
