"""What a grading run has already graded: a snapshot plus an append-only journal.

A run appends one JSON line per graded notebook to `grading-state.journal` (flushed and
fsync'ed), so the cost of recording an outcome does not grow with the class, and a run killed
at any moment loses at most the notebook being written. At the end of a run, and when a run
starts after an interrupted one, the journal is folded into the snapshot
`grading-state.json` (written atomically) and removed.

Each entry is keyed by `student/assignment/notebook` and holds the fingerprint of everything
that decided the grade (see `autograder.grade.fingerprint`) and the outcome.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

STATE_FILE = "grading-state.json"
JOURNAL_FILE = "grading-state.journal"


class GradingState:
    """Entries of earlier runs and of this one; `record` is safe to call from one thread."""

    def __init__(self, out: Path):
        self.out = out
        self.entries: dict[str, dict] = {}
        try:
            data = json.loads((out / STATE_FILE).read_text(encoding="utf-8"))
            self.entries.update(data.get("entries", {}))
        except (OSError, ValueError, AttributeError):
            pass  # no state yet, or an unreadable one: grade everything again
        self._replay()
        self._journal = None

    def _replay(self) -> None:
        """Fold the journal of an interrupted run in; a torn last line is ignored."""
        try:
            lines = (self.out / JOURNAL_FILE).read_text(encoding="utf-8").splitlines()
        except OSError:
            return
        for line in lines:
            try:
                item = json.loads(line)
                self.entries[item["key"]] = item["entry"]
            except (ValueError, KeyError, TypeError):
                continue
        self.compact()

    def get(self, key: str) -> dict | None:
        return self.entries.get(key)

    def record(self, key: str, entry: dict) -> None:
        """Remember one outcome durably (one appended line, fsync'ed)."""
        self.entries[key] = entry
        if self._journal is None:
            self._journal = (self.out / JOURNAL_FILE).open("a", encoding="utf-8")
        self._journal.write(json.dumps({"key": key, "entry": entry}, ensure_ascii=False) + "\n")
        self._journal.flush()
        os.fsync(self._journal.fileno())

    def compact(self) -> None:
        """Write the snapshot atomically and drop the journal."""
        if getattr(self, "_journal", None) is not None:
            self._journal.close()
            self._journal = None
        tmp = self.out / f"{STATE_FILE}.tmp"
        tmp.write_text(json.dumps({"entries": self.entries}, ensure_ascii=False), encoding="utf-8")
        tmp.replace(self.out / STATE_FILE)
        (self.out / JOURNAL_FILE).unlink(missing_ok=True)
