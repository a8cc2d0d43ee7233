"""Mutants for L-1 数学基础 (see autograder/mutants/__init__.py for the rules).

Wrong mutants are mistakes students really make (curriculum.md, L-1); `oracle` names the
matching Oracle in autograder/checks/math_foundations.py ("" where none exists). Correct
mutants are written differently from the reference and obey each check's forbidden built-ins.
"""

from __future__ import annotations

import math  # noqa: F401  (mutants may use the notebook's globals)

import torch
import torch.nn.functional as F  # noqa: N812
from torch import Tensor

from autograder.mutants import Mutant

# ---- conditional -----------------------------------------------------------------------------


def conditional__wrong_axis(joint: Tensor, given_dim: int) -> Tensor:
    return joint / joint.sum(dim=given_dim, keepdim=True)


def conditional__divided_by_total(joint: Tensor, given_dim: int) -> Tensor:
    return joint / joint.sum()


def conditional__nan_on_zero(joint: Tensor, given_dim: int) -> Tensor:
    dims = [d for d in range(joint.dim()) if d != given_dim % joint.dim()]
    return joint / joint.sum(dim=dims, keepdim=True)


def conditional__one_other_dim(joint: Tensor, given_dim: int) -> Tensor:
    other = 1 if given_dim % joint.dim() == 0 else 0
    marginal = joint.sum(dim=other, keepdim=True)
    return torch.where(marginal > 0, joint / marginal, torch.zeros_like(joint))


def conditional__only_2d_rows(joint: Tensor, given_dim: int) -> Tensor:
    marginal = joint.sum(dim=1, keepdim=True) if given_dim == 0 else joint.sum(dim=0, keepdim=True)
    return torch.nan_to_num(joint / marginal)


def conditional__nan_to_num(joint: Tensor, given_dim: int) -> Tensor:
    dims = [d for d in range(joint.dim()) if d != given_dim % joint.dim()]
    return torch.nan_to_num(joint / joint.sum(dim=dims, keepdim=True), nan=0.0)


def conditional__movedim(joint: Tensor, given_dim: int) -> Tensor:
    moved = joint.movedim(given_dim, 0)
    flat = moved.reshape(moved.shape[0], -1)
    marginal = flat.sum(dim=1, keepdim=True)
    cond = flat / marginal.clamp_min(torch.finfo(joint.dtype).tiny)
    return cond.reshape(moved.shape).movedim(0, given_dim)


# ---- mean_var --------------------------------------------------------------------------------


def mean_var__sample_variance(values: Tensor, probs: Tensor) -> tuple[Tensor, Tensor]:
    mean = (probs * values).sum(-1)
    n = probs.shape[-1]
    var = (probs * (values - mean[..., None]) ** 2).sum(-1) * n / (n - 1)
    return mean, var


def mean_var__reversed_sign(values: Tensor, probs: Tensor) -> tuple[Tensor, Tensor]:
    mean = (probs * values).sum(-1)
    return mean, mean**2 - (probs * values**2).sum(-1)


def mean_var__unweighted(values: Tensor, probs: Tensor) -> tuple[Tensor, Tensor]:
    values = values.expand(torch.broadcast_shapes(values.shape, probs.shape))
    return values.mean(-1), values.var(-1, correction=0)


def mean_var__std(values: Tensor, probs: Tensor) -> tuple[Tensor, Tensor]:
    mean = (probs * values).sum(-1)
    return mean, torch.sqrt((probs * (values - mean[..., None]) ** 2).sum(-1))


def mean_var__second_moment(values: Tensor, probs: Tensor) -> tuple[Tensor, Tensor]:
    return (probs * values).sum(-1), (probs * values * values).sum(-1)


def mean_var__torch_var(values: Tensor, probs: Tensor) -> tuple[Tensor, Tensor]:
    mean = (probs * values).sum(-1)
    return mean, torch.var(values, dim=-1)


def mean_var__no_broadcast(values: Tensor, probs: Tensor) -> tuple[Tensor, Tensor]:
    mean = (probs * values).sum(-1)
    var = (probs * (values - mean) ** 2).sum(-1)
    return mean, var


def mean_var__shift_formula(values: Tensor, probs: Tensor) -> tuple[Tensor, Tensor]:
    mean = torch.sum(probs * values, dim=-1)
    return mean, torch.sum(probs * values**2, dim=-1) - mean**2


def mean_var__keepdim_then_squeeze(values: Tensor, probs: Tensor) -> tuple[Tensor, Tensor]:
    mean = (probs * values).sum(dim=-1, keepdim=True)
    var = (probs * (values - mean).square()).sum(dim=-1, keepdim=True)
    return mean.squeeze(-1), var.squeeze(-1)


# ---- entropy ---------------------------------------------------------------------------------


def entropy__nan_at_zero(p: Tensor, dim: int = -1) -> Tensor:
    return -(p * p.log()).sum(dim=dim)


def entropy__bits(p: Tensor, dim: int = -1) -> Tensor:
    terms = torch.where(p > 0, p * torch.log2(torch.where(p > 0, p, 1.0)), 0.0)
    return -terms.sum(dim=dim)


