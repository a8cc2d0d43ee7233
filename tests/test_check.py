"""The check format itself: autograder/check.py (spec, judge, compare) and course/evidence.py
(call-and-record, forbidden built-ins, judged-mode files)."""

from __future__ import annotations

import io
import math
import re

import pytest
import torch

import course.evidence as evidence
from autograder import checks
from autograder.check import Case, Check, Failure, Oracle, Verdict, compare, link_dependencies
from course.evidence import (
    ForbiddenCall,
    forbid,
    run_case,
    run_cases,
    safe_argument_types,
    to_plain,
)
from course.tokenizer import CharTokenizer

CHINESE = re.compile(r"[\u4e00-\u9fff]")
ALL_CHECKS = list(checks.all_checks().values())
TOY_ID = "T/toy/values"


pytestmark = pytest.mark.usefixtures("one_thread")


def toy(reference, cases, **kwargs) -> Check:
    """A one-function check on fixed cases (the format, without any level's details)."""
    return Check(TOY_ID, "toy", "玩具题", 1.0, lambda gen: list(cases), reference, **kwargs)


X = torch.tensor([[1.0, -2.0, 3.0], [0.5, 4.0, -1.0]])
DOUBLE = toy(lambda x: x * 2, [Case("a", (X,)), Case("b", (X[0],))])
COUNT = toy(lambda x: (x > 0).sum(dim=-1), [Case("a", (X,))], exact=True)
SQUARE_GRAD = toy(lambda x: x**2, [Case("g", (X,), grad=(0,))])


def _stub(*args, **kwargs):
    raise NotImplementedError("请完成这个函数")


def _reasons(verdict: Verdict) -> str:
    return " | ".join(f.reason for f in verdict.failures)


# ---- spec: plain inputs only ----------------------------------------------------------------


def _leaves(value):
    if isinstance(value, dict):
        for k, v in value.items():
            assert type(k) is str
            yield from _leaves(v)
    elif isinstance(value, list):
        for v in value:
            yield from _leaves(v)
    else:
        yield value


def _same(a, b) -> bool:
    if isinstance(a, torch.Generator):  # a seeded generator: the same state
        return type(b) is type(a) and torch.equal(a.get_state(), b.get_state())
    if isinstance(a, CharTokenizer):
        return type(b) is CharTokenizer and a.vocab == b.vocab
    if isinstance(a, torch.Tensor):
        return type(b) is torch.Tensor and a.dtype == b.dtype and torch.equal(a, b)
    if isinstance(a, dict):
        return type(b) is dict and a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return type(b) is list and len(a) == len(b) and all(map(_same, a, b))
    return type(a) is type(b) and a == b


@pytest.mark.parametrize("check", ALL_CHECKS, ids=lambda c: c.id)
def test_spec_is_plain_data(check: Check) -> None:
    spec = check.spec()
    assert set(spec) == {"format", "check", "function", "forbidden", "watch", "cases"}
    assert check.function not in spec["watch"]
    assert spec["check"] == check.id and spec["function"] == check.function
    for case in spec["cases"]:
        # never `graded`; `build` only for a class (how to construct it, which state to load)
        assert set(case) - {"build"} == {"name", "args", "kwargs", "grad"}
    forbidden_objects = {id(check.reference), *(id(o.fn) for o in check.oracles)}
    for leaf in _leaves(spec):
        plain = (torch.Tensor, int, float, bool, str, type(None), *safe_argument_types())
        assert type(leaf) in plain, type(leaf)
        assert id(leaf) not in forbidden_objects
    buffer = io.BytesIO()
    torch.save(spec, buffer)
    buffer.seek(0)
    with torch.serialization.safe_globals(safe_argument_types()):
        assert _same(spec, torch.load(buffer, weights_only=True))


