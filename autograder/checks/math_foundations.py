"""Checks for L-1 数学基础: one `Check` per grade cell of L-1-math-foundations.ipynb.

Cases avoid constants that hide bugs: non-square tables (so a wrong axis changes values, not
only shapes), joint tables of counts whose total is not 1, a zero probability in p, in q and in
both, size 1 along `dim`, float64 next to float32, logits ×100 and ×1000, chains that mix slowly
(so a few power steps are not the stationary distribution), vocabularies with ids that never
occur, and square matrices next to non-square ones (so x @ W and x @ Wᵀ differ in value).
"""

from __future__ import annotations

import torch

from autograder.check import Case, Check, Oracle
from autograder.checks.dot_product import MATMUL_BUILTINS
from autograder.references import math_foundations as ref

F64 = torch.float64
INF = float("inf")


def _randn(gen: torch.Generator, *shape: int, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    return torch.randn(*shape, generator=gen, dtype=F64).to(dtype)


def _probs(gen: torch.Generator, *shape: int, dtype=torch.float32, dim: int = -1) -> torch.Tensor:
    """Random distributions along `dim` (positive, uneven)."""
    w = torch.rand(*shape, generator=gen, dtype=F64) ** 3 + 1e-3
    return (w / w.sum(dim=dim, keepdim=True)).to(dtype)


def _with_zeros(gen: torch.Generator, *shape: int, dtype=torch.float32) -> torch.Tensor:
    """Distributions along the last dim with some exact zeros (never a whole row)."""
    w = torch.rand(*shape, generator=gen, dtype=F64)
    w[torch.rand(*shape, generator=gen) < 0.35] = 0.0
    w[..., 0] = w[..., 0] + 0.1
    return (w / w.sum(dim=-1, keepdim=True)).to(dtype)


# ---- L-1-1 conditional probability ------------------------------------------------------------


def _conditional_value_cases(gen: torch.Generator) -> list[Case]:
    hand = torch.tensor([[0.10, 0.20, 0.10], [0.30, 0.05, 0.25]])
    counts = torch.randint(0, 9, (3, 5), generator=gen).to(torch.float32) + 1.0
    return [
        Case("hand_given_rows", (hand, 0)),
        Case("hand_given_columns", (hand, 1)),
        Case("counts_not_normalised", (counts, 0)),
        Case("float64_given_minus1", (torch.rand(4, 6, generator=gen, dtype=F64), -1)),
        Case("three_variables", (torch.rand(2, 3, 4, generator=gen) + 0.1, 1)),
        Case("one_row", (torch.rand(1, 4, generator=gen) + 0.1, 0)),
        Case("one_column_given_rows", (torch.rand(3, 1, generator=gen) + 0.1, 0)),
    ]


def _conditional_zero_cases(gen: torch.Generator) -> list[Case]:
    a = torch.rand(4, 3, generator=gen)
    a[2] = 0.0  # P(X = 2) = 0
    b = torch.rand(3, 5, generator=gen, dtype=F64)
    b[:, 1] = 0.0  # P(Y = 1) = 0
    return [
        Case("zero_row_given_rows", (a, 0)),
        Case("zero_column_given_columns_f64", (b, 1)),
        Case("zero_row_given_columns", (a, 1)),
        Case("single_zero_row", (torch.zeros(1, 3), 0)),
    ]


def _cond_wrong_axis(joint, given_dim):
    return joint / joint.sum(dim=given_dim, keepdim=True)


def _cond_total(joint, given_dim):
    return joint / joint.sum()


def _cond_nan(joint, given_dim):
    dim = given_dim % joint.dim()
    others = [d for d in range(joint.dim()) if d != dim]
    return joint / joint.sum(dim=others, keepdim=True)


def _cond_one_other_dim(joint, given_dim):
    dim = given_dim % joint.dim()
    other = 1 if dim == 0 else 0
    return joint / joint.sum(dim=other, keepdim=True)


CONDITIONAL_ORACLES = (
    Oracle(
        "wrong_axis",
        _cond_wrong_axis,
        "归一化的维度反了：P(·|X=i) 要除以 X 的边缘概率 P(X=i)，"
        "它是对 **其他** 维求和（given_dim 以外的维度），不是沿 given_dim 求和。",
    ),
    Oracle(
        "divided_by_total",
        _cond_total,
        "除以的是整张表的总和：那只是把联合分布归一化，条件概率要除以边缘概率 P(X=i)。",
    ),
    Oracle(
        "nan_on_zero_marginal",
        _cond_nan,
        "边缘概率为 0 时 0/0 得到 NaN：按约定这一片条件概率全为 0（先判断边缘概率是否为 0）。",
    ),
    Oracle(
        "one_other_dim",
        _cond_one_other_dim,
        "三个变量时，边缘概率要对 given_dim 以外的 **所有** 维求和，而不只是其中一维。",
    ),
)

# ---- L-1-1 expectation and variance ---------------------------------------------------------


def _mean_var_value_cases(gen: torch.Generator) -> list[Case]:
    return [
        Case("hand", (torch.tensor([1.0, 2.0, 6.0]), torch.tensor([0.5, 0.3, 0.2]))),
        Case("die_float64", (torch.arange(1, 7, dtype=F64), torch.full((6,), 1 / 6, dtype=F64))),
        Case("shifted_values", (_randn(gen, 7) * 3 + 10, _probs(gen, 7))),
        Case("point_mass", (torch.tensor([4.0, -2.0, 7.0]), torch.tensor([0.0, 1.0, 0.0]))),
        Case("single_outcome", (torch.tensor([5.0]), torch.tensor([1.0]))),
        Case("shared_values_two_rows", (torch.tensor([0.0, 1.0, 2.0]), _probs(gen, 2, 3))),
    ]


def _mean_var_batch_cases(gen: torch.Generator) -> list[Case]:
    return [
        Case("batched", (_randn(gen, 4, 6), _probs(gen, 4, 6))),
        Case("shared_values", (_randn(gen, 5), _probs(gen, 3, 5))),
        Case("shared_probs_f64", (_randn(gen, 2, 3, 4, dtype=F64), _probs(gen, 4, dtype=F64))),
        Case("one_outcome", (_randn(gen, 3, 1), torch.ones(3, 1))),
    ]


def _mv_sample(values, probs):
    mean, var = ref.mean_var(values, probs)
    n = probs.shape[-1]
    return mean, var * n / (n - 1)


def _mv_sign(values, probs):
    mean = (probs * values).sum(-1)
    return mean, mean**2 - (probs * values**2).sum(-1)


def _mv_unweighted(values, probs):
    mean = values.mean(-1).expand(torch.broadcast_shapes(values.shape, probs.shape)[:-1])
    return mean, values.var(-1, correction=0).expand(mean.shape)


def _mv_std(values, probs):
    mean, var = ref.mean_var(values, probs)
    return mean, var.sqrt()


def _mv_second_moment(values, probs):
    return (probs * values).sum(-1), (probs * values**2).sum(-1)


MEAN_VAR_ORACLES = (
    Oracle(
        "sample_variance",
        _mv_sample,
        "用了样本方差（除以 n−1）：这里给的是一个完整的分布，方差是 Σ p (x − E[X])²，没有 n−1 的修正。",
    ),
    Oracle(
        "reversed_sign",
        _mv_sign,
        "方差的符号反了：Var[X] = E[X²] − (E[X])²，而不是 (E[X])² − E[X²]；方差永远 ≥ 0。",
    ),
    Oracle(
        "unweighted",
        _mv_unweighted,
        "没有用概率加权：期望是 Σ p·x，不是 values 的简单平均。",
    ),
    Oracle("std", _mv_std, "返回的第二个值是标准差（std），本题要方差（variance）。"),
    Oracle(
        "second_moment",
        _mv_second_moment,
        "第二个值是 E[X²]，忘了减去 (E[X])²（或者说忘了先减去均值再平方）。",
    ),
)

# ---- L-1-1 information theory ----------------------------------------------------------------

DISTRIBUTIONS_BUILTINS = (
    "torch.distributions.Categorical",
    "torch.distributions.OneHotCategorical",
    "torch.distributions.kl_divergence",
    "torch.distributions.kl.kl_divergence",
)
ENTROPY_FORBIDDEN = (*DISTRIBUTIONS_BUILTINS, "torch.special.entr")
KL_FORBIDDEN = (
    *DISTRIBUTIONS_BUILTINS,
    "torch.special.entr",
    "torch.nn.functional.kl_div",
    "torch.kl_div",
    "torch.nn.KLDivLoss",
)
LOGITS_FORBIDDEN = (
    *KL_FORBIDDEN,
    "torch.nn.functional.cross_entropy",
    "torch.nn.functional.nll_loss",
    "torch.nn.functional.log_softmax",
    "torch.nn.functional.softmax",
    "torch.nn.CrossEntropyLoss",
    "torch.log_softmax",
    "torch.softmax",
    "torch.logsumexp",
    "torch.Tensor.log_softmax",
    "torch.Tensor.softmax",
    "torch.Tensor.logsumexp",
    "torch.special.log_softmax",
    "torch.special.softmax",
    "torch.special.logsumexp",
)


def _entropy_value_cases(gen: torch.Generator) -> list[Case]:
    return [
        Case("hand", (torch.tensor([0.5, 0.25, 0.25]),)),
        Case("uniform_8", (torch.full((8,), 0.125),)),
        Case("batched", (_probs(gen, 5, 7),)),
        Case("float64", (_probs(gen, 3, 10, dtype=F64),)),
        Case("batch_of_one", (_probs(gen, 1, 5),)),
    ]


def _entropy_zero_cases(gen: torch.Generator) -> list[Case]:
    return [
        Case("one_hot", (torch.tensor([0.0, 1.0, 0.0, 0.0]),)),
        Case("rows_with_zeros", (_with_zeros(gen, 4, 6),)),
        Case("size1_dim", (torch.ones(3, 1),)),
        Case("zeros_float64", (_with_zeros(gen, 2, 5, dtype=F64),)),
    ]


def _entropy_dim_cases(gen: torch.Generator) -> list[Case]:
    return [
        Case("dim0", (_probs(gen, 6, 3, dim=0),), {"dim": 0}),
        Case("dim1_of_3d", (_probs(gen, 2, 6, 3, dim=1),), {"dim": 1}),
        Case("dim_minus2_f64", (_probs(gen, 5, 2, dtype=F64, dim=-2),), {"dim": -2}),
        Case("dim0_one_column", (_probs(gen, 4, 1, dim=0),), {"dim": 0}),
    ]


def _ent_naive(p, dim=-1):
    return -(p * torch.log(p)).sum(dim=dim)


def _ent_bits(p, dim=-1):
    return ref.entropy(p, dim) / torch.log(torch.tensor(2.0, dtype=p.dtype))


def _ent_no_minus(p, dim=-1):
    return -ref.entropy(p, dim)


def _ent_ignores_dim(p, dim=-1):
    return ref.entropy(p, -1)


def _ent_keepdim(p, dim=-1):
    return ref.entropy(p, dim).unsqueeze(dim)


ENTROPY_ORACLES = (
    Oracle(
        "nan_at_zero",
        _ent_naive,
        "p = 0 时 0·log 0 算成了 0·(−∞) = NaN：按约定 0·log 0 = 0，只对 p > 0 的项求和"
        "（例如 torch.where，或 torch.xlogy）。",
    ),
    Oracle(
        "bits",
        _ent_bits,
        "单位不对：本课程用自然对数（nats），不是以 2 为底（bits）。",
    ),
    Oracle("no_minus", _ent_no_minus, "少了负号：H(p) = −Σ p log p，熵永远 ≥ 0。"),
    Oracle(
        "ignores_dim",
        _ent_ignores_dim,
        "忽略了参数 dim：应沿 dim 指定的维度求和，而不是总用最后一维。",
    ),
    Oracle(
        "keepdim",
        _ent_keepdim,
        "结果保留了被求和的那一维：约定去掉 dim（不要 keepdim=True）。",
    ),
)


def _kl_value_cases(gen: torch.Generator) -> list[Case]:
    return [
        Case("hand", (torch.tensor([0.5, 0.5]), torch.tensor([0.9, 0.1]))),
        Case("batched", (_probs(gen, 5, 7), _probs(gen, 5, 7))),
        Case("float64", (_probs(gen, 3, 9, dtype=F64), _probs(gen, 3, 9, dtype=F64))),
        Case("broadcast_q", (_probs(gen, 4, 6), _probs(gen, 6))),
        Case("broadcast_p", (_probs(gen, 6), _probs(gen, 4, 6))),
        Case("batch_of_one", (_probs(gen, 1, 6), _probs(gen, 1, 6))),
    ]


def _kl_zero_cases(gen: torch.Generator) -> list[Case]:
    p = torch.tensor([[0.0, 0.5, 0.5], [0.0, 0.3, 0.7], [0.2, 0.8, 0.0]])
    q = torch.tensor([[0.2, 0.4, 0.4], [0.0, 0.5, 0.5], [0.5, 0.5, 0.0]])
    return [
        Case("zero_in_p", (p[:1], q[:1])),
        Case("zero_in_p_and_q", (p, q)),
        Case("zero_in_q_gives_inf", (torch.tensor([0.5, 0.5]), torch.tensor([1.0, 0.0]))),
        Case("same_distribution_f64", (_with_zeros(gen, 3, 5, dtype=F64),) * 2),
        Case("mixed_rows", (_with_zeros(gen, 4, 5), _with_zeros(gen, 4, 5))),
        Case("zero_in_shared_q_gives_inf", (p, torch.tensor([0.5, 0.5, 0.0]))),
    ]


def _kl_dim_cases(gen: torch.Generator) -> list[Case]:
    return [
        Case("dim0", (_probs(gen, 6, 3, dim=0), _probs(gen, 6, 3, dim=0)), {"dim": 0}),
        Case(
            "dim1_of_3d_f64",
            (_probs(gen, 2, 5, 3, dtype=F64, dim=1), _probs(gen, 2, 5, 3, dtype=F64, dim=1)),
            {"dim": 1},
        ),
        Case("size1_dim", (torch.ones(4, 1), torch.ones(4, 1)), {"dim": -1}),
        # q (5, 3) broadcasts against p (2, 5, 3); dim=1 refers to the broadcast shape
        Case(
            "dim1_q_broadcast",
            (_probs(gen, 2, 5, 3, dim=1), _probs(gen, 5, 3, dim=0)),
            {"dim": 1},
        ),
    ]


def _kl_naive(p, q, dim=-1):
    return (p * (torch.log(p) - torch.log(q))).sum(dim=dim)


def _kl_reversed(p, q, dim=-1):
    return ref.kl_divergence(q, p, dim)


def _kl_negated(p, q, dim=-1):
    return -ref.kl_divergence(p, q, dim)


def _kl_eps(p, q, dim=-1):
    eps = 1e-10
    return (p * (torch.log(p + eps) - torch.log(q + eps))).sum(dim=dim)


def _kl_bits(p, q, dim=-1):
    return ref.kl_divergence(p, q, dim) / torch.log(torch.tensor(2.0, dtype=p.dtype))


def _kl_ignores_dim(p, q, dim=-1):
    return ref.kl_divergence(p, q, -1)


KL_ORACLES = (
    Oracle(
        "reversed",
        _kl_reversed,
        "参数顺序反了：KL(p‖q) = Σ p (log p − log q)，求和的权重是 p；KL 不对称，KL(q‖p) 是另一个数。",
    ),
    Oracle(
        "nan_at_zero",
        _kl_naive,
        "p = 0 的项算成了 0·(−∞) = NaN：按约定这些项贡献 0（只对 p > 0 的项求和）。",
    ),
    Oracle(
        "negated",
        _kl_negated,
        "符号反了：KL(p‖q) = Σ p (log p − log q)，不是 Σ p (log q − log p)；KL 永远 ≥ 0。",
    ),
    Oracle(
        "eps_instead_of_inf",
        _kl_eps,
        "给概率加了 eps：p > 0 而 q = 0 时 KL 应为 +inf（q 认为不可能的事发生了），"
        "而不是一个很大的有限数；p = 0 的项也应正好是 0。",
    ),
    Oracle("bits", _kl_bits, "单位不对：本课程用自然对数（nats），不是以 2 为底（bits）。"),
    Oracle(
        "ignores_dim",
        _kl_ignores_dim,
        "忽略了参数 dim：应沿 dim 指定的维度求和，而不是总用最后一维。",
    ),
)


def _ce_value_cases(gen: torch.Generator) -> list[Case]:
    return [
        Case("hand", (torch.tensor([0.5, 0.5]), torch.tensor([0.9, 0.1]))),
        Case("batched", (_probs(gen, 5, 7), _probs(gen, 5, 7))),
        Case("float64_broadcast", (_probs(gen, 9, dtype=F64), _probs(gen, 3, 9, dtype=F64))),
        Case("one_hot_target", (torch.tensor([[0.0, 0.0, 1.0]]), torch.tensor([[0.2, 0.3, 0.5]]))),
    ]


def _ce_zero_cases(gen: torch.Generator) -> list[Case]:
    p = torch.tensor([[0.0, 0.5, 0.5], [0.2, 0.8, 0.0]])
    q = torch.tensor([[0.0, 0.4, 0.6], [0.5, 0.5, 0.0]])
    return [
        Case("zero_in_p_and_q", (p, q)),
        Case("zero_in_q_gives_inf", (torch.tensor([0.5, 0.5]), torch.tensor([1.0, 0.0]))),
        Case("zeros_f64_dim0", (_with_zeros(gen, 3, 4, dtype=F64).T,) * 2, {"dim": 0}),
        Case(
            "one_hot_rows_shared_q",
            (torch.tensor([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]]), torch.tensor([0.3, 0.7, 0.0])),
        ),
        Case("batch_of_one", (torch.tensor([[0.0, 1.0]]), torch.tensor([[0.0, 1.0]]))),
    ]


