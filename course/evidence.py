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
  reads the spec from `$COURSE_EVIDENCE_DIR/<id>.inputs.pt` and sends the record to the
  grader over the kernel's IOPub channel (`publish_evidence`).
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

from course.channel import EVIDENCE_DIR_ENV, EVIDENCE_MIME

FORMAT = 1
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


def globals_of(fn: Any) -> dict | None:
    """The notebook globals a student's function (or class, via its methods) looks names up in."""
    found = getattr(fn, "__globals__", None)
    if found is None and isinstance(fn, type):  # a class: its forward (or __init__) function
        method = getattr(fn, "forward", None) or getattr(fn, "__init__", None)
        found = getattr(method, "__globals__", None)
    return found if isinstance(found, dict) else None


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
        student_globals = globals_of(fn)
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


GENERATOR_SEED = "__generator_seed__"  # {"__generator_seed__": s} stands for a seeded Generator


def _materialise(value: Any) -> Any:
    """Plain stand-ins -> objects: {"__generator_seed__": s} -> torch.Generator seeded with s."""
    if isinstance(value, dict) and set(value) == {GENERATOR_SEED}:
        return torch.Generator().manual_seed(int(value[GENERATOR_SEED]))
    return value


def build_module(cls: Callable, build: dict) -> Any:
    """A case that grades an nn.Module class: construct, load the given state, eval mode.

    build = {"args": [...], "kwargs": {...}, "state_dict": {name: tensor}, "dtype": "float64"}
    (all keys optional). The state is loaded with strict=True, so parameter names must match.
    """
    module = cls(*build.get("args", []), **build.get("kwargs", {}))
    if "dtype" in build:
        module = module.to(getattr(torch, build["dtype"]))
    state = {k: v.detach().clone() for k, v in build.get("state_dict", {}).items()}
    if state:
        module.load_state_dict(state, strict=True)
    return module.eval()


def run_case(fn: Callable, case: dict) -> dict:
    """Call `fn` on one case; return {"ok": True, "value": ..., "grads": [...]} or an error.

    With case["build"], `fn` is a class: the instance built by `build_module` is called.
    """
    args = [
        a.detach().clone() if isinstance(a, torch.Tensor) else _materialise(a) for a in case["args"]
    ]
    kwargs = {
        k: v.detach().clone() if isinstance(v, torch.Tensor) else _materialise(v)
        for k, v in case.get("kwargs", {}).items()
    }
    grad_idx = list(case.get("grad", []))
    for i in grad_idx:
        args[i] = args[i].requires_grad_(True)
    try:
        with torch.enable_grad() if grad_idx else torch.no_grad():
            target = build_module(fn, case["build"]) if "build" in case else fn
            out = target(*args, **kwargs)
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
    student_globals = globals_of(fn)
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
    with forbid_ops(forbidden) if enforce else contextlib.nullcontext():
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


def safe_argument_types() -> list[type]:
    """Non-tensor argument types a case may pass (seeded generators, the course tokenizer);
    `weights_only` loading refuses every other object."""
    from course.tokenizer import CharTokenizer

    return [torch.Generator, CharTokenizer]


def record(check_id: str, fn: Callable | None) -> None:
    """Judged mode: run the cases named in `<id>.inputs.pt` and hand the record to the grader.

    The record leaves the kernel at once, as a display message on the kernel's IOPub channel
    (`publish_evidence`), which the grader reads while this cell runs: nothing the student
    runs afterwards (hooks, threads, later cells) can replace it. Before the cases run, the
    kernel is audited for what student code left running (course.audit). Never raises for a
    wrong answer: the judge decides. Prints one line for the log.
    """
    from course import audit

    with torch.serialization.safe_globals(safe_argument_types()):
        spec = torch.load(_evidence_dir() / f"{file_stem(check_id)}.inputs.pt", weights_only=True)
    left_running = audit.findings()
    publish_evidence(check_id, run_cases(fn, spec), left_running)
    print(f"evidence recorded: {check_id}")