@pytest.mark.parametrize("check", ALL_CHECKS, ids=lambda c: c.id)
def test_spec_is_the_same_every_time(check: Check) -> None:
    """judge.spec_bytes builds each spec once per grading process: that is exact only if the
    spec is a pure function of the check (and the judge rebuilds the same cases)."""
    from autograder.judge import spec_bytes

    buffer = io.BytesIO()
    torch.save(check.spec(), buffer)
    assert buffer.getvalue() == spec_bytes(check.id)


@pytest.mark.parametrize("check", ALL_CHECKS, ids=lambda c: c.id)
def test_cases_are_seeded(check: Check) -> None:
    assert _same(check.spec(), check.spec())


def test_check_ids_follow_the_convention() -> None:
    for check in ALL_CHECKS:
        level, function, aspect = check.id.split("/")
        assert function == check.function and aspect and level.startswith("L")
        assert CHINESE.search(check.title)
        assert check.points > 0


# ---- judge: the reference passes, a wrong function fails -------------------------------------


@pytest.mark.parametrize("check", ALL_CHECKS, ids=lambda c: c.id)
def test_reference_gets_full_points(check: Check) -> None:
    verdict = check.run(check.reference)
    assert verdict.passed and verdict.points == verdict.max_points == check.points
    assert verdict.message().startswith("通过")


@pytest.mark.parametrize("check", ALL_CHECKS, ids=lambda c: c.id)
def test_wrong_function_gets_zero_with_chinese_reason(check: Check) -> None:
    verdict = check.run(lambda *args, **kwargs: torch.tensor(123.0))
    assert not verdict.passed and verdict.points == 0.0
    assert all(CHINESE.search(f.reason) for f in verdict.failures)
    assert verdict.message().startswith("未通过") and verdict.failures[0].case in verdict.message()


@pytest.mark.parametrize("check", ALL_CHECKS, ids=lambda c: c.id)
def test_untouched_stub_gets_no_mistake_hint(check: Check) -> None:
    """NotImplementedError from a stub must never match an oracle (oracles may raise too)."""
    verdict = check.run(_stub)
    assert verdict.points == 0.0 and (verdict.hint, verdict.oracle) == ("", "")
    assert "NotImplementedError" in verdict.failures[0].reason


def test_missing_function_scores_zero() -> None:
    verdict = DOUBLE.run(None)
    assert verdict.points == 0.0 and "没有找到函数 toy" in _reasons(verdict)


def test_message_shows_first_failure_count_and_hint() -> None:
    check = toy(
        lambda x: x * 2,
        [Case("a", (X,)), Case("b", (X[0],))],
        oracles=(Oracle("triple", lambda x: x * 3, "乘了 3 而不是 2。"),),
    )
    verdict = check.run(lambda x: x * 3)
    assert verdict.oracle == "triple" and verdict.hint == "乘了 3 而不是 2。"
    message = verdict.message()
    assert (
        "'a'" in message and "共 2 个用例未通过" in message and "提示：乘了 3 而不是 2。" in message
    )


# ---- compare: what counts as a mismatch -------------------------------------------------------


def test_tolerance() -> None:
    assert DOUBLE.run(lambda x: x * 2 * (1 + 1e-7)).passed
    verdict = DOUBLE.run(lambda x: x * 2 * (1 + 1e-3))
    assert not verdict.passed and "数值不一致" in _reasons(verdict)


def test_shape_mismatch() -> None:
    verdict = DOUBLE.run(lambda x: (x * 2)[None])
    assert not verdict.passed and "形状（shape）不对" in _reasons(verdict)


def test_nan_is_named() -> None:
    def nan_at_one_place(x):
        out = x * 2
        out.view(-1)[0] = math.nan
        return out

    verdict = DOUBLE.run(nan_at_one_place)
    assert not verdict.passed and "NaN" in _reasons(verdict)


def test_error_text_is_shown() -> None:
    def boom(x):
        raise ValueError("boom")

    verdict = DOUBLE.run(boom)
    # the error, then the case's inputs: the student sees which shapes broke the function
    assert verdict.failures[0].reason == "运行出错：ValueError: boom（输入 x: (2, 3) float32）"
    assert verdict.advice and CHINESE.search(verdict.advice)
    assert verdict.advice in verdict.message()