def _ce_swapped(p, q, dim=-1):
    return ref.cross_entropy(q, p, dim)


def _ce_naive(p, q, dim=-1):
    return -(p * torch.log(q)).sum(dim=dim)


def _ce_no_minus(p, q, dim=-1):
    return -ref.cross_entropy(p, q, dim)


def _ce_bits(p, q, dim=-1):
    return ref.cross_entropy(p, q, dim) / torch.log(torch.tensor(2.0, dtype=p.dtype))


CE_ORACLES = (
    Oracle(
        "swapped",
        _ce_swapped,
        "参数顺序反了：H(p, q) = −Σ p log q，p 是真实分布（权重），q 是模型的预测（取对数的那个）。",
    ),
    Oracle(
        "nan_at_zero",
        _ce_naive,
        "p = 0 且 q = 0 的项算成了 0·(−∞) = NaN：按约定 p = 0 的项贡献 0。",
    ),
    Oracle("no_minus", _ce_no_minus, "少了负号：H(p, q) = −Σ p log q ≥ 0。"),
    Oracle("bits", _ce_bits, "单位不对：本课程用自然对数（nats），不是以 2 为底（bits）。"),
)


def _logits_value_cases(gen: torch.Generator) -> list[Case]:
    return [
        Case("hand_one_hot", (torch.tensor([1.0, 2.0, 3.0]), torch.tensor([1.0, 0.0, 0.0]))),
        Case("batched_soft", (_randn(gen, 5, 7) * 2, _probs(gen, 5, 7))),
        Case("float64", (_randn(gen, 3, 9, dtype=F64), _probs(gen, 3, 9, dtype=F64))),
        Case("dim0", (_randn(gen, 6, 4), _probs(gen, 6, 4, dim=0)), {"dim": 0}),
        Case("shared_target", (_randn(gen, 2, 4), _probs(gen, 4))),
        Case("batch_of_one", (_randn(gen, 1, 5), _probs(gen, 1, 5))),
    ]