def entropy__no_minus(p: Tensor, dim: int = -1) -> Tensor:
    return torch.xlogy(p, p).sum(dim=dim)


def entropy__ignores_dim(p: Tensor, dim: int = -1) -> Tensor:
    return -torch.xlogy(p, p).sum(dim=-1)


def entropy__keepdim(p: Tensor, dim: int = -1) -> Tensor:
    return -torch.xlogy(p, p).sum(dim=dim, keepdim=True)


def entropy__mean_not_sum(p: Tensor, dim: int = -1) -> Tensor:
    return -torch.xlogy(p, p).mean(dim=dim)


def entropy__uses_categorical(p: Tensor, dim: int = -1) -> Tensor:
    return torch.distributions.Categorical(probs=p.movedim(dim, -1)).entropy()


def entropy__xlogy(p: Tensor, dim: int = -1) -> Tensor:
    return -torch.xlogy(p, p).sum(dim=dim)


def entropy__clamp_inside_log(p: Tensor, dim: int = -1) -> Tensor:
    return -(p * torch.log(p.clamp_min(1e-30))).sum(dim)


def entropy__masked_loop(p: Tensor, dim: int = -1) -> Tensor:
    q = p.movedim(dim, -1)
    total = torch.zeros(q.shape[:-1], dtype=p.dtype)
    for i in range(q.shape[-1]):
        pi = q[..., i]
        total = total - torch.where(pi > 0, pi * torch.log(torch.where(pi > 0, pi, 1.0)), 0.0)
    return total


# ---- kl_divergence ---------------------------------------------------------------------------


def kl_divergence__reversed(p: Tensor, q: Tensor, dim: int = -1) -> Tensor:
    return (torch.xlogy(q, q) - torch.xlogy(q, p)).sum(dim=dim)


def kl_divergence__nan_at_zero(p: Tensor, q: Tensor, dim: int = -1) -> Tensor:
    return (p * (p.log() - q.log())).sum(dim=dim)


def kl_divergence__log_ratio_nan(p: Tensor, q: Tensor, dim: int = -1) -> Tensor:
    return (p * torch.log(p / q)).sum(dim=dim)


def kl_divergence__negated(p: Tensor, q: Tensor, dim: int = -1) -> Tensor:
    return (torch.xlogy(p, q) - torch.xlogy(p, p)).sum(dim=dim)


def kl_divergence__eps(p: Tensor, q: Tensor, dim: int = -1) -> Tensor:
    eps = 1e-10
    return (p * (torch.log(p + eps) - torch.log(q + eps))).sum(dim=dim)


def kl_divergence__bits(p: Tensor, q: Tensor, dim: int = -1) -> Tensor:
    return (torch.xlogy(p, p) - torch.xlogy(p, q)).sum(dim=dim) / math.log(2)


def kl_divergence__ignores_dim(p: Tensor, q: Tensor, dim: int = -1) -> Tensor:
    return (torch.xlogy(p, p) - torch.xlogy(p, q)).sum(dim=-1)


def kl_divergence__uses_kl_div(p: Tensor, q: Tensor, dim: int = -1) -> Tensor:
    return F.kl_div(q.log(), p, reduction="none").sum(dim=dim)


def kl_divergence__xlogy(p: Tensor, q: Tensor, dim: int = -1) -> Tensor:
    return (torch.xlogy(p, p) - torch.xlogy(p, q)).sum(dim=dim)


def kl_divergence__where_masks(p: Tensor, q: Tensor, dim: int = -1) -> Tensor:
    p, q = torch.broadcast_tensors(p, q)
    positive = p > 0
    ratio = torch.where(positive, p, 1.0) / torch.where(positive, q, 1.0)
    return torch.where(positive, p * torch.log(ratio), 0.0).sum(dim)


def kl_divergence__cross_minus_entropy(p: Tensor, q: Tensor, dim: int = -1) -> Tensor:
    p, q = torch.broadcast_tensors(p, q)
    mask = p > 0
    cross = -(p * torch.log(q.masked_fill(~mask, 1.0))).masked_fill(~mask, 0.0).sum(dim)
    ent = -(p * torch.log(p.masked_fill(~mask, 1.0))).sum(dim)
    return cross - ent


# ---- cross_entropy ---------------------------------------------------------------------------


def cross_entropy__swapped(p: Tensor, q: Tensor, dim: int = -1) -> Tensor:
    return -torch.xlogy(q, p).sum(dim=dim)


def cross_entropy__nan_at_zero(p: Tensor, q: Tensor, dim: int = -1) -> Tensor:
    return -(p * q.log()).sum(dim=dim)


def cross_entropy__no_minus(p: Tensor, q: Tensor, dim: int = -1) -> Tensor:
    return torch.xlogy(p, q).sum(dim=dim)


def cross_entropy__bits(p: Tensor, q: Tensor, dim: int = -1) -> Tensor:
    return -torch.xlogy(p, q).sum(dim=dim) / math.log(2)