def test_exact_check_requires_the_exact_dtype() -> None:
    assert COUNT.run(lambda x: (x > 0).sum(dim=-1)).passed
    verdict = COUNT.run(lambda x: (x > 0).sum(dim=-1).to(torch.int32))
    assert not verdict.passed and "类型（dtype）不对" in _reasons(verdict)
    verdict = COUNT.run(lambda x: (x > 0).sum(dim=-1).float())
    assert not verdict.passed and "类型（dtype）不对" in _reasons(verdict)
    verdict = COUNT.run(lambda x: (x > 0).sum(dim=-1) + 1)
    assert "数值不一致" in _reasons(verdict)


def test_number_where_a_tensor_is_expected_is_rejected_clearly() -> None:
    check = toy(lambda x: x.sum(), [Case("a", (X,))])
    assert check.run(lambda x: x.sum()).passed
    verdict = check.run(lambda x: float(x.sum()))  # `-> Tensor` in the signature means a Tensor
    assert "返回类型不对：期望 Tensor，得到 float" in _reasons(verdict)
    verdict = check.run(lambda x: [x.sum()])  # no silent unwrapping of a list
    assert "返回值个数不对" in _reasons(verdict) or "返回类型不对" in _reasons(verdict)
    verdict = check.run(lambda x: "4.5")
    assert "返回类型不对" in _reasons(verdict)


def test_graded_mask_ignores_other_elements() -> None:
    graded = torch.tensor([[True, False, True], [True, True, True]])
    check = toy(lambda x: x * 2, [Case("a", (X,), graded=graded)])
    assert check.run(
        lambda x: (x * 2).index_put((torch.tensor([0]), torch.tensor([1])), torch.tensor(math.nan))
    ).passed
    assert not check.run(lambda x: x * 3).passed


# ---- what the kernel records -----------------------------------------------------------------


class Sub(torch.Tensor):
    pass


def test_tensor_subclass_is_recorded_as_plain_tensor() -> None:
    result = run_case(lambda x: (x * 2).as_subclass(Sub), {"args": [X]})
    assert result["ok"] and type(result["value"]) is torch.Tensor
    assert DOUBLE.run(lambda x: (x * 2).as_subclass(Sub)).passed


def test_judge_rejects_a_subclass_in_a_forged_record() -> None:
    want = run_case(lambda x: x * 2, {"args": [X]})
    got = {"ok": True, "value": (X * 2).as_subclass(Sub), "grads": []}
    assert compare(want, got, None, 1e-5, 1e-6, False) == "返回类型不对：请返回普通的 torch.Tensor"


class AlwaysEqual:
    def __eq__(self, other):
        return True

    __hash__ = object.__hash__


def test_object_with_overloaded_eq_is_recorded_as_an_error() -> None:
    result = run_case(lambda x: AlwaysEqual(), {"args": [X]})
    assert not result["ok"] and result["error"].startswith(
        "TypeError: 返回了不支持的类型 AlwaysEqual"
    )
    verdict = DOUBLE.run(lambda x: AlwaysEqual())
    assert verdict.points == 0.0 and "运行出错" in _reasons(verdict)


def test_inputs_are_copies() -> None:
    spec = DOUBLE.spec()
    before = [a.clone() for c in spec["cases"] for a in c["args"]]

    def vandal(x):
        x.mul_(0)
        return x

    run_cases(vandal, spec)
    assert all(
        torch.equal(a, b)
        for a, b in zip(before, (a for c in spec["cases"] for a in c["args"]), strict=True)
    )
    assert DOUBLE.run(lambda x: x * 2).passed


def test_to_plain() -> None:
    t = torch.arange(6.0).reshape(2, 3).requires_grad_(True) * 1
    plain = to_plain([t.T, (1, 2.5, True, None, "s")])
    assert plain[0].is_contiguous() and not plain[0].requires_grad
    assert plain[1] == [1, 2.5, True, None, "s"]
    with pytest.raises(TypeError):
        to_plain({"a": 1})