def _logits_large_cases(gen: torch.Generator) -> list[Case]:
    one_hot = torch.zeros(4, 6)
    one_hot[torch.arange(4), torch.tensor([0, 3, 5, 1])] = 1.0
    return [
        Case("x100", (_randn(gen, 4, 6) * 100, _probs(gen, 4, 6))),
        Case("x1000_one_hot", (_randn(gen, 4, 6) * 1000, one_hot)),
        # float64 so that correct formulas agree to 1e-5 however they order the arithmetic
        # (float32 keeps only 3 decimals at 1e4); exp(1e4) still overflows in float64
        Case("shift_1e4_f64", (_randn(gen, 3, 5, dtype=F64) + 1e4, _probs(gen, 3, 5, dtype=F64))),
        Case("x1000_f64", (_randn(gen, 2, 5, dtype=F64) * 1000, _probs(gen, 2, 5, dtype=F64))),
        Case("x1000_one_row_shared_target", (_randn(gen, 1, 6) * 1000, one_hot[1])),
    ]


def _logits_grad_cases(gen: torch.Generator) -> list[Case]:
    return [
        Case("grad_logits", (_randn(gen, 4, 6) * 3, _probs(gen, 4, 6)), grad=(0,)),
        Case(
            "grad_logits_f64_x100",
            (_randn(gen, 3, 5, dtype=F64) * 100, _probs(gen, 3, 5, dtype=F64)),
            grad=(0,),
        ),
        Case("grad_one_row_shared_target", (_randn(gen, 1, 5) * 3, _probs(gen, 5)), grad=(0,)),
    ]