def cross_entropy__ignores_dim(p: Tensor, q: Tensor, dim: int = -1) -> Tensor:
    return -torch.xlogy(p, q).sum(dim=-1)


def cross_entropy__eps(p: Tensor, q: Tensor, dim: int = -1) -> Tensor:
    return -(p * torch.log(q + 1e-12)).sum(dim=dim)


def cross_entropy__xlogy(p: Tensor, q: Tensor, dim: int = -1) -> Tensor:
    return -torch.xlogy(p, q).sum(dim=dim)


def cross_entropy__entropy_plus_kl(p: Tensor, q: Tensor, dim: int = -1) -> Tensor:
    p, q = torch.broadcast_tensors(p, q)
    safe_p = torch.where(p > 0, p, 1.0)
    safe_q = torch.where(p > 0, q, 1.0)
    h = -(p * safe_p.log()).sum(dim)
    kl = (p * (safe_p.log() - safe_q.log())).sum(dim)
    return h + kl


# ---- cross_entropy_logits ------------------------------------------------------------------------


def cross_entropy_logits__no_max_subtraction(
    logits: Tensor, target: Tensor, dim: int = -1
) -> Tensor:
    log_probs = logits - torch.log(torch.exp(logits).sum(dim=dim, keepdim=True))
    return -(target * log_probs).sum(dim=dim)


def cross_entropy_logits__log_of_softmax(logits: Tensor, target: Tensor, dim: int = -1) -> Tensor:
    z = logits - logits.max(dim=dim, keepdim=True).values
    probs = z.exp() / z.exp().sum(dim=dim, keepdim=True)
    return -(target * probs.log()).sum(dim=dim)


def cross_entropy_logits__no_minus(logits: Tensor, target: Tensor, dim: int = -1) -> Tensor:
    m = logits.max(dim=dim, keepdim=True).values
    log_probs = logits - m - (logits - m).exp().sum(dim=dim, keepdim=True).log()
    return (target * log_probs).sum(dim=dim)


def cross_entropy_logits__ignores_dim(logits: Tensor, target: Tensor, dim: int = -1) -> Tensor:
    m = logits.max(dim=-1, keepdim=True).values
    log_probs = logits - m - (logits - m).exp().sum(dim=-1, keepdim=True).log()
    return -(target * log_probs).sum(dim=-1)


def cross_entropy_logits__max_not_consistent(
    logits: Tensor, target: Tensor, dim: int = -1
) -> Tensor:
    m = logits.max(dim=dim, keepdim=True).values
    log_probs = logits - (logits - m).exp().sum(dim=dim, keepdim=True).log()
    return -(target * log_probs).sum(dim=dim)


def cross_entropy_logits__uses_log_softmax(logits: Tensor, target: Tensor, dim: int = -1) -> Tensor:
    return -(target * F.log_softmax(logits, dim=dim)).sum(dim=dim)


def cross_entropy_logits__detached_max(logits: Tensor, target: Tensor, dim: int = -1) -> Tensor:
    m = logits.detach().amax(dim=dim, keepdim=True)
    lse = m + torch.log(torch.sum(torch.exp(logits - m), dim=dim, keepdim=True))
    return torch.sum(target * (lse - logits), dim=dim)


def cross_entropy_logits__via_softmax_of_shifted(
    logits: Tensor, target: Tensor, dim: int = -1
) -> Tensor:
    z = logits - logits.max(dim=dim, keepdim=True).values
    log_norm = z.exp().sum(dim=dim, keepdim=True).log()
    return (target * log_norm).sum(dim=dim) - (target * z).sum(dim=dim)


# ---- bigram_model ----------------------------------------------------------------------------


def bigram_model__normalised_columns(tokens: Tensor, vocab_size: int, alpha: float = 0.0) -> Tensor:
    counts = torch.zeros(vocab_size, vocab_size)
    for a, b in zip(tokens[:-1].tolist(), tokens[1:].tolist(), strict=True):
        counts[a, b] += 1
    counts = counts + alpha
    col = counts.sum(dim=0, keepdim=True)
    return torch.where(col > 0, counts / col.clamp_min(1e-30), 1.0 / vocab_size)


def bigram_model__transposed_counts(tokens: Tensor, vocab_size: int, alpha: float = 0.0) -> Tensor:
    counts = torch.zeros(vocab_size, vocab_size)
    for a, b in zip(tokens[:-1].tolist(), tokens[1:].tolist(), strict=True):
        counts[b, a] += 1
    counts = counts + alpha
    row = counts.sum(dim=1, keepdim=True)
    return torch.where(row > 0, counts / row.clamp_min(1e-30), 1.0 / vocab_size)


def bigram_model__nan_rows(tokens: Tensor, vocab_size: int, alpha: float = 0.0) -> Tensor:
    counts = torch.zeros(vocab_size, vocab_size)
    for a, b in zip(tokens[:-1].tolist(), tokens[1:].tolist(), strict=True):
        counts[a, b] += 1
    counts = counts + alpha
    return counts / counts.sum(dim=1, keepdim=True)