def test_to_plain_turns_number_subclasses_into_plain_numbers() -> None:
    class Sneaky(float):
        def __eq__(self, other):
            return True

        __hash__ = float.__hash__

    assert type(to_plain(Sneaky(1.0))) is float
    buffer = io.BytesIO()
    torch.save(run_case(lambda x: Sneaky(1.0), {"args": [X]}), buffer)
    buffer.seek(0)
    torch.load(buffer, weights_only=True)


# ---- gradients --------------------------------------------------------------------------------


def test_gradients_are_compared() -> None:
    assert SQUARE_GRAD.run(lambda x: x * x).passed

    def right_value_wrong_gradient(x):
        return (x**2).detach() + x - x.detach()  # value x², gradient 1

    verdict = SQUARE_GRAD.run(right_value_wrong_gradient)
    assert not verdict.passed and "梯度（gradient）" in _reasons(verdict)


def test_detached_output_is_no_gradient_error() -> None:
    verdict = SQUARE_GRAD.run(lambda x: (x**2).detach())
    assert not verdict.passed and "NoGradient" in _reasons(verdict)


def test_missing_gradient_of_one_input() -> None:
    check = toy(lambda x, y: x * y, [Case("g", (X, X + 1), grad=(0, 1))])
    assert check.run(lambda x, y: y * x).passed
    verdict = check.run(lambda x, y: x * y.detach())
    assert "一个为 None" in _reasons(verdict)


def test_non_grad_cases_run_without_autograd() -> None:
    seen = []
    DOUBLE.run(lambda x: seen.append(torch.is_grad_enabled()) or x * 2)
    SQUARE_GRAD.run(lambda x: seen.append(torch.is_grad_enabled()) or x * x)
    assert seen == [False, False, True]


# ---- forbidden built-ins ----------------------------------------------------------------------


def test_forbidden_builtin_raises_during_the_call_and_is_restored() -> None:
    original = torch.dot
    with forbid(["torch.dot"]):
        assert torch.dot is not original
        with pytest.raises(ForbiddenCall, match="torch.dot"):
            torch.dot(X[0], X[0])
    assert torch.dot is original
    assert torch.dot(X[0], X[0]).item() == pytest.approx(14.0)


def test_forbidden_is_restored_after_an_exception() -> None:
    original = torch.Tensor.__matmul__
    with pytest.raises(ValueError), forbid(["torch.Tensor.__matmul__"]):
        with pytest.raises(ForbiddenCall):
            X @ X.T
        raise ValueError
    assert torch.Tensor.__matmul__ is original
    assert (X @ X.T).shape == (2, 2)


def test_forbidden_alias_in_student_globals() -> None:
    namespace: dict = {}
    exec(
        "import torch\nfrom torch import dot as my_dot\ndef toy(a):\n    return my_dot(a, a)\n",
        namespace,
    )
    check = toy(lambda a: (a * a).sum(), [Case("a", (X[0],))], forbidden=("torch.dot",))
    verdict = check.run(namespace["toy"])
    assert (
        not verdict.passed
        and "ForbiddenCall" in _reasons(verdict)
        and "torch.dot" in _reasons(verdict)
    )
    assert namespace["my_dot"] is torch.dot
    assert check.run(lambda a: (a * a).sum()).passed


def test_forbidden_call_never_matches_a_raising_oracle() -> None:
    def oracle_raises(x):
        raise RuntimeError("oracle")

    check = toy(
        lambda x: x.sum(),
        [Case("a", (X,))],
        forbidden=("torch.sum",),
        oracles=(Oracle("raises", oracle_raises, "提示"),),
    )
    verdict = check.run(lambda x: torch.sum(x))
    assert "ForbiddenCall" in _reasons(verdict) and verdict.oracle == ""
    assert check.run(lambda x: x[0].sum() + x[1].sum()).passed  # Tensor.sum is not torch.sum


