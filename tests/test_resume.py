"""Grading is resumable and idempotent, and one student can be regraded alone."""

from __future__ import annotations

import copy

import nbformat
import pytest
from conftest import ROOT, read

from autograder.demo import model_answer
from autograder.grade import STATE_FILE, grade_class
from autograder.mutants import all_mutants
from autograder.release import release_assignments

SLUG, NAME = "l2_dot_product", "L-2-dot-product-similarity"


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("resume")
    release_dir = tmp / "release"
    release_assignments(ROOT, release_dir)
    answer = model_answer(
        read(ROOT / "source" / SLUG / f"{NAME}.ipynb"), read(release_dir / SLUG / f"{NAME}.ipynb")
    )
    for student in ("ann", "bob"):
        folder = tmp / "submitted" / student / SLUG
        folder.mkdir(parents=True)
        nbformat.write(answer, folder / f"{NAME}.ipynb")
    return tmp, release_dir, answer


def _run(course, **kwargs):
    tmp, release_dir, _ = course
    seen = []
    rows = grade_class(
        ROOT,
        tmp / "submitted",
        tmp / "out",
        workers=2,
        release_dir=release_dir,
        on_progress=lambda job, outcome, reused: seen.append((job.student, reused)),
        **kwargs,
    )
    return rows, sorted(seen)


def _score(rows, student):
    return sum(r["points"] for r in rows if r["student"] == student)


def test_resume_regrade_and_force(course):
    tmp, _, answer = course
    rows, seen = _run(course)
    assert seen == [("ann", False), ("bob", False)]
    assert _score(rows, "ann") == _score(rows, "bob") == 20
    assert (tmp / "out" / STATE_FILE).is_file()

    rows, seen = _run(course)  # nothing changed: nothing is run again, same tables
    assert seen == [("ann", True), ("bob", True)]
    assert _score(rows, "bob") == 20

    wrong = copy.deepcopy(answer)  # bob resubmits a mistake: only bob is graded again
    mutant = next(m for m in all_mutants() if m.name == "cosine_similarity__one_sided")
    for cell in wrong.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "cosine_similarity":
            cell.source = mutant.source()
    nbformat.write(wrong, tmp / "submitted" / "bob" / SLUG / f"{NAME}.ipynb")
    rows, seen = _run(course)
    assert seen == [("ann", True), ("bob", False)]
    assert _score(rows, "ann") == 20 and _score(rows, "bob") == 15

    rows, seen = _run(course, students={"ann"})  # one student alone, the other kept
    assert seen == [("ann", False)]
    assert _score(rows, "bob") == 15 and len({r["student"] for r in rows}) == 2

    _, seen = _run(course, force=True)
    assert seen == [("ann", False), ("bob", False)]