def bigram_model__smoothing_after_normalising(
    tokens: Tensor, vocab_size: int, alpha: float = 0.0
) -> Tensor:
    counts = torch.zeros(vocab_size, vocab_size)
    for a, b in zip(tokens[:-1].tolist(), tokens[1:].tolist(), strict=True):
        counts[a, b] += 1
    row = counts.sum(dim=1, keepdim=True)
    P = torch.where(row > 0, counts / row.clamp_min(1e-30), 1.0 / vocab_size) + alpha
    return P / P.sum(dim=1, keepdim=True)


def bigram_model__wraparound(tokens: Tensor, vocab_size: int, alpha: float = 0.0) -> Tensor:
    counts = torch.zeros(vocab_size, vocab_size)
    for a, b in zip(tokens.tolist(), tokens.roll(-1).tolist(), strict=True):
        counts[a, b] += 1
    counts = counts + alpha
    row = counts.sum(dim=1, keepdim=True)
    return torch.where(row > 0, counts / row.clamp_min(1e-30), 1.0 / vocab_size)


def bigram_model__float64(tokens: Tensor, vocab_size: int, alpha: float = 0.0) -> Tensor:
    counts = torch.zeros(vocab_size, vocab_size, dtype=torch.float64)
    counts.index_put_(
        (tokens[:-1], tokens[1:]), torch.ones(len(tokens) - 1, dtype=torch.float64), accumulate=True
    )
    counts = counts + alpha
    row = counts.sum(dim=1, keepdim=True)
    return torch.where(row > 0, counts / row.clamp_min(1e-300), 1.0 / vocab_size)


def bigram_model__alpha_in_numerator_only(
    tokens: Tensor, vocab_size: int, alpha: float = 0.0
) -> Tensor:
    counts = torch.zeros(vocab_size, vocab_size)
    for a, b in zip(tokens[:-1].tolist(), tokens[1:].tolist(), strict=True):
        counts[a, b] += 1
    row = counts.sum(dim=1, keepdim=True)
    return torch.where(row > 0, (counts + alpha) / row.clamp_min(1e-30), 1.0 / vocab_size)


def bigram_model__index_put(tokens: Tensor, vocab_size: int, alpha: float = 0.0) -> Tensor:
    counts = torch.zeros(vocab_size, vocab_size, dtype=torch.float64)
    if len(tokens) > 1:
        ones = torch.ones(len(tokens) - 1, dtype=torch.float64)
        counts.index_put_((tokens[:-1], tokens[1:]), ones, accumulate=True)
    counts += alpha
    row = counts.sum(dim=1, keepdim=True)
    P = counts / torch.where(row > 0, row, 1.0)
    P[row.squeeze(1) == 0] = 1.0 / vocab_size
    return P.float()


def bigram_model__one_hot_outer(tokens: Tensor, vocab_size: int, alpha: float = 0.0) -> Tensor:
    prev = F.one_hot(tokens[:-1], vocab_size).float()
    nxt = F.one_hot(tokens[1:], vocab_size).float()
    counts = prev.T @ nxt + alpha
    row = counts.sum(dim=-1, keepdim=True)
    uniform = torch.full_like(counts, 1.0 / vocab_size)
    return torch.where(row > 0, counts / row.clamp_min(1e-30), uniform)


# ---- n_step ----------------------------------------------------------------------------------


def n_step__column_convention(P: Tensor, p0: Tensor, n: int) -> Tensor:
    p = p0
    for _ in range(n):
        p = (P @ p.T).T if p.dim() > 1 else P @ p
    return p


def n_step__times_n(P: Tensor, p0: Tensor, n: int) -> Tensor:
    return p0 @ (P * n)


def n_step__off_by_one(P: Tensor, p0: Tensor, n: int) -> Tensor:
    p = p0
    for _ in range(1, n):
        p = p @ P
    return p


def n_step__one_step(P: Tensor, p0: Tensor, n: int) -> Tensor:
    return p0 @ P


def n_step__elementwise_power(P: Tensor, p0: Tensor, n: int) -> Tensor:
    return p0 @ (P**n)


def n_step__matrix_power(P: Tensor, p0: Tensor, n: int) -> Tensor:
    return p0 @ torch.linalg.matrix_power(P, n)


def n_step__repeated_squaring(P: Tensor, p0: Tensor, n: int) -> Tensor:
    result = p0.clone()
    power = P
    while n > 0:
        if n % 2 == 1:
            result = result @ power
        power = power @ power
        n //= 2
    return result


# ---- stationary ------------------------------------------------------------------------------


def stationary__right_eigenvector(P: Tensor) -> Tensor:
    vals, vecs = torch.linalg.eig(P.double())
    v = vecs[:, torch.argmin((vals - 1).abs())].real
    return (v / v.sum()).to(P.dtype)


def stationary__not_normalised(P: Tensor) -> Tensor:
    vals, vecs = torch.linalg.eig(P.double().T)
    v = vecs[:, torch.argmin((vals - 1).abs())].real
    v = v * torch.sign(v.sum())
    return (v / v.norm()).to(P.dtype)