@pytest.mark.parametrize("check", [c for c in ALL_CHECKS if c.forbidden], ids=lambda c: c.id)
def test_every_forbidden_name_resolves_and_is_restored(check: Check) -> None:
    def lookup(name):
        owner, attr = evidence._resolve(name)
        return getattr(owner, attr)

    before = {name: lookup(name) for name in check.forbidden}
    with forbid(list(check.forbidden)):
        for name in check.forbidden:
            assert lookup(name) is not before[name], name
            with pytest.raises(ForbiddenCall):
                lookup(name)()
    assert {name: lookup(name) for name in check.forbidden} == before


def test_references_are_judged_without_enforcement() -> None:
    check = toy(lambda x: torch.dot(x, x), [Case("a", (X[0],))], forbidden=("torch.dot",))
    assert check.run(lambda x: (x * x).sum()).passed


# ---- oracles that raise --------------------------------------------------------------------


def _large_k(x, k):
    return x.topk(min(k, x.shape[-1])).indices


TOPK = toy(
    _large_k,
    [Case("k2", (X[0], 2)), Case("k9", (X[0], 9))],
    exact=True,
    oracles=(Oracle("not_clamped", lambda x, k: x.topk(k).indices, "k 太大。"),),
)


def test_raising_oracle_matches_the_same_exception_type_only() -> None:
    verdict = TOPK.run(lambda x, k: x.topk(k).indices)  # RuntimeError for k > n
    assert verdict.oracle == "not_clamped" and verdict.hint == "k 太大。"

    def other_error(x, k):
        if k > x.shape[-1]:
            raise IndexError("k > n")
        return _large_k(x, k)

    assert TOPK.run(other_error).oracle == ""
    assert TOPK.run(_stub).oracle == ""


def test_compare_with_a_raising_want() -> None:
    want = {"ok": False, "error": "RuntimeError: selected index k out of range"}
    assert (
        compare(want, {"ok": False, "error": "RuntimeError: other text"}, None, 0, 0, True) is None
    )
    for got in (
        {"ok": False, "error": "NotImplementedError: stub"},
        {"ok": True, "value": torch.tensor(1), "grads": []},
    ):
        assert compare(want, got, None, 0, 0, True) == "结果与预期不符"


# ---- malformed or incomplete records ----------------------------------------------------------


def _record(*results) -> dict:
    return {"format": evidence.FORMAT, "check": TOY_ID, "results": list(results)}


GOOD = {"ok": True, "value": X * 2, "grads": []}
GOOD_B = {"ok": True, "value": X[0] * 2, "grads": []}
MALFORMED = {
    "empty": {},
    "no_results": {"check": TOY_ID},
    "other_check": {**_record(GOOD, GOOD_B), "check": "L-2/dot/values"},
    "results_not_a_list": {"check": TOY_ID, "results": {"0": GOOD, "1": GOOD_B}},
    "too_few_results": _record(GOOD),
    "too_many_results": _record(GOOD, GOOD_B, GOOD_B),
    "result_not_a_dict": _record(GOOD, None),
    "result_without_ok": _record(GOOD, {"value": X[0] * 2}),
    "ok_without_value": _record(GOOD, {"ok": True}),
    "error_without_text": _record(GOOD, {"ok": False}),
    "value_a_dict": _record(GOOD, {"ok": True, "value": {"x": 1}}),
    "value_a_string": _record(GOOD, {"ok": True, "value": "tensor([2., -4., 6.])"}),
    "value_a_short_list": _record(GOOD, {"ok": True, "value": [1.0, 2.0]}),
    "grads_not_a_list": _record(GOOD, {**GOOD_B, "grads": "xy"}),
}


@pytest.mark.parametrize("name", MALFORMED)
def test_malformed_record_scores_zero(name: str) -> None:
    assert DOUBLE.judge(_record(GOOD, GOOD_B)).passed  # the well-formed record passes
    verdict = DOUBLE.judge(MALFORMED[name])
    assert verdict.points == 0.0 and verdict.failures
    assert all(CHINESE.search(f.reason) for f in verdict.failures)


