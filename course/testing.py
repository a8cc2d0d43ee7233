"""Visible-test helpers for the course notebooks (可见测试的小工具).

The grade cells of every notebook start with a short *visible* check that a learner can read
and run: a small, hand-checkable case. These helpers make such checks one line long and,
when they fail, raise ``AssertionError`` with a Simplified-Chinese message (English term in
brackets) that says what to look at: the shape, the dtype, a NaN, or the largest difference
and where it is.

    >>> from course.testing import assert_close, assert_shape
    >>> assert_close(dot(a, b), torch.tensor(12.0), "dot([1,2,3], [4,-5,6])")
    >>> assert_shape(attention_out, (2, 5, 4), "注意力输出")

Visible tests are a help, not the grade: the hidden checks (run by the instructor's grader)
use many more cases. This module is student-facing: it never imports the instructor-side
grading package.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NoReturn

import torch

__all__ = ["assert_close", "assert_dtype", "assert_equal", "assert_shape"]

_MAX_SHOWN = 8  # tensors with at most this many elements are printed in full


def _fail(what: str, problem: str, hint: str = "") -> NoReturn:
    message = f"{what}：{problem}"
    if hint:
        message += f"\n提示：{hint}"
    raise AssertionError(message)


def _show(t: torch.Tensor) -> str:
    """A short text for a tensor: all values when small, otherwise its shape and dtype."""
    if t.numel() <= _MAX_SHOWN:
        values = t.detach().cpu().tolist()
        if t.is_floating_point():
            values = _round(values)
        return f"{values}"
    return f"<Tensor shape={tuple(t.shape)} dtype={t.dtype}>"


def _round(values: Any) -> Any:
    if isinstance(values, list):
        return [_round(v) for v in values]
    return float(f"{values:.6g}")


def _as_tensor(value: Any, what: str, role: str) -> torch.Tensor:
    if isinstance(value, torch.Tensor):
        return value
    if value is None:
        _fail(what, f"{role}是 None——函数是不是忘了 return？(returned None)")
    if isinstance(value, bool | int | float) or (
        isinstance(value, Sequence) and not isinstance(value, str)
    ):
        try:
            return torch.tensor(value)
        except (TypeError, ValueError):
            pass
    _fail(what, f"{role}应该是 torch.Tensor，实际是 {type(value).__name__} (expected a Tensor)")


def assert_shape(t: Any, shape: Sequence[int], what: str, hint: str = "") -> None:
    """Fail unless `t` is a Tensor of exactly `shape` (use -1 for "any size" in a position)."""
    actual = _as_tensor(t, what, "结果")
    want = tuple(int(s) for s in shape)
    got = tuple(actual.shape)
    fits = len(got) == len(want) and all(w in (-1, g) for w, g in zip(want, got, strict=True))
    if not fits:
        shown = tuple("任意" if w == -1 else w for w in want)
        _fail(
            what,
            f"形状（shape）不对：期望 {shown}，得到 {got}。"
            "检查求和/归约的维度（dim）、keepdim 和广播（broadcasting）。",
            hint,
        )


def assert_dtype(t: Any, dtype: torch.dtype, what: str, hint: str = "") -> None:
    """Fail unless `t` is a Tensor of exactly `dtype` (e.g. float64 in, float64 out)."""
    actual = _as_tensor(t, what, "结果")
    if actual.dtype != dtype:
        _fail(
            what,
            f"类型（dtype）不对：期望 {dtype}，得到 {actual.dtype}。结果应保持输入的 dtype："
            "新建张量时写 dtype=输入.dtype，不要用默认的 float32，也不要换成 float64。",
            hint,
        )


def assert_close(
    actual: Any,
    expected: Any,
    what: str,
    rtol: float = 1e-5,
    atol: float = 1e-6,
    hint: str = "",
    dtype: torch.dtype | None = None,
) -> None:
    """Fail unless `actual` equals `expected` within |actual - expected| <= atol + rtol·|expected|.

    Checks, in this order, that `actual` is a Tensor (not None), has the expected shape, has
    the given `dtype` (when one is given: the convention "the output keeps the input's
    dtype"), has no NaN where the expectation has none, and then the values; the message
    names the first problem found and, for values, the largest difference and where it is.
    """
    got = _as_tensor(actual, what, "结果")
    want = _as_tensor(expected, what, "期望值")
    if not want.is_floating_point():
        want = want.to(torch.float64)
    if tuple(got.shape) != tuple(want.shape):
        _fail(
            what,
            f"形状（shape）不对：期望 {tuple(want.shape)}，得到 {tuple(got.shape)}。"
            "检查求和/归约的维度（dim）、keepdim 和广播（broadcasting）。",
            hint,
        )
    if dtype is not None:
        assert_dtype(got, dtype, what, hint)
    if got.dtype == torch.bool or got.is_complex():
        _fail(what, f"类型（dtype）不对：期望实数，得到 {got.dtype}", hint)
    g64 = got.detach().cpu().to(torch.float64)
    w64 = want.detach().cpu().to(torch.float64)
    if torch.isnan(g64).any() and not torch.isnan(w64).any():
        _fail(
            what,
            f"结果里出现了 NaN（not a number）：{_show(got)}。"
            "常见原因是除以了零（例如零向量的长度）或对超出 [-1, 1] 的数取 arccos。",
            hint,
        )
    if torch.allclose(g64, w64, rtol=rtol, atol=atol, equal_nan=True):
        return
    diff = (g64 - w64).abs().nan_to_num(float("inf"))
    worst = int(diff.reshape(-1).argmax())
    where = ""
    if g64.dim():
        index = tuple(int(i) for i in torch.unravel_index(torch.tensor(worst), g64.shape))
        where = f"，出现在索引 {index}"
    _fail(
        what,
        f"数值不对（values differ）：期望 {_show(want)}，得到 {_show(got)}；"
        f"最大误差 {diff.max().item():.3g}{where}"
        f"（容差 rtol={rtol:g}, atol={atol:g}）。",
        hint,
    )


def assert_equal(actual: Any, expected: Any, what: str, hint: str = "") -> None:
    """Fail unless `actual` is an integer/bool Tensor equal to `expected` element by element.

    For indices, counts and masks, where "close" is not good enough.
    """
    got = _as_tensor(actual, what, "结果")
    want = _as_tensor(expected, what, "期望值")
    if tuple(got.shape) != tuple(want.shape):
        _fail(what, f"形状（shape）不对：期望 {tuple(want.shape)}，得到 {tuple(got.shape)}。", hint)
    if got.is_floating_point() and not want.is_floating_point():
        _fail(
            what,
            f"类型（dtype）不对：期望整数（如 torch.int64），得到 {got.dtype}。"
            "索引请用 .indices / argsort 的结果，不要转成浮点数。",
            hint,
        )
    if not torch.equal(got.detach().cpu().to(want.dtype), want.detach().cpu()):
        _fail(what, f"结果不对：期望 {_show(want)}，得到 {_show(got)}。", hint)