def stationary__few_steps(P: Tensor) -> Tensor:
    p = torch.ones(P.shape[0], dtype=P.dtype) / P.shape[0]
    for _ in range(20):
        p = p @ P
    return p


def stationary__column_average(P: Tensor) -> Tensor:
    return P.mean(dim=0)


def stationary__first_row_of_power(P: Tensor) -> Tensor:
    return torch.linalg.matrix_power(P, 8)[0]


def stationary__left_eigenvector(P: Tensor) -> Tensor:
    vals, vecs = torch.linalg.eig(P.double().T)
    v = vecs[:, torch.argmin((vals - 1).abs())].real
    return (v / v.sum()).to(P.dtype)


def stationary__power_until_converged(P: Tensor) -> Tensor:
    Pd = P.double()
    p = torch.full((P.shape[0],), 1.0 / P.shape[0], dtype=torch.float64)
    for _ in range(200_000):
        nxt = p @ Pd
        nxt = nxt / nxt.sum()  # float32 rows may not sum to exactly 1
        if (nxt - p).abs().max() < 1e-15:
            break
        p = nxt
    return nxt.to(P.dtype)


def stationary__least_squares(P: Tensor) -> Tensor:
    V = P.shape[0]
    A = torch.cat(
        [P.double().T - torch.eye(V, dtype=torch.float64), torch.ones(1, V, dtype=torch.float64)]
    )
    rhs = torch.zeros(V + 1, 1, dtype=torch.float64)
    rhs[-1] = 1.0
    return torch.linalg.lstsq(A, rhs).solution[:, 0].to(P.dtype)


# ---- bigram_perplexity ------------------------------------------------------------------------------


def bigram_perplexity__transposed(P: Tensor, tokens: Tensor) -> Tensor:
    return torch.exp(-torch.log(P[tokens[1:], tokens[:-1]]).mean())


def bigram_perplexity__divided_by_T(P: Tensor, tokens: Tensor) -> Tensor:
    return torch.exp(-torch.log(P[tokens[:-1], tokens[1:]]).sum() / len(tokens))


def bigram_perplexity__mixed_base(P: Tensor, tokens: Tensor) -> Tensor:
    return 2 ** (-torch.log(P[tokens[:-1], tokens[1:]]).mean())


def bigram_perplexity__no_exp(P: Tensor, tokens: Tensor) -> Tensor:
    return -torch.log(P[tokens[:-1], tokens[1:]]).mean()


def bigram_perplexity__arithmetic_mean(P: Tensor, tokens: Tensor) -> Tensor:
    return 1 / P[tokens[:-1], tokens[1:]].mean()


def bigram_perplexity__eps_in_log(P: Tensor, tokens: Tensor) -> Tensor:
    return torch.exp(-torch.log(P[tokens[:-1], tokens[1:]] + 1e-10).mean())


def bigram_perplexity__geometric_product(P: Tensor, tokens: Tensor) -> Tensor:
    probs = P[tokens[:-1], tokens[1:]].double()
    return (probs.prod() ** (-1.0 / probs.numel())).to(P.dtype)


def bigram_perplexity__loop_log2(P: Tensor, tokens: Tensor) -> Tensor:
    total = torch.zeros((), dtype=P.dtype)
    ids = tokens.tolist()
    for a, b in zip(ids[:-1], ids[1:], strict=True):
        total = total + torch.log2(P[a, b])
    return 2 ** (-total / (len(ids) - 1))


# ---- matmul ------------------------------------------------------------------------------------


def matmul__a_times_b_transposed(A: Tensor, B: Tensor) -> Tensor:
    return (A[..., :, None, :] * B[..., None, :, :]).sum(dim=-1)


def matmul__float32_accumulator(A: Tensor, B: Tensor) -> Tensor:
    n, k, m = A.shape[-2], A.shape[-1], B.shape[-1]
    batch = torch.broadcast_shapes(A.shape[:-2], B.shape[:-2])
    out = torch.zeros(*batch, n, m)
    for i in range(k):
        out += A[..., :, i : i + 1] * B[..., i : i + 1, :]
    return out


def matmul__elementwise(A: Tensor, B: Tensor) -> Tensor:
    return A * B


def matmul__2d_loops_only(A: Tensor, B: Tensor) -> Tensor:
    n, k = A.shape
    m = B.shape[1]
    rows = []
    for i in range(n):
        rows.append(torch.stack([(A[i] * B[:, j]).sum() for j in range(m)]))
    return torch.stack(rows)


def matmul__same_batch_only(A: Tensor, B: Tensor) -> Tensor:
    if A.dim() > 2 and A.shape[:-2] != B.shape[:-2]:
        raise ValueError("batch shapes differ")
    return (A.unsqueeze(-1) * B.unsqueeze(-3)).sum(dim=-2)


def matmul__operator(A: Tensor, B: Tensor) -> Tensor:
    return A @ B


