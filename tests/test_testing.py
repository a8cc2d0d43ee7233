"""Unit tests for course.testing: the visible-test helpers students see in grade cells."""

from __future__ import annotations

import math
import re

import pytest
import torch

from course import testing
from course.testing import assert_close, assert_dtype, assert_equal, assert_shape

CJK = re.compile(r"[\u4e00-\u9fff]")


def failure(fn, *args, **kwargs) -> str:
    """The AssertionError message of fn(*args, **kwargs); fails the test if nothing raised."""
    with pytest.raises(AssertionError) as info:
        fn(*args, **kwargs)
    return str(info.value)


# ---- assert_close ---------------------------------------------------------------------------


def test_close_passes_within_tolerance():
    assert_close(torch.tensor([1.0, 2.0]), torch.tensor([1.0, 2.0 + 1e-6]), "x")
    assert_close(torch.tensor(3.0), 3.0, "scalar against a Python float")
    assert_close(torch.tensor([[0.5]], dtype=torch.float64), [[0.5]], "nested list expected")
    assert_close(torch.tensor([1, 2]), torch.tensor([1.0, 2.0]), "integer result, float expected")


def test_close_rejects_value_difference_and_names_the_place():
    msg = failure(
        assert_close, torch.tensor([1.0, 5.0, 3.0]), torch.tensor([1.0, 2.0, 3.0]), "dot(a, b)"
    )
    assert msg.startswith("dot(a, b)")
    assert "数值不对" in msg and "values differ" in msg
    assert "(1,)" in msg  # index of the largest difference
    assert "3" in msg  # the largest difference itself


def test_close_tolerances_are_used():
    got, want = torch.tensor([1.001]), torch.tensor([1.0])
    failure(assert_close, got, want, "tight")  # default rtol=1e-5 rejects a 1e-3 error
    assert_close(got, want, "loose", rtol=1e-2)
    assert_close(got, want, "loose atol", atol=1e-2)


def test_close_rejects_wrong_shape_before_values():
    msg = failure(assert_close, torch.ones(3, 1), torch.ones(3), "cosine")
    assert "形状" in msg and "shape" in msg
    assert "(3,)" in msg and "(3, 1)" in msg


def test_close_scalar_vs_vector_is_a_shape_error():
    msg = failure(assert_close, torch.ones(1), torch.tensor(1.0), "scalar")
    assert "形状" in msg


def test_close_reports_nan():
    msg = failure(assert_close, torch.tensor([0.5, math.nan]), torch.tensor([0.5, 0.0]), "zero")
    assert "NaN" in msg and "除以了零" in msg


def test_close_accepts_nan_where_expected():
    assert_close(torch.tensor([math.nan, 1.0]), torch.tensor([math.nan, 1.0]), "nan ok")


def test_close_rejects_none_with_a_return_hint():
    msg = failure(assert_close, None, torch.tensor(1.0), "dot")
    assert "None" in msg and "return" in msg


def test_close_rejects_non_tensor_types():
    msg = failure(assert_close, "1.0", torch.tensor(1.0), "dot")
    assert "Tensor" in msg and "str" in msg


def test_close_rejects_bool_results():
    msg = failure(assert_close, torch.tensor([True]), torch.tensor([1.0]), "mask")
    assert "dtype" in msg


def test_close_appends_hint():
    msg = failure(assert_close, torch.tensor(2.0), torch.tensor(1.0), "x", hint="看看分母")
    assert msg.splitlines()[-1] == "提示：看看分母"


def test_close_large_tensors_are_summarised_not_dumped():
    got = torch.zeros(100)
    want = torch.zeros(100)
    want[42] = 1.0
    msg = failure(assert_close, got, want, "big")
    assert "shape=(100,)" in msg and "(42,)" in msg
    assert msg.count("0.0") < 10


def test_close_message_is_chinese():
    msg = failure(assert_close, torch.tensor(2.0), torch.tensor(1.0), "x")
    assert CJK.search(msg)


# ---- assert_shape ---------------------------------------------------------------------------


def test_shape_passes_and_wildcard():
    assert_shape(torch.zeros(2, 3), (2, 3), "x")
    assert_shape(torch.zeros(2, 3), [2, -1], "x")
    assert_shape(torch.tensor(1.0), (), "scalar")


def test_shape_rejects_mismatch():
    msg = failure(assert_shape, torch.zeros(3, 2), (2, 3), "pairwise")
    assert msg.startswith("pairwise")
    assert "(2, 3)" in msg and "(3, 2)" in msg and "形状" in msg


def test_shape_rejects_wrong_rank_even_with_wildcard():
    failure(assert_shape, torch.zeros(2, 3, 1), (2, -1), "rank")


def test_shape_rejects_none():
    assert "None" in failure(assert_shape, None, (2,), "x")


# ---- assert_equal ---------------------------------------------------------------------------


def test_equal_passes_for_indices():
    assert_equal(torch.tensor([2, 0, 1]), torch.tensor([2, 0, 1]), "top-k")
    assert_equal(torch.tensor([2, 0, 1]), [2, 0, 1], "top-k against a list")


def test_equal_rejects_order():
    msg = failure(assert_equal, torch.tensor([0, 1, 2]), torch.tensor([2, 1, 0]), "top-k")
    assert "[2, 1, 0]" in msg and "[0, 1, 2]" in msg


def test_equal_rejects_float_indices():
    msg = failure(assert_equal, torch.tensor([2.0, 1.0]), torch.tensor([2, 1]), "top-k")
    assert "dtype" in msg


def test_equal_rejects_shape():
    assert "形状" in failure(assert_equal, torch.tensor([[1, 2]]), torch.tensor([1, 2]), "x")


# ---- the module itself ------------------------------------------------------------------------


def test_module_documents_itself_and_never_imports_autograder():
    source = open(testing.__file__, encoding="utf-8").read()
    assert testing.__doc__ and "assert_close" in testing.__doc__
    assert not re.search(r"^\s*(from|import)\s+autograder", source, re.MULTILINE)
    assert (
        "autograder" not in source
    )  # ships in the student edition, whose leak check bans the word


def test_close_with_dtype_rejects_a_float32_accumulator_and_a_float64_result():
    """Issue 7: the dtype convention is visible; both wrong accumulators fail it."""
    a64 = torch.tensor([1e8, 1.0, -1e8], dtype=torch.float64)
    ones64 = torch.ones(3, dtype=torch.float64)
    float32_acc = (a64.float() * ones64.float()).sum()
    with pytest.raises(AssertionError, match="类型（dtype）不对"):
        assert_close(
            float32_acc, torch.tensor(1.0, dtype=torch.float64), "dot", dtype=torch.float64
        )
    float64_out = (torch.ones(3).double() * 2).sum()
    with pytest.raises(AssertionError, match="期望 torch.float32，得到 torch.float64"):
        assert_close(float64_out, torch.tensor(6.0), "dot", dtype=torch.float32)
    assert_close(
        (a64 * ones64).sum(), torch.tensor(1.0, dtype=torch.float64), "dot", dtype=torch.float64
    )


def test_assert_dtype():
    assert_dtype(torch.zeros(2, dtype=torch.float64), torch.float64, "x")
    with pytest.raises(AssertionError, match="dtype"):
        assert_dtype(torch.zeros(2), torch.float64, "x")
