"""L-1, L0 and L+1: the visible tests show every mistake they can (CONTRIBUTING.md §2, rule 4).

In-process, no kernel (L-2 and L-3 have their own, older lists of mistakes per grade cell in
test_visible_tests.py and test_visible_representation.py): the setup cell and the model answers
run once; each wrong mutant replaces its function and the visible part of that function's
grade cells runs. Every wrong mutant must fail some visible test, except the ones listed in
NOT_VISIBLE with the reason a visible test cannot show them. The model answer must pass every
visible test.
"""

from __future__ import annotations

import contextlib
import io

import matplotlib
import pytest
from conftest import ROOT, read

from autograder.assemble import nbgrader_meta
from autograder.mutants import llm_essence, math_foundations, pretrain_finetune

matplotlib.use("Agg")
LEVELS = {
    "l1_math": ("L-1-math-foundations", math_foundations.MUTANTS),
    "l4_llm_essence": ("L0-llm-model-essence", llm_essence.MUTANTS),
    "l5_pretrain_finetune": ("Lp1-pretraining-and-finetuning", pretrain_finetune.MUTANTS),
}
# mutant -> why no visible test can show it (the hidden checks do)
FORBIDDEN_ONLY = "its only fault is a forbidden built-in, which the hidden check blocks"
NOT_VISIBLE = {
    "softmax__builtin": FORBIDDEN_ONLY,
    "entropy__uses_categorical": FORBIDDEN_ONLY,
    "cross_entropy_logits__uses_log_softmax": FORBIDDEN_ONLY,
    "matmul__operator": FORBIDDEN_ONLY,
    "linear__uses_F_linear": FORBIDDEN_ONLY,
}
pytestmark = [
    pytest.mark.usefixtures("one_thread"),
    pytest.mark.filterwarnings("ignore::UserWarning"),
]


@pytest.fixture(scope="module", params=sorted(LEVELS))
def notebook(request) -> tuple[str, dict, dict[str, str]]:
    slug = request.param
    nb = read(ROOT / "source" / slug / f"{LEVELS[slug][0]}.ipynb")
    namespace: dict = {}
    with contextlib.redirect_stdout(io.StringIO()):
        exec(nb.cells[1].source, namespace)  # the setup cell
    visible = {}
    for cell in nb.cells:
        meta = nbgrader_meta(cell)
        if meta.get("solution"):
            exec(cell.source, namespace)
        if meta.get("grade"):
            visible[meta["grade_id"]] = cell.source.split("### BEGIN HIDDEN TESTS")[0]
    return slug, namespace, visible


def _run(source: str, namespace: dict) -> None:
    with contextlib.redirect_stdout(io.StringIO()):
        exec(source, dict(namespace))


def _cells_of(function: str, visible: dict[str, str]) -> list[str]:
    return [
        src
        for gid, src in visible.items()
        if gid == f"test_{function}" or gid.startswith(f"test_{function}_")
    ]


def test_model_answer_passes_every_visible_test(notebook) -> None:
    _, namespace, visible = notebook
    assert visible
    for source in visible.values():
        _run(source, namespace)


def test_wrong_mutants_fail_a_visible_test(notebook) -> None:
    slug, namespace, visible = notebook
    survivors = []
    for mutant in LEVELS[slug][1]:
        if mutant.correct or mutant.name in NOT_VISIBLE:
            continue
        mutated = dict(namespace)
        exec(mutant.source(), mutated)
        cells = _cells_of(mutant.function, visible)
        assert cells, f"{mutant.function} has no grade cell"
        failed = 0
        for source in cells:
            try:
                _run(source, mutated)
            except Exception:  # an AssertionError with the Chinese message, or the mutant's error
                failed += 1
        if not failed:
            survivors.append(f"{mutant.name} ({mutant.why})")
    assert survivors == [], "pass every visible test of their function"


def test_waivers_name_real_mutants() -> None:
    names = {m.name for _, mutants in LEVELS.values() for m in mutants}
    assert set(NOT_VISIBLE) <= names