def _lg_no_max(logits, target, dim=-1):
    return -(target * (logits - logits.exp().sum(dim=dim, keepdim=True).log())).sum(dim=dim)


def _lg_log_of_softmax(logits, target, dim=-1):
    e = (logits - logits.amax(dim=dim, keepdim=True)).exp()
    return -(target * torch.log(e / e.sum(dim=dim, keepdim=True))).sum(dim=dim)


def _lg_no_minus(logits, target, dim=-1):
    return -ref.cross_entropy_logits(logits, target, dim)


def _lg_ignores_dim(logits, target, dim=-1):
    return ref.cross_entropy_logits(logits, target, -1)


def _lg_max_not_added_back(logits, target, dim=-1):
    shifted = logits - logits.amax(dim=dim, keepdim=True)
    return -(target * (logits - shifted.exp().sum(dim=dim, keepdim=True).log())).sum(dim=dim)


LOGITS_ORACLES = (
    Oracle(
        "no_max_subtraction",
        _lg_no_max,
        "logits 很大时 exp 溢出为 inf，得到 NaN：先减去最大值再取 exp（log-sum-exp 技巧）。",
    ),
    Oracle(
        "log_of_softmax",
        _lg_log_of_softmax,
        "先算 softmax 再取 log：很小的概率在 float32 里下溢为 0，log 0 = −∞。"
        "直接算 log_softmax = (z − max) − log Σ exp(z − max)。",
    ),
    Oracle("no_minus", _lg_no_minus, "少了负号：交叉熵 = −Σ target · log_softmax(logits) ≥ 0。"),
    Oracle(
        "ignores_dim",
        _lg_ignores_dim,
        "忽略了参数 dim：softmax 和求和都应沿 dim 进行。",
    ),
    Oracle(
        "max_not_consistent",
        _lg_max_not_added_back,
        "减去最大值后没有前后一致：log_softmax = (z − m) − log Σ exp(z − m)，两处都要用减过 m 的 z。",
    ),
)

# ---- L-1-2 Markov chains ---------------------------------------------------------------------


def _ids(gen: torch.Generator, n: int, high: int) -> torch.Tensor:
    return torch.randint(0, high, (n,), generator=gen, dtype=torch.int64)


def _bigram_count_cases(gen: torch.Generator) -> list[Case]:
    return [
        Case("hand", (torch.tensor([0, 1, 2, 1, 2, 0]), 3)),
        Case("random_v7", (_ids(gen, 300, 7), 7)),
        Case("skewed_v5", (torch.tensor([0, 0, 0, 1, 0, 2, 3, 4, 0, 1, 1, 0]), 5)),
        Case("vocabulary_of_one", (torch.tensor([0, 0, 0]), 1)),
    ]


def _bigram_zero_row_cases(gen: torch.Generator) -> list[Case]:
    return [
        Case("unused_ids", (_ids(gen, 60, 5), 9)),
        Case("last_token_unique", (torch.tensor([0, 1, 0, 1, 2]), 3)),
        Case("one_token", (torch.tensor([3]), 4)),
    ]


def _bigram_smoothing_cases(gen: torch.Generator) -> list[Case]:
    return [
        Case("alpha_1", (torch.tensor([0, 1, 2, 1, 2, 0]), 4), {"alpha": 1.0}),
        Case("alpha_0.5_random", (_ids(gen, 80, 6), 8), {"alpha": 0.5}),
        Case("alpha_0.01_one_token", (torch.tensor([2]), 3), {"alpha": 0.01}),
    ]


def _counts(tokens, V):
    c = torch.zeros(V, V, dtype=torch.float64)
    for a, b in zip(tokens[:-1].tolist(), tokens[1:].tolist(), strict=True):
        c[a, b] += 1
    return c


def _bg_columns(tokens, vocab_size, alpha=0.0):
    c = _counts(tokens, vocab_size) + alpha
    tot = c.sum(0, keepdim=True)
    return torch.where(tot > 0, c / tot.clamp_min(1e-300), 1 / vocab_size).float()


def _bg_transposed(tokens, vocab_size, alpha=0.0):
    return ref.bigram_model(tokens.flip(0), vocab_size, alpha)


def _bg_nan_rows(tokens, vocab_size, alpha=0.0):
    c = _counts(tokens, vocab_size) + alpha
    return (c / c.sum(1, keepdim=True)).float()


