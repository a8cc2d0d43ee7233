"""Every mutant against every check of its function, in-process (authoring.md, "Mutants").

A wrong mutant must lose points in at least one check, and show its oracle's hint where the
mutant names one; a correct alternative must keep full points everywhere. The catalogue must
hold at least 4 wrong and 2 correct mutants per graded function, and every oracle of every
check must be hit by some wrong mutant (no dead oracle).
"""

from __future__ import annotations

import functools
import inspect
import math
from collections import Counter

import pytest
import torch
import torch.nn.functional as F  # noqa: N812
from torch import Tensor

from autograder import checks
from autograder.check import Verdict
from autograder.mutants import Mutant, all_mutants

# scaled_dot_product_attention__k_dot_T uses .T on a batched tensor on purpose
pytestmark = [
    pytest.mark.filterwarnings("ignore:The use of `x.T`:UserWarning"),
    pytest.mark.usefixtures("one_thread"),
]

MUTANTS = all_mutants()
BY_NAME = {m.name: m for m in MUTANTS}
WRONG = [m for m in MUTANTS if not m.correct]
CORRECT = [m for m in MUTANTS if m.correct]
GRADED = sorted({c.function for c in checks.all_checks().values()})
NOTEBOOK_GLOBALS = {"torch": torch, "math": math, "F": F, "Tensor": Tensor}


@functools.cache
def verdicts(name: str) -> tuple[Verdict, ...]:
    mutant = BY_NAME[name]
    return tuple(check.run(mutant.fn) for check in checks.for_function(mutant.function))


def _describe(vs: tuple[Verdict, ...]) -> str:
    return "\n".join(
        f"{v.check_id}: {v.points}/{v.max_points} oracle={v.oracle!r} "
        f"{[(f.case, f.reason) for f in v.failures]}"
        for v in vs
    )


# ---- the catalogue ---------------------------------------------------------------------------


def test_names_are_unique_and_prefixed() -> None:
    counts = Counter(m.name for m in MUTANTS)
    assert not [n for n, c in counts.items() if c > 1], "duplicate mutant names"
    for m in MUTANTS:
        assert m.name.startswith(f"{m.function}__"), m.name
        assert m.why, f"{m.name}: say in one line what it does"
        assert not (m.correct and m.oracle), f"{m.name}: a correct mutant has no oracle"


def test_every_mutant_stands_in_for_a_graded_function() -> None:
    assert {m.function for m in MUTANTS} <= set(GRADED)


@pytest.mark.parametrize("function", GRADED)
def test_enough_mutants_per_graded_function(function: str) -> None:
    wrong = [m.name for m in WRONG if m.function == function]
    correct = [m.name for m in CORRECT if m.function == function]
    assert len(wrong) >= 4, f"{function}: only {len(wrong)} wrong mutants: {wrong}"
    assert len(correct) >= 2, f"{function}: only {len(correct)} correct mutants: {correct}"


@pytest.mark.parametrize("function", GRADED)
def test_no_dead_oracle(function: str) -> None:
    """Every oracle of every check of `function` is the verdict of some wrong mutant."""
    declared = {o.name for c in checks.for_function(function) for o in c.oracles}
    seen = {v.oracle for m in WRONG if m.function == function for v in verdicts(m.name)}
    assert declared - seen == set(), f"{function}: oracles no wrong mutant triggers"
    named = {m.oracle for m in WRONG if m.function == function and m.oracle}
    assert named <= declared, f"{function}: mutants name unknown oracles {named - declared}"


# ---- each mutant ---------------------------------------------------------------------------


@pytest.mark.parametrize("mutant", WRONG, ids=lambda m: m.name)
def test_wrong_mutant_loses_points(mutant: Mutant) -> None:
    vs = verdicts(mutant.name)
    assert vs, f"no check grades {mutant.function}"
    failing = [v for v in vs if v.points < v.max_points]
    assert failing, f"{mutant.name} survives every check ({mutant.why}):\n{_describe(vs)}"
    for v in failing:
        assert not v.passed and v.points == 0.0
    if not mutant.oracle:
        return
    matched = [v for v in failing if v.oracle == mutant.oracle]
    assert matched, (
        f"{mutant.name}: no failing check shows oracle {mutant.oracle!r}:\n{_describe(vs)}"
    )
    for v in matched:
        hints = {o.name: o.hint for o in checks.get(v.check_id).oracles}
        assert v.hint == hints[mutant.oracle]
        assert v.hint and v.hint in v.message()


@pytest.mark.parametrize("mutant", CORRECT, ids=lambda m: m.name)
def test_correct_mutant_keeps_full_points(mutant: Mutant) -> None:
    vs = verdicts(mutant.name)
    assert vs, f"no check grades {mutant.function}"
    assert all(v.passed and v.points == v.max_points for v in vs), _describe(vs)


@pytest.mark.parametrize("mutant", MUTANTS, ids=lambda m: m.name)
def test_source_is_a_solution_cell(mutant: Mutant) -> None:
    """source() defines the student function, compiles, and needs only the notebook globals."""
    src = mutant.source()
    assert f"def {mutant.function}(" in src or f"class {mutant.function}(" in src
    assert f"def {mutant.name}(" not in src and f"class {mutant.name}(" not in src
    namespace = dict(NOTEBOOK_GLOBALS)
    exec(compile(src, f"<mutant {mutant.name}>", "exec"), namespace)
    pasted = namespace[mutant.function]
    # the pasted cell behaves like the mutant itself (so it uses no other global)
    for check, v in zip(checks.for_function(mutant.function), verdicts(mutant.name), strict=True):
        again = check.run(pasted)
        assert (again.points, again.oracle) == (v.points, v.oracle), check.id


@pytest.mark.parametrize("mutant", MUTANTS, ids=lambda m: m.name)
def test_signature_matches_reference(mutant: Mutant) -> None:
    reference = checks.for_function(mutant.function)[0].reference

    def shape(fn):
        return [(p.name, p.kind, p.default) for p in inspect.signature(fn).parameters.values()]

    assert shape(mutant.fn) == shape(reference)
