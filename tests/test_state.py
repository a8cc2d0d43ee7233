"""autograder.state: the journal survives a torn write and folds into the snapshot."""

from __future__ import annotations

import json

from autograder.state import JOURNAL_FILE, STATE_FILE, GradingState


def test_record_appends_and_compact_folds(tmp_path):
    state = GradingState(tmp_path)
    state.record("ann/l2/nb", {"fingerprint": "a", "outcome": {}})
    state.record("bob/l2/nb", {"fingerprint": "b", "outcome": {}})
    lines = (tmp_path / JOURNAL_FILE).read_text().splitlines()
    assert len(lines) == 2  # one line per outcome, nothing rewritten
    state.compact()
    assert not (tmp_path / JOURNAL_FILE).exists()
    snapshot = json.loads((tmp_path / STATE_FILE).read_text())
    assert set(snapshot["entries"]) == {"ann/l2/nb", "bob/l2/nb"}


def test_interrupted_journal_is_replayed_and_torn_line_ignored(tmp_path):
    (tmp_path / STATE_FILE).write_text(json.dumps({"entries": {"old/l2/nb": {"fingerprint": "o"}}}))
    good = json.dumps({"key": "ann/l2/nb", "entry": {"fingerprint": "a"}})
    (tmp_path / JOURNAL_FILE).write_text(good + "\n" + '{"key": "bob/l2/n')  # killed mid-write
    state = GradingState(tmp_path)
    assert state.get("ann/l2/nb") == {"fingerprint": "a"}
    assert state.get("old/l2/nb") == {"fingerprint": "o"}
    assert state.get("bob/l2/nb") is None
    assert not (tmp_path / JOURNAL_FILE).exists()  # folded in at start


def test_unreadable_snapshot_means_grade_again(tmp_path):
    (tmp_path / STATE_FILE).write_text("{not json")
    assert GradingState(tmp_path).entries == {}