def matmul__loop_over_k(A: Tensor, B: Tensor) -> Tensor:
    out = A[..., :, 0:1] * B[..., 0:1, :]
    for i in range(1, A.shape[-1]):
        out = out + A[..., :, i : i + 1] * B[..., i : i + 1, :]
    return out


def matmul__transpose_then_rowdot(A: Tensor, B: Tensor) -> Tensor:
    Bt = B.transpose(-2, -1)
    return torch.sum(A.unsqueeze(-2) * Bt.unsqueeze(-3), dim=-1)


# ---- linear ------------------------------------------------------------------------------------


def linear__x_times_W(x: Tensor, W: Tensor, b: Tensor | None = None) -> Tensor:
    out = x @ W
    return out if b is None else out + b


def linear__ignores_bias(x: Tensor, W: Tensor, b: Tensor | None = None) -> Tensor:
    return x @ W.T


def linear__bias_summed(x: Tensor, W: Tensor, b: Tensor | None = None) -> Tensor:
    out = x @ W.T
    return out if b is None else out + b.sum()


def linear__mm_2d_only(x: Tensor, W: Tensor, b: Tensor | None = None) -> Tensor:
    out = torch.mm(x if x.dim() == 2 else x.reshape(1, -1), W.t()).reshape(*x.shape[:-1], -1)
    return out if b is None else out + b


def linear__x_T(x: Tensor, W: Tensor, b: Tensor | None = None) -> Tensor:
    out = (W @ x.T).T
    return out if b is None else out + b


def linear__uses_F_linear(x: Tensor, W: Tensor, b: Tensor | None = None) -> Tensor:
    return F.linear(x, W, b)


def linear__bias_required(x: Tensor, W: Tensor, b: Tensor | None = None) -> Tensor:
    return x @ W.T + b


def linear__einsum(x: Tensor, W: Tensor, b: Tensor | None = None) -> Tensor:
    out = torch.einsum("...i,oi->...o", x, W)
    return out + b if b is not None else out


def linear__flatten_batch(x: Tensor, W: Tensor, b: Tensor | None = None) -> Tensor:
    flat = x.reshape(-1, x.shape[-1])
    out = flat @ W.mT
    if b is not None:
        out = out + b[None, :]
    return out.reshape(*x.shape[:-1], W.shape[0])


def linear__broadcast_sum(x: Tensor, W: Tensor, b: Tensor | None = None) -> Tensor:
    out = (x.unsqueeze(-2) * W).sum(dim=-1)
    if b is not None:
        out = out + b
    return out


