"""A small L-2 class for the grading-engine tests: model answers and one real mistake.

build_class(tmp) releases the course into tmp/release and writes tmp/submitted/<student>/…;
`scores(db_url)` reads a gradebook back with nbgrader's own Gradebook.
"""

from __future__ import annotations

import copy

import nbformat
from conftest import ROOT, read
from nbgrader.api import Gradebook

from autograder.demo import model_answer
from autograder.mutants import all_mutants
from autograder.release import release_assignments

SLUG, NAME = "l2_dot_product", "L-2-dot-product-similarity"


def build_class(tmp, students=("ann", "bob", "cyd", "dee")):
    release_dir = tmp / "release"
    release_assignments(ROOT, release_dir)
    answer = model_answer(
        read(ROOT / "source" / SLUG / f"{NAME}.ipynb"), read(release_dir / SLUG / f"{NAME}.ipynb")
    )
    wrong = copy.deepcopy(answer)
    mutant = next(m for m in all_mutants() if m.name == "cosine_similarity__one_sided")
    for cell in wrong.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "cosine_similarity":
            cell.source = mutant.source()
    for i, student in enumerate(students):
        folder = tmp / "submitted" / student / SLUG
        folder.mkdir(parents=True)
        nbformat.write(wrong if i % 2 else answer, folder / f"{NAME}.ipynb")
    return tmp / "submitted", release_dir


def scores(db_url: str) -> dict:
    """(student, notebook, grade_id) -> auto_score, as nbgrader reads the gradebook."""
    found = {}
    with Gradebook(db_url) as gb:
        for sub in gb.assignment_submissions(SLUG):
            for nb in sub.notebooks:
                for grade in nb.grades:
                    found[(sub.student.id, nb.name, grade.name)] = grade.auto_score
    return found
