"""The check format: what one hidden grade cell verifies, as ordinary Python.

A `Check` names the student function, builds seeded cases, and knows the reference, the
tolerances, the points, the forbidden built-ins and the mistake oracles. Its work is split
in two halves so that the same check runs in-kernel (nbval, `nbgrader validate`) and judged
(our grading engine, where the kernel never sees this module):

    spec    = check.spec()                          # plain inputs: what to call, on what
    record  = course.evidence.run_cases(fn, spec)   # kernel half: call and record
    verdict = check.judge(record)                   # judge half: compare, score, hint

The judge rebuilds the cases from the check's fixed seed (it never trusts a file for them).

Feedback, in the order a student reads it (`Verdict.message`):
* the failing case and why (an exception comes with the case's input shapes; an untouched
  stub says "还没有实现 `<name>`");
* dependency first: when the student's function called another graded function of the same
  level (traced by the kernel half, `course.evidence.trace_calls`) and that function fails
  its own checks, the hint names it ("你的 `angle_between` 调用了 `dot`，而 `dot` 未通过它
  自己的检查：先修好 `dot`"); see `link_dependencies`. The downstream cell still scores 0;
* the matching mistake oracle's hint (a returned value, a NaN pattern or an exception type),
  or else a Chinese explanation of the exception (`course.explain`).

Case design is systematic: `autograder.variants` derives size-1, different-rank, special-
value-in-each-argument and dtype variants of a case, and `autograder.variants.checklist`
lists what a check's cases leave untried (CONTRIBUTING.md has the checklist).

A check is all-or-nothing (like a stock nbgrader grade cell): partial credit comes from
splitting an exercise into several grade cells (values, edge cases, batching, gradients).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import torch

from course.evidence import FORMAT, run_cases
from course.explain import dependency_hint, describe_inputs, error_type, explain_error


@dataclass(frozen=True)
class Case:
    """One call of the student's function. Tensors are built from a seeded generator."""

    name: str  # short English id shown in feedback, e.g. "zero_vector"
    args: tuple = ()
    kwargs: dict = field(default_factory=dict)
    grad: tuple[int, ...] = ()  # positional args whose gradient is compared
    graded: torch.Tensor | None = None  # bool mask over output elements that count (judge-only)
    raises: str = ""  # the call must raise this exception type, e.g. "ValueError" (so must the ref)
    build: dict | None = None  # fn is an nn.Module class: how to build it (course.evidence)
    # (rtol, atol) for this case instead of the check's (judge-only): float64 cases that must
    # be exact to float64 precision in a check whose float32 cases cannot be
    tol: tuple[float, float] | None = None


@dataclass(frozen=True)
class Oracle:
    """A known wrong variant; when the student's output matches it, `hint` names the mistake.

    Matching is case by case against the oracle's own result: close values, or an exception
    of the same type where the oracle raises (so a raising mistake gets its hint too).

    `nan_where` makes it a NaN oracle, for mistakes whose NaNs depend on rounding (a missing
    clamp before arccos): `nan_where(*args, **kwargs)` gives a bool mask (broadcastable to the
    output) of where this mistake *can* produce NaN. The student then matches when some case
    has a NaN, every NaN lies inside the mask, and every other element equals the reference.
    """

    name: str
    fn: Callable
    hint: str  # Chinese, names the mistake without giving code
    nan_where: Callable[..., torch.Tensor] | None = None


@dataclass(frozen=True)
class Failure:
    case: str
    reason: str  # Chinese with the English term


@dataclass(frozen=True)
class Verdict:
    check_id: str
    title: str
    points: float
    max_points: float
    failures: tuple[Failure, ...] = ()
    hint: str = ""  # the matching oracle's hint, or ""
    oracle: str = ""  # the matching oracle's name, or ""
    advice: str = ""  # no oracle matched and the function raised: where to look (Chinese)
    function: str = ""  # the student function this check grades
    calls: tuple[str, ...] = ()  # other graded functions it called in the failing cases
    blocked_by: tuple[str, ...] = ()  # of those, the ones failing their own checks

    @property
    def passed(self) -> bool:
        return not self.failures

    @property
    def feedback_hint(self) -> str:
        """Everything a student should read after the failing case: cause first, then hint."""
        parts = []
        if self.blocked_by:
            parts.append(dependency_hint(self.function, self.blocked_by))
        if self.hint or self.advice:
            parts.append(self.hint or self.advice)
        return " ".join(parts)

    def message(self) -> str:
        """Chinese message for a student: which case failed, why, and the hint."""
        if self.passed:
            return f"通过 {self.title} ({self.points:g}/{self.max_points:g})"
        first = self.failures[0]
        lines = [f"未通过 {self.title}：用例 {first.case!r} {first.reason}"]
        if len(self.failures) > 1:
            lines.append(f"（共 {len(self.failures)} 个用例未通过）")
        if self.feedback_hint:
            lines.append(f"提示：{self.feedback_hint}")
        return "\n".join(lines)