MUTANTS = (
    # conditional
    Mutant(
        "conditional",
        conditional__wrong_axis,
        False,
        "wrong_axis",
        "divides by the sum along given_dim",
    ),
    Mutant(
        "conditional", conditional__divided_by_total, False, "divided_by_total", "joint / total"
    ),
    Mutant(
        "conditional",
        conditional__nan_on_zero,
        False,
        "nan_on_zero_marginal",
        "0/0 = NaN on a zero marginal",
    ),
    Mutant(
        "conditional",
        conditional__one_other_dim,
        False,
        "one_other_dim",
        "sums over one other dim only (3-D joint)",
    ),
    Mutant("conditional", conditional__only_2d_rows, False, "", "hard-codes 2-D axes"),
    Mutant("conditional", conditional__nan_to_num, True, why="divide, then nan_to_num(nan=0)"),
    Mutant("conditional", conditional__movedim, True, why="movedim + reshape, clamp the marginal"),
    # mean_var
    Mutant("mean_var", mean_var__sample_variance, False, "sample_variance", "Bessel's n/(n-1)"),
    Mutant("mean_var", mean_var__reversed_sign, False, "reversed_sign", "(E[X])² − E[X²]"),
    Mutant("mean_var", mean_var__unweighted, False, "unweighted", "ignores probs"),
    Mutant("mean_var", mean_var__std, False, "std", "returns the standard deviation"),
    Mutant("mean_var", mean_var__second_moment, False, "second_moment", "returns E[X²]"),
    Mutant(
        "mean_var", mean_var__torch_var, False, "", "torch.var of the values (sample, unweighted)"
    ),
    Mutant("mean_var", mean_var__no_broadcast, False, "", "subtracts the mean without unsqueeze"),
    Mutant("mean_var", mean_var__shift_formula, True, why="E[X²] − (E[X])²"),
    Mutant("mean_var", mean_var__keepdim_then_squeeze, True, why="keepdim, square(), squeeze"),
    # entropy
    Mutant("entropy", entropy__nan_at_zero, False, "nan_at_zero", "p.log() gives 0·(−inf) = NaN"),
    Mutant("entropy", entropy__bits, False, "bits", "log2"),
    Mutant("entropy", entropy__no_minus, False, "no_minus", "Σ p log p without the minus"),
    Mutant("entropy", entropy__ignores_dim, False, "ignores_dim", "always sums the last dim"),
    Mutant("entropy", entropy__keepdim, False, "keepdim", "keepdim=True"),
    Mutant("entropy", entropy__mean_not_sum, False, "", "mean instead of sum"),
    Mutant(
        "entropy",
        entropy__uses_categorical,
        False,
        "",
        "forbidden: torch.distributions.Categorical",
    ),
    Mutant("entropy", entropy__xlogy, True, why="torch.xlogy(p, p)"),
    Mutant("entropy", entropy__clamp_inside_log, True, why="log of p clamped to 1e-30"),
    Mutant("entropy", entropy__masked_loop, True, why="movedim and a loop with torch.where"),
    # kl_divergence
    Mutant("kl_divergence", kl_divergence__reversed, False, "reversed", "KL(q‖p)"),
    Mutant(
        "kl_divergence",
        kl_divergence__nan_at_zero,
        False,
        "nan_at_zero",
        "p·(log p − log q) with p = 0",
    ),
    Mutant(
        "kl_divergence", kl_divergence__log_ratio_nan, False, "nan_at_zero", "p·log(p/q) with p = 0"
    ),
    Mutant("kl_divergence", kl_divergence__negated, False, "negated", "Σ p (log q − log p)"),
    Mutant(
        "kl_divergence", kl_divergence__eps, False, "eps_instead_of_inf", "adds 1e-10 to p and q"
    ),
    Mutant("kl_divergence", kl_divergence__bits, False, "bits", "divided by log 2"),
    Mutant(
        "kl_divergence", kl_divergence__ignores_dim, False, "ignores_dim", "always the last dim"
    ),
    Mutant("kl_divergence", kl_divergence__uses_kl_div, False, "", "forbidden: F.kl_div"),
    Mutant("kl_divergence", kl_divergence__xlogy, True, why="xlogy(p, p) − xlogy(p, q)"),
    Mutant("kl_divergence", kl_divergence__where_masks, True, why="log of a masked ratio"),
    Mutant(
        "kl_divergence",
        kl_divergence__cross_minus_entropy,
        True,
        why="H(p, q) − H(p) with masked_fill",
    ),
    # cross_entropy
    Mutant("cross_entropy", cross_entropy__swapped, False, "swapped", "−Σ q log p"),
    Mutant(
        "cross_entropy", cross_entropy__nan_at_zero, False, "nan_at_zero", "p·log q with p = q = 0"
    ),
    Mutant("cross_entropy", cross_entropy__no_minus, False, "no_minus", "Σ p log q"),
    Mutant("cross_entropy", cross_entropy__bits, False, "bits", "divided by log 2"),
    Mutant("cross_entropy", cross_entropy__ignores_dim, False, "", "always the last dim"),
    Mutant(
        "cross_entropy",
        cross_entropy__eps,
        False,
        "",
        "log(q + 1e-12): finite where it should be inf",
    ),
    Mutant("cross_entropy", cross_entropy__xlogy, True, why="−xlogy(p, q)"),
    Mutant("cross_entropy", cross_entropy__entropy_plus_kl, True, why="H(p) + KL(p‖q)"),
    # cross_entropy_logits
    Mutant(
        "cross_entropy_logits",
        cross_entropy_logits__no_max_subtraction,
        False,
        "no_max_subtraction",
        "exp overflows",
    ),
    Mutant(
        "cross_entropy_logits",
        cross_entropy_logits__log_of_softmax,
        False,
        "log_of_softmax",
        "log of an underflowed softmax",
    ),
    Mutant(
        "cross_entropy_logits",
        cross_entropy_logits__no_minus,
        False,
        "no_minus",
        "Σ target · log_softmax",
    ),
    Mutant(
        "cross_entropy_logits",
        cross_entropy_logits__ignores_dim,
        False,
        "ignores_dim",
        "always the last dim",
    ),
    Mutant(
        "cross_entropy_logits",
        cross_entropy_logits__max_not_consistent,
        False,
        "max_not_consistent",
        "subtracts the max in one place only",
    ),
    Mutant(
        "cross_entropy_logits",
        cross_entropy_logits__uses_log_softmax,
        False,
        "",
        "forbidden: F.log_softmax",
    ),
    Mutant(
        "cross_entropy_logits",
        cross_entropy_logits__detached_max,
        True,
        why="log-sum-exp with a detached max",
    ),
    Mutant(
        "cross_entropy_logits",
        cross_entropy_logits__via_softmax_of_shifted,
        True,
        why="Σ t·log Z − Σ t·z on shifted logits",
    ),
    # bigram_model
    Mutant(
        "bigram_model",
        bigram_model__normalised_columns,
        False,
        "normalised_columns",
        "columns sum to 1",
    ),
    Mutant(
        "bigram_model",
        bigram_model__transposed_counts,
        False,
        "transposed_counts",
        "counts[next, prev]",
    ),
    Mutant("bigram_model", bigram_model__nan_rows, False, "nan_rows", "0/0 rows"),
    Mutant(
        "bigram_model",
        bigram_model__smoothing_after_normalising,
        False,
        "smoothing_after_normalising",
        "adds α to probabilities",
    ),
    Mutant("bigram_model", bigram_model__wraparound, False, "wraparound", "counts last → first"),
    Mutant(
        "bigram_model",
        bigram_model__float64,
        False,
        "",
        "returns float64 (and crashes on one token)",
    ),
    Mutant(
        "bigram_model", bigram_model__alpha_in_numerator_only, False, "", "α only in the numerator"
    ),
    Mutant(
        "bigram_model",
        bigram_model__index_put,
        True,
        why="index_put_ accumulate, float64 then float32",
    ),
    Mutant("bigram_model", bigram_model__one_hot_outer, True, why="one-hotᵀ @ one-hot counts"),
    # n_step
    Mutant("n_step", n_step__column_convention, False, "column_convention", "P @ p"),
    Mutant("n_step", n_step__times_n, False, "times_n", "p0 @ (P·n)"),
    Mutant("n_step", n_step__off_by_one, False, "off_by_one", "n − 1 steps"),
    Mutant("n_step", n_step__one_step, False, "one_step", "ignores n"),
    Mutant("n_step", n_step__elementwise_power, False, "", "P ** n elementwise"),
    Mutant("n_step", n_step__matrix_power, True, why="torch.linalg.matrix_power"),
    Mutant("n_step", n_step__repeated_squaring, True, why="binary powers of P"),
    # stationary
    Mutant(
        "stationary",
        stationary__right_eigenvector,
        False,
        "right_eigenvector",
        "eigenvector of P, not Pᵀ",
    ),
    Mutant("stationary", stationary__not_normalised, False, "not_normalised", "unit L2 norm"),
    Mutant("stationary", stationary__few_steps, False, "few_steps", "20 power steps"),
    Mutant(
        "stationary", stationary__column_average, False, "column_average", "mean of the columns"
    ),
    Mutant("stationary", stationary__first_row_of_power, False, "", "first row of P^8"),
    Mutant(
        "stationary", stationary__left_eigenvector, True, why="eigenvector of Pᵀ for eigenvalue 1"
    ),
    Mutant(
        "stationary", stationary__power_until_converged, True, why="power iteration to convergence"
    ),
    Mutant("stationary", stationary__least_squares, True, why="least squares with Σπ = 1 appended"),
    # bigram_perplexity
    Mutant(
        "bigram_perplexity", bigram_perplexity__transposed, False, "transposed", "P[next, prev]"
    ),
    Mutant(
        "bigram_perplexity", bigram_perplexity__divided_by_T, False, "divided_by_T", "divides by T"
    ),
    Mutant("bigram_perplexity", bigram_perplexity__mixed_base, False, "mixed_base", "2 ** nats"),
    Mutant(
        "bigram_perplexity", bigram_perplexity__no_exp, False, "no_exp", "returns the cross-entropy"
    ),
    Mutant(
        "bigram_perplexity",
        bigram_perplexity__arithmetic_mean,
        False,
        "arithmetic_mean",
        "1 / mean(p)",
    ),
    Mutant(
        "bigram_perplexity",
        bigram_perplexity__eps_in_log,
        False,
        "",
        "log(p + 1e-10): finite where it should be inf",
    ),
    Mutant(
        "bigram_perplexity",
        bigram_perplexity__geometric_product,
        True,
        why="prod(p) ** (−1/(T−1)) in float64",
    ),
    Mutant(
        "bigram_perplexity",
        bigram_perplexity__loop_log2,
        True,
        why="log2 and a power of 2, consistently",
    ),
    # matmul
    Mutant("matmul", matmul__a_times_b_transposed, False, "a_times_b_transposed", "A Bᵀ"),
    Mutant(
        "matmul", matmul__float32_accumulator, False, "float32", "zeros() accumulator in float32"
    ),
    Mutant("matmul", matmul__elementwise, False, "elementwise", "A * B"),
    Mutant("matmul", matmul__2d_loops_only, False, "", "2-D loops only"),
    Mutant("matmul", matmul__same_batch_only, False, "", "refuses broadcasting batch dims"),
    Mutant("matmul", matmul__operator, False, "", "forbidden: @"),
    Mutant("matmul", matmul__loop_over_k, True, why="sum of outer products over k"),
    Mutant("matmul", matmul__transpose_then_rowdot, True, why="row · row of Bᵀ"),
    # linear
    Mutant("linear", linear__x_times_W, False, "x_times_W", "x @ W"),
    Mutant("linear", linear__ignores_bias, False, "ignores_bias", "no bias"),
    Mutant("linear", linear__bias_summed, False, "bias_summed", "adds b.sum()"),
    Mutant("linear", linear__mm_2d_only, False, "", "torch.mm: 2-D only"),
    Mutant("linear", linear__x_T, False, "", "(W @ x.T).T breaks for 3-D x"),
    Mutant("linear", linear__uses_F_linear, False, "", "forbidden: F.linear"),
    Mutant("linear", linear__bias_required, False, "", "b = None crashes"),
    Mutant("linear", linear__einsum, True, why="einsum '...i,oi->...o'"),
    Mutant("linear", linear__flatten_batch, True, why="flatten the batch, W.mT, reshape back"),
    Mutant("linear", linear__broadcast_sum, True, why="broadcast multiply and sum"),
)