def _bg_smooth_after(tokens, vocab_size, alpha=0.0):
    P = ref.bigram_model(tokens, vocab_size, 0.0).double() + alpha
    return (P / P.sum(1, keepdim=True)).float()


def _bg_wraparound(tokens, vocab_size, alpha=0.0):
    return ref.bigram_model(torch.cat([tokens, tokens[:1]]), vocab_size, alpha)


BIGRAM_ORACLES = (
    Oracle(
        "normalised_columns",
        _bg_columns,
        "归一化的方向错了：P[i, j] = P(下一个 = j | 当前 = i)，应让每一 **行** 的和为 1（除以 count(i→·)）。",
    ),
    Oracle(
        "transposed_counts",
        _bg_transposed,
        "计数的方向反了：tokens[t] → tokens[t+1] 记在 counts[tokens[t], tokens[t+1]]（行 = 当前，列 = 下一个）。",
    ),
    Oracle(
        "nan_rows",
        _bg_nan_rows,
        "某个词元从没作为“当前”出现过（或只在最后出现），它那一行计数全 0，0/0 = NaN："
        "按约定 α = 0 时这一行是均匀分布 1/V。",
    ),
    Oracle(
        "smoothing_after_normalising",
        _bg_smooth_after,
        "先归一化再加 α 是错的：加 α 平滑要加在 **计数** 上，(count(i→j) + α) / (count(i→·) + α·V)。",
    ),
    Oracle(
        "wraparound",
        _bg_wraparound,
        "多数了一对：最后一个词元后面没有下一个，不要把它和第一个词元连起来（T 个词元只有 T−1 对）。",
    ),
)


def _chain(gen: torch.Generator, V: int, dtype=torch.float32) -> torch.Tensor:
    return _probs(gen, V, V, dtype=dtype)


def _n_step_cases(gen: torch.Generator) -> list[Case]:
    P = _chain(gen, 4)
    p0 = torch.tensor([1.0, 0.0, 0.0, 0.0])
    return [
        Case("one_step", (P, p0, 1)),
        Case("three_steps", (P, p0, 3)),
        Case("zero_steps", (P, _probs(gen, 4), 0)),
        Case("batch_p0_f64", (_chain(gen, 5, F64), _probs(gen, 3, 5, dtype=F64), 7)),
        Case("one_state", (torch.ones(1, 1), torch.ones(2, 1), 4)),
    ]


def _ns_column(P, p0, n):
    p = p0.T if p0.dim() > 1 else p0
    for _ in range(n):
        p = P @ p
    return p.T if p0.dim() > 1 else p


def _ns_times_n(P, p0, n):
    return p0 @ (P * n)


def _ns_off_by_one(P, p0, n):
    return ref.n_step(P, p0, max(n - 1, 0))


def _ns_one_step(P, p0, n):
    return p0 @ P


N_STEP_ORACLES = (
    Oracle(
        "column_convention",
        _ns_column,
        "约定是行向量：p_{t+1} = p_t @ P（P 的第 i 行是“从 i 出发”的分布）；P @ p 是列向量约定，算的是另一个东西。",
    ),
    Oracle(
        "times_n",
        _ns_times_n,
        "n 步要用矩阵的 n 次幂 P^n（连乘 n 次），不是 P·n（每个元素乘以 n）。",
    ),
    Oracle("off_by_one", _ns_off_by_one, "少走了一步：n 步就是乘 n 次 P；n = 0 时返回 p0 本身。"),
    Oracle("one_step", _ns_one_step, "只乘了一次 P，忽略了参数 n。"),
)


def _sticky_chain(dtype) -> torch.Tensor:
    stay = torch.tensor([0.995, 0.98, 0.99, 0.97], dtype=F64)
    P = torch.tensor(
        [[0, 0.5, 0.3, 0.2], [0.6, 0, 0.1, 0.3], [0.25, 0.25, 0, 0.5], [0.7, 0.2, 0.1, 0]],
        dtype=F64,
    )
    P = P * (1 - stay)[:, None] + torch.diag(stay)
    return P.to(dtype)


def _stationary_cases(gen: torch.Generator) -> list[Case]:
    return [
        Case("two_states", (torch.tensor([[0.9, 0.1], [0.5, 0.5]]),)),
        Case("random_5", (_chain(gen, 5),)),
        Case("slow_mixing_f64", (_sticky_chain(F64),)),
        Case("random_7_f64", (_chain(gen, 7, F64),)),
        Case("one_state", (torch.ones(1, 1),)),
    ]


def _st_right(P):
    vals, vecs = torch.linalg.eig(P.to(F64))
    v = vecs[:, (vals - 1).abs().argmin()].real
    return (v / v.sum()).to(P.dtype)


def _st_unit_norm(P):
    pi = ref.stationary(P)
    return pi / pi.norm()


def _st_few_steps(P):
    p = torch.full((P.shape[0],), 1 / P.shape[0], dtype=P.dtype)
    for _ in range(20):
        p = p @ P
    return p


def _st_columns(P):
    return P.sum(dim=0) / P.shape[0]


STATIONARY_ORACLES = (
    Oracle(
        "right_eigenvector",
        _st_right,
        "用的是 P 的（右）特征向量：平稳分布满足 π P = π，是 Pᵀ 的特征值 1 的特征向量（左特征向量）。",
    ),
    Oracle(
        "not_normalised",
        _st_unit_norm,
        "特征向量的长度被归一成了 1（L2 范数）：概率分布要让分量之和为 1（除以 sum）。",
    ),
    Oracle(
        "few_steps",
        _st_few_steps,
        "只迭代了几十步：混合很慢的链（自环概率接近 1）还远没收敛。解线性方程或特征向量，或迭代到不再变化。",
    ),
    Oracle(
        "column_average",
        _st_columns,
        "对列求了平均：那只是从均匀分布出发走一步，不是平稳分布。",
    ),
)


def _perplexity_cases(gen: torch.Generator) -> list[Case]:
    P = torch.tensor([[0.75, 0.25], [0.5, 0.5]])
    return [
        Case("hand", (P, torch.tensor([0, 1, 1, 0]))),
        Case("random_v7", (_chain(gen, 7), _ids(gen, 40, 7))),
        Case("float64", (_chain(gen, 6, F64), _ids(gen, 25, 6))),
        Case("two_tokens", (P, torch.tensor([1, 0]))),
        Case("one_state", (torch.ones(1, 1), torch.tensor([0, 0, 0]))),
    ]