def link_dependencies(verdicts: Sequence[Verdict]) -> list[Verdict]:
    """Fill `blocked_by` of each failed verdict whose function called a failing function.

    `verdicts` are one notebook's (or one student's) verdicts; a function "fails its own
    checks" when any verdict of that function failed. Points are unchanged: the downstream
    cell still scores 0 (like a stock nbgrader cell); the hint names the cause first.
    """
    failing = {v.function for v in verdicts if not v.passed and v.function}
    out = []
    for v in verdicts:
        broken = tuple(sorted((set(v.calls) & failing) - {v.function}))
        out.append(replace(v, blocked_by=broken) if broken and not v.passed else v)
    return out


@dataclass(frozen=True)
class Check:
    id: str  # "<level>/<function>/<aspect>", e.g. "L-2/cosine_similarity/values"
    function: str  # name of the student's top-level function
    title: str  # Chinese, shown in feedback
    points: float
    cases: Callable[[torch.Generator], list[Case]]
    reference: Callable
    rtol: float = 1e-5
    atol: float = 1e-6
    exact: bool = False  # integer/bool outputs: compare exactly
    forbidden: tuple[str, ...] = ()
    oracles: tuple[Oracle, ...] = ()
    seed: int = 0
    # applied to the reference's and the student's value before comparing, for answers that
    # are only defined up to a symmetry (e.g. the sign of a PCA component)
    canonical: Callable | None = None
    # Chinese: this function's own likely causes of a NaN, shown when the student returns NaN
    # where the reference has none (e.g. "arccos 的参数因舍入超出了 [-1, 1]").
    nan_causes: str = ""
    # Other graded functions whose calls are traced for dependency hints; None: every other
    # function graded by a check of the same level (the usual case).
    watch: tuple[str, ...] | None = None
    # checklist items (autograder.variants.CHECKLIST) this check deliberately skips: {item: why}
    waivers: Mapping[str, str] = field(default_factory=dict)

    # ---- kernel-facing half -------------------------------------------------------------
    def build_cases(self) -> list[Case]:
        return self.cases(torch.Generator().manual_seed(self.seed))

    def watched(self) -> list[str]:
        """The graded functions whose calls the kernel half traces (never this one)."""
        if self.watch is not None:
            return [n for n in self.watch if n != self.function]
        from autograder import checks  # the registry imports this module

        level = self.id.split("/", 1)[0]
        return sorted(
            {c.function for c in checks.all_checks().values() if c.id.split("/", 1)[0] == level}
            - {self.function}
        )

    def spec(self, cases: list[Case] | None = None) -> dict:
        """Plain inputs for the kernel: no reference, no tolerance, no oracle."""
        cases = self.build_cases() if cases is None else cases
        return {
            "format": FORMAT,
            "check": self.id,
            "function": self.function,
            "forbidden": list(self.forbidden),
            "watch": self.watched(),
            "cases": [
                {
                    "name": c.name,
                    "args": list(c.args),
                    "kwargs": dict(c.kwargs),
                    "grad": list(c.grad),
                    **({"build": c.build} if c.build is not None else {}),
                }
                for c in cases
            ],
        }

    # ---- judge half -----------------------------------------------------------------------
    def judge(self, record: dict, cases: list[Case] | None = None) -> Verdict:
        """Compare a kernel record with the reference; on failure look for a matching oracle."""
        cases = self.build_cases() if cases is None else cases
        spec = self.spec(cases)
        if not _well_formed(record, self.id, len(cases)):
            failure = Failure("*", "评分证据不完整或不属于本题 (evidence missing or malformed)")
            return Verdict(self.id, self.title, 0.0, self.points, (failure,))
        results = self._canonical(record["results"])
        expected = self._canonical(run_cases(self.reference, spec, enforce=False)["results"])
        broken = [c.name for c, e in zip(cases, expected, strict=True) if not _as_meant(c, e)]
        if broken:  # a grader bug must never turn into points for a matching student error
            raise RuntimeError(f"reference of {self.id} fails on cases {broken}")
        failures, calls, first_error = [], set(), ""
        for case, want, got in zip(cases, expected, results, strict=True):
            rtol, atol = case.tol or (self.rtol, self.atol)
            reason = compare(want, got, case.graded, rtol, atol, self.exact, causes=self.nan_causes)
            if reason and case.raises and isinstance(got, dict) and got.get("ok"):
                reason = f"应当抛出 {case.raises}（should raise {case.raises}），但函数正常返回了"
            if reason:
                if isinstance(got, dict) and got.get("ok") is False:
                    first_error = first_error or str(got.get("error", ""))
                    reason = self._error_reason(case, str(got.get("error", "")))
                failures.append(Failure(case.name, reason))
                calls |= _calls(got, spec["watch"])
        if not failures:
            return Verdict(self.id, self.title, self.points, self.points, function=self.function)
        oracle = self._matching_oracle(spec, cases, expected, results)
        advice = explain_error(first_error, self.function) if first_error and not oracle else ""
        return Verdict(
            self.id,
            self.title,
            0.0,
            self.points,
            tuple(failures),
            hint=oracle.hint if oracle else "",
            oracle=oracle.name if oracle else "",
            advice=advice,
            function=self.function,
            calls=tuple(sorted(calls)),
        )

    def _error_reason(self, case: Case, error: str) -> str:
        """One line: the exception and the case's inputs (shapes and dtypes)."""
        try:
            if case.build is None:
                names = list(inspect.signature(self.reference).parameters)
            else:  # a class: the case's args go to forward(self, ...)
                names = list(inspect.signature(self.reference.forward).parameters)[1:]
        except (TypeError, ValueError, AttributeError):
            names = []
        inputs = describe_inputs(case.args, case.kwargs, names)
        if error_type(error) == "NotImplementedError":
            return f"还没有实现 `{self.function}`（NotImplementedError；输入 {inputs}）"
        return f"运行出错：{error}（输入 {inputs}）"

    def _matching_oracle(
        self, spec: dict, cases: list[Case], expected: list, results: list
    ) -> Oracle | None:
        for oracle in self.oracles:
            mistaken = self._canonical(run_cases(oracle.fn, spec, enforce=False)["results"])
            if oracle.nan_where is not None:
                if self._nan_oracle_matches(oracle, cases, expected, results):
                    return oracle
                continue
            if all(
                compare(m, g, c.graded, self.rtol, self.atol, self.exact, nan_ok=True) is None
                for c, m, g in zip(cases, mistaken, results, strict=True)
            ):
                return oracle
        return None

    def _canonical(self, results: list) -> list:
        if self.canonical is None:
            return results
        out = []
        for r in results:
            if isinstance(r, dict) and r.get("ok"):
                try:
                    r = {**r, "value": self.canonical(r["value"])}
                except Exception:  # a malformed value is left for compare() to reject
                    pass
            out.append(r)
        return out

    def _nan_oracle_matches(
        self, oracle: Oracle, cases: list[Case], expected: list, results: list
    ) -> bool:
        """NaN only where `oracle.nan_where` allows it, the reference everywhere else."""
        seen_nan = False
        for case, want, got in zip(cases, expected, results, strict=True):
            if not (isinstance(got, dict) and got.get("ok")):
                return False
            w, g = want["value"], got.get("value")
            if not isinstance(w, torch.Tensor) or type(g) is not torch.Tensor:
                if compare(want, got, case.graded, self.rtol, self.atol, self.exact):
                    return False
                continue
            if g.shape != w.shape or g.dtype != w.dtype or not g.is_floating_point():
                return False
            nan = torch.isnan(g)
            allowed = torch.as_tensor(oracle.nan_where(*case.args, **case.kwargs)).bool()
            allowed = allowed.expand(g.shape)
            graded = torch.ones_like(nan) if case.graded is None else case.graded
            if (nan & ~allowed & graded).any():
                return False
            keep = ~nan & graded
            if not torch.allclose(
                g[keep].double(), w[keep].double(), rtol=self.rtol, atol=self.atol
            ):
                return False
            seen_nan |= bool((nan & graded).any())
        return seen_nan

    def run(self, fn: Callable) -> Verdict:
        """In-process: both halves at once (in-kernel mode and mutant tests)."""
        cases = self.build_cases()
        return self.judge(run_cases(fn, self.spec(cases)), cases)


