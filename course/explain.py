"""Chinese explanations for errors raised by a student's function (报错说明).

Shared by both sides of the course: the judge (hidden checks, feedback, grades.csv) and
`course check` (the student's own tool) explain an exception the same way. An explanation
names where to look, never the answer:

    >>> explain_error("NotImplementedError: ", function="dot")
    '还没有实现 `dot`：删掉 `raise NotImplementedError()`，在 YOUR CODE HERE 处写上你的实现。'
    >>> describe_inputs([torch.zeros(4, 6), torch.zeros(6)], {"dim": -1}, names=["a", "b"])
    'a: (4, 6) float32, b: (6,) float32, dim=-1'

The table matches torch's own messages (torch 2.x wording); an unknown error still gets a
generic pointer to the shapes. This module is student-facing and ships in the student
edition: it never imports the instructor-side grading package.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = [
    "dependency_hint",
    "describe_inputs",
    "error_type",
    "explain_error",
    "is_unimplemented",
]

# (exception type or "", regex on the message, explanation). First match wins.
_RULES: tuple[tuple[str, str, str], ...] = (
    (
        "RuntimeError",
        r"Error\(s\) in loading state_dict",
        "载入权重失败：参数的名字或形状与给定的 state_dict 不一致。保留练习给出的 __init__"
        "（参数名与 TinyGPT 的 Block 相同：ln1.weight、attn.q_proj.weight、mlp.fc.weight 等），"
        "不要另加参数或持久的 buffer。",
    ),
    (
        "RuntimeError",
        r"selected index k out of range|k \(\d+\) is too big|out of range for",
        "k 超过了那一维的长度：例如 topk 的 k 大于条数 n 时，要先取 min(k, n)。",
    ),
    (
        "RuntimeError",
        r"must match the size of tensor|shape .* doesn't match the broadcast shape",
        "两个张量的形状不能广播（broadcasting）：检查你在哪一维求和、是否转置、"
        "是否假设了输入的维数（如用 a.dim() 而不是 -1 指最后一维）。",
    ),
    (
        "RuntimeError",
        r"cannot be multiplied|size mismatch|Expected size for first two dimensions",
        "矩阵乘法的内侧维度对不上：看看是不是少了或多了一次转置（transpose(-2, -1)）。",
    ),
    (
        "RuntimeError",
        r"expected scalar type|expected .*dtype|Found dtype",
        "两个张量的 dtype 不一致（例如 float32 与 float64 混用）：新建张量时用输入的 "
        "dtype（如 torch.zeros(..., dtype=a.dtype)）。",
    ),
    (
        "RuntimeError",
        r"does not require grad|element 0 of tensors does not require grad",
        "计算图断了：是否用了 .detach()、.item()、numpy 或 torch.no_grad()？",
    ),
    (
        "RuntimeError",
        r"a leaf Variable that requires grad|modified by an inplace operation",
        "原地（in-place）操作改了需要梯度的张量：改用不带下划线的版本（如 x = x * s 而不是 x *= s）。",
    ),
    (
        "IndexError",
        r"Dimension out of range",
        "维度下标超出范围：输入的维数可能比你假设的少（例如 1 维向量没有 dim=1）。",
    ),
    ("IndexError", r"", "下标越界：检查循环范围和切片，尤其是长度为 1 或 0 的维度。"),
    (
        "TypeError",
        r"",
        "参数或返回值的类型不对：看看传进来的是 Tensor 还是 Python 数，返回的是否是 Tensor。",
    ),
    (
        "ForbiddenCall",
        r"",
        "用了本题禁止的函数：请按题目要求用更基础的运算自己实现。",
    ),
    ("ZeroDivisionError", r"", "除以了零：零向量、空集合或长度为 0 的维度要单独处理。"),
    ("AttributeError", r"", "对象没有这个属性：检查变量是不是你以为的类型（Tensor、数字或列表）。"),
    ("NameError", r"", "用到了没有定义的名字：是否先运行了定义它的单元格？名字拼写对吗？"),
)

_GENERIC = "看看报错发生在哪一行，并对照上面的输入形状逐步检查中间结果的形状和 dtype。"


def error_type(error: str) -> str:
    """'RuntimeError: boom' -> 'RuntimeError' (the recorded form of an exception)."""
    return str(error).split(":", 1)[0].strip()


def is_unimplemented(error: str) -> bool:
    return error_type(error) == "NotImplementedError"


def explain_error(error: str, function: str = "") -> str:
    """A Chinese sentence on where to look for `error` ("<Type>: <message>")."""
    kind = error_type(error)
    if kind == "NotImplementedError":
        name = f"`{function}`" if function else "这个函数"
        return (
            f"还没有实现 {name}：删掉 `raise NotImplementedError()`，"
            "在 YOUR CODE HERE 处写上你的实现。"
        )
    message = str(error).split(":", 1)[1] if ":" in str(error) else ""
    for rule_type, pattern, text in _RULES:
        if rule_type == kind and re.search(pattern, message):
            return text
    return _GENERIC


def _describe(value: Any) -> str:
    shape, dtype = getattr(value, "shape", None), getattr(value, "dtype", None)
    if shape is not None and dtype is not None:
        return f"{tuple(shape)} {str(dtype).removeprefix('torch.')}"
    if isinstance(value, bool | int | float | str) or value is None:
        return repr(value)
    return type(value).__name__


def describe_inputs(
    args: Sequence[Any], kwargs: Mapping[str, Any] | None = None, names: Sequence[str] = ()
) -> str:
    """'a: (4, 6) float32, b: (6,) float32, dim=-1': shapes and dtypes of one call's inputs.

    `names` are the positional parameters' names (missing ones are shown as arg0, arg1, ...).
    """
    names = list(names)
    parts = [
        f"{names[i] if i < len(names) else f'arg{i}'}: {_describe(a)}" for i, a in enumerate(args)
    ]
    parts += [f"{k}={_describe(v)}" for k, v in (kwargs or {}).items()]
    return ", ".join(parts)


def dependency_hint(function: str, broken: Sequence[str]) -> str:
    """'你的 `angle_between` 调用了 `dot`，而 `dot` 未通过它自己的检查：先修好 `dot`。'"""
    names = "、".join(f"`{b}`" for b in broken)
    who = f"`{function}`" if function else "函数"
    return f"你的 {who} 调用了 {names}，而 {names} 未通过它自己的检查：先修好 {names}。"
