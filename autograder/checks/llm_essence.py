"""Checks for L0 LLM 模型本质: one `Check` per grade cell of L0-llm-model-essence.ipynb.

Cases avoid constants that hide bugs: D = 12 with 3 heads (√(D/H) = 2, √D ≈ 3.46), T = 5,
vocabularies of 7 to 11 tokens, logits ×1000 and |x| = 1e4, rows of very different scale (a
global max instead of a per-row max underflows), float64 next to float32, masks that are
neither all-true nor causal, and the shipped pretrained TinyGPT's own weights and hidden
states for the Transformer block. Sampling is graded by distribution: thousands of seeded
samples against the reference probabilities with a binomial tolerance (`SamplingCheck`).
"""

from __future__ import annotations

import functools
import math
import warnings
from collections.abc import Callable
from dataclasses import asdict, dataclass

import torch

from autograder.check import Case, Check, Failure, Oracle, Verdict, _calls, _well_formed
from autograder.references import llm_essence as ref
from course.evidence import GENERATOR_SEED
from course.explain import explain_error

F64 = torch.float64


def _randn(gen: torch.Generator, *shape: int, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    return torch.randn(*shape, generator=gen, dtype=F64).to(dtype)


def _seeded(seed: int) -> dict:
    """A plain stand-in for torch.Generator().manual_seed(seed) (built by course.evidence)."""
    return {GENERATOR_SEED: seed}


SOFTMAX_BUILTINS = (
    "torch.softmax",
    "torch.nn.functional.softmax",
    "torch.nn.functional.log_softmax",
    "torch.Tensor.softmax",
    "torch.Tensor.log_softmax",
    "torch.log_softmax",
    "torch.special.softmax",
    "torch.special.log_softmax",
    "torch.nn.functional.softmin",
    "torch._softmax",
    "torch._log_softmax",
)
# The shipped model's own sampler does the sampling exercises.
SAMPLER_HELPERS = ("course.tinygpt._pick_next", "course.tinygpt.TinyGPT.generate")
ATTENTION_BUILTINS = (
    "torch.nn.functional.scaled_dot_product_attention",
    "torch.nn.MultiheadAttention",
    "torch.nn.functional.multi_head_attention_forward",
    "course.tinygpt.CausalSelfAttention",
)
LAYER_NORM_BUILTINS = (
    "torch.nn.functional.layer_norm",
    "torch.layer_norm",
    "torch.native_layer_norm",
    "torch.nn.LayerNorm",
)
BLOCK_HELPERS = ("course.tinygpt.Block", "course.tinygpt.MLP", "course.tinygpt.TinyGPT")

# ---- L0-1 softmax ---------------------------------------------------------------------------


def _softmax_value_cases(gen: torch.Generator) -> list[Case]:
    neg_inf = float("-inf")
    return [
        Case("hand_1d", (torch.tensor([1.0, 2.0, 3.0]),)),
        Case("batched", (_randn(gen, 4, 7) * 3,)),
        Case("rank3", (_randn(gen, 2, 3, 5),)),
        Case("size1_along_dim", (_randn(gen, 5, 1),)),
        Case("one_element", (torch.tensor([0.3]),)),
        Case("float64_rank3", (_randn(gen, 2, 1, 6, dtype=F64) * 4,)),
        Case(
            "masked_logits",
            (torch.tensor([[0.0, neg_inf, 1.0, neg_inf], [2.0, 0.5, neg_inf, 0.1]]),),
        ),
    ]


def _softmax_stability_cases(gen: torch.Generator) -> list[Case]:
    x = _randn(gen, 3, 6)
    return [
        Case("plus_100", (x + 100,)),
        Case("times_1000", (x * 1000,)),
        Case("abs_1e4", (torch.tensor([[1e4, -1e4, 0.0, 9999.0], [-1e4, -1e4, -9998.0, -1e4]]),)),
        # one row near +1e4 and one near -1e4: a single global max underflows the second row
        Case("rows_of_different_scale", (torch.stack([x[0] + 1e4, x[1] - 1e4]),)),
        Case("float64_abs_1e4", (_randn(gen, 2, 5, dtype=F64) * 1e4,)),
        Case("one_row_abs_1e4", (torch.tensor([[-1e4, 1e4, 9998.5]]),)),
    ]


def _softmax_dim_cases(gen: torch.Generator) -> list[Case]:
    return [
        Case("dim0", (_randn(gen, 4, 3),), {"dim": 0}),
        Case("dim1_of_rank3", (_randn(gen, 2, 5, 3),), {"dim": 1}),
        Case("dim_minus2", (_randn(gen, 3, 4, 2),), {"dim": -2}),
        Case("size1_batch_dim0", (_randn(gen, 6, 1),), {"dim": 0}),
        Case("float64", (_randn(gen, 3, 4, dtype=F64),)),
        # float64 logits near 1e4 that differ by 1e-3: float32 cannot even store the differences
        Case("float64_fine_differences", (1e4 + torch.arange(6, dtype=F64).reshape(2, 3) * 1e-3,)),
    ]


def _softmax_grad_cases(gen: torch.Generator) -> list[Case]:
    # float64 gradients to float64 precision, as the visible test in the same cell asks
    # (atol 1e-12): computing in float32 and casting back loses ~1e-8
    f64 = (1e-10, 1e-12)
    return [
        Case("grad_last_dim", (_randn(gen, 3, 5, dtype=F64),), grad=(0,), tol=f64),
        Case("grad_dim0", (_randn(gen, 4, 2, dtype=F64),), {"dim": 0}, grad=(0,), tol=f64),
        Case("grad_float32", (_randn(gen, 2, 6) * 10,), grad=(0,)),
        Case("grad_one_row", (_randn(gen, 1, 5, dtype=F64),), grad=(0,), tol=f64),
    ]


def _sm_no_max(x, dim=-1):
    e = torch.exp(x)
    return e / e.sum(dim=dim, keepdim=True)


def _sm_global_max(x, dim=-1):
    e = torch.exp(x - x.max())
    return e / e.sum(dim=dim, keepdim=True)


def _sm_last_dim(x, dim=-1):
    return ref.softmax(x, -1)


def _sm_whole_tensor(x, dim=-1):
    e = torch.exp(x - x.amax(dim=dim, keepdim=True))
    return e / e.sum()


def _sm_float32(x, dim=-1):
    return ref.softmax(x.float(), dim).to(x.dtype)


SOFTMAX_ORACLES = (
    Oracle(
        "no_max_subtraction",
        _sm_no_max,
        "没有先减去最大值：x 很大时 exp(x) 溢出为 inf，结果出现 NaN。softmax(x) = softmax(x − max)。",
    ),
    Oracle(
        "global_max",
        _sm_global_max,
        "减去的是整个张量的最大值，而不是沿 dim 每一行自己的最大值：数值相差很大的行会整行下溢为 0/0。"
        "用 x.amax(dim=dim, keepdim=True)。",
    ),
    Oracle(
        "ignores_dim",
        _sm_last_dim,
        "忽略了参数 dim：应沿 dim 指定的维度归一化，而不是总用最后一维。",
    ),
    Oracle(
        "whole_tensor",
        _sm_whole_tensor,
        "分母是整个张量的和：应沿 dim 求和并 keepdim=True，使每一行（每个分布）单独加起来等于 1。",
    ),
    Oracle(
        "float32",
        _sm_float32,
        "float64 的输入按 float32 计算了，精度丢失：结果应保持输入的 dtype。",
    ),
)

SOFTMAX_CHECKS = (
    Check(
        "L0/softmax/values",
        "softmax",
        "softmax：数值、形状与被遮蔽（−inf）的位置",
        2,
        _softmax_value_cases,
        ref.softmax,
        forbidden=SOFTMAX_BUILTINS,
        oracles=SOFTMAX_ORACLES,
        seed=101,
    ),
    Check(
        "L0/softmax/stability",
        "softmax",
        "softmax：数值稳定（x + 100、x × 1000、|x| = 1e4）",
        2,
        _softmax_stability_cases,
        ref.softmax,
        forbidden=SOFTMAX_BUILTINS,
        oracles=SOFTMAX_ORACLES,
        seed=102,
    ),
    Check(
        "L0/softmax/dim_dtype",
        "softmax",
        "softmax：任意维度 dim 与 float64",
        1,
        _softmax_dim_cases,
        ref.softmax,
        forbidden=SOFTMAX_BUILTINS,
        oracles=SOFTMAX_ORACLES,
        seed=103,
    ),
    Check(
        "L0/softmax/gradients",
        "softmax",
        "softmax：梯度",
        1,
        _softmax_grad_cases,
        ref.softmax,
        forbidden=SOFTMAX_BUILTINS,
        oracles=SOFTMAX_ORACLES,
        seed=104,
    ),
)

# ---- L0-1 next_token_probs ------------------------------------------------------------------


def _from_probs(probs: list[float], dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """Logits whose softmax is `probs` (up to rounding): log p."""
    return torch.tensor(probs, dtype=F64).log().to(dtype)


def _temperature_cases(gen: torch.Generator) -> list[Case]:
    logits = _randn(gen, 8) * 2
    return [
        Case("T1_plain_softmax", (logits,), {"temperature": 1.0}),
        Case("T0.5_sharper", (logits,), {"temperature": 0.5}),
        Case("T2_flatter", (logits,), {"temperature": 2.0}),
        Case("batched_T0.7", (_randn(gen, 3, 9) * 3,), {"temperature": 0.7}),
        Case("float64_T1.3", (_randn(gen, 2, 7, dtype=F64),), {"temperature": 1.3}),
        Case("x1000_T1000", (_randn(gen, 2, 7) * 1000,), {"temperature": 1000.0}),
        Case("T0_greedy", (_randn(gen, 3, 8),), {"temperature": 0.0}),
        Case("T0_tie_first_index", (torch.tensor([[1.0, 3.0, 3.0, 0.0]]),), {"temperature": 0.0}),
        Case("one_token_vocab", (torch.tensor([[0.4], [-2.0]]),), {"temperature": 0.8}),
    ]


def _top_k_cases(gen: torch.Generator) -> list[Case]:
    return [
        Case("k3_T1", (_randn(gen, 10) * 2,), {"top_k": 3}),
        Case("k3_T1.5_batched", (_randn(gen, 4, 10) * 2,), {"temperature": 1.5, "top_k": 3}),
        Case("k1_is_greedy", (_randn(gen, 2, 7),), {"temperature": 2.0, "top_k": 1}),
        Case("k_larger_than_vocab", (_randn(gen, 6),), {"top_k": 50}),
        Case("k_equals_vocab", (_randn(gen, 6),), {"top_k": 6}),
        # the 2nd and 3rd logits tie at the k-th value: both are kept
        Case("tie_at_kth", (torch.tensor([2.0, 1.0, 1.0, 0.0, -1.0]),), {"top_k": 2}),
        Case("float64_k4", (_randn(gen, 3, 9, dtype=F64),), {"top_k": 4, "temperature": 0.8}),
        Case("batch_of_one_k2", (_randn(gen, 1, 6),), {"top_k": 2}),
    ]


def _top_p_cases(gen: torch.Generator) -> list[Case]:
    shuffled = _from_probs([0.05, 0.5, 0.15, 0.3])  # sorted: 0.5, 0.3, 0.15, 0.05
    return [
        # mass before each sorted token: 0, 0.5, 0.8, 0.95 -> 0.75 keeps {0.5, 0.3}
        Case("p0.75_keeps_crossing_token", (shuffled,), {"top_p": 0.75}),
        Case("p0.9", (shuffled,), {"top_p": 0.9}),
        Case("p0.4_only_top", (shuffled,), {"top_p": 0.4}),
        Case("p1_keeps_all", (shuffled,), {"top_p": 1.0}),
        # T = 2 flattens to about (0.12, 0.38, 0.21, 0.29): mass before the 3rd is 0.67 < 0.7,
        # so 0.7 keeps three tokens (at T = 1 it would keep two: 0.8 >= 0.7)
        Case("p0.7_after_temperature", (shuffled,), {"temperature": 2.0, "top_p": 0.7}),
        Case(
            "batched_rows_differ",
            (
                torch.stack(
                    [_from_probs([0.6, 0.25, 0.1, 0.05]), _from_probs([0.3, 0.28, 0.22, 0.2])]
                ),
            ),
            {"top_p": 0.7},
        ),
        # after top-k = 3 the kept (0.5, 0.3, 0.15) renormalise to (0.53, 0.32, 0.16): mass before
        # the 3rd is 0.842 >= 0.825, so 2 are kept (without renormalising it would be 0.8: 3 kept)
        Case("with_top_k", (shuffled,), {"top_k": 3, "top_p": 0.825}),
        # 0.4, 0.2, 0.2, 0.2: p = 0.5 crosses at a 0.2 token; its equals are kept with it
        Case("tie_at_threshold", (_from_probs([0.2, 0.4, 0.2, 0.2]),), {"top_p": 0.5}),
        Case("float64", (_from_probs([0.1, 0.45, 0.25, 0.2], F64),), {"top_p": 0.65}),
        Case("batch_of_one", (_from_probs([0.1, 0.45, 0.25, 0.2])[None],), {"top_p": 0.5}),
    ]


def _ntp_temperature_after_softmax(logits, temperature=1.0, top_k=None, top_p=None):
    probs = ref.next_token_probs(logits, 1.0, top_k, top_p) if temperature else None
    if probs is None:
        return ref.next_token_probs(logits, 0.0)
    return probs / temperature / (probs / temperature).sum(-1, keepdim=True)


def _ntp_multiply_temperature(logits, temperature=1.0, top_k=None, top_p=None):
    if temperature == 0:
        return ref.next_token_probs(logits, 0.0)
    return ref.next_token_probs(logits * temperature * temperature, temperature, top_k, top_p)


def _ntp_drop_crossing(logits, temperature=1.0, top_k=None, top_p=None):
    probs = ref.next_token_probs(logits, temperature, top_k, None)
    if top_p is None or top_p >= 1.0 or temperature == 0:
        return probs
    sorted_p, order = probs.sort(dim=-1, descending=True)
    keep_sorted = sorted_p.cumsum(-1) <= top_p
    keep = keep_sorted.scatter(-1, order, keep_sorted)
    kept = probs.masked_fill(~keep, 0.0)
    return kept / kept.sum(-1, keepdim=True)


def _ntp_top_p_before_temperature(logits, temperature=1.0, top_k=None, top_p=None):
    if temperature == 0:
        return ref.next_token_probs(logits, 0.0)
    nucleus = ref.next_token_probs(logits, 1.0, top_k, top_p) > 0
    scaled = ref.next_token_probs(logits, temperature, top_k, None).masked_fill(~nucleus, 0.0)
    return scaled / scaled.sum(-1, keepdim=True)


def _ntp_no_renormalise(logits, temperature=1.0, top_k=None, top_p=None):
    probs = ref.next_token_probs(logits, temperature, None, None)
    return probs.masked_fill(ref.next_token_probs(logits, temperature, top_k, top_p) == 0, 0.0)


def _ntp_top_k_strict(logits, temperature=1.0, top_k=None, top_p=None):
    if temperature == 0 or top_k is None or top_k >= logits.shape[-1]:
        return ref.next_token_probs(logits, temperature, top_k, top_p)
    idx = logits.topk(top_k, dim=-1).indices
    keep = torch.zeros_like(logits, dtype=torch.bool).scatter(-1, idx, True)
    return ref.next_token_probs(logits.masked_fill(~keep, float("-inf")), temperature, None, top_p)


NEXT_TOKEN_ORACLES = (
    Oracle(
        "temperature_after_softmax",
        _ntp_temperature_after_softmax,
        "温度用在了 softmax 之后（概率除以 T 再归一化等于没用温度）：应先把 logits 除以 T，再做 softmax。",
    ),
    Oracle(
        "multiplied_by_temperature",
        _ntp_multiply_temperature,
        "logits 乘以了 T：温度的定义是 softmax(logits / T)，T < 1 更尖锐、T > 1 更平坦。",
    ),
    Oracle(
        "top_p_drops_crossing_token",
        _ntp_drop_crossing,
        "top-p 把越过阈值的那个 token 也丢掉了：按约定保留累计概率首次达到 top_p 的那个 token"
        "（保留条件是排在它前面的概率之和 < top_p）。",
    ),
    Oracle(
        "top_p_before_temperature",
        _ntp_top_p_before_temperature,
        "top-p 的核（nucleus）是在温度之前的分布上选的：顺序是 温度 → top-k → top-p。",
    ),
    Oracle(
        "not_renormalised",
        _ntp_no_renormalise,
        "过滤之后没有重新归一化：保留下来的概率要除以它们的和，使每一行加起来等于 1。",
    ),
    Oracle(
        "top_k_breaks_ties",
        _ntp_top_k_strict,
        "top-k 在并列时只保留了 k 个：按约定与第 k 大的 logit 相等的 token 都保留（logits >= 第 k 大的值）。",
    ),
)
NEXT_TOKEN_FORBIDDEN = SAMPLER_HELPERS

NEXT_TOKEN_CHECKS = tuple(
    Check(
        f"L0/next_token_probs/{aspect}",
        "next_token_probs",
        title,
        points,
        cases,
        ref.next_token_probs,
        forbidden=NEXT_TOKEN_FORBIDDEN,
        oracles=NEXT_TOKEN_ORACLES,
        seed=seed,
    )
    for aspect, title, points, cases, seed in (
        ("temperature", "next_token_probs：温度与贪心（T = 0）", 2, _temperature_cases, 111),
        ("top_k", "next_token_probs：top-k（含并列）", 1, _top_k_cases, 112),
        ("top_p", "next_token_probs：top-p（保留越过阈值的 token）", 2, _top_p_cases, 113),
    )
)

# ---- L0-1 sample_next: graded by distribution -------------------------------------------------

N_SAMPLES = 4000  # rows of identical logits per case: one sample each


def _many(logits: torch.Tensor) -> torch.Tensor:
    return logits.expand(N_SAMPLES, -1).clone()


def _greedy_cases(gen: torch.Generator) -> list[Case]:
    return [
        Case("T0_batched", (_randn(gen, 5, 11),), {"temperature": 0.0}),
        Case("T0_one_row_1d", (_randn(gen, 9),), {"temperature": 0.0}),
        Case(
            "T0_tie_first_index",
            # 64 tied rows: a sampler that only looks greedy picks index 1 every time by luck
            # with probability 2^-64, so the verdict does not depend on the random state
            (torch.tensor([[0.5, 2.0, 2.0], [1.0, 1.0, 0.0]]).repeat(32, 1),),
            {"temperature": 0.0},
        ),
        Case(
            "T0_ignores_top_k_p",
            (_randn(gen, 3, 6),),
            {"temperature": 0.0, "top_k": 2, "top_p": 0.5},
        ),
        Case("T0_float64_rank3", (_randn(gen, 2, 3, 5, dtype=F64),), {"temperature": 0.0}),
        Case("T0_batch_of_one", (_randn(gen, 1, 7),), {"temperature": 0.0}),
        Case(
            "top_k1_any_T",
            (_randn(gen, 4, 8),),
            {"temperature": 1.7, "top_k": 1, "generator": _seeded(5)},
        ),
    ]


def _distribution_cases(gen: torch.Generator) -> list[Case]:
    base = _from_probs([0.05, 0.42, 0.13, 0.25, 0.1, 0.05])
    return [
        Case("T1_plain", (_many(base),), {"temperature": 1.0, "generator": _seeded(11)}),
        Case("T0.5", (_many(base),), {"temperature": 0.5, "generator": _seeded(12)}),
        Case("T2", (_many(base),), {"temperature": 2.0, "generator": _seeded(13)}),
        Case("top_k3", (_many(base),), {"temperature": 1.0, "top_k": 3, "generator": _seeded(14)}),
        # sorted 0.42, 0.25, 0.13, 0.1, ...: mass before the 3rd is 0.67 -> top_p 0.6 keeps 2
        Case(
            "top_p0.6", (_many(base),), {"temperature": 1.0, "top_p": 0.6, "generator": _seeded(15)}
        ),
        Case(
            "T1.5_top_k4_top_p0.8",
            (_many(base),),
            {"temperature": 1.5, "top_k": 4, "top_p": 0.8, "generator": _seeded(16)},
        ),
        Case("float64", (_many(base.double()),), {"temperature": 0.8, "generator": _seeded(17)}),
        Case(
            "one_token_vocab",
            (_many(torch.tensor([0.3])),),
            {"temperature": 1.0, "generator": _seeded(18)},
        ),
    ]


def _generator_cases(gen: torch.Generator) -> list[Case]:
    base = _many(_from_probs([0.3, 0.2, 0.25, 0.15, 0.1]))[:500]
    kwargs = {"temperature": 1.0, "top_p": 0.95}
    return [
        Case("seed_21", (base,), {**kwargs, "generator": _seeded(21)}),
        Case("seed_21_again", (base,), {**kwargs, "generator": _seeded(21)}),
        Case("seed_22", (base,), {**kwargs, "generator": _seeded(22)}),
    ]


@dataclass(frozen=True)
class SamplingCheck(Check):
    """Grades a sampler by what it draws, not by one draw.

    Per case: the output is an int64 tensor of logits.shape[:-1]; at temperature 0 it equals
    the greedy ids exactly; otherwise it never holds a token of probability 0, and the
    frequency of every token is within 4.5 binomial standard deviations (+ 2/N) of the
    `probs` of the case (rows of a case share one distribution). `same` pairs of cases
    (same seed) must give identical samples and `different` pairs (other seed) must not.
    Oracles are wrong probability functions (logits, temperature, top_k, top_p) -> probs.
    """

    probs: Callable = ref.next_token_probs  # the distribution each case should be drawn from
    same: tuple[tuple[str, str], ...] = ()
    different: tuple[tuple[str, str], ...] = ()

    def judge(self, record: dict, cases: list[Case] | None = None) -> Verdict:
        cases = self.build_cases() if cases is None else cases
        if not _well_formed(record, self.id, len(cases)):
            failure = Failure("*", "评分证据不完整或不属于本题 (evidence missing or malformed)")
            return Verdict(self.id, self.title, 0.0, self.points, (failure,))
        results = record["results"]
        watch = self.spec(cases)["watch"]
        failures: list[Failure] = []
        calls: set[str] = set()
        first_error = ""
        samples: dict[str, torch.Tensor] = {}
        for case, got in zip(cases, results, strict=True):
            reason, ids = _sample_reason(case, got, self.probs)
            if reason:
                if (
                    isinstance(got, dict) and got.get("ok") is False
                ):  # it raised: say what and where
                    first_error = first_error or str(got.get("error", ""))
                    reason = self._error_reason(case, str(got.get("error", "")))
                failures.append(Failure(case.name, reason))
                calls |= _calls(got, watch)
            elif ids is not None:
                samples[case.name] = ids
        for a, b in self.same:
            if a in samples and b in samples and not torch.equal(samples[a], samples[b]):
                failures.append(
                    Failure(
                        b,
                        "同一个种子的 generator 两次得到了不同的样本：采样时要把 generator 传给 "
                        "torch.multinomial / torch.rand（不要用全局随机数）。",
                    )
                )
        for a, b in self.different:
            if a in samples and b in samples and torch.equal(samples[a], samples[b]):
                failures.append(
                    Failure(
                        b,
                        "换了种子样本却完全相同：是否在函数里自己设了固定种子，而没有用传入的 generator？",
                    )
                )
        if not failures:
            return Verdict(self.id, self.title, self.points, self.points, function=self.function)
        oracle = self._sampling_oracle(cases, results)
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

    def _sampling_oracle(self, cases: list[Case], results: list) -> Oracle | None:
        for oracle in self.oracles:
            if all(
                _sample_reason(c, g, oracle.fn)[0] is None
                for c, g in zip(cases, results, strict=True)
                if float(c.kwargs.get("temperature", 1.0)) != 0.0
            ):
                return oracle
        return None


def _case_probs(case: Case, probs_fn: Callable) -> torch.Tensor:
    kw = {k: v for k, v in case.kwargs.items() if k != "generator"}
    return probs_fn(case.args[0], **kw)


def _sample_reason(
    case: Case, got: dict, probs_fn: Callable
) -> tuple[str | None, torch.Tensor | None]:
    """(None, ids) when the case's samples fit `probs_fn`'s distribution, else (reason, None)."""
    if not isinstance(got, dict) or not got.get("ok"):
        return f"运行出错：{got.get('error', '') if isinstance(got, dict) else ''}", None
    ids = got.get("value")
    logits = case.args[0]
    if type(ids) is not torch.Tensor:
        return f"返回类型不对：期望 int64 的 Tensor，得到 {type(ids).__name__}", None
    if tuple(ids.shape) != tuple(logits.shape[:-1]):
        return f"形状（shape）不对：期望 {tuple(logits.shape[:-1])}，得到 {tuple(ids.shape)}", None
    if ids.dtype != torch.int64:
        return f"类型（dtype）不对：期望 torch.int64，得到 {ids.dtype}", None
    V = logits.shape[-1]
    if ids.numel() and (ids.min() < 0 or ids.max() >= V):
        return f"token id 超出范围 [0, {V})", None
    if float(case.kwargs.get("temperature", 1.0)) == 0.0:
        want = logits.argmax(dim=-1)
        return (
            (None, ids)
            if torch.equal(ids, want)
            else ("T = 0 时应取概率最大的 token（并列取下标最小的）", None)
        )
    probs = _case_probs(case, probs_fn).reshape(-1, V)[0].to(F64)
    flat = ids.reshape(-1)
    n = flat.numel()
    if (probs[flat] == 0).any():
        bad = int(flat[probs[flat] == 0][0])
        return f"采样到了按规则应被过滤掉的 token {bad}（概率为 0）", None
    freq = torch.bincount(flat, minlength=V).to(F64) / n
    tol = 4.5 * torch.sqrt(probs * (1 - probs) / n) + 2.0 / n
    worst = int(((freq - probs).abs() - tol).argmax())
    if ((freq - probs).abs() > tol).any():
        return (
            f"{n} 个样本的频率与应有的概率不符：token {worst} 出现的频率 {freq[worst]:.3f}，"
            f"应约为 {probs[worst]:.3f}",
            None,
        )
    return None, ids


SAMPLE_ORACLES = tuple(
    o
    for o in NEXT_TOKEN_ORACLES
    if o.name in ("temperature_after_softmax", "top_p_drops_crossing_token")
)
SAMPLE_FORBIDDEN = SAMPLER_HELPERS

SAMPLE_CHECKS = (
    Check(
        "L0/sample_next/greedy",
        "sample_next",
        "sample_next：T = 0 贪心、形状与 int64",
        1,
        _greedy_cases,
        ref.sample_next,
        exact=True,
        forbidden=SAMPLE_FORBIDDEN,
        seed=121,
    ),
    SamplingCheck(
        "L0/sample_next/distribution",
        "sample_next",
        "sample_next：4000 个样本的分布（温度、top-k、top-p）",
        2,
        _distribution_cases,
        ref.sample_next,
        forbidden=SAMPLE_FORBIDDEN,
        oracles=SAMPLE_ORACLES,
        seed=122,
    ),
    SamplingCheck(
        "L0/sample_next/generator",
        "sample_next",
        "sample_next：用传入的 generator 采样（同一种子可复现）",
        1,
        _generator_cases,
        ref.sample_next,
        forbidden=SAMPLE_FORBIDDEN,
        seed=123,
        waivers={
            "float64": "reproducibility does not depend on the dtype; float64 is graded in /distribution",
            "size_one": "500 rows by design; a batch of one is graded in /greedy, V = 1 in /distribution",
        },
        same=(("seed_21", "seed_21_again"),),
        different=(("seed_21", "seed_22"),),
    ),
)

# ---- L0-2 causal mask -----------------------------------------------------------------------


def _causal_cases(gen: torch.Generator) -> list[Case]:
    return [Case(f"T{t}", (t,)) for t in (1, 2, 5, 64)]


CAUSAL_ORACLES = (
    Oracle(
        "inverted",
        lambda T: ~ref.causal_mask(T),
        "掩码反了：True 表示可以关注，位置 i 可以看 j ≤ i（下三角）。",
    ),
    Oracle(
        "strict",
        lambda T: torch.ones(T, T, dtype=torch.bool).tril(-1),
        "对角线是 False：每个位置也可以关注它自己（j = i），用 tril() 而不是 tril(-1)。",
    ),
    Oracle(
        "transposed",
        lambda T: torch.ones(T, T, dtype=torch.bool).triu(),
        "掩码转置了：行是查询 i、列是键 j，True 在 j ≤ i 处（下三角，不是上三角）。",
    ),
    Oracle(
        "not_bool",
        lambda T: torch.ones(T, T).tril(),
        "返回的不是 bool 张量：约定 dtype=torch.bool（True = 可以关注），不是 0/1 浮点数。",
    ),
)

CAUSAL_CHECKS = (
    Check(
        "L0/causal_mask/values",
        "causal_mask",
        "causal_mask：(T, T) bool，j ≤ i 处为 True",
        1,
        _causal_cases,
        ref.causal_mask,
        exact=True,
        oracles=CAUSAL_ORACLES,
        seed=131,
        waivers={"size_one": "the input is an int T; T = 1 is a case"},
    ),
)

# ---- L0-2 multi-head attention ----------------------------------------------------------------

D, H = 12, 3  # head size 4: √(D/H) = 2, while √D ≈ 3.46


def _weights(gen: torch.Generator, dtype: torch.dtype = torch.float32) -> tuple:
    return tuple(_randn(gen, D, D, dtype=dtype) / math.sqrt(D) for _ in range(4))


def _mha_value_cases(gen: torch.Generator) -> list[Case]:
    return [
        Case("batched", (_randn(gen, 2, 5, D), *_weights(gen), H)),
        Case("unbatched", (_randn(gen, 5, D) * 2, *_weights(gen), H)),
        Case("one_token", (_randn(gen, 1, 1, D), *_weights(gen), H)),
        Case("float64_rank4", (_randn(gen, 2, 1, 4, D, dtype=F64), *_weights(gen, F64), H)),
        Case("two_heads", (_randn(gen, 3, 6, D), *_weights(gen), 2)),
        Case("six_heads", (_randn(gen, 2, 4, D), *_weights(gen), 6)),
    ]


def _random_mask(gen: torch.Generator, *shape: int) -> torch.Tensor:
    mask = torch.rand(*shape, generator=gen) < 0.5
    return mask | torch.eye(shape[-1], dtype=torch.bool)  # every query may attend to itself


def _mha_mask_cases(gen: torch.Generator) -> list[Case]:
    return [
        Case("causal", (_randn(gen, 2, 5, D), *_weights(gen), H), {"mask": ref.causal_mask(5)}),
        Case(
            "random_mask",
            (_randn(gen, 2, 5, D), *_weights(gen), H),
            {"mask": _random_mask(gen, 5, 5)},
        ),
        Case(
            "per_batch_mask",
            (_randn(gen, 2, 5, D), *_weights(gen), H),
            {"mask": _random_mask(gen, 2, 1, 5, 5)},
        ),
        Case(
            "float64_causal_one_head",
            (_randn(gen, 4, D, dtype=F64), *_weights(gen, F64), 1),
            {"mask": ref.causal_mask(4)},
        ),
    ]


def _mha_grad_cases(gen: torch.Generator) -> list[Case]:
    return [
        Case(
            "grads_causal",
            (_randn(gen, 2, 5, D, dtype=F64), *_weights(gen, F64), H),
            {"mask": ref.causal_mask(5)},
            grad=(0, 1, 2, 3, 4),
        ),
        Case(
            "grads_float32_one_sequence", (_randn(gen, 1, 4, D), *_weights(gen), H), grad=(0, 1, 4)
        ),
    ]


def _mha_with(x, w_q, w_k, w_v, w_o, n_heads, mask=None, *, split, merge, scale, out_proj=True):
    *lead, T, Dm = x.shape
    dh = Dm // n_heads
    q, k, v = (split(x @ w.T, lead, T, n_heads, dh) for w in (w_q, w_k, w_v))
    scores = q @ k.transpose(-2, -1) / math.sqrt(scale(Dm, dh))
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    y = merge(ref.softmax(scores, -1) @ v, lead, T, Dm)
    return y @ w_o.T if out_proj else y


def _split_ok(t, lead, T, n, dh):
    return t.reshape(*lead, T, n, dh).transpose(-3, -2)


def _split_view(t, lead, T, n, dh):
    return t.reshape(*lead, n, T, dh)


def _merge_ok(y, lead, T, Dm):
    return y.transpose(-3, -2).reshape(*lead, T, Dm)


def _merge_no_transpose(y, lead, T, Dm):
    return y.reshape(*lead, T, Dm)


MHA_ORACLES = (
    Oracle(
        "view_without_transpose",
        functools.partial(
            _mha_with, split=_split_view, merge=_merge_no_transpose, scale=lambda d, h: h
        ),
        "拆分多头时直接 view/reshape 成 (..., H, T, D/H)，把不同位置的数混进了同一个头："
        "应先 reshape 成 (..., T, H, D/H)，再 transpose 成 (..., H, T, D/H)（合并时反过来）。",
    ),
    Oracle(
        "merge_without_transpose",
        functools.partial(
            _mha_with, split=_split_ok, merge=_merge_no_transpose, scale=lambda d, h: h
        ),
        "合并多头时没有先把 (..., H, T, D/H) 转回 (..., T, H, D/H) 就 reshape：各位置的输出被打乱了。",
    ),
    Oracle(
        "scale_by_d_model",
        functools.partial(_mha_with, split=_split_ok, merge=_merge_ok, scale=lambda d, h: d),
        "缩放用了 √D（d_model）：每个头的打分应除以 √(D/H)，即每个头的维度。",
    ),
    Oracle(
        "no_scale",
        functools.partial(_mha_with, split=_split_ok, merge=_merge_ok, scale=lambda d, h: 1),
        "打分没有除以 √(D/H)：缩放点积注意力需要这个缩放（见 L-2）。",
    ),
    Oracle(
        "no_output_projection",
        functools.partial(
            _mha_with, split=_split_ok, merge=_merge_ok, scale=lambda d, h: h, out_proj=False
        ),
        "缺少输出投影：合并多头之后还要乘以 w_o（y @ w_o.T），把各头的结果混合起来。",
    ),
    Oracle(
        "weights_not_transposed",
        lambda x, w_q, w_k, w_v, w_o, n_heads, mask=None: ref.multi_head_attention(
            x, w_q.T, w_k.T, w_v.T, w_o.T, n_heads, mask
        ),
        "权重按 nn.Linear 的约定存成 (out, in)：投影是 x @ W.T，而不是 x @ W。",
    ),
)
MHA_FORBIDDEN = ATTENTION_BUILTINS

MHA_CHECKS = tuple(
    Check(
        f"L0/multi_head_attention/{aspect}",
        "multi_head_attention",
        title,
        points,
        cases,
        ref.multi_head_attention,
        forbidden=MHA_FORBIDDEN,
        oracles=MHA_ORACLES,
        seed=seed,
    )
    for aspect, title, points, cases, seed in (
        (
            "values",
            "multi_head_attention：拆分与合并多头、按头维度缩放、输出投影",
            3,
            _mha_value_cases,
            141,
        ),
        ("mask", "multi_head_attention：布尔掩码（因果、随机、按批次）", 1, _mha_mask_cases, 142),
        ("gradients", "multi_head_attention：对 x 和四个权重的梯度", 1, _mha_grad_cases, 143),
    )
)

# ---- L0-2 layer norm ------------------------------------------------------------------------


def _ln_args(gen: torch.Generator, *shape: int, dtype=torch.float32) -> tuple:
    d = shape[-1]
    return (
        _randn(gen, *shape, dtype=dtype),
        1 + 0.3 * _randn(gen, d, dtype=dtype),
        0.2 * _randn(gen, d, dtype=dtype),
    )


def _ln_cases(gen: torch.Generator) -> list[Case]:
    x, w, b = _ln_args(gen, 4, 10)
    small = 1e-2 * _randn(gen, 3, 7)
    return [
        Case("random", (x, w, b)),
        Case("rank3_float64", _ln_args(gen, 2, 3, 6, dtype=F64)),
        # mean 1e7, spread 1: E[x²] − E[x]² cancels 14 digits even in float64
        Case("float64_offset_1e7", (x.double() + 1e7, w.double(), b.double())),
        Case("small_variance_eps_0.01", (small, torch.ones(7), torch.zeros(7)), {"eps": 1e-2}),
        Case("constant_row", (torch.full((2, 5), 3.0), torch.ones(5), torch.arange(5.0))),
        Case("grads", _ln_args(gen, 3, 8, dtype=F64), grad=(0, 1, 2)),
        Case("one_row", _ln_args(gen, 1, 6)),
        Case("one_feature", (_randn(gen, 3, 1), torch.ones(1), torch.full((1,), 0.5))),
    ]


def _ln_unbiased(x, weight, bias, eps=1e-5):
    with warnings.catch_warnings():  # D = 1: torch warns about n - 1 = 0 degrees of freedom
        warnings.simplefilter("ignore", UserWarning)
        var = x.var(-1, keepdim=True)
    return (x - x.mean(-1, keepdim=True)) / torch.sqrt(var + eps) * weight + bias


def _ln_eps_outside(x, weight, bias, eps=1e-5):
    mean = x.mean(-1, keepdim=True)
    std = ((x - mean) ** 2).mean(-1, keepdim=True).sqrt()
    return (x - mean) / (std + eps) * weight + bias


def _ln_no_affine(x, weight, bias, eps=1e-5):
    return ref.layer_norm(x, torch.ones_like(weight), torch.zeros_like(bias), eps)


def _ln_moments(x, weight, bias, eps=1e-5):
    mean = x.mean(-1, keepdim=True)
    var = (x * x).mean(-1, keepdim=True) - mean * mean
    return (x - mean) / torch.sqrt(var + eps) * weight + bias


LN_ORACLES = (
    Oracle(
        "unbiased_variance",
        _ln_unbiased,
        "方差用了无偏估计（除以 n−1，torch.var 的默认）：LayerNorm 除以 n（unbiased=False）。",
    ),
    Oracle(
        "eps_outside_sqrt",
        _ln_eps_outside,
        "eps 加在了开方之外：应是 √(var + eps)，不是 √var + eps。",
    ),
    Oracle("no_affine", _ln_no_affine, "归一化之后还要乘 weight、加 bias（可学习的缩放与平移）。"),
    Oracle(
        "var_from_moments",
        _ln_moments,
        "方差用 E[x²] − E[x]² 计算：均值远大于波动时两项几乎相等，相减会丢掉几乎所有有效数字。先减均值再平方。",
    ),
)

LN_CHECKS = (
    Check(
        "L0/layer_norm/values",
        "layer_norm",
        "layer_norm：沿最后一维，有偏方差，eps 在根号内，weight 与 bias",
        1,
        _ln_cases,
        ref.layer_norm,
        rtol=1e-4,
        atol=1e-5,
        forbidden=LAYER_NORM_BUILTINS,
        oracles=LN_ORACLES,
        seed=151,
    ),
)

# ---- L0-2 Transformer block, against the shipped TinyGPT ---------------------------------------

BLOCK_PROMPTS = ("杭州属于浙江省。", "狗一叫就是汪汪。")


@functools.cache
def _tinygpt_hidden() -> tuple[dict, list[torch.Tensor]]:
    """The pretrained checkpoint's block states and the hidden states entering each block."""
    from course.tinygpt import load

    model, tok = load("pretrained")
    ids = torch.tensor([tok.encode("<bos>" + p, strict=True) for p in BLOCK_PROMPTS])  # (2, T)
    with torch.no_grad():
        x = model.tok_emb(ids) + model.pos_emb(torch.arange(ids.shape[1]))
        hidden = []
        for block in model.blocks:
            hidden.append(x.clone())
            x = block(x)
    states = {
        i: {k: v.clone() for k, v in b.state_dict().items()} for i, b in enumerate(model.blocks)
    }
    return states, hidden


def _random_block_state(gen: torch.Generator, d: int, r: int, dtype=F64) -> dict:
    def w(o, i):
        return _randn(gen, o, i, dtype=dtype) / math.sqrt(i)

    return {
        "ln1.weight": 1 + 0.3 * _randn(gen, d, dtype=dtype),
        "ln1.bias": 0.2 * _randn(gen, d, dtype=dtype),
        "attn.q_proj.weight": w(d, d),
        "attn.k_proj.weight": w(d, d),
        "attn.v_proj.weight": w(d, d),
        "attn.out_proj.weight": w(d, d),
        "ln2.weight": 1 + 0.3 * _randn(gen, d, dtype=dtype),
        "ln2.bias": 0.2 * _randn(gen, d, dtype=dtype),
        "mlp.fc.weight": w(r * d, d),
        "mlp.proj.weight": w(d, r * d),
    }


def _block_tinygpt_cases(gen: torch.Generator) -> list[Case]:
    states, hidden = _tinygpt_hidden()
    build = {"args": [128, 4]}
    return [
        Case(
            "pretrained_block0_one_prompt",
            (hidden[0][:1],),
            build={**build, "state_dict": states[0]},
        ),
        Case("pretrained_block2_batch", (hidden[2],), build={**build, "state_dict": states[2]}),
        Case(
            "pretrained_block3_prefix",
            (hidden[3][:, :4],),
            build={**build, "state_dict": states[3]},
        ),
    ]


def _block_general_cases(gen: torch.Generator) -> list[Case]:
    def build(d, h, r, eps):
        return {
            "args": [d, h],
            "kwargs": {"mlp_ratio": r, "eps": eps},
            "state_dict": _random_block_state(gen, d, r),
            "dtype": "float64",
        }

    return [
        Case(
            "d12_h3_ratio2_eps1e-3",
            (_randn(gen, 2, 5, 12, dtype=F64) * 3,),
            build=build(12, 3, 2, 1e-3),
        ),
        Case("one_token", (_randn(gen, 1, 1, 12, dtype=F64),), build=build(12, 3, 2, 1e-5)),
        Case(
            "eps_0.5_small_inputs",
            (0.1 * _randn(gen, 2, 4, 8, dtype=F64),),
            build=build(8, 2, 3, 0.5),
        ),
        Case("grads_x", (_randn(gen, 2, 4, 8, dtype=F64),), grad=(0,), build=build(8, 4, 4, 1e-5)),
    ]


def _variant_block(**flags) -> type:
    """A block class with one deliberate deviation from TinyGPT's (for the mistake oracles)."""

    class Variant(torch.nn.Module):
        def __init__(self, d_model: int, n_heads: int, mlp_ratio: int = 4, eps: float = 1e-5):
            super().__init__()
            self.inner = ref.TransformerBlock(d_model, n_heads, mlp_ratio, eps)
            self.n_heads, self.eps = n_heads, eps

        def load_state_dict(self, state, strict=True):
            return self.inner.load_state_dict(state, strict)

        def forward(self, x):
            p = self.inner
            eps = self.eps

            def ln(t, m):
                if flags.get("eps_outside"):
                    return _ln_eps_outside(t, m.weight, m.bias, eps)
                if flags.get("unbiased"):
                    return _ln_unbiased(t, m.weight, m.bias, eps)
                return ref.layer_norm(t, m.weight, m.bias, eps)

            mask = None if flags.get("no_mask") else ref.causal_mask(x.shape[-2])
            a = p.attn

            def attn(t):
                return ref.multi_head_attention(
                    t,
                    a.q_proj.weight,
                    a.k_proj.weight,
                    a.v_proj.weight,
                    a.out_proj.weight,
                    self.n_heads,
                    mask,
                )

            act = torch.relu if flags.get("relu") else torch.nn.functional.gelu

            def mlp(t):
                return p.mlp.proj(act(p.mlp.fc(t)))

            if flags.get("post_norm"):
                x = ln(x + attn(x), p.ln1)
                return ln(x + mlp(x), p.ln2)
            if flags.get("no_residual"):
                x = attn(ln(x, p.ln1))
                return mlp(ln(x, p.ln2))
            x = x + attn(ln(x, p.ln1))
            return x + mlp(ln(x, p.ln2))

    return Variant


BLOCK_ORACLES = (
    Oracle(
        "post_norm",
        _variant_block(post_norm=True),
        "写成了后归一化（post-norm）：TinyGPT 是前归一化，x = x + Attn(LN(x))。",
    ),
    Oracle(
        "no_residual",
        _variant_block(no_residual=True),
        "缺少残差连接：应是 x = x + Attn(LN1(x))、x = x + MLP(LN2(x))。",
    ),
    Oracle(
        "no_causal_mask",
        _variant_block(no_mask=True),
        "注意力没有加因果掩码：位置 t 只能看到 0..t（causal_mask(T)）。",
    ),
    Oracle(
        "relu",
        _variant_block(relu=True),
        "MLP 的激活函数应是 GELU（F.gelu，精确的 erf 版本），不是 ReLU。",
    ),
    Oracle(
        "eps_outside_sqrt",
        _variant_block(eps_outside=True),
        "LayerNorm 的 eps 加在了开方之外：应是 √(var + eps)。",
    ),
    Oracle(
        "unbiased_variance",
        _variant_block(unbiased=True),
        "LayerNorm 的方差应除以 n（有偏），不是 n−1。",
    ),
)
BLOCK_FORBIDDEN = ATTENTION_BUILTINS + LAYER_NORM_BUILTINS + BLOCK_HELPERS

BLOCK_CHECKS = (
    Check(
        "L0/TransformerBlock/tinygpt",
        "TransformerBlock",
        "TransformerBlock：载入预训练 TinyGPT 的权重，输出与模型自己的 block 一致",
        3,
        _block_tinygpt_cases,
        ref.TransformerBlock,
        rtol=1e-4,
        atol=1e-4,
        forbidden=BLOCK_FORBIDDEN,
        oracles=BLOCK_ORACLES,
        seed=161,
        waivers={
            "float64": "the shipped checkpoint's float32 weights; float64 is graded in /general"
        },
    ),
    Check(
        "L0/TransformerBlock/general",
        "TransformerBlock",
        "TransformerBlock：其他尺寸、mlp_ratio、eps、一个 token 与梯度",
        2,
        _block_general_cases,
        ref.TransformerBlock,
        rtol=1e-6,
        atol=1e-8,
        forbidden=BLOCK_FORBIDDEN,
        oracles=BLOCK_ORACLES,
        seed=162,
        waivers={"float32": "float32 is graded on the shipped checkpoint in /tinygpt"},
    ),
)

# ---- L0-3 parameters ------------------------------------------------------------------------


def _tinygpt_config() -> dict:
    from course.tinygpt import TinyGPTConfig

    return asdict(TinyGPTConfig())


GPT2_SMALL = {  # GPT-2 small (2019): 124,439,808 parameters with biases and tied embeddings
    "vocab_size": 50257,
    "block_size": 1024,
    "d_model": 768,
    "n_layers": 12,
    "n_heads": 12,
    "mlp_ratio": 4,
    "bias": True,
    "tie_embeddings": True,
}


def _count_main_cases(gen: torch.Generator) -> list[Case]:
    return [Case("tinygpt", (_tinygpt_config(),)), Case("gpt2_small", (dict(GPT2_SMALL),))]


def _count_variant_cases(gen: torch.Generator) -> list[Case]:
    tiny = _tinygpt_config()
    return [
        Case("untied", ({**tiny, "tie_embeddings": False},)),
        Case("bias_untied", ({**tiny, "bias": True, "tie_embeddings": False},)),
        Case(
            "one_layer_one_position", ({**tiny, "n_layers": 1, "block_size": 1, "vocab_size": 7},)
        ),
        Case("mlp_ratio_2_six_heads", ({**tiny, "mlp_ratio": 2, "n_heads": 8, "d_model": 48},)),
        Case("no_layers", ({**tiny, "n_layers": 0},)),
    ]


def _cp_with(
    config,
    *,
    tied_twice=False,
    pos=True,
    norms=True,
    mlp_mats=2,
    attn_mats=4,
    bias=True,
    heads=False,
):
    V, D, L, r = config["vocab_size"], config["d_model"], config["n_layers"], config["mlp_ratio"]
    b = bool(config.get("bias", False)) and bias
    tied = bool(config.get("tie_embeddings", True))
    norm = 2 * D if norms else 0
    attn = attn_mats * D * D * (config["n_heads"] if heads else 1) + (attn_mats * D if b else 0)
    mlp = mlp_mats * r * D * D + ((r * D + D) if b else 0)
    emb = V * D + (config["block_size"] * D if pos else 0)
    head = V * D if (tied_twice or not tied) else 0
    return emb + L * (2 * norm + attn + mlp) + norm + head


COUNT_ORACLES = (
    Oracle(
        "tied_counted_twice",
        functools.partial(_cp_with, tied_twice=True),
        "共享（tied）的嵌入矩阵被数了两次：输出层复用 token 嵌入时只算一次。",
    ),
    Oracle(
        "no_position_embedding",
        functools.partial(_cp_with, pos=False),
        "漏了位置嵌入：block_size × d_model 个参数。",
    ),
    Oracle(
        "no_layernorm",
        functools.partial(_cp_with, norms=False),
        "漏了 LayerNorm 的参数：每个 LayerNorm 有 weight 和 bias 共 2·D 个（每层两个，最后还有一个）。",
    ),
    Oracle(
        "mlp_one_matrix",
        functools.partial(_cp_with, mlp_mats=1),
        "MLP 有两个矩阵：D → r·D 和 r·D → D，共 2·r·D² 个权重。",
    ),
    Oracle(
        "attention_three_matrices",
        functools.partial(_cp_with, attn_mats=3),
        "注意力有四个矩阵：W_Q、W_K、W_V，以及输出投影 W_O。",
    ),
    Oracle(
        "per_head_matrices",
        functools.partial(_cp_with, heads=True),
        "多头不增加参数：H 个头合起来仍是 D × D 的矩阵，不要再乘 n_heads。",
    ),
    Oracle(
        "ignores_bias",
        functools.partial(_cp_with, bias=False),
        "bias=True 时每个 Linear 还有偏置：注意力 4·D，MLP r·D + D。",
    ),
)

COUNT_CHECKS = (
    Check(
        "L0/count_parameters/tinygpt_gpt2",
        "count_parameters",
        "count_parameters：TinyGPT（833,536）与 GPT-2 small（124,439,808）",
        2,
        _count_main_cases,
        ref.count_parameters,
        exact=True,
        forbidden=("course.tinygpt.TinyGPT",),
        oracles=COUNT_ORACLES,
        seed=171,
        waivers={
            "size_one": "the input is a config dict; n_layers = 1 and block_size = 1 are cases"
        },
    ),
    Check(
        "L0/count_parameters/variants",
        "count_parameters",
        "count_parameters：不共享嵌入、带偏置、其他尺寸",
        1,
        _count_variant_cases,
        ref.count_parameters,
        exact=True,
        forbidden=("course.tinygpt.TinyGPT",),
        oracles=COUNT_ORACLES,
        seed=172,
        waivers={
            "size_one": "the input is a config dict; n_layers = 1 and block_size = 1 are cases"
        },
    ),
)


def _bytes_cases(gen: torch.Generator) -> list[Case]:
    n = 833_536
    cases = [
        Case(f"tinygpt_{dt}", (n, dt)) for dt in ("float32", "float16", "bfloat16", "int8", "int4")
    ]
    return cases + [
        Case("gpt2_float64", (124_439_808, "float64")),
        Case("odd_int4", (7, "int4")),
        Case("zero", (0, "float32")),
    ]


def _bytes_bits(n_params, dtype):
    return {"float64": 64, "float32": 32, "bfloat16": 16, "float16": 16, "int8": 8, "int4": 4}[
        dtype
    ] * n_params


def _bytes_bf16_as_4(n_params, dtype):
    return 4 * n_params if dtype == "bfloat16" else ref.param_bytes(n_params, dtype)


def _bytes_int4_whole_byte(n_params, dtype):
    return n_params if dtype == "int4" else ref.param_bytes(n_params, dtype)


def _bytes_int4_floor(n_params, dtype):
    return n_params // 2 if dtype == "int4" else ref.param_bytes(n_params, dtype)


BYTES_ORACLES = (
    Oracle(
        "bits_not_bytes",
        _bytes_bits,
        "返回的是比特（bit）数：1 字节 = 8 比特，float32 每个参数 4 字节。",
    ),
    Oracle(
        "bfloat16_as_4",
        _bytes_bf16_as_4,
        "bfloat16 是 16 位浮点数，每个参数 2 字节（和 float16 一样大，只是指数位更多）。",
    ),
    Oracle(
        "int4_whole_byte", _bytes_int4_whole_byte, "int4 每个参数半个字节：两个参数打包进一个字节。"
    ),
    Oracle(
        "int4_floor",
        _bytes_int4_floor,
        "int4 参数个数为奇数时，最后半个字节也要占一整个字节：向上取整。",
    ),
)

BYTES_CHECKS = (
    Check(
        "L0/param_bytes/values",
        "param_bytes",
        "param_bytes：各 dtype 每个参数的字节数",
        1,
        _bytes_cases,
        ref.param_bytes,
        exact=True,
        oracles=BYTES_ORACLES,
        seed=181,
        waivers={
            "size_one": "the inputs are an int and a dtype name; n_params = 0 and 7 are cases"
        },
    ),
)

# ---- L0-3 text log-probability (the fact probe's measurement) ---------------------------------


def _logprob_cases(gen: torch.Generator) -> list[Case]:
    V = 11
    hand_logits = torch.log(
        torch.tensor([[[0.1, 0.2, 0.3, 0.4], [0.25, 0.25, 0.25, 0.25], [0.7, 0.1, 0.1, 0.1]]])
    )
    return [
        # log P = log p0[2] + log p1[1] = log 0.3 + log 0.25 (the last position predicts nothing)
        Case("hand", (hand_logits, torch.tensor([[3, 2, 1]]))),
        Case("batched", (_randn(gen, 3, 6, V) * 2, torch.randint(0, V, (3, 6), generator=gen))),
        Case("two_tokens", (_randn(gen, 2, 2, V), torch.randint(0, V, (2, 2), generator=gen))),
        Case(
            "float64", (_randn(gen, 2, 5, V, dtype=F64), torch.randint(0, V, (2, 5), generator=gen))
        ),
        Case(
            "grads",
            (_randn(gen, 2, 4, V, dtype=F64), torch.randint(0, V, (2, 4), generator=gen)),
            grad=(0,),
        ),
    ]


def _logprob_stability_cases(gen: torch.Generator) -> list[Case]:
    V = 9
    return [
        Case(
            "logits_x1000",
            (_randn(gen, 2, 5, V) * 1000, torch.randint(0, V, (2, 5), generator=gen)),
        ),
        Case(
            "float64_x1000",
            (_randn(gen, 2, 4, V, dtype=F64) * 1000, torch.randint(0, V, (2, 4), generator=gen)),
        ),
        Case(
            "long_sequence_x30",
            (_randn(gen, 1, 64, V) * 30, torch.randint(0, V, (1, 64), generator=gen)),
        ),
        # 63 ordinary probabilities of about 1/9: each is fine, their product (1e-60) underflows
        Case(
            "long_sequence_x1", (_randn(gen, 1, 64, V), torch.randint(0, V, (1, 64), generator=gen))
        ),
    ]


def _lp_no_shift(logits, ids):
    return torch.log_softmax(logits, -1).gather(-1, ids[..., None]).squeeze(-1).sum(-1)


def _lp_mean(logits, ids):
    return ref.text_logprob(logits, ids) / (ids.shape[1] - 1)


def _lp_raw_logits(logits, ids):
    return logits[:, :-1].gather(-1, ids[:, 1:, None]).squeeze(-1).sum(-1)


def _lp_product(logits, ids):
    p = ref.softmax(logits[:, :-1], -1).gather(-1, ids[:, 1:, None]).squeeze(-1)
    return torch.log(p.prod(-1))


def _lp_log_of_softmax(logits, ids):
    p = ref.softmax(logits[:, :-1], -1).gather(-1, ids[:, 1:, None]).squeeze(-1)
    return torch.log(p).sum(-1)


LOGPROB_ORACLES = (
    Oracle(
        "no_shift",
        _lp_no_shift,
        "没有错开一位：logits[:, t] 预测的是 ids[:, t+1]，用 logits[:, :-1] 对 ids[:, 1:]。",
    ),
    Oracle(
        "mean_not_sum",
        _lp_mean,
        "取了平均：一段文本的对数概率是各 token 对数概率之和（链式法则）。",
    ),
    Oracle("raw_logits", _lp_raw_logits, "直接取了 logits：要先做 log-softmax，得到对数概率。"),
    Oracle(
        "product_of_probs",
        _lp_product,
        "先把概率连乘再取 log：许多小概率相乘会下溢为 0，log 0 = −inf。在对数空间里求和。",
    ),
    Oracle(
        "log_of_softmax",
        _lp_log_of_softmax,
        "log(softmax(x)) 在 logits 很大时会得到 log 0 = −inf：用 log-softmax（x − logsumexp(x)）。",
    ),
)

LOGPROB_CHECKS = (
    Check(
        "L0/text_logprob/values",
        "text_logprob",
        "text_logprob：错开一位、对数概率求和、梯度",
        1,
        _logprob_cases,
        ref.text_logprob,
        oracles=LOGPROB_ORACLES,
        seed=191,
    ),
    Check(
        "L0/text_logprob/stability",
        "text_logprob",
        "text_logprob：logits × 1000 与长序列",
        1,
        _logprob_stability_cases,
        ref.text_logprob,
        oracles=LOGPROB_ORACLES,
        seed=192,
    ),
)

CHECKS = (
    *SOFTMAX_CHECKS,
    *NEXT_TOKEN_CHECKS,
    *SAMPLE_CHECKS,
    *CAUSAL_CHECKS,
    *MHA_CHECKS,
    *LN_CHECKS,
    *BLOCK_CHECKS,
    *COUNT_CHECKS,
    *BYTES_CHECKS,
    *LOGPROB_CHECKS,
)
