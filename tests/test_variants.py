"""autograder/variants.py: case variants and the case checklist.

Each helper derives the class of inputs that issue 7's wrong answers slipped through: size 1
anywhere, different ranks, the special value in each argument, float64.
"""

from __future__ import annotations

import pytest
import torch

from autograder import checks
from autograder.check import Case, Check
from autograder.variants import (
    CHECKLIST,
    as_dtype,
    checklist,
    derive,
    drop_leading,
    size_one,
    special_in_each_arg,
    swap_args,
)

A = torch.arange(12.0).reshape(3, 4)
B = torch.arange(12.0, 24.0).reshape(3, 4)
BASE = Case("base", (A, B))


def shapes(case: Case) -> list[tuple]:
    return [tuple(a.shape) for a in case.args if isinstance(a, torch.Tensor)]


def dot(a, b):
    return (a * b).sum(-1)


def test_size_one_per_argument_and_together() -> None:
    got = {c.name: shapes(c) for c in size_one(BASE)}
    assert got == {
        "base|arg0.dim0=1": [(1, 4), (3, 4)],
        "base|arg0.dim1=1": [(3, 1), (3, 4)],
        "base|arg1.dim0=1": [(3, 4), (1, 4)],
        "base|arg1.dim1=1": [(3, 4), (3, 1)],
        "base|all.dim-1=1": [(3, 1), (3, 1)],
        "base|all.dim-2=1": [(1, 4), (1, 4)],
    }
    kept = {c.name for c in size_one(BASE, skip_last=1)}
    assert kept == {"base|arg0.dim0=1", "base|arg1.dim0=1", "base|all.dim-2=1"}
    assert {c.name for c in size_one(BASE, per_arg=False)} == {
        "base|all.dim-1=1",
        "base|all.dim-2=1",
    }


def test_variants_are_copies_not_views() -> None:
    variant = size_one(BASE)[0]
    assert variant.args[0].untyped_storage().size() == 4 * 4  # one row, not the whole storage
    variant.args[0].fill_(-1.0)
    assert A.min() == 0.0


def test_drop_leading_gives_different_ranks_in_each_argument() -> None:
    assert [shapes(c) for c in drop_leading(BASE)] == [[(4,), (3, 4)], [(3, 4), (4,)]]


def test_special_value_in_each_argument_in_turn() -> None:
    first, second = special_in_each_arg(BASE, 0.0, index=1)
    assert (first.args[0][1] == 0).all() and (first.args[1] != 0).all()
    assert (second.args[1][1] == 0).all() and (second.args[0][1] != 0).all()
    assert A[1].abs().sum() > 0  # the original is untouched
    (vec,) = special_in_each_arg(Case("v", (torch.ones(3),)), float("-inf"))
    assert torch.isinf(vec.args[0]).all()


def test_swap_and_dtype() -> None:
    (swapped,) = swap_args(BASE)
    assert swapped.args[0] is B and swapped.args[1] is A
    (f64,) = as_dtype(BASE, torch.float64)
    assert all(a.dtype == torch.float64 for a in f64.args) and f64.name == "base|float64"
    assert as_dtype(f64, torch.float64) == []
    assert as_dtype(Case("ints", (torch.arange(3),)), torch.float64) == []


def test_derive_keeps_what_the_reference_accepts_once() -> None:
    def strict_dot(a, b):  # a contract with equal shapes only
        if a.shape != b.shape:
            raise ValueError("shapes differ")
        return dot(a, b)

    assert {c.name for c in derive([BASE], strict_dot, dtypes=())} == {
        "base|all.dim-1=1",
        "base|all.dim-2=1",
    }
    names = [c.name for c in derive([BASE], dot, skip_last=1, special=0.0)]
    assert len(names) == len(set(names))
    assert "base|arg0[0]" in names and "base|float64" in names and "base|arg1[0]=0.0" in names
    # non-finite reference output (the variance of one sample) is not a valid input either
    assert all(
        "dim-2" not in c.name for c in derive([BASE], lambda a, b: dot(a, b).var(), ranks=False)
    )


def test_derive_skips_graded_cases_for_shape_changes() -> None:
    graded = Case("g", (A, B), graded=torch.ones(3, dtype=torch.bool))
    assert [c.name for c in derive([graded], dot)] == ["g|float64"]


def test_issue7_dot_with_rank_of_a_is_caught_by_a_derived_case() -> None:
    """`(a * b).sum(dim=a.dim() - 1)` passed every hand-written case; a derived one fails it."""
    check = Check("T/dot/values", "dot", "点积", 1.0, lambda g: [BASE, *derive([BASE], dot)], dot)
    assert not check.run(lambda a, b: (a * b).sum(dim=a.dim() - 1)).passed
    assert check.run(lambda a, b: (a * b).sum(-1)).passed


def test_checklist_flags_missing_items_and_honours_waivers() -> None:
    thin = Check("T/dot/values", "dot", "点积", 1.0, lambda g: [Case("x", (A, B))], dot)
    assert checklist(thin) == ["float64", "size_one", "ranks"]
    waived = Check(
        "T/dot/values",
        "dot",
        "点积",
        1.0,
        lambda g: [Case("x", (A, B))],
        dot,
        waivers={"ranks": "both (n, d) by contract", "size_one": "n/a", "float64": "n/a"},
    )
    assert checklist(waived) == []


@pytest.mark.parametrize("check", list(checks.all_checks().values()), ids=lambda c: c.id)
def test_every_check_passes_the_checklist(check: Check) -> None:
    assert checklist(check) == [], f"{check.id}: add cases (autograder.variants) or a waiver"
    for item, why in check.waivers.items():
        assert item in CHECKLIST and why.strip(), f"{check.id}: waiver {item!r} needs a reason"