def _calls(result: dict, watch: list[str]) -> set[str]:
    """The recorded calls of one result, kept only if well formed and watched."""
    calls = result.get("calls") if isinstance(result, dict) else None
    if not isinstance(calls, list):
        return set()
    return {c for c in calls if isinstance(c, str) and c in watch}


def _well_formed(record: Any, check_id: str, n_cases: int) -> bool:
    if not isinstance(record, dict) or record.get("format") != FORMAT:
        return False
    results = record.get("results")
    return (
        record.get("check") == check_id
        and isinstance(results, list)
        and len(results) == n_cases
        and all(isinstance(r, dict) for r in results)
    )


def compare(
    want: dict,
    got: Any,
    graded: torch.Tensor | None,
    rtol: float,
    atol: float,
    exact: bool,
    nan_ok: bool = False,
    causes: str = "",
) -> str | None:
    """None when `got` matches `want`; otherwise a Chinese reason. Both are run_case results.

    `causes` (Chinese) names the function's own likely causes of a NaN for the NaN message.
    """
    if not isinstance(got, dict) or "ok" not in got:
        return "评分证据格式错误 (malformed evidence)"
    if not want["ok"]:  # only oracles raise: they match an error of the same exception type
        same = not got["ok"] and _error_type(got) == _error_type(want)
        return None if same else "结果与预期不符"
    if not got["ok"]:
        return f"运行出错：{got.get('error', '')}"
    reason = _compare_value(
        want["value"], got.get("value"), graded, rtol, atol, exact, nan_ok, causes
    )
    if reason:
        return reason
    want_grads, got_grads = want.get("grads") or [], got.get("grads") or []
    if not isinstance(got_grads, list) or len(want_grads) != len(got_grads):
        return "梯度缺失 (gradients missing)"
    for i, (wg, gg) in enumerate(zip(want_grads, got_grads, strict=True)):
        if wg is None and gg is None:
            continue
        if wg is None or gg is None:
            return f"第 {i} 个输入的梯度不对：一个为 None (gradient is None)"
        reason = _compare_value(wg, gg, None, rtol * 10, atol * 10, False, nan_ok, causes)
        if reason:
            return f"梯度（gradient）{reason}"
    return None


