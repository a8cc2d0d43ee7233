"""Formgrader's view of a class graded by `autograder grade`, through the nbgrader_config.py it
writes and nbgrader's own NbGraderAPI (what formgrader's handlers call; no browser).

Formgrader's "Manage Submissions" page shows, per student, "needs autograding" unless the
API says autograded, else "needs manual grading" when needs_manual_grade, else "graded"
(nbgrader/server_extensions/formgrader/static/js/manage_submissions.js).
"""

from __future__ import annotations

import shutil

import pytest
from nbgrader.apps import NbGraderAPI
from nbgrader.coursedir import CourseDirectory
from nbgrader.utils import parse_utc
from traitlets.config.loader import PyFileConfigLoader

from autograder.classconfig import MARKER, write
from autograder.demo import DEMO_DUE

SLUG, NAME = "l2_dot_product", "L-2-dot-product-similarity"
pytestmark = pytest.mark.filterwarnings("ignore::sqlalchemy.exc.SAWarning")


def formgrader_status(submission: dict) -> str:
    if not submission["autograded"]:
        return "needs autograding"
    return "needs manual grading" if submission["needs_manual_grade"] else "graded"


@pytest.fixture(scope="module")
def api(graded_demo):
    """nbgrader's API on the demo class, and the demo's rows of L-2 (the class spans every
    available level; these tests look at one assignment)."""
    out, rows = graded_demo
    cfg = PyFileConfigLoader("nbgrader_config.py", path=str(out)).load_config()
    rows = [r for r in rows if r["assignment"] == SLUG]
    assert rows, "the demo class has L-2 submissions"
    return NbGraderAPI(coursedir=CourseDirectory(config=cfg), config=cfg), rows, out


def test_generated_config_points_at_the_class(api):
    nbapi, _, out = api
    text = (out / "nbgrader_config.py").read_text(encoding="utf-8")
    assert text.startswith(MARKER)
    coursedir = nbapi.coursedir
    assert coursedir.root == str(out.resolve())
    assert coursedir.db_url == f"sqlite:///{(out / 'gradebook.db').resolve()}"
    assert coursedir.submitted_directory == str((out / "submitted").resolve())
    assert "autograder.overwritecells.OverwriteCells" in text


def test_formgrader_lists_the_class_graded_with_scores_and_timestamps(api):
    nbapi, rows, out = api
    submissions = {s["student"]: s for s in nbapi.get_submissions(SLUG)}
    students = {r["student"] for r in rows}
    assert set(submissions) == students
    for student, sub in submissions.items():
        assert formgrader_status(sub) == "graded", student
        mine = [r for r in rows if r["student"] == student]
        assert sub["score"] == pytest.approx(sum(r["points"] for r in mine))
        assert sub["max_score"] == pytest.approx(sum(r["max_points"] for r in mine))
        stamp = (out / "submitted" / student / SLUG / "timestamp.txt").read_text("utf-8")
        assert sub["timestamp"] == parse_utc(stamp).isoformat(), student
        assert sub["display_timestamp"].endswith("UTC")
    assert submissions["noisy-correct"]["timestamp"] > parse_utc(DEMO_DUE).isoformat()
    assert submissions["model-answer"]["timestamp"] < parse_utc(DEMO_DUE).isoformat()


def test_formgrader_notebook_list_flags_and_failed_tests(api):
    nbapi, rows, _ = api
    listed = {s["student"]: s for s in nbapi.get_notebook_submissions(SLUG, NAME)}
    assert set(listed) == {r["student"] for r in rows}, "every notebook has its autograded file"
    for student, sub in listed.items():
        mine = [r for r in rows if r["student"] == student]
        assert sub["flagged"] == (student == "tampered"), student
        assert sub["needs_manual_grade"] is False, student
        assert sub["failed_tests"] == any(r["points"] < r["max_points"] for r in mine), student
        assert sub["score"] == pytest.approx(sum(r["points"] for r in mine))


def test_formgrader_assignment_has_the_due_date(api):
    nbapi, rows, _ = api
    assignment = nbapi.get_assignment(SLUG)
    assert assignment["duedate"] == parse_utc(DEMO_DUE).isoformat()
    assert assignment["num_submissions"] == len({r["student"] for r in rows})


def test_an_instructors_own_config_is_left_alone(tmp_path):
    mine = tmp_path / "nbgrader_config.py"
    mine.write_text("c = get_config()\n", encoding="utf-8")
    assert write(tmp_path, tmp_path, tmp_path / "submitted", "sqlite://", tmp_path) is None
    assert mine.read_text(encoding="utf-8") == "c = get_config()\n"
    mine.unlink()
    assert write(tmp_path, tmp_path, tmp_path / "submitted", "sqlite://", tmp_path) == mine
    assert write(tmp_path, tmp_path, tmp_path / "submitted", "sqlite://", tmp_path) == mine


def test_formgrader_autograde_button_on_the_class_raises_no_false_alarm(api, tmp_path):
    """Formgrader's Autograde button runs stock autograde with the generated config: on a class
    that `autograder grade` graded, no false "checksum has changed" warning (nbgrader#1961) and
    the same score as ours. Run on a copy: the demo class stays as graded."""
    _, rows, out = api
    copy = tmp_path / "class"
    shutil.copytree(out, copy, ignore=shutil.ignore_patterns("feedback"))
    cfg = PyFileConfigLoader("nbgrader_config.py", path=str(out)).load_config()
    cfg.CourseDirectory.root = str(copy)
    cfg.CourseDirectory.submitted_directory = str(copy / "submitted")
    cfg.CourseDirectory.db_url = f"sqlite:///{copy / 'gradebook.db'}"
    nbapi = NbGraderAPI(coursedir=CourseDirectory(config=cfg), config=cfg)
    result = nbapi.autograde(SLUG, "model-answer", force=True)
    assert result["success"], result.get("log")
    assert "checksum" not in result["log"], result["log"]
    ours = sum(r["points"] for r in rows if r["student"] == "model-answer")
    assert nbapi.get_submission(SLUG, "model-answer")["score"] == pytest.approx(ours)