def publish_evidence(check_id: str, result: dict, audit: list[str]) -> None:
    """Send one grade cell's record to the grader over the kernel's IOPub channel."""
    import base64
    import io

    from IPython.display import publish_display_data

    buffer = io.BytesIO()
    torch.save(result, buffer)
    publish_display_data(
        {EVIDENCE_MIME: base64.b64encode(buffer.getvalue()).decode("ascii")},
        metadata={EVIDENCE_MIME: {"check": check_id, "audit": list(audit)}},
    )


# aten operators that carry another name than the Python built-in reaching them
ATEN_ALIASES = {
    "cross_entropy": "cross_entropy_loss",
    "vecdot": "linalg_vecdot",
    "__matmul__": "matmul",
    "__rmatmul__": "matmul",
}
_DISPATCH_KEYS = ("CompositeImplicitAutograd", "CompositeExplicitAutograd", "Autograd", "CPU")


def _public_names(op: str) -> set[str]:
    """The public torch names an aten operator is reached by under its own name."""
    owners = {
        "torch": torch,
        "torch.Tensor": torch.Tensor,
        "torch.nn.functional": torch.nn.functional,
        "torch.linalg": torch.linalg,
    }
    names = set()
    for owner_name, owner in owners.items():
        attr = op.removeprefix("linalg_") if owner_name == "torch.linalg" else op
        if hasattr(owner, attr):
            names.add(f"{owner_name}.{attr}")
    return names


def aten_ops(names: list[str]) -> list[str]:
    """The aten operators behind forbidden built-ins: 'torch.nn.functional.cosine_similarity'
    -> ['cosine_similarity'].

    An operator that an allowed public name also reaches (forbid `torch.sum`, allow
    `Tensor.sum`: both are aten::sum) is left to the name-level block: refusing it at the
    dispatcher would refuse the allowed name too. A built-in written in Python on top of
    other operators (say F.normalize) has no operator of its own either.
    """
    found = []
    forbidden = set(names)
    for dotted in names:
        attr = dotted.rsplit(".", 1)[-1]
        for candidate in (ATEN_ALIASES.get(attr, attr), attr.strip("_")):
            if hasattr(torch.ops.aten, candidate):
                if not _public_names(candidate) - forbidden:
                    found.append(candidate)
                break
    return list(dict.fromkeys(found))


@contextlib.contextmanager
def forbid_ops(names: list[str]) -> Iterator[None]:
    """Make the aten operators behind `names` raise ForbiddenCall at the dispatcher.

    Every route to an operator meets in the dispatcher: F.cosine_similarity,
    torch.cosine_similarity, torch.ops.aten.cosine_similarity(.default),
    torch._C._VariableFunctions, nn.CosineSimilarity, a tensor subclass's __torch_function__,
    other built-ins that call it. While the block runs, a kernel that raises is registered
    (torch.library) for each overload at the dispatch keys where the operator has one:
    composite operators are replaced before they decompose, so only the forbidden operator
    itself is refused, never the basic operators an honest answer is made of (mul, sum, ...).
    Source: https://pytorch.org/docs/stable/library.html (torch.library.Library.impl).
    """
    import warnings

    ops = aten_ops(names)
    if not ops:
        yield
        return
    by_op = {op: name for name in names for op in aten_ops([name])}

    def refuse(op: str) -> Callable:
        def _refused(*args: Any, **kwargs: Any) -> Any:
            raise ForbiddenCall(
                f"本题禁止使用 {by_op.get(op, op)} (forbidden in this exercise: aten::{op})"
            )

        return _refused

    library = torch.library.Library("aten", "IMPL")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "overriding a previously registered kernel"
            for op in ops:
                for overload in getattr(torch.ops.aten, op).overloads():
                    qualified = op if overload == "default" else f"{op}.{overload}"
                    for key in _DISPATCH_KEYS:
                        try:
                            present = torch._C._dispatch_has_kernel_for_dispatch_key(
                                f"aten::{qualified}", key
                            )
                        except RuntimeError:  # an overload known to Python only
                            break
                        if present:
                            library.impl(qualified, refuse(op), key)
        yield
    finally:
        library._destroy()
