"""Visible tests show every mistake kind they can (issue 7, "state every convention").

The visible part of each grade cell (above `### BEGIN HIDDEN TESTS`) runs in-process on the
model answers with one function replaced by a mutant: a mistake that breaks a stated
convention (dtype, different ranks, size 1 along `dim`, a zero row in the second argument)
must already fail a visible test, before any hidden check.
"""

from __future__ import annotations

import matplotlib
import pytest
from conftest import ROOT, read

from autograder.assemble import nbgrader_meta
from autograder.demo import strip_markers
from autograder.mutants import all_mutants

matplotlib.use("Agg")
L2 = ROOT / "source" / "l2_dot_product" / "L-2-dot-product-similarity.ipynb"
MUTANTS = {m.name: m for m in all_mutants()}

# (mutant, the grade cell whose visible part must catch it)
SHOWN = [
    ("dot__float32_accumulator", "test_dot_values"),
    ("dot__float64_accumulator", "test_dot_values"),
    ("dot__sum_over_rank_of_a", "test_dot_values"),
    ("angle_between__no_clamp", "test_angle_between_values"),
    ("cosine_similarity__norms_before_broadcast", "test_cosine_similarity_broadcast_dim"),
    ("cosine_similarity__no_eps", "test_cosine_similarity_zero_vector"),
    ("pairwise_cosine__eps_on_A_only", "test_pairwise_cosine_values"),
    ("top_k_retrieve__k_not_clamped", "test_top_k_retrieve_large_k"),
]


def _visible(source: str) -> str:
    return source.split("### BEGIN HIDDEN TESTS", 1)[0]


def _namespace(replace: str = "") -> dict:
    nb = read(L2)
    namespace: dict = {}
    setup = next(c for c in nb.cells if c.cell_type == "code" and "import torch" in c.source)
    exec(compile(setup.source, "<setup>", "exec"), namespace)
    for cell in nb.cells:
        if nbgrader_meta(cell).get("solution"):
            exec(compile(strip_markers(cell.source), "<answer>", "exec"), namespace)
    if replace:
        exec(compile(MUTANTS[replace].source(), f"<{replace}>", "exec"), namespace)
    return namespace


def _grade_cell(grade_id: str) -> str:
    cell = next(c for c in read(L2).cells if nbgrader_meta(c).get("grade_id") == grade_id)
    return _visible(cell.source)


def test_model_answers_pass_every_visible_test():
    namespace = _namespace()
    for cell in read(L2).cells:
        if nbgrader_meta(cell).get("grade"):
            exec(compile(_visible(cell.source), nbgrader_meta(cell)["grade_id"], "exec"), namespace)


@pytest.mark.parametrize(("mutant", "grade_id"), SHOWN, ids=[m for m, _ in SHOWN])
def test_visible_test_shows_the_mistake(mutant, grade_id):
    namespace = _namespace(mutant)
    with pytest.raises((AssertionError, RuntimeError)):
        exec(compile(_grade_cell(grade_id), grade_id, "exec"), namespace)