@pytest.mark.parametrize(
    "record",
    [None, [], "garbage", _record(GOOD, {**GOOD_B, "grads": 5})],
    ids=["none", "list", "string", "grads_an_int"],
)
def test_non_dict_record_or_unsized_grads_score_zero(record) -> None:
    assert DOUBLE.judge(record).points == 0.0


# ---- judged mode: record() and its evidence --------------------------------------------------------


SENT: dict[str, dict] = {}  # what record() handed to the grader (IOPub outside a kernel)


@pytest.fixture
def evidence_dir(tmp_path, monkeypatch):
    monkeypatch.setenv(evidence.EVIDENCE_DIR_ENV, str(tmp_path))
    monkeypatch.setattr(
        evidence,
        "publish_evidence",
        lambda check_id, result, audit: SENT.update({check_id: result}),
    )
    evidence._evidence_dir.cache_clear()
    yield tmp_path
    evidence._evidence_dir.cache_clear()


def _judged(check: Check, fn, folder, capsys) -> Verdict:
    stem = evidence.file_stem(check.id)
    torch.save(check.spec(), folder / f"{stem}.inputs.pt")
    evidence.record(check.id, fn)
    assert capsys.readouterr().out.strip() == f"evidence recorded: {check.id}"
    record = SENT.pop(check.id)
    assert record["format"] == evidence.FORMAT and record["check"] == check.id
    return check.judge(record)


def test_file_stem() -> None:
    assert evidence.file_stem("L-2/cosine_similarity/values") == "L-2__cosine_similarity__values"


@pytest.mark.parametrize(
    "check_id",
    [
        "L-2/cosine_similarity/zero_vector",
        "L-2/scaled_dot_product_attention/gradients",
        "L-2/top_k_retrieve/large_k",
    ],
)
def test_record_round_trip(check_id, evidence_dir, capsys) -> None:
    check = checks.get(check_id)
    assert _judged(check, check.reference, evidence_dir, capsys).points == check.points
    assert _judged(check, _stub, evidence_dir, capsys).points == 0.0
    missing = _judged(check, None, evidence_dir, capsys)
    assert missing.points == 0.0 and "没有找到函数" in missing.failures[0].reason


def test_record_enforces_forbidden_builtins(evidence_dir, capsys) -> None:
    check = checks.get("L-2/cosine_similarity/values")
    verdict = _judged(
        check,
        lambda a, b, dim=-1, eps=1e-8: torch.cosine_similarity(a, b, dim, eps),
        evidence_dir,
        capsys,
    )
    assert verdict.points == 0.0 and "ForbiddenCall" in verdict.failures[0].reason
    assert torch.cosine_similarity(X, X).shape == (2,)  # restored


def test_record_needs_the_evidence_dir(monkeypatch) -> None:
    monkeypatch.delenv(evidence.EVIDENCE_DIR_ENV, raising=False)
    evidence._evidence_dir.cache_clear()
    try:
        with pytest.raises(RuntimeError, match=evidence.EVIDENCE_DIR_ENV):
            evidence.record("L-2/dot/values", lambda a, b: (a * b).sum(-1))
    finally:
        evidence._evidence_dir.cache_clear()


@pytest.mark.parametrize(
    "route",
    [
        lambda a, b, dim=-1, eps=1e-8: torch.ops.aten.cosine_similarity(a, b, dim, eps),
        lambda a, b, dim=-1, eps=1e-8: torch.ops.aten.cosine_similarity.default(a, b, dim, eps),
        lambda a, b, dim=-1, eps=1e-8: torch._C._VariableFunctions.cosine_similarity(
            a, b, dim, eps
        ),
    ],
    ids=["torch.ops.aten", "overload", "_VariableFunctions"],
)
def test_forbidden_operator_is_refused_at_the_dispatcher(route, evidence_dir, capsys) -> None:
    """Issue 9: torch.ops.aten.cosine_similarity scored 20/20 with status ok."""
    verdict = _judged(checks.get("L-2/cosine_similarity/values"), route, evidence_dir, capsys)
    assert verdict.points == 0.0 and "ForbiddenCall" in verdict.failures[0].reason
    assert torch.ops.aten.cosine_similarity(X, X, -1, 1e-8).shape == (2,)  # restored


