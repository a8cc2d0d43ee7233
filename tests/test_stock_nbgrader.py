"""In-kernel mode works with stock nbgrader: `nbgrader validate` and `nbgrader autograde`.

The hidden call imports the check and raises on a wrong answer, so stock tools grade our
notebooks unchanged (each grade cell all or nothing; stderr output still zeroes a cell there,
which is why `autograder grade` judges evidence instead).
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
from nbgrader.validator import Validator

from autograder.assemble import nbgrader_meta
from autograder.demo import model_answer
from autograder.mutants import all_mutants
from autograder.release import nbgrader_config, release_assignments

# (assignment, notebook, mutant pasted into the "wrong" submission, full score, wrong score)
LEVELS = (
    # the three cosine grade cells (2 + 2 + 1 points) fail
    ("l2_dot_product", "L-2-dot-product-similarity", "cosine_similarity__one_sided", 20, 15),
    # the three sgns_loss grade cells (2 + 1 + 1 points) fail
    ("l3_representation", "L-3-representation-learning", "sgns_loss__negatives_sign", 20, 16),
    # the ignore_index, stability and gradient cells of next_token_loss (2 + 1 + 1) fail
    (
        "l5_pretrain_finetune",
        "Lp1-pretraining-and-finetuning",
        "next_token_loss__per_sequence_mean",
        19,
        15,
    ),
    # the two text_logprob grade cells (1 + 1 points) fail
    ("l4_llm_essence", "L0-llm-model-essence", "text_logprob__no_shift", 33, 31),
)
# nbgrader's own autograde trips SQLAlchemy's autoflush warning; not ours to fix
pytestmark = pytest.mark.filterwarnings("ignore::sqlalchemy.exc.SAWarning")


@pytest.fixture(scope="module", params=LEVELS, ids=lambda level: level[0])
def course(request, tmp_path_factory):
    SLUG, NAME, MUTANT, _, _ = request.param
    root = tmp_path_factory.mktemp("stock")
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
    for student, nb in (("right", answer), ("wrong", wrong)):
        folder = root / "submitted" / student / SLUG
        folder.mkdir(parents=True)
        nbformat.write(nb, folder / f"{NAME}.ipynb")
    cfg = nbgrader_config(root, db_url=db_url)
    api = NbGraderAPI(coursedir=CourseDirectory(config=cfg), config=cfg)
    assert api.generate_assignment(SLUG)["success"]
    for student in ("right", "wrong"):
        with Gradebook(db_url) as gb:
            gb.update_or_create_student(student)
        result = api.autograde(SLUG, student)
        assert result["success"], result.get("log")
        # nbgrader_config() swaps in autograder.overwritecells: no false alarm per hidden test
        assert "Attribute 'checksum'" not in result["log"], result["log"]
    return root, db_url, request.param


def test_stock_autograde_scores(course):
    _, db_url, (SLUG, _, _, full, partial) = course
    with Gradebook(db_url) as gb:
        right = gb.find_submission(SLUG, "right").score
        wrong = gb.find_submission(SLUG, "wrong").score
    assert right == full
    assert wrong == partial


def test_stock_validate(course):
    root, _, (SLUG, NAME, _, _, _) = course
    validator = Validator()
    good = validator.validate(str(root / "submitted" / "right" / SLUG / f"{NAME}.ipynb"))
    assert not good.get("failed") and not good.get("changed")
    bad = validator.validate(str(root / "submitted" / "wrong" / SLUG / f"{NAME}.ipynb"))
    assert bad.get("failed"), "the visible tests should fail for the pasted mutant"
