"""Case variants: derive the inputs a check's hand-written cases leave untried.

Wrong answers that pass every case usually hide in a *class* of valid inputs nobody wrote a
case for: a size-1 dimension (a batch of one, one query, size 1 along `dim`), inputs of
different ranks that broadcast (`(d,)` with `(n, d)`), the special value in the *second*
argument, float64. Each helper here turns one `Case` into such variants; `derive` applies
them to a list of cases in one line and keeps only the variants the reference accepts:

    def _cosine_cases(gen):
        base = [Case("batched", (_randn(gen, 4, 6), _randn(gen, 4, 6)))]
        return base + derive(base, ref.cosine_similarity, special=0.0)

`checklist(check)` lists what a check's cases still leave untried (CHECKLIST below); the
test suite requires an empty list for every registered check, or a waiver with a reason in
`Check.waivers`. CONTRIBUTING.md explains the rules.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import torch

from autograder.check import Case

if TYPE_CHECKING:
    from autograder.check import Check

__all__ = [
    "CHECKLIST",
    "as_dtype",
    "checklist",
    "derive",
    "drop_leading",
    "size_one",
    "special_in_each_arg",
    "swap_args",
]

# What every check's cases must contain (or waive with a reason in Check.waivers).
CHECKLIST = {
    "float64": "a case whose floating inputs are float64 (the output keeps the input dtype)",
    "float32": "a case whose floating inputs are float32",
    "size_one": "a tensor input with a dimension of size 1 (batch of one, one key, dim of 1)",
    "ranks": "a case whose tensor inputs have different ranks that broadcast ((d,) with (n, d))",
}


def _tensor_positions(case: Case, args: Iterable[int] | None) -> list[int]:
    wanted = None if args is None else set(args)
    return [
        i
        for i, a in enumerate(case.args)
        if isinstance(a, torch.Tensor) and (wanted is None or i in wanted)
    ]


def _with_arg(case: Case, i: int, value: torch.Tensor, suffix: str) -> Case:
    new_args = list(case.args)
    new_args[i] = value.clone()
    return replace(case, name=f"{case.name}|{suffix}", args=tuple(new_args))


def size_one(
    case: Case, args: Iterable[int] | None = None, per_arg: bool = True, skip_last: int = 0
) -> list[Case]:
    """Size 1 in every dimension that can have it, one argument at a time and all together.

    With `per_arg`, one variant per (tensor argument, dimension of size > 1): that dimension
    sliced to its first entry (a (4, 7) `a` gives `a` (1, 7) and (4, 1)); then one variant
    per dimension counted from the right (broadcasting alignment) with every tensor argument
    sliced there (a batch of one). `skip_last` trailing dimensions are never sliced (a
    feature dimension `d` the contract requires equal). Cases with a `graded` mask are
    skipped (their output shape changes).
    """
    if case.graded is not None:
        return []
    positions = _tensor_positions(case, args)
    out = []
    for i in positions if per_arg else ():
        t = case.args[i]
        for d in range(t.dim() - skip_last):
            if t.shape[d] > 1:
                out.append(_with_arg(case, i, t.narrow(d, 0, 1), f"arg{i}.dim{d}=1"))
    max_rank = max((case.args[i].dim() for i in positions), default=0)
    for k in range(1 + skip_last, max_rank + 1):  # dimension -k of every argument that has it
        new_args, changed = list(case.args), False
        for i in positions:
            t = case.args[i]
            if t.dim() >= k and t.shape[-k] > 1:
                new_args[i], changed = t.narrow(t.dim() - k, 0, 1).clone(), True
        if changed:
            out.append(replace(case, name=f"{case.name}|all.dim-{k}=1", args=tuple(new_args)))
    return out


def drop_leading(case: Case, args: Iterable[int] | None = None) -> list[Case]:
    """Different ranks: each tensor argument of rank >= 2 loses its first dimension in turn.

    (n, d) with (n, d) gives (d,) with (n, d) and (n, d) with (d,): the shapes that catch
    "the last dimension is a.dim() - 1" and "both inputs have the same rank".
    """
    if case.graded is not None:
        return []
    return [
        _with_arg(case, i, case.args[i][0], f"arg{i}[0]")
        for i in _tensor_positions(case, args)
        if case.args[i].dim() >= 2
    ]


def special_in_each_arg(
    case: Case, value: float | bool, index: int = 0, args: Iterable[int] | None = None
) -> list[Case]:
    """The special value (0.0 for a zero vector, -inf, False for a masked row) in each
    argument in turn: row `index` of every tensor argument of rank >= 2 (the whole tensor of
    a 1-D one) is set to `value`, one argument per variant."""
    out = []
    for i in _tensor_positions(case, args):
        t = case.args[i].clone()
        if t.dim() == 0:
            continue
        if t.dim() >= 2:
            t[index % t.shape[0]] = value
        else:
            t[...] = value
        out.append(_with_arg(case, i, t, f"arg{i}[{index}]={value}"))
    return out


def swap_args(case: Case, i: int = 0, j: int = 1) -> list[Case]:
    """Arguments i and j exchanged (symmetric functions: the special row moves to the other)."""
    new_args = list(case.args)
    new_args[i], new_args[j] = new_args[j], new_args[i]
    return [replace(case, name=f"{case.name}|swap{i}{j}", args=tuple(new_args))]


def _cast(value: Any, dtype: torch.dtype) -> Any:
    if isinstance(value, torch.Tensor) and value.is_floating_point():
        return value.to(dtype)
    return value


def as_dtype(case: Case, dtype: torch.dtype) -> list[Case]:
    """Every floating tensor input cast to `dtype` (none if there is nothing to change)."""
    floats = [
        v
        for v in (*case.args, *case.kwargs.values())
        if isinstance(v, torch.Tensor) and v.is_floating_point()
    ]
    if not floats or all(v.dtype == dtype for v in floats):
        return []
    return [
        replace(
            case,
            name=f"{case.name}|{str(dtype).removeprefix('torch.')}",
            args=tuple(_cast(a, dtype) for a in case.args),
            kwargs={k: _cast(v, dtype) for k, v in case.kwargs.items()},
        )
    ]


def _signature(case: Case, kind: str) -> tuple:
    def sig(v: Any) -> Any:
        if isinstance(v, torch.Tensor):
            return ("T", tuple(v.shape), str(v.dtype))
        return ("V", repr(v))

    change = case.name.rsplit("|", 1)[-1]  # what the variant changed, e.g. "arg1[0]=0.0"
    return (
        kind,
        change,
        tuple(sig(a) for a in case.args),
        tuple((k, sig(v)) for k, v in sorted(case.kwargs.items())),
    )


def _finite(value: Any) -> bool:
    if isinstance(value, torch.Tensor):
        return not value.is_floating_point() or bool(torch.isfinite(value).all())
    if isinstance(value, list | tuple):
        return all(_finite(v) for v in value)
    return not isinstance(value, float) or value == value and abs(value) != float("inf")


def _accepted(reference: Callable, case: Case) -> bool:
    """The reference runs on the variant and gives finite values (e.g. no variance of n=1)."""
    try:
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # e.g. var() of one sample: dropped anyway
            return _finite(reference(*case.args, **case.kwargs))
    except Exception:  # not a valid input of this function: no variant
        return False


def derive(
    cases: Sequence[Case],
    reference: Callable,
    *,
    sizes: bool = True,
    per_arg: bool = True,
    skip_last: int = 0,
    ranks: bool = True,
    dtypes: Sequence[torch.dtype] = (torch.float64,),
    special: float | bool | None = None,
    special_index: int = 0,
    swap: bool = False,
    args: Iterable[int] | None = None,
) -> list[Case]:
    """The variants of `cases` that the reference accepts, without structural duplicates.

    sizes, per_arg, skip_last: `size_one`; ranks: `drop_leading`; dtypes: `as_dtype` for each; special: the value
    for `special_in_each_arg` (None: none); swap: `swap_args(0, 1)`; args: which positional
    arguments to vary (default: every tensor argument). A variant on which the reference
    raises, or which gives a NaN or inf, is not a valid input and is dropped (so are inputs
    the reference accepts but the exercise's contract excludes: choose the helpers that fit
    the contract, e.g. `ranks=False` when both inputs are (n, d) by contract); two variants of the same kind with the same
    shapes, dtypes and other arguments are kept once. Names are "<case>|<what changed>".
    """
    args = None if args is None else list(args)
    makers: list[tuple[str, Callable[[Case], list[Case]]]] = []
    if sizes:
        makers.append(("size_one", lambda c: size_one(c, args, per_arg, skip_last)))
    if ranks:
        makers.append(("ranks", lambda c: drop_leading(c, args)))
    for dtype in dtypes:
        makers.append((f"dtype{dtype}", lambda c, dtype=dtype: as_dtype(c, dtype)))
    if special is not None:
        makers.append(("special", lambda c: special_in_each_arg(c, special, special_index, args)))
    if swap:
        makers.append(("swap", lambda c: swap_args(c)))
    seen = {_signature(c, "base") for c in cases}
    names = {c.name for c in cases}
    out = []
    for case in cases:
        for kind, make in makers:
            for variant in make(case):
                key = _signature(variant, kind)
                if key in seen or variant.name in names or not _accepted(reference, variant):
                    continue
                seen.add(key)
                names.add(variant.name)
                out.append(variant)
    return out


def checklist(check: Check) -> list[str]:
    """The CHECKLIST items `check`'s cases leave untried and do not waive, e.g. ["float64"]."""
    cases = check.build_cases()
    tensors = [
        [v for v in (*c.args, *c.kwargs.values()) if isinstance(v, torch.Tensor)] for c in cases
    ]
    floats = {t.dtype for ts in tensors for t in ts if t.is_floating_point()}
    missing = []
    if floats and torch.float64 not in floats:
        missing.append("float64")
    if floats and torch.float32 not in floats:
        missing.append("float32")
    if not any(1 in t.shape for ts in tensors for t in ts):
        missing.append("size_one")
    multi = [ts for ts in tensors if len(ts) >= 2]
    if multi and not any(len({t.dim() for t in ts}) > 1 for ts in multi):
        missing.append("ranks")
    return [m for m in missing if m not in check.waivers]
