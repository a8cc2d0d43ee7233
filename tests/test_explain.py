"""course/explain.py: Chinese explanations of a student's exception, shared by the judge and
`course check`."""

from __future__ import annotations

import re

import pytest
import torch

from course.explain import describe_inputs, error_type, explain_error, is_unimplemented

CHINESE = re.compile(r"[\u4e00-\u9fff]")


def _raised(fn) -> str:
    try:
        fn()
    except Exception as exc:  # the recorded form, as course.evidence.run_case writes it
        return f"{type(exc).__name__}: {exc}"
    raise AssertionError("did not raise")


def test_unimplemented_names_the_function() -> None:
    assert explain_error("NotImplementedError: ", "dot").startswith("还没有实现 `dot`")
    assert is_unimplemented("NotImplementedError") and not is_unimplemented("ValueError: x")


@pytest.mark.parametrize(
    ("call", "expected"),
    [
        (lambda: torch.arange(3.0).topk(5), "min(k, n)"),
        (lambda: torch.ones(3) + torch.ones(4), "广播"),
        (lambda: torch.ones(2, 3) @ torch.ones(2, 3), "转置"),
        (lambda: torch.ones(3).sum(dim=1), "维数"),
        (lambda: torch.ones(2, dtype=torch.float64) @ torch.ones(2), "dtype"),
    ],
)
def test_torch_errors_are_explained(call, expected) -> None:
    """Real torch messages (this torch version) map to the right explanation."""
    assert expected in explain_error(_raised(call))


def test_unknown_error_still_gets_a_pointer() -> None:
    text = explain_error("KeyError: 'x'")
    assert CHINESE.search(text) and "形状" in text
    assert error_type("RuntimeError: a: b") == "RuntimeError"


def test_describe_inputs() -> None:
    text = describe_inputs(
        [torch.zeros(4, 6), torch.zeros(6, dtype=torch.float64), 3], {"dim": -1}, ["a", "b"]
    )
    assert text == "a: (4, 6) float32, b: (6,) float64, arg2: 3, dim=-1"