def test_dispatcher_block_spares_the_operators_answers_are_made_of() -> None:
    from autograder.checks.dot_product import COSINE_FORBIDDEN, MATMUL_BUILTINS

    assert evidence.aten_ops(list(COSINE_FORBIDDEN)) == ["cosine_similarity"]
    assert not {"mul", "sum", "norm", "linalg_vector_norm", "div"} & set(
        evidence.aten_ops(list(MATMUL_BUILTINS))
    )
    with evidence.forbid_ops(list(MATMUL_BUILTINS)):
        assert torch.equal((X * X).sum(-1), X.pow(2).sum(-1))
        with pytest.raises(evidence.ForbiddenCall):
            torch.ops.aten.mm(X, X.T)
        with pytest.raises(evidence.ForbiddenCall), torch.inference_mode():
            torch.ops.aten.dot(X[0], X[0])
    assert torch.ops.aten.mm(X, X.T).shape == (2, 2)  # restored


# ---- exceptions: which mistake, which inputs, where to look (issue 7) -------------------------


def test_unimplemented_function_says_so() -> None:
    verdict = DOUBLE.run(_stub)
    assert verdict.failures[0].reason.startswith("还没有实现 `toy`")
    assert "还没有实现 `toy`" in verdict.message() and verdict.oracle == ""


def test_any_exception_gets_the_case_shapes_and_an_explanation() -> None:
    verdict = DOUBLE.run(lambda x: x @ x)  # (2, 3) @ (2, 3) cannot be multiplied
    first = verdict.failures[0].reason
    assert first.startswith("运行出错：RuntimeError") and "x: (2, 3) float32" in first
    assert "转置" in verdict.advice and verdict.advice in verdict.message()


def test_issue7_top_k_without_min_gets_its_hint_from_the_exception() -> None:
    from autograder.mutants.dot_product import top_k_retrieve__k_not_clamped

    verdict = checks.get("L-2/top_k_retrieve/large_k").run(top_k_retrieve__k_not_clamped)
    assert verdict.oracle == "k_not_clamped" and verdict.hint
    assert "k_greater_than_n" in verdict.message() and verdict.hint in verdict.message()
    assert "query: (2, 4) float32, corpus: (6, 4) float32, k: 20" in verdict.message()


# ---- NaN oracles match on where NaN can appear (issue 7) --------------------------------------

ANGLE_LIKE = toy(
    lambda x: torch.arccos(x.clamp(-1, 1)),
    [Case("near_one", (torch.tensor([0.5, 1.0, -1.0, 0.0], dtype=torch.float64),))],
    oracles=(
        Oracle(
            "no_clamp",
            lambda x: torch.arccos(x * (1 + 1e-16)),  # NaN at neither place in float64
            "先 clamp。",
            nan_where=lambda x: x.abs() > 1 - 1e-6,
        ),
    ),
    nan_causes="arccos 的参数超出了 [-1, 1]",
)


def test_nan_oracle_matches_nan_anywhere_it_can_appear() -> None:
    def nan_at_plus_one(x):
        out = torch.arccos(x)
        out[1] = math.nan  # rounding pushed cos to 1.0000001 here only
        return out

    verdict = ANGLE_LIKE.run(nan_at_plus_one)
    assert verdict.oracle == "no_clamp" and verdict.hint == "先 clamp。"
    assert "arccos 的参数超出了 [-1, 1]" in verdict.message()  # the function's own NaN causes