def _perplexity_zero_cases(gen: torch.Generator) -> list[Case]:
    P = torch.tensor([[0.0, 1.0, 0.0], [0.5, 0.0, 0.5], [0.2, 0.3, 0.5]])
    return [
        Case("zero_probability_gives_inf", (P, torch.tensor([0, 1, 2, 0, 0]))),
        Case("zeros_elsewhere_finite", (P, torch.tensor([0, 1, 2, 2, 1, 0, 1]))),
        Case("zero_probability_f64", (P.double(), torch.tensor([2, 2, 1, 1]))),
    ]


def _pp_transposed(P, tokens):
    return ref.bigram_perplexity(P.T.contiguous(), tokens)


def _pp_divide_by_T(P, tokens):
    logp = torch.log(P[tokens[:-1], tokens[1:]])
    return torch.exp(-logp.sum() / tokens.numel())


def _pp_mixed_base(P, tokens):
    return 2 ** (-torch.log(P[tokens[:-1], tokens[1:]]).mean())


def _pp_no_exp(P, tokens):
    return -torch.log(P[tokens[:-1], tokens[1:]]).mean()


def _pp_arithmetic(P, tokens):
    return 1 / P[tokens[:-1], tokens[1:]].mean()


PERPLEXITY_ORACLES = (
    Oracle(
        "transposed",
        _pp_transposed,
        "取概率的下标反了：转移 a → b 的概率是 P[a, b]（行 = 当前词元，列 = 下一个词元）。",
    ),
    Oracle(
        "divided_by_T",
        _pp_divide_by_T,
        "T 个词元只有 T−1 个转移：平均要除以 T−1，不是 T。",
    ),
    Oracle(
        "mixed_base",
        _pp_mixed_base,
        "底数混用了：交叉熵用自然对数（nats）算，困惑度就是 e 的幂 exp(H)，不是 2 的幂。",
    ),
    Oracle("no_exp", _pp_no_exp, "返回的是平均负对数似然（交叉熵），困惑度还要再取 exp。"),
    Oracle(
        "arithmetic_mean",
        _pp_arithmetic,
        "困惑度是概率的 **几何** 平均的倒数 exp(−mean log p)，不是算术平均的倒数。",
    ),
)

# ---- L-1-3 linear algebra --------------------------------------------------------------------

LINEAR_FORBIDDEN = (
    "torch.nn.functional.linear",
    "torch.nn.functional.bilinear",
    "torch.nn.Linear",
    "torch.addmm",
    "torch.Tensor.addmm",
    "torch.baddbmm",
)


def _matmul_value_cases(gen: torch.Generator) -> list[Case]:
    return [
        Case(
            "hand_2x3_3x2",
            (
                torch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]),
                torch.tensor([[1.0, 0.0], [0.0, 1.0], [2.0, -1.0]]),
            ),
        ),
        Case("4x3_3x5", (_randn(gen, 4, 3), _randn(gen, 3, 5))),
        Case("square_4x4", (_randn(gen, 4, 4), _randn(gen, 4, 4))),
        Case("row_times_matrix", (_randn(gen, 1, 3), _randn(gen, 3, 2))),
        Case("matrix_times_stack", (_randn(gen, 4, 3), _randn(gen, 2, 3, 5))),
        Case(
            "float64_cancellation",
            (
                torch.tensor([[1e8, 1.0, -1e8], [3.0, -1e8, 1e8]], dtype=F64),
                torch.tensor([[1.0, 2.0], [1.0, 3.0], [1.0, 2.0]], dtype=F64),
            ),
        ),
    ]


def _matmul_batch_cases(gen: torch.Generator) -> list[Case]:
    return [
        Case("batched", (_randn(gen, 2, 3, 4, 5), _randn(gen, 2, 3, 5, 2))),
        Case("broadcast_batch", (_randn(gen, 2, 1, 4, 3), _randn(gen, 5, 3, 3))),
        Case(
            "matrix_times_batch_f64",
            (_randn(gen, 3, 3, dtype=F64), _randn(gen, 2, 3, 3, dtype=F64)),
        ),
        Case("outer_product", (_randn(gen, 3, 1), _randn(gen, 1, 4))),
        Case("row_times_column", (_randn(gen, 1, 5), _randn(gen, 5, 1))),
    ]


def _matmul_grad_cases(gen: torch.Generator) -> list[Case]:
    return [
        Case("grads_A_B", (_randn(gen, 3, 4), _randn(gen, 4, 2)), grad=(0, 1)),
        Case(
            "grads_batched_f64",
            (_randn(gen, 2, 1, 3, dtype=F64), _randn(gen, 3, 4, dtype=F64)),
            grad=(0, 1),
        ),
    ]


def _mm_a_bt(A, B):
    return (A.unsqueeze(-2) * B.unsqueeze(-3)).sum(-1)


def _mm_float32(A, B):
    return ref.matmul(A.float(), B.float())


def _mm_elementwise(A, B):
    return A * B


MATMUL_ORACLES = (
    Oracle(
        "a_times_b_transposed",
        _mm_a_bt,
        "算成了 A Bᵀ：out[i, j] = Σ_k A[i, k]·B[k, j]，B 要取第 j **列**（沿 B 的倒数第二维求和）。",
    ),
    Oracle(
        "float32",
        _mm_float32,
        "float64 的输入按 float32 计算了（例如累加器用了默认 dtype 的 torch.zeros）：结果应保持输入的 dtype。",
    ),
    Oracle(
        "elementwise",
        _mm_elementwise,
        "这是逐元素乘法（Hadamard 积），不是矩阵乘法：out[i, j] 是 A 的第 i 行与 B 的第 j 列的点积。",
    ),
)


def _linear_value_cases(gen: torch.Generator) -> list[Case]:
    return [
        Case(
            "vector",
            (
                torch.tensor([1.0, 2.0]),
                torch.tensor([[1.0, 0.0], [1.0, 1.0], [0.0, 3.0]]),
                torch.tensor([0.5, 0.0, -1.0]),
            ),
        ),
        Case("batch_4x5_to_3", (_randn(gen, 4, 5), _randn(gen, 3, 5), _randn(gen, 3))),
        Case("square_no_bias", (_randn(gen, 6, 4), _randn(gen, 4, 4)), {"b": None}),
        Case("d_in_1", (_randn(gen, 3, 1), _randn(gen, 2, 1), _randn(gen, 2))),
        Case(
            "float64",
            (_randn(gen, 2, 3, dtype=F64), _randn(gen, 5, 3, dtype=F64), _randn(gen, 5, dtype=F64)),
        ),
    ]