def _as_meant(case: Case, result: dict) -> bool:
    """The reference did what the case means: returned a value, or raised `case.raises`."""
    if case.raises:
        return not result["ok"] and _error_type(result) == case.raises
    return bool(result["ok"])


def _error_type(result: dict) -> str:
    return error_type(str(result.get("error", "")))


NAN_CAUSES = "常见原因：除以零（零向量的长度）、对负数开方、arccos 的参数超出 [-1, 1]、exp 溢出"


def _compare_value(
    want: Any,
    got: Any,
    graded: torch.Tensor | None,
    rtol: float,
    atol: float,
    exact: bool,
    nan_ok: bool,
    causes: str = "",
) -> str | None:
    """Same structure (tensor, number, or list of them), same shape and dtype, close values."""
    if isinstance(want, list | tuple):
        if not isinstance(got, list | tuple) or len(got) != len(want):
            n = len(got) if isinstance(got, list | tuple) else 1
            return f"返回值个数不对：期望 {len(want)} 个，得到 {n} 个"
        for w, g in zip(want, got, strict=True):
            reason = _compare_value(w, g, graded, rtol, atol, exact, nan_ok, causes)
            if reason:
                return reason
        return None
    if isinstance(want, str):  # e.g. a word
        if not isinstance(got, str):
            return f"返回类型不对：期望 str，得到 {type(got).__name__}"
        return None if got == want else f"结果不对：期望 {want!r}，得到 {got!r}"
    if isinstance(want, torch.Tensor) and not isinstance(got, torch.Tensor):
        return f"返回类型不对：期望 Tensor，得到 {type(got).__name__}"
    w = want if isinstance(want, torch.Tensor) else torch.tensor(want)
    if not isinstance(got, torch.Tensor | bool | int | float):
        return f"返回类型不对：期望 {type(want).__name__}，得到 {type(got).__name__}"
    g = got if isinstance(got, torch.Tensor) else torch.tensor(got)
    if type(g) is not torch.Tensor:
        return "返回类型不对：请返回普通的 torch.Tensor"
    if tuple(g.shape) != tuple(w.shape):
        return f"形状（shape）不对：期望 {tuple(w.shape)}，得到 {tuple(g.shape)}"
    if isinstance(want, torch.Tensor) and g.dtype != w.dtype:
        return f"类型（dtype）不对：期望 {w.dtype}，得到 {g.dtype}"
    if exact or not (w.is_floating_point() or w.is_complex()):
        same = (
            torch.equal(g.to(w.dtype), w)
            if graded is None
            else torch.equal(g.to(w.dtype)[graded], w[graded])
        )
        return None if same else "数值不一致 (values differ)"
    g64, w64 = g.to(torch.float64), w.to(torch.float64)
    if graded is not None:
        g64, w64 = g64[graded], w64[graded]
    if not nan_ok and torch.isnan(g64).any() and not torch.isnan(w64).any():
        return f"结果里出现了 NaN（{causes or NAN_CAUSES}）"
    if not torch.allclose(g64, w64, rtol=rtol, atol=atol, equal_nan=nan_ok):
        diff = (g64 - w64).abs().nan_to_num(float("inf")).max().item()
        return f"数值不一致：最大误差 {diff:.3g}（容差 rtol={rtol:g}, atol={atol:g}）"
    return None