def test_nan_oracle_rejects_nan_where_it_cannot_appear_or_wrong_values() -> None:
    def nan_at_half(x):
        out = torch.arccos(x)
        out[0] = math.nan
        return out

    assert ANGLE_LIKE.run(nan_at_half).oracle == ""

    def nan_and_wrong(x):
        out = torch.arccos(x) * 2
        out[1] = math.nan
        return out

    assert ANGLE_LIKE.run(nan_and_wrong).oracle == ""
    assert ANGLE_LIKE.run(lambda x: torch.arccos(x.clamp(-1, 1)) + 1).oracle == ""  # no NaN


def test_default_nan_message_lists_common_causes() -> None:
    def nan_at_one_place(x):
        out = x * 2
        out.view(-1)[0] = math.nan
        return out

    assert "除以零" in _reasons(DOUBLE.run(nan_at_one_place))


# ---- dependency-aware hints (issue 7) ----------------------------------------------------------


def _notebook(code: str) -> dict:
    """A fresh 'notebook globals' namespace with the student's code executed in it."""
    namespace = {"torch": torch, "math": math}
    exec(compile(code, "<student cell>", "exec"), namespace)
    return namespace


BROKEN_DOT = """
def dot(a, b):
    return (a * b).sum(dim=a.dim() - 1)

def angle_between(a, b):
    cos = dot(a, b) / (a.norm(dim=-1) * b.norm(dim=-1))
    return torch.arccos(cos.clamp(-1.0, 1.0))
"""


def test_trace_calls_records_graded_helpers_and_restores_globals() -> None:
    ns = _notebook(BROKEN_DOT)
    original = ns["dot"]
    spec = checks.get("L-2/angle_between/values").spec()
    assert "dot" in spec["watch"]
    record = run_cases(ns["angle_between"], spec)
    assert all(r["calls"] == ["dot"] for r in record["results"])
    assert ns["dot"] is original
    with evidence.trace_calls(["dot", "angle_between"], ns["angle_between"]) as called:
        ns["angle_between"](torch.ones(2), torch.ones(2))
    assert called == {"dot"}  # the function itself is never a dependency of itself


def test_issue7_cascade_names_the_broken_helper_in_kernel() -> None:
    from autograder.notebook import check as hidden_check

    ns = _notebook(BROKEN_DOT)
    with pytest.raises(AssertionError) as raised:
        hidden_check("L-2/angle_between/values", ns["angle_between"])
    message = str(raised.value)
    want = "你的 `angle_between` 调用了 `dot`，而 `dot` 未通过它自己的检查：先修好 `dot`"
    assert message.splitlines()[-1].startswith(f"提示：{want}")  # the cause comes first


def test_link_dependencies_marks_only_failed_callers_of_failing_functions() -> None:
    dot_v = Verdict("L-2/dot/values", "dot", 0.0, 2, (Failure("x", "错"),), function="dot")
    angle_v = Verdict(
        "L-2/angle_between/values",
        "夹角",
        0.0,
        1,
        (Failure("y", "错"),),
        function="angle_between",
        calls=("dot",),
    )
    passing_caller = Verdict("L-2/x/values", "x", 1, 1, function="x", calls=("dot",))
    ok_dot = Verdict("L-2/dot/values", "dot", 2, 2, function="dot")
    linked = link_dependencies([dot_v, angle_v, passing_caller])
    assert linked[1].blocked_by == ("dot",) and linked[0].blocked_by == ()
    assert linked[2] == passing_caller
    assert link_dependencies([ok_dot, angle_v])[1].blocked_by == ()
    assert linked[1].feedback_hint.startswith("你的 `angle_between` 调用了 `dot`")
    assert linked[1].points == 0.0  # the downstream cell still scores 0


def test_forged_calls_are_ignored_by_the_judge() -> None:
    check = checks.get("L-2/angle_between/values")
    record = run_cases(lambda a, b: torch.zeros(()), check.spec())
    for r in record["results"]:
        r["calls"] = ["not_a_graded_function", 7, "dot"]
    verdict = check.judge(record)
    assert verdict.calls == ("dot",)
