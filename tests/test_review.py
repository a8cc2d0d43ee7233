"""Autograded notebooks an instructor can review, and that leak nothing when nbgrader turns
them into feedback.

Unit: `reviewable` on the L-2 release notebook with made-up verdicts. Demo class: every grade
cell shows its released test and the verdict; nbgrader's own generate_feedback (formgrader's
"Generate feedback" button) renders pages without hidden tests or reference code.
"""

from __future__ import annotations

import json

import nbformat
import pytest
from conftest import ROOT, read
from nbgrader.apps import NbGraderAPI
from nbgrader.coursedir import CourseDirectory
from test_release import model_answer_lines, reference_lines
from traitlets.config.loader import PyFileConfigLoader

from autograder.assemble import nbgrader_meta
from autograder.review import NO_FIGURES, reviewable

SLUG, NAME = "l2_dot_product", "L-2-dot-product-similarity"
LEAK_MARKERS = ("HIDDEN TESTS", "BEGIN SOLUTION", "autograder", 'check("', "_course_record")
pytestmark = pytest.mark.filterwarnings("ignore::sqlalchemy.exc.SAWarning")


def _grade_ids(nb):
    return [nbgrader_meta(c)["grade_id"] for c in nb.cells if nbgrader_meta(c).get("grade")]


def _result(gid, status, points=0.0, hint="", message=""):
    return {
        "grade_id": gid,
        "title": f"标题 {gid}",
        "points": points,
        "max_points": 2.0,
        "status": status,
        "hint": hint,
        "message": message,
    }


def test_reviewable_shows_released_tests_and_verdicts():
    release = read(ROOT / "release" / SLUG / f"{NAME}.ipynb")
    source = read(ROOT / "source" / SLUG / f"{NAME}.ipynb")
    gids = _grade_ids(release)
    results = [_result(gids[0], "passed", 2.0)] + [
        _result(g, "failed", hint="提示 <b>x</b>", message="用例 'a' 不一致") for g in gids[1:]
    ]
    integrity = ["edited locked cell '<img src=x onerror=alert(1)>': restored"]
    sums = {gids[0]: "abc"}
    nb = reviewable(None, release, "s1", results, "tampered", "review", integrity, sums)
    summary = nb.cells[0]
    assert summary.cell_type == "markdown" and "tampered" in summary.source
    assert "<img" not in summary.source, "student-controlled text must be inert"
    released = {nbgrader_meta(c).get("grade_id"): c.source for c in release.cells}
    hidden = {nbgrader_meta(c).get("grade_id"): c.source for c in source.cells}
    for cell in nb.cells[1:]:
        gid = nbgrader_meta(cell).get("grade_id")
        if not gid:
            continue
        assert cell.source == released[gid]
        if gid in gids:
            assert cell.source != hidden[gid], "the released test, not the hidden one"
            (out,) = cell.outputs
            if gid == gids[0]:
                assert out.output_type == "stream" and "2 / 2" in out.text
                assert nbgrader_meta(cell)["checksum"] == "abc"
            else:
                assert out.output_type == "error"
                text = "\n".join(out.traceback)
                assert "用例 'a' 不一致" in text and "提示 <b>x</b>" in text and "0 / 2" in text


@pytest.fixture(scope="module")
def autograded(graded_demo):
    out, rows = graded_demo
    return (
        out,
        rows,
        {
            s: read(out / "autograded" / s / SLUG / f"{NAME}.ipynb")
            for s in {r["student"] for r in rows if r["assignment"] == SLUG}
        },
    )


def test_every_demo_notebook_is_reviewable(autograded):
    _, rows, books = autograded
    release = read(ROOT / "release" / SLUG / f"{NAME}.ipynb")
    released = {nbgrader_meta(c).get("grade_id"): c.source for c in release.cells}
    for student, nb in books.items():
        mine = {
            r["grade_id"]: r for r in rows if r["student"] == student and r["assignment"] == SLUG
        }
        assert f"{sum(r['points'] for r in mine.values()):g} / 20" in nb.cells[0].source
        for cell in nb.cells:
            gid = nbgrader_meta(cell).get("grade_id")
            if gid in mine:
                r = mine[gid]
                assert cell.source == released[gid], (student, gid)
                text = json.dumps(cell.outputs, ensure_ascii=False)
                assert f"{r['points']:g} / {r['max_points']:g}" in text
                if r["status"] != "passed":
                    assert r["message"] in text
                if r["hint"]:
                    assert r["hint"] in text
        raw = nbformat.writes(nb)
        for marker in LEAK_MARKERS:
            assert marker not in raw, (student, marker)
        assert not reference_lines() & {ln.strip() for ln in raw.replace("\\n", "\n").splitlines()}
    assert "edited locked cell" in books["tampered"].cells[0].source


def test_outputs_of_student_cells_are_kept_and_missing_figures_explained(autograded):
    _, _, books = autograded
    nb = books["model-answer"]
    outputs = [o for c in nb.cells[1:] if c.cell_type == "code" for o in c.outputs]
    assert {o.output_type for o in outputs} == {"stream"}, "prints kept, no error anywhere"
    solution_outputs = [o for c in nb.cells if nbgrader_meta(c).get("solution") for o in c.outputs]
    plain = [
        o for c in nb.cells if not nbgrader_meta(c) and c.cell_type == "code" for o in c.outputs
    ]
    assert plain, "the narrative cells' prints are kept"
    assert not solution_outputs or all(o.output_type == "stream" for o in solution_outputs)
    images = [o for o in outputs if any(k.startswith("image/") for k in o.get("data", {}))]
    # L-2 calls plt.show() in three cells: either the figures are there or the summary says why
    assert images or NO_FIGURES in nb.cells[0].source


def test_nbgrader_feedback_from_autograded_leaks_nothing(autograded, tmp_path):
    out, rows, _ = autograded
    cfg = PyFileConfigLoader("nbgrader_config.py", path=str(out)).load_config()
    cfg.CourseDirectory.feedback_directory = str(tmp_path / "nbfeedback")  # keep ours intact
    api = NbGraderAPI(coursedir=CourseDirectory(config=cfg), config=cfg)
    answers = model_answer_lines()
    for student in ("untouched", "tampered"):
        result = api.generate_feedback(SLUG, student)
        assert result["success"], result.get("log")
        page = (tmp_path / "nbfeedback" / student / SLUG / f"{NAME}.html").read_text("utf-8")
        for marker in LEAK_MARKERS:
            assert marker not in page, (student, marker)
        lines = {ln.strip() for ln in page.splitlines()}
        assert not (answers | reference_lines()) & lines, student
        for r in rows:
            if r["student"] == student and r["assignment"] == SLUG and r["hint"]:
                assert r["hint"] in page  # the comment and the verdict reach the student
