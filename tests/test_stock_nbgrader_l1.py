"""L-1 with stock nbgrader: `nbgrader autograde` scores the in-kernel checks of L-1.

One autograde run (a whole notebook costs seconds of CPU): the model answers with
`kl_divergence` swapped for a mutant that computes KL(q‖p). It must lose exactly the three KL
grade cells (2 + 2 + 1 points) and keep every other point, which also shows that every other
model answer passes its in-kernel check under stock nbgrader. The same structure as
tests/test_stock_nbgrader.py (L-2), kept in its own module so that levels can be added
without touching each other's tests; the model answer's full marks are also proven by nbval
and `autograder demo`.
"""

from __future__ import annotations

import copy
import shutil

import nbformat
import pytest
from conftest import ROOT, read
from nbgrader.api import Gradebook
from nbgrader.apps import NbGraderAPI
from nbgrader.coursedir import CourseDirectory

from autograder import checks
from autograder.assemble import nbgrader_meta
from autograder.demo import model_answer
from autograder.mutants import all_mutants
from autograder.release import nbgrader_config, release_assignments

SLUG, NAME = "l1_math", "L-1-math-foundations"
MUTANT = "kl_divergence__reversed"
# nbgrader's own autograde trips SQLAlchemy's autoflush warning; not ours to fix
pytestmark = pytest.mark.filterwarnings("ignore::sqlalchemy.exc.SAWarning")


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    root = tmp_path_factory.mktemp("stock_l1")
    shutil.copytree(ROOT / "source" / SLUG, root / "source" / SLUG)
    db_url = f"sqlite:///{root / 'gradebook.db'}"
    release_assignments(root)
    answer = model_answer(
        read(root / "source" / SLUG / f"{NAME}.ipynb"),
        read(root / "release" / SLUG / f"{NAME}.ipynb"),
    )
    wrong = copy.deepcopy(answer)
    mutant = next(m for m in all_mutants() if m.name == MUTANT)
    for cell in wrong.cells:
        if nbgrader_meta(cell).get("grade_id") == mutant.function:
            cell.source = mutant.source()
    for student, nb in (("wrong", wrong),):
        folder = root / "submitted" / student / SLUG
        folder.mkdir(parents=True)
        nbformat.write(nb, folder / f"{NAME}.ipynb")
    cfg = nbgrader_config(root, db_url=db_url)
    api = NbGraderAPI(coursedir=CourseDirectory(config=cfg), config=cfg)
    assert api.generate_assignment(SLUG)["success"]
    for student in ("wrong",):
        with Gradebook(db_url) as gb:
            gb.update_or_create_student(student)
        result = api.autograde(SLUG, student)
        assert result["success"], result.get("log")
    return root, db_url


def test_stock_autograde_scores_l1(course):
    _, db_url = course
    total = sum(c.points for c in checks.all_checks().values() if c.id.startswith("L-1/"))
    kl = sum(c.points for c in checks.for_function("kl_divergence"))
    with Gradebook(db_url) as gb:
        wrong = gb.find_submission(SLUG, "wrong").score
    assert (total, kl) == (39, 5)
    assert wrong == total - kl  # only the three KL grade cells fail
