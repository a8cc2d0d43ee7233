"""End to end: `autograder demo` releases, builds a class, grades it — check every outcome.

One demo run (a module fixture) serves all tests: model answer full marks, untouched release
zero, mutants partial with hints, a correct alternative and a noisy-but-correct answer full
marks, an edited locked cell graded on the original test; gradebook, tables and feedback
agree; feedback leaks nothing; submissions are never modified.
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections import defaultdict

import pytest
from conftest import ROOT
from test_release import model_answer_lines, reference_lines

from autograder import checks
from autograder.demo import build_class, run_demo
from autograder.grade import grade_class
from autograder.gradebook import totals
from autograder.release import release_assignments


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo") / "class"
    rows = run_demo(ROOT, out, workers=2)
    return out, rows


def _scores(rows):
    got, total = defaultdict(float), defaultdict(float)
    for r in rows:
        got[r["student"]] += r["points"]
        total[r["student"]] += r["max_points"]
    return got, total


def test_class_outcomes(demo):
    _, rows = demo
    got, total = _scores(rows)
    assert got["model-answer"] == total["model-answer"] > 0
    assert got["untouched"] == 0
    assert got["noisy-correct"] == total["noisy-correct"], "stderr output or a warning cost points"
    for student in got:
        if student.startswith("alternative-"):
            assert got[student] == total[student], student
        if student.startswith("mistake-") or student == "tampered":
            assert 0 < got[student] < total[student], student


def test_mistakes_get_their_hint(demo):
    _, rows = demo
    for r in rows:
        if r["student"].startswith("mistake-") and r["status"] == "failed":
            assert r["hint"], f"{r['student']} {r['grade_id']} lost points without a hint"


def test_untouched_gets_no_mistake_hints(demo):
    """An untouched stub is "not implemented yet", never a known mistake."""
    _, rows = demo
    untouched = [r for r in rows if r["student"] == "untouched"]
    assert untouched and all(r["hint"].startswith("还没有实现 `") for r in untouched)
    assert all("还没有实现" in r["message"] for r in untouched)


def test_cascade_names_the_broken_helper_in_tables_and_feedback(demo):
    """Issue 7: a broken `dot` fails the cells that call it; their hint names `dot` first."""
    out, rows = demo
    student = "mistake-sum_over_rank_of_a"
    mine = {r["grade_id"]: r for r in rows if r["student"] == student}
    assert mine["test_dot_values"]["status"] == "failed"
    assert not mine["test_dot_values"]["hint"].startswith("你的")
    angle = mine["test_angle_between_values"]
    want = "你的 `angle_between` 调用了 `dot`，而 `dot` 未通过它自己的检查：先修好 `dot`"
    assert angle["points"] == 0 and angle["hint"].startswith(want)
    with (out / "grades.csv").open(encoding="utf-8") as fh:
        assert any(
            r["student"] == student and r["hint"].startswith(want) for r in csv.DictReader(fh)
        )
    html = next((out / "feedback" / student).rglob("*.html")).read_text(encoding="utf-8")
    assert "你的 `angle_between` 调用了 `dot`" in html


def test_tampered_locked_cell_graded_on_original_test(demo):
    out, rows = demo
    cos = [r for r in rows if r["student"] == "tampered" and "cosine_similarity" in r["grade_id"]]
    assert cos and all(r["points"] == 0 for r in cos)
    html = next((out / "feedback" / "tampered").rglob("*.html")).read_text(encoding="utf-8")
    assert "edited locked cell" in html


def test_gradebook_matches_tables(demo):
    out, rows = demo
    got, _ = _scores(rows)
    for assignment in {r["assignment"] for r in rows}:
        book = totals(f"sqlite:///{out / 'gradebook.db'}", assignment)
        for student, score in book.items():
            mine = sum(
                r["points"]
                for r in rows
                if r["student"] == student and r["assignment"] == assignment
            )
            assert score == pytest.approx(mine)
    with (out / "grades.csv").open(encoding="utf-8") as fh:
        table = list(csv.DictReader(fh))
    assert len(table) == len(rows)
    assert set(table[0]) >= {
        "student",
        "assignment",
        "notebook",
        "grade_id",
        "points",
        "max_points",
        "status",
        "hint",
    }
    assert (
        json.loads((out / "grades.json").read_text(encoding="utf-8"))[0].keys() == table[0].keys()
    )


def test_one_row_per_student_notebook_grade_cell(demo):
    _, rows = demo
    keys = [(r["student"], r["assignment"], r["notebook"], r["grade_id"]) for r in rows]
    assert len(keys) == len(set(keys))
    n_cells = len({(r["assignment"], r["notebook"], r["grade_id"]) for r in rows})
    assert n_cells == len(checks.all_checks())


def test_feedback_never_shows_hidden_tests_or_answers(demo):
    out, _ = demo
    pages = list((out / "feedback").rglob("*.html"))
    assert pages
    answers, refs = model_answer_lines(), reference_lines()
    for page in pages:
        text = page.read_text(encoding="utf-8")
        for marker in ("HIDDEN TESTS", "BEGIN SOLUTION", "autograder", 'check("'):
            assert marker not in text, f"{marker} in {page}"
        assert not any(line in text for line in answers | refs), page


def test_regrading_never_modifies_submissions(tmp_path):
    release_dir = tmp_path / "release"
    release_assignments(ROOT, release_dir)
    build_class(ROOT / "source", release_dir, tmp_path / "submitted")
    keep = {"model-answer", "tampered"}
    for student in (tmp_path / "submitted").iterdir():
        if student.name not in keep:
            for f in sorted(student.rglob("*"), reverse=True):
                f.unlink() if f.is_file() else f.rmdir()
            student.rmdir()
    # a notebook that is not JSON at all: a clear status, the batch goes on
    broken = tmp_path / "submitted" / "broken" / "l2_dot_product"
    broken.mkdir(parents=True)
    (broken / "L-2-dot-product-similarity.ipynb").write_text("{not json", encoding="utf-8")
    before = {
        p: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in (tmp_path / "submitted").rglob("*")
        if p.is_file()
    }
    rows = grade_class(
        ROOT, tmp_path / "submitted", tmp_path / "out", workers=2, release_dir=release_dir
    )
    after = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in before}
    assert before == after
    assert {r["status"] for r in rows if r["student"] == "broken"} == {"malformed"}
    got, total = _scores(rows)
    assert got["model-answer"] == total["model-answer"]
