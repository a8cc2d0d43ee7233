"""L-1: the visible tests show every mistake they can (CONTRIBUTING.md §2, rule 4).

In-process, no kernel: the setup cell and the model answers are executed once, then each
wrong mutant replaces its function and the visible part of that function's grade cells runs.
Every wrong mutant must fail some visible test, except those whose only fault is a forbidden
built-in (visible tests cannot block built-ins; the hidden checks do). The model answer must
pass every visible test.
"""

from __future__ import annotations

import contextlib
import io

import matplotlib
import pytest
from conftest import ROOT, read

from autograder.assemble import nbgrader_meta
from autograder.mutants.math_foundations import MUTANTS

matplotlib.use("Agg")
NOTEBOOK = ROOT / "source" / "l1_math" / "L-1-math-foundations.ipynb"
ONLY_FORBIDDEN = {
    "entropy__uses_categorical",
    "cross_entropy_logits__uses_log_softmax",
    "matmul__operator",
    "linear__uses_F_linear",
}
pytestmark = [
    pytest.mark.filterwarnings("ignore:The use of `x.T`:UserWarning"),
    pytest.mark.usefixtures("one_thread"),
]


@pytest.fixture(scope="module")
def notebook() -> tuple[dict, dict[str, str]]:
    nb = read(NOTEBOOK)
    namespace: dict = {}
    exec(nb.cells[1].source, namespace)  # the setup cell
    visible = {}
    for cell in nb.cells:
        meta = nbgrader_meta(cell)
        if meta.get("solution"):
            exec(cell.source, namespace)
        if meta.get("grade"):
            visible[meta["grade_id"]] = cell.source.split("### BEGIN HIDDEN TESTS")[0]
    return namespace, visible


def _run(source: str, namespace: dict) -> None:
    with contextlib.redirect_stdout(io.StringIO()):
        exec(source, dict(namespace))


def test_model_answer_passes_every_visible_test(notebook) -> None:
    namespace, visible = notebook
    assert len(visible) == 28
    for source in visible.values():
        _run(source, namespace)


@pytest.mark.parametrize(
    "mutant",
    [m for m in MUTANTS if not m.correct and m.name not in ONLY_FORBIDDEN],
    ids=lambda m: m.name,
)
def test_wrong_mutant_fails_a_visible_test(notebook, mutant) -> None:
    namespace, visible = notebook
    namespace = dict(namespace)
    exec(mutant.source(), namespace)
    cells = [src for gid, src in visible.items() if gid.startswith(f"test_{mutant.function}_")]
    assert cells
    failed = 0
    for source in cells:
        try:
            _run(source, namespace)
        except Exception:  # an AssertionError with the Chinese message, or the mutant's error
            failed += 1
    assert failed, f"{mutant.name} ({mutant.why}) passes every visible test of {mutant.function}"