def _linear_batch_cases(gen: torch.Generator) -> list[Case]:
    return [
        Case("three_leading_dims", (_randn(gen, 2, 3, 4, 5), _randn(gen, 6, 5), _randn(gen, 6))),
        Case("tokens_B_T_d", (_randn(gen, 2, 7, 4), _randn(gen, 4, 4), _randn(gen, 4))),
        Case("size1_everywhere", (_randn(gen, 1, 1, 1), _randn(gen, 1, 1), _randn(gen, 1))),
        Case(
            "d_out_1_f64",
            (
                _randn(gen, 3, 2, 5, dtype=F64),
                _randn(gen, 1, 5, dtype=F64),
                _randn(gen, 1, dtype=F64),
            ),
        ),
    ]


def _linear_grad_cases(gen: torch.Generator) -> list[Case]:
    return [
        Case(
            "grads_x_W_b", (_randn(gen, 2, 3, 4), _randn(gen, 5, 4), _randn(gen, 5)), grad=(0, 1, 2)
        ),
        Case(
            "grads_vector_f64",
            (_randn(gen, 4, dtype=F64), _randn(gen, 1, 4, dtype=F64), _randn(gen, 1, dtype=F64)),
            grad=(0, 1, 2),
        ),
    ]


def _lin_no_transpose(x, W, b=None):
    out = x @ W
    return out if b is None else out + b


def _lin_ignores_bias(x, W, b=None):
    return x @ W.T


def _lin_bias_per_input(x, W, b=None):
    out = x @ W.T
    return out if b is None else out + b.sum()


LINEAR_ORACLES = (
    Oracle(
        "x_times_W",
        _lin_no_transpose,
        "W 的形状是 (d_out, d_in)（torch.nn.Linear 的约定），输出是 x @ Wᵀ + b，不是 x @ W。",
    ),
    Oracle("ignores_bias", _lin_ignores_bias, "忘了加偏置 b（b 为 None 时才不加）。"),
    Oracle(
        "bias_summed",
        _lin_bias_per_input,
        "偏置 b 的形状是 (d_out,)：每个输出分量加自己的 b[j]，不是加同一个数。",
    ),
)

# ---- the checks, in notebook order ------------------------------------------------------------

