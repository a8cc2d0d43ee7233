"""The gradebook rows `autograder grade` leaves, read back with nbgrader's own Gradebook.

Unit tests on a hand-built gradebook (manual cells, an instructor's manual score, comments,
flags, time zones), then the demo class: every grade, comment, flag, timestamp and checksum as
nbgrader's autograde would leave them, and `nbgrader export`'s CSV telling the same story.
"""

from __future__ import annotations

import csv
from datetime import datetime, timedelta, timezone

import nbformat
import pytest
from nbgrader.api import Gradebook
from nbgrader.plugins import CsvExportPlugin
from nbgrader.utils import parse_utc

from autograder import checks
from autograder.assemble import nbgrader_meta
from autograder.demo import DEMO_DUE
from autograder.gradebook import (
    comment_text,
    read_timestamp,
    store_due_date,
    store_timestamps,
    write_scores,
)

SLUG, NAME = "l2_dot_product", "L-2-dot-product-similarity"
pytestmark = pytest.mark.filterwarnings("ignore::sqlalchemy.exc.SAWarning")

CHECK = next(iter(checks.all_checks().values()))


@pytest.fixture
def book(tmp_path):
    """A one-notebook gradebook: solution cell `answer` defining CHECK.function, its test
    cell `test_auto` (2 points) and a hand-graded cell `essay` (3 points)."""
    db_url = f"sqlite:///{tmp_path / 'gradebook.db'}"
    with Gradebook(db_url) as gb:
        gb.add_assignment("a1")
        gb.add_notebook("nb", "a1")
        gb.add_solution_cell("answer", "nb", "a1")
        stub = f"def {CHECK.function}(x):\n    raise NotImplementedError()\n"
        gb.add_source_cell("answer", "nb", "a1", cell_type="code", source=stub, checksum="s1")
        gb.add_grade_cell("test_auto", "nb", "a1", max_score=2, cell_type="code")
        gb.add_source_cell("test_auto", "nb", "a1", cell_type="code", locked=True, checksum="s2")
        gb.add_grade_cell("essay", "nb", "a1", max_score=3, cell_type="markdown")
        gb.add_solution_cell("essay", "nb", "a1")
        gb.add_source_cell("essay", "nb", "a1", cell_type="markdown", checksum="s3")
    return db_url


def _row(grade_id, points, max_points, status, check_id="", hint="", message="", nb_status="ok"):
    return {
        "student": "s1",
        "assignment": "a1",
        "notebook": "nb",
        "grade_id": grade_id,
        "check_id": check_id,
        "title": f"title of {grade_id}",
        "points": points,
        "max_points": max_points,
        "status": status,
        "hint": hint,
        "message": message,
        "notebook_status": nb_status,
    }


def test_rows_as_stock_autograde_leaves_them(book):
    rows = [
        _row("test_auto", 0.0, 2.0, "failed", CHECK.id, "提示文字", "用例 'x' 数值不一致"),
        _row("essay", 0.0, 3.0, "manual", nb_status="tampered"),
    ]
    write_scores(book, rows)
    with Gradebook(book) as gb:
        auto = gb.find_grade("test_auto", "nb", "a1", "s1")
        assert (auto.auto_score, auto.needs_manual_grade) == (0.0, False)
        essay = gb.find_grade("essay", "nb", "a1", "s1")
        assert essay.auto_score is None and essay.needs_manual_grade, "a human must grade it"
        comment = gb.find_comment("answer", "nb", "a1", "s1").auto_comment
        assert "用例 'x' 数值不一致" in comment and "提示文字" in comment and "0 / 2" in comment
        nb = gb.find_submission_notebook("nb", "a1", "s1")
        assert nb.flagged is True


def test_a_manual_score_stays_for_review_and_flags_stay(book):
    write_scores(book, [_row("test_auto", 2.0, 2.0, "passed", CHECK.id, nb_status="tampered")])
    with Gradebook(book) as gb:
        gb.find_grade("test_auto", "nb", "a1", "s1").manual_score = 1.0
        gb.db.commit()
    write_scores(book, [_row("test_auto", 2.0, 2.0, "passed", CHECK.id)])  # regraded: clean
    with Gradebook(book) as gb:
        grade = gb.find_grade("test_auto", "nb", "a1", "s1")
        assert grade.needs_manual_grade, "nbgrader's rule: a hand score keeps the cell for review"
        assert grade.score == 1.0  # the instructor's score wins, as in formgrader
        assert gb.find_submission_notebook("nb", "a1", "s1").flagged, "never cleared by us"


def test_comment_lists_every_check_with_reason_and_hint():
    text = comment_text(
        [
            _row("t1", 2.0, 2.0, "passed", "c1"),
            _row("t2", 0.0, 1.0, "failed", "c2", hint="除以两个长度", message="用例 'zero' NaN"),
        ]
    )
    lines = text.splitlines()
    assert lines[0].endswith("2 / 3")
    assert lines[1].startswith("✓") and "[t1]" in lines[1]
    assert lines[2].startswith("✗") and "(failed)" in lines[2]
    assert "用例 'zero' NaN" in lines[3] and "除以两个长度" in lines[4]


