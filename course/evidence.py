"""Call-and-record: run a student's function on given cases and keep only plain results.

This is the kernel half of every hidden check. It is told *what* to call and *on what* by a
plain "spec" dict (tensors, numbers, strings) and answers with a plain "record" dict. It knows
nothing about references, tolerances or points; those stay with the judge (the instructor's grading process).

    spec   = {"format": 1, "check": "L-2/angle_between/values", "function": "angle_between",
              "forbidden": ["torch.nn.functional.cosine_similarity"],
              "watch": ["dot", "cosine_similarity"],
              "cases": [{"name": "batched", "args": [a, b], "kwargs": {}, "grad": [0]}]}
    record = {"format": 1, "check": ..., "results": [
                 {"ok": True, "value": <plain tensor | number | list>, "grads": [<tensor | None>],
                  "calls": ["dot"]},
                 {"ok": False, "error": "ZeroDivisionError: ...", "calls": []}]}

`watch` names the notebook's other graded functions; `calls` says which of them the student's
function called during that case (traced by swapping the names in the student's globals for
recording wrappers while the call runs). The judge uses it for dependency-aware hints: "your
`angle_between` calls `dot`, and `dot` fails its own checks: fix `dot` first".

Two callers:
* in-kernel mode, the hidden test's `check(...)` calls `run_cases` directly;
* judged mode, the grading engine rewrites each hidden test to `record(check_id, fn)`, which
  reads the spec from `$COURSE_EVIDENCE_DIR/<id>.inputs.pt` and writes `<id>.outputs.pt`.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import torch
from torch.overrides import TorchFunctionMode

FORMAT = 1
EVIDENCE_DIR_ENV = "COURSE_EVIDENCE_DIR"
GRAD_WEIGHT_SEED = 20240601  # fixed upstream-gradient weights: d(sum(w * out))/d(input)


class ForbiddenCall(RuntimeError):
    """Raised when a student's function calls a built-in that its exercise forbids."""


def file_stem(check_id: str) -> str:
    """'L-2/cosine_similarity/values' -> 'L-2__cosine_similarity__values' (a safe file name)."""
    return check_id.replace("/", "__")


def _resolve(dotted: str) -> tuple[Any, str]:
    """'torch.nn.functional.softmax' -> (torch.nn.functional module, 'softmax')."""
    parts = dotted.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        try:
            owner: Any = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for name in parts[cut:-1]:
            owner = getattr(owner, name)
        return owner, parts[-1]
    raise ValueError(f"cannot resolve {dotted!r}")


class _ForbidMode(TorchFunctionMode):
    """Catches forbidden torch functions however they are reached (aliases, torch._C, `@`)."""

    def __init__(self, blocked: dict[int, str]):
        super().__init__()
        self.blocked = blocked

    def __torch_function__(self, func, types, args=(), kwargs=None):
        name = self.blocked.get(id(func))
        if name is not None:
            raise ForbiddenCall(f"本题禁止使用 {name} (forbidden in this exercise)")
        return func(*args, **(kwargs or {}))


@contextlib.contextmanager
def forbid(names: list[str], fn: Callable | None = None) -> Iterator[None]:
    """Make each dotted built-in in `names` raise ForbiddenCall while the block runs.

    Two layers: the public attributes (and their aliases in the student's globals, e.g. after
    `from torch.nn.functional import cosine_similarity as cs`) are replaced, and a torch
    function mode refuses the same function objects when reached by any other path.
    """
    saved: list[tuple[Any, str, Any]] = []

    def blocker(name: str) -> Callable:
        def _blocked(*args: Any, **kwargs: Any) -> Any:
            raise ForbiddenCall(f"本题禁止使用 {name} (forbidden in this exercise)")

        return _blocked

    originals = []
    for name in names:
        owner, attr = _resolve(name)
        originals.append((name, getattr(owner, attr)))
    mode = _ForbidMode({id(obj): name for name, obj in originals})
    try:
        for (name, original), dotted in zip(originals, names, strict=True):
            owner, attr = _resolve(dotted)
            saved.append((owner, attr, original))
            setattr(owner, attr, blocker(name))
        student_globals = getattr(fn, "__globals__", None)
        if isinstance(student_globals, dict):
            for key, value in list(student_globals.items()):
                for name, original in originals:
                    if value is original:
                        saved.append((student_globals, key, value))
                        student_globals[key] = blocker(name)
        with mode if originals else contextlib.nullcontext():
            yield
    finally:
        for owner, attr, original in reversed(saved):
            if isinstance(owner, dict):
                owner[attr] = original
            else:
                setattr(owner, attr, original)


def to_plain(value: Any) -> Any:
    """Copy a result into plain data: CPU torch.Tensor (never a subclass), numbers, lists."""
    if isinstance(value, torch.Tensor):
        plain = value.detach().as_subclass(torch.Tensor).to("cpu")
        return plain.clone().contiguous()
    if value is None:
        return None
    for plain in (bool, int, float, str):  # also strips subclasses (numpy scalars, sneaky __eq__)
        if isinstance(value, plain):
            return plain(value)
    if isinstance(value, tuple | list):
        return [to_plain(v) for v in value]
    type_name = type(value).__name__
    raise TypeError(f"返回了不支持的类型 {type_name} (unsupported return type {type_name})")


