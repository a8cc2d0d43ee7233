"""autograder.reports: the wide table (one row per student) and its totals."""

from __future__ import annotations

import csv

from autograder.reports import wide_table, write_tables


def _row(student, assignment, notebook, grade_id, points, max_points=2.0):
    return {
        "student": student,
        "assignment": assignment,
        "notebook": notebook,
        "grade_id": grade_id,
        "points": points,
        "max_points": max_points,
        "status": "passed" if points == max_points else "failed",
        "hint": "",
        "message": "",
        "notebook_status": "ok",
        "notebook_message": "",
        "integrity": "",
        "title": grade_id,
    }


ROWS = [
    _row("ann", "l1", "A", "x", 2.0),
    _row("ann", "l1", "A", "y", 1.0),
    _row("ann", "l2", "B", "z", 0.0),
    _row("bob", "l1", "A", "x", 0.0),
    _row("bob", "l2", "B", "z", 2.0),
]


def test_wide_table_columns_and_totals():
    header, table = wide_table(ROWS)
    assert header == [
        "student",
        "l1/A/x",
        "l1/A/y",
        "l2/B/z",
        "l1/A total",
        "l2/B total",
        "l1 total",
        "l2 total",
        "total",
    ]
    ann, bob = table
    assert ann == ["ann", 2.0, 1.0, 0.0, 3.0, 0.0, 3.0, 0.0, 3.0]
    assert bob[:4] == ["bob", 0.0, "", 2.0]  # no row for l1/A/y: empty, not a zero
    assert bob[-1] == 2.0


def test_write_tables_writes_the_wide_csv(tmp_path):
    write_tables(ROWS, tmp_path)
    with (tmp_path / "grades-wide.csv").open(encoding="utf-8") as fh:
        lines = list(csv.reader(fh))
    assert lines[0][0] == "student" and lines[0][-1] == "total"
    assert lines[1] == ["ann", "2", "1", "0", "3", "0", "3", "0", "3"]