CHECKS = (
    Check(
        "L-1/conditional/values",
        "conditional",
        "条件概率 conditional：按行、按列、计数表、三个变量",
        2,
        _conditional_value_cases,
        ref.conditional,
        oracles=CONDITIONAL_ORACLES,
        nan_causes="边缘概率为 0 时 0/0 = NaN？先判断边缘概率是否为 0（torch.where），这一片按约定为 0",
    ),
    Check(
        "L-1/conditional/zero_marginal",
        "conditional",
        "条件概率 conditional：边缘概率为 0 时得 0 而不是 NaN",
        1,
        _conditional_zero_cases,
        ref.conditional,
        oracles=CONDITIONAL_ORACLES,
        nan_causes="边缘概率为 0 时 0/0 = NaN？先判断边缘概率是否为 0（torch.where），这一片按约定为 0",
    ),
    Check(
        "L-1/mean_var/values",
        "mean_var",
        "期望与方差 mean_var：数值",
        1,
        _mean_var_value_cases,
        ref.mean_var,
        atol=1e-5,
        oracles=MEAN_VAR_ORACLES,
    ),
    Check(
        "L-1/mean_var/batched",
        "mean_var",
        "期望与方差 mean_var：批量与广播",
        1,
        _mean_var_batch_cases,
        ref.mean_var,
        atol=1e-5,
        oracles=MEAN_VAR_ORACLES,
    ),
    Check(
        "L-1/entropy/values",
        "entropy",
        "熵 entropy：数值（nats）",
        2,
        _entropy_value_cases,
        ref.entropy,
        forbidden=ENTROPY_FORBIDDEN,
        oracles=ENTROPY_ORACLES,
        nan_causes="p = 0 时 0·log 0 = 0·(−∞) = NaN？用 torch.where（先把 log 的输入里 0 换成 1）或 torch.xlogy",
    ),
    Check(
        "L-1/entropy/zeros",
        "entropy",
        "熵 entropy：0·log 0 = 0，不出现 NaN",
        1,
        _entropy_zero_cases,
        ref.entropy,
        forbidden=ENTROPY_FORBIDDEN,
        oracles=ENTROPY_ORACLES,
        nan_causes="p = 0 时 0·log 0 = 0·(−∞) = NaN？用 torch.where（先把 log 的输入里 0 换成 1）或 torch.xlogy",
    ),
    Check(
        "L-1/entropy/dim",
        "entropy",
        "熵 entropy：dim 参数",
        1,
        _entropy_dim_cases,
        ref.entropy,
        forbidden=ENTROPY_FORBIDDEN,
        oracles=ENTROPY_ORACLES,
        nan_causes="p = 0 时 0·log 0 = 0·(−∞) = NaN？用 torch.where（先把 log 的输入里 0 换成 1）或 torch.xlogy",
    ),
    Check(
        "L-1/kl_divergence/values",
        "kl_divergence",
        "KL 散度 kl_divergence：数值与广播",
        2,
        _kl_value_cases,
        ref.kl_divergence,
        forbidden=KL_FORBIDDEN,
        oracles=KL_ORACLES,
        nan_causes="p = 0 的项 0·(−∞) 或 (−∞) − (−∞) 得到 NaN？只对 p > 0 的项求和（torch.where 或 torch.xlogy）",
    ),
    Check(
        "L-1/kl_divergence/zeros",
        "kl_divergence",
        "KL 散度 kl_divergence：p = 0 的项为 0，q = 0 < p 时为 +inf",
        2,
        _kl_zero_cases,
        ref.kl_divergence,
        forbidden=KL_FORBIDDEN,
        oracles=KL_ORACLES,
        nan_causes="p = 0 的项 0·(−∞) 或 (−∞) − (−∞) 得到 NaN？只对 p > 0 的项求和（torch.where 或 torch.xlogy）",
    ),
    Check(
        "L-1/kl_divergence/dim",
        "kl_divergence",
        "KL 散度 kl_divergence：dim 参数",
        1,
        _kl_dim_cases,
        ref.kl_divergence,
        forbidden=KL_FORBIDDEN,
        oracles=KL_ORACLES,
        nan_causes="p = 0 的项 0·(−∞) 或 (−∞) − (−∞) 得到 NaN？只对 p > 0 的项求和（torch.where 或 torch.xlogy）",
    ),
    Check(
        "L-1/cross_entropy/values",
        "cross_entropy",
        "交叉熵 cross_entropy：数值与广播",
        1,
        _ce_value_cases,
        ref.cross_entropy,
        forbidden=KL_FORBIDDEN,
        oracles=CE_ORACLES,
        nan_causes="p = 0 且 q = 0 的项 0·log 0 得到 NaN？p = 0 的项按约定贡献 0",
    ),
    Check(
        "L-1/cross_entropy/zeros",
        "cross_entropy",
        "交叉熵 cross_entropy：零概率与 dim",
        1,
        _ce_zero_cases,
        ref.cross_entropy,
        forbidden=KL_FORBIDDEN,
        oracles=CE_ORACLES,
        nan_causes="p = 0 且 q = 0 的项 0·log 0 得到 NaN？p = 0 的项按约定贡献 0",
    ),
    Check(
        "L-1/cross_entropy_logits/values",
        "cross_entropy_logits",
        "由 logits 算交叉熵：数值与 dim",
        1,
        _logits_value_cases,
        ref.cross_entropy_logits,
        forbidden=LOGITS_FORBIDDEN,
        oracles=LOGITS_ORACLES,
        nan_causes="exp 溢出为 inf，inf/inf 或 inf − inf 得到 NaN？先减去最大值（log-sum-exp 技巧）",
    ),
    Check(
        "L-1/cross_entropy_logits/large_logits",
        "cross_entropy_logits",
        "由 logits 算交叉熵：logits ×100、×1000、+1e4 仍然正确",
        2,
        _logits_large_cases,
        ref.cross_entropy_logits,
        forbidden=LOGITS_FORBIDDEN,
        oracles=LOGITS_ORACLES,
        nan_causes="exp 溢出为 inf，inf/inf 或 inf − inf 得到 NaN？先减去最大值（log-sum-exp 技巧）",
    ),
    Check(
        "L-1/cross_entropy_logits/gradients",
        "cross_entropy_logits",
        "由 logits 算交叉熵：对 logits 的梯度",
        1,
        _logits_grad_cases,
        ref.cross_entropy_logits,
        forbidden=LOGITS_FORBIDDEN,
        oracles=LOGITS_ORACLES,
        nan_causes="exp 溢出为 inf，inf/inf 或 inf − inf 得到 NaN？先减去最大值（log-sum-exp 技巧）",
    ),
    Check(
        "L-1/bigram_model/counts",
        "bigram_model",
        "二元模型 bigram_model：计数与按行归一化",
        2,
        _bigram_count_cases,
        ref.bigram_model,
        oracles=BIGRAM_ORACLES,
        nan_causes="没有计数的一行 0/0 = NaN？α = 0 时这一行按约定是 1/V",
        waivers={
            "size_one": "the only tensor is the 1-D token sequence; one token is in zero_rows"
        },
    ),
    Check(
        "L-1/bigram_model/zero_rows",
        "bigram_model",
        "二元模型 bigram_model：没有计数的行是均匀分布",
        1,
        _bigram_zero_row_cases,
        ref.bigram_model,
        oracles=BIGRAM_ORACLES,
        nan_causes="没有计数的一行 0/0 = NaN？α = 0 时这一行按约定是 1/V",
    ),
    Check(
        "L-1/bigram_model/smoothing",
        "bigram_model",
        "二元模型 bigram_model：加 α 平滑",
        1,
        _bigram_smoothing_cases,
        ref.bigram_model,
        oracles=BIGRAM_ORACLES,
        nan_causes="没有计数的一行 0/0 = NaN？α = 0 时这一行按约定是 1/V",
    ),
    Check(
        "L-1/n_step/values",
        "n_step",
        "n 步分布 n_step：行向量约定、n = 0、批量",
        2,
        _n_step_cases,
        ref.n_step,
        oracles=N_STEP_ORACLES,
    ),
    Check(
        "L-1/stationary/values",
        "stationary",
        "平稳分布 stationary：包括混合很慢的链",
        2,
        _stationary_cases,
        ref.stationary,
        rtol=1e-4,
        atol=1e-5,
        oracles=STATIONARY_ORACLES,
    ),
    Check(
        "L-1/bigram_perplexity/values",
        "bigram_perplexity",
        "困惑度 bigram_perplexity：数值",
        1,
        _perplexity_cases,
        ref.bigram_perplexity,
        oracles=PERPLEXITY_ORACLES,
    ),
    Check(
        "L-1/bigram_perplexity/zero_probability",
        "bigram_perplexity",
        "困惑度 bigram_perplexity：概率为 0 的转移给出 +inf",
        1,
        _perplexity_zero_cases,
        ref.bigram_perplexity,
        oracles=PERPLEXITY_ORACLES,
        waivers={
            "size_one": "a (1, 1) chain has no zero probability; it is in bigram_perplexity/values"
        },
    ),
    Check(
        "L-1/matmul/values",
        "matmul",
        "矩阵乘法 matmul：数值与 dtype",
        2,
        _matmul_value_cases,
        ref.matmul,
        forbidden=MATMUL_BUILTINS,
        oracles=MATMUL_ORACLES,
    ),
    Check(
        "L-1/matmul/batched",
        "matmul",
        "矩阵乘法 matmul：批量维度与广播、大小为 1 的维度",
        2,
        _matmul_batch_cases,
        ref.matmul,
        forbidden=MATMUL_BUILTINS,
        oracles=MATMUL_ORACLES,
    ),
    Check(
        "L-1/matmul/gradients",
        "matmul",
        "矩阵乘法 matmul：梯度",
        1,
        _matmul_grad_cases,
        ref.matmul,
        forbidden=MATMUL_BUILTINS,
        oracles=MATMUL_ORACLES,
    ),
    Check(
        "L-1/linear/values",
        "linear",
        "线性层 linear：x Wᵀ + b",
        2,
        _linear_value_cases,
        ref.linear,
        forbidden=LINEAR_FORBIDDEN,
        oracles=LINEAR_ORACLES,
    ),
    Check(
        "L-1/linear/batched",
        "linear",
        "线性层 linear：任意前导批量维度",
        1,
        _linear_batch_cases,
        ref.linear,
        forbidden=LINEAR_FORBIDDEN,
        oracles=LINEAR_ORACLES,
    ),
    Check(
        "L-1/linear/gradients",
        "linear",
        "线性层 linear：对 x、W、b 的梯度",
        1,
        _linear_grad_cases,
        ref.linear,
        forbidden=LINEAR_FORBIDDEN,
        oracles=LINEAR_ORACLES,
    ),
)