def _grad_weights(shape: torch.Size, dtype: torch.dtype) -> torch.Tensor:
    gen = torch.Generator().manual_seed(GRAD_WEIGHT_SEED)
    return torch.randn(shape, generator=gen, dtype=torch.float64).to(dtype)


def run_case(fn: Callable, case: dict) -> dict:
    """Call `fn` on one case; return {"ok": True, "value": ..., "grads": [...]} or an error."""
    args = [a.detach().clone() if isinstance(a, torch.Tensor) else a for a in case["args"]]
    kwargs = {
        k: v.detach().clone() if isinstance(v, torch.Tensor) else v
        for k, v in case.get("kwargs", {}).items()
    }
    grad_idx = list(case.get("grad", []))
    for i in grad_idx:
        args[i] = args[i].requires_grad_(True)
    try:
        with torch.enable_grad() if grad_idx else torch.no_grad():
            out = fn(*args, **kwargs)
            grads: list = []
            if grad_idx:
                if not isinstance(out, torch.Tensor) or not out.requires_grad:
                    return {
                        "ok": False,
                        "error": "NoGradient: 输出没有梯度——是不是用了 "
                        ".detach()、.item() 或 numpy？(output does not require grad)",
                    }
                loss = (out * _grad_weights(out.shape, out.dtype)).sum()
                found = torch.autograd.grad(loss, [args[i] for i in grad_idx], allow_unused=True)
                grads = [to_plain(g) for g in found]
        return {"ok": True, "value": to_plain(out), "grads": grads}
    except Exception as exc:  # the student's error is evidence, not a crash of the grader
        return {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:2000]}


@contextlib.contextmanager
def trace_calls(names: list[str], fn: Callable | None) -> Iterator[set[str]]:
    """Record which of the graded functions `names` `fn` calls while the block runs.

    Each name (and any alias of the same object) in `fn`'s globals is replaced by a wrapper
    that adds the name to the yielded set and calls the original; all are restored after.
    `fn` itself is never wrapped (recursion is not a dependency).
    """
    called: set[str] = set()
    student_globals = getattr(fn, "__globals__", None)
    saved: list[tuple[str, Any]] = []
    if isinstance(student_globals, dict) and names:
        targets = {}
        for name in names:
            target = student_globals.get(name)
            if callable(target) and target is not fn:
                targets[id(target)] = (name, target)

        def wrapper(name: str, target: Callable) -> Callable:
            def _traced(*args: Any, **kwargs: Any) -> Any:
                called.add(name)
                return target(*args, **kwargs)

            try:  # keep the name and docstring; a strange callable must not break grading
                functools.update_wrapper(_traced, target)
            except Exception:
                pass
            return _traced

        for key, value in list(student_globals.items()):
            if id(value) in targets and targets[id(value)][1] is value:
                saved.append((key, value))
                student_globals[key] = wrapper(*targets[id(value)])
    try:
        yield called
    finally:
        for key, value in reversed(saved):
            student_globals[key] = value  # type: ignore[index]


def run_cases(fn: Callable | None, spec: dict, enforce: bool = True) -> dict:
    """Run every case of `spec` through `fn`, forbidden built-ins blocked when `enforce`.

    With `enforce` (the student's function), the calls to the graded functions named in
    `spec["watch"]` are traced into each result's `calls`.
    """
    record: dict = {"format": FORMAT, "check": spec["check"], "results": []}
    if not callable(fn):
        error = f"NameError: 没有找到函数 {spec['function']}（是否运行了定义它的单元格？）"
        record["results"] = [{"ok": False, "error": error, "calls": []} for _ in spec["cases"]]
        return record
    forbidden = list(spec.get("forbidden", []))
    watch = [str(n) for n in spec.get("watch", [])] if enforce else []
    for case in spec["cases"]:
        with (
            forbid(forbidden, fn) if enforce else contextlib.nullcontext(),
            trace_calls(watch, fn) as called,
        ):
            result = run_case(fn, case)
        result["calls"] = sorted(called)
        record["results"].append(result)
    return record


@functools.cache
def _evidence_dir() -> Path:
    value = os.environ.get(EVIDENCE_DIR_ENV)
    if not value:
        raise RuntimeError(f"{EVIDENCE_DIR_ENV} is not set: record() runs only during grading")
    return Path(value)


def record(check_id: str, fn: Callable | None) -> None:
    """Judged mode: run the cases named in `<id>.inputs.pt` and save `<id>.outputs.pt`.

    Never raises for a wrong answer: the judge decides. Prints one line for the log.
    """
    folder = _evidence_dir()
    stem = file_stem(check_id)
    spec = torch.load(folder / f"{stem}.inputs.pt", weights_only=True)
    result = run_cases(fn, spec)
    torch.save(result, folder / f"{stem}.outputs.pt")
    print(f"evidence recorded: {check_id}")
