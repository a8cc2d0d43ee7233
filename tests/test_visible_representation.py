"""L-3's visible tests show every convention its checks enforce (authoring.md, issue 7 §2).

Each L-3 mutant is pasted into the notebook's namespace and the *visible* part of each of its
grade cells is run: a correct alternative passes every visible test; a wrong mutant fails at
least one (forbidden shortcuts excepted: the visible tests cannot block built-ins).
"""

from __future__ import annotations

import contextlib
import io

import pytest
from conftest import ROOT, read

from autograder.assemble import nbgrader_meta
from autograder.mutants import representation

NOTEBOOK = ROOT / "source" / "l3_representation" / "L-3-representation-learning.ipynb"
FORBIDDEN_SHORTCUTS = {"one_hot__uses_builtin", "pca__uses_lowrank"}

pytestmark = pytest.mark.usefixtures("one_thread")


def _cells() -> tuple[str, dict[str, str]]:
    nb = read(NOTEBOOK)
    setup = next(c.source for c in nb.cells if nbgrader_meta(c).get("grade_id") == "setup")
    visible = {
        nbgrader_meta(c)["grade_id"]: c.source.split("### BEGIN HIDDEN TESTS")[0]
        for c in nb.cells
        if nbgrader_meta(c).get("grade")
    }
    return setup, visible


SETUP, VISIBLE = _cells()


def _visible_failures(mutant) -> list[str]:
    namespace: dict = {}
    with contextlib.redirect_stdout(io.StringIO()):
        exec(compile(SETUP, "<setup>", "exec"), namespace)
        exec(compile(mutant.source(), f"<{mutant.name}>", "exec"), namespace)
        failed = []
        for grade_id, source in VISIBLE.items():
            if not grade_id.startswith(f"test_{mutant.function}_"):
                continue
            try:
                exec(compile(source, grade_id, "exec"), dict(namespace))
            except Exception:  # noqa: BLE001 (any failure of the visible part counts)
                failed.append(grade_id)
    return failed


@pytest.mark.parametrize("mutant", representation.MUTANTS, ids=lambda m: m.name)
def test_visible_tests_separate_mutants(mutant):
    failed = _visible_failures(mutant)
    if mutant.correct:
        assert failed == [], f"{mutant.name} is correct but fails visible tests {failed}"
    elif mutant.name not in FORBIDDEN_SHORTCUTS:
        assert failed, f"{mutant.name} ({mutant.why}) passes every visible test"
