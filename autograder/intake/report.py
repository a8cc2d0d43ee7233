"""What an LMS zip intake did with every entry: the IntakeReport (a dataclass, JSON via to_dict).

Every entry of the zip ends up in exactly one list, except directories:

    matched     installed in submitted/ (or already there, identical)
    duplicates  the same student and notebook again; an older upload, not installed
    unmatched   readable, but no student or no expected notebook could be told from the name
    refused     unsafe or unreadable (path traversal, absolute path, symlink, encryption,
                zip bomb, not a notebook, corrupt data)
    conflicts   would replace a different file already in submitted/ (pass force=True)
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class Matched:
    student: str
    notebook: str
    path: str  # the installed file under submitted/
    timestamp: str  # as written to timestamp.txt (nbgrader's format)
    late: bool
    entry: str  # the zip entry it came from
    note: str = ""


@dataclass(frozen=True)
class Skipped:
    entry: str
    reason: str


@dataclass(frozen=True)
class Duplicate:
    entry: str
    student: str
    notebook: str
    kept: str  # the entry installed instead


@dataclass(frozen=True)
class Conflict:
    entry: str
    student: str
    path: str
    reason: str


@dataclass
class IntakeReport:
    zip: str
    assignment: str
    matched: list[Matched] = field(default_factory=list)
    duplicates: list[Duplicate] = field(default_factory=list)
    unmatched: list[Skipped] = field(default_factory=list)
    refused: list[Skipped] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=1)

    def summary(self) -> str:
        """One line for logs and the terminal."""
        late = sum(m.late for m in self.matched)
        return (
            f"{self.zip}: {len(self.matched)} matched ({late} late), "
            f"{len(self.duplicates)} duplicates, {len(self.unmatched)} unmatched, "
            f"{len(self.refused)} refused, {len(self.conflicts)} conflicts"
        )