def test_timestamps_and_due_date_in_utc(book, tmp_path):
    folder = tmp_path / "submitted" / "s1" / "a1"
    folder.mkdir(parents=True)
    (folder / "timestamp.txt").write_text("2026-12-02T09:30:00+08:00", encoding="utf-8")
    stamp = read_timestamp(folder)
    assert stamp == datetime(2026, 12, 2, 1, 30)  # nbgrader keeps naive UTC
    # read exactly as formgrader reads it (NbGraderAPI.get_submitted_timestamp: parse_utc)
    assert stamp == parse_utc((folder / "timestamp.txt").read_text(encoding="utf-8"))
    assert read_timestamp(tmp_path) is None  # no file: no timestamp, as nbgrader
    (tmp_path / "timestamp.txt").write_text("not a time", encoding="utf-8")
    assert read_timestamp(tmp_path) is None
    store_timestamps(book, {("s1", "a1"): stamp})
    store_due_date(book, ["a1"], datetime(2026, 12, 2, 0, 0, tzinfo=timezone(timedelta(hours=-5))))
    with Gradebook(book) as gb:
        sub = gb.find_submission("a1", "s1")
        assert sub.timestamp == stamp
        assert sub.duedate == datetime(2026, 12, 2, 5, 0)
        assert sub.total_seconds_late == 0
    store_timestamps(book, {("s1", "a1"): datetime(2026, 12, 2, 7, 0, tzinfo=timezone.utc)})
    with Gradebook(book) as gb:
        assert gb.find_submission("a1", "s1").total_seconds_late == 2 * 3600


# ---- the demo class ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo_book(graded_demo):
    out, rows = graded_demo
    return out, rows, f"sqlite:///{out / 'gradebook.db'}"


def test_every_grade_as_judged_and_none_needs_manual_grading(demo_book):
    _, rows, db_url = demo_book
    with Gradebook(db_url) as gb:
        for r in rows:
            grade = gb.find_grade(r["grade_id"], r["notebook"], r["assignment"], r["student"])
            assert grade.auto_score == r["points"], (r["student"], r["grade_id"])
            assert grade.needs_manual_grade is False, (r["student"], r["grade_id"])
        for sub in gb.assignment_submissions(SLUG):
            assert sub.needs_manual_grade is False, sub.student.id


def test_only_the_tampered_notebook_is_flagged(demo_book):
    _, rows, db_url = demo_book
    with Gradebook(db_url) as gb:
        flagged = {nb.student.id for nb in gb.notebook_submissions(NAME, SLUG) if nb.flagged}
    assert flagged == {
        r["student"] for r in rows if r["notebook_status"] == "tampered" and r["assignment"] == SLUG
    }
    assert flagged == {"tampered"}


def test_timestamps_and_lateness_as_nbgrader_reads_them(demo_book):
    out, _, db_url = demo_book
    with Gradebook(db_url) as gb:
        assert gb.find_assignment(SLUG).duedate == parse_utc(DEMO_DUE)
        for sub in gb.assignment_submissions(SLUG):
            folder = out / "submitted" / sub.student.id / SLUG
            stamp = (folder / "timestamp.txt").read_text(encoding="utf-8")
            assert sub.timestamp == parse_utc(stamp), sub.student.id
            late = sub.student.id == "noisy-correct"
            assert (sub.total_seconds_late > 0) == late, sub.student.id


def test_comments_carry_reason_and_hint_of_every_check(demo_book):
    _, rows, db_url = demo_book
    with Gradebook(db_url) as gb:
        for r in rows:
            function = checks.get(r["check_id"]).function
            comment = gb.find_comment(function, r["notebook"], r["assignment"], r["student"])
            text = comment.auto_comment or ""
            assert f"[{r['grade_id']}]" in text, (r["student"], r["grade_id"])
            if r["status"] != "passed":
                assert r["message"] and r["message"] in text
            if r["hint"]:
                assert r["hint"] in text
    failed = [r for r in rows if r["student"] == "mistake-one_sided" and r["status"] == "failed"]
    assert failed and all(r["hint"] for r in failed)


def test_autograded_cells_carry_the_gradebook_checksums(demo_book):
    out, rows, db_url = demo_book
    with Gradebook(db_url) as gb:
        source = {c.name: c.checksum for c in gb.find_notebook(NAME, SLUG).source_cells}
    students = {r["student"] for r in rows if r["assignment"] == SLUG}
    for student in students:
        nb = nbformat.read(out / "autograded" / student / SLUG / f"{NAME}.ipynb", as_version=4)
        seen = {
            nbgrader_meta(c)["grade_id"]: nbgrader_meta(c).get("checksum")
            for c in nb.cells
            if nbgrader_meta(c).get("grade_id")
        }
        assert seen == {gid: source[gid] for gid in seen}, student
        assert set(seen) == set(source), student


def test_nbgrader_export_tells_the_same_story(demo_book, tmp_path):
    _, rows, db_url = demo_book
    plugin = CsvExportPlugin()
    plugin.to = str(tmp_path / "export.csv")
    with Gradebook(db_url) as gb:
        plugin.export(gb)
    with open(plugin.to, encoding="utf-8") as fh:
        exported = {
            row["student_id"]: row for row in csv.DictReader(fh) if row["assignment"] == SLUG
        }
    for student in {r["student"] for r in rows if r["assignment"] == SLUG}:
        mine = sum(r["points"] for r in rows if r["student"] == student and r["assignment"] == SLUG)
        assert float(exported[student]["score"]) == pytest.approx(mine)
        assert exported[student]["timestamp"].startswith("2026-12-01 ")
        assert exported[student]["duedate"] == "2026-12-01 15:59:00"
        # lateness as the export shows it (ISO text compares like time): ours says the same
        # (the integrity note, not the status: a late notebook can also be `tampered`)
        late = any("late by" in r["integrity"] for r in rows if r["student"] == student)
        assert (exported[student]["timestamp"] > exported[student]["duedate"]) == late, student
    assert any(r["notebook_status"] == "late" for r in rows if r["assignment"] == SLUG), (
        "the demo class has a late L-2 submission"
    )
