"""References for L-1 数学基础 (math foundations).

Written for clarity, not speed. Shapes and conventions follow the exercise texts in
source/l1_math/L-1-math-foundations.ipynb and the fixed contracts in design.md (entropy,
kl_divergence, bigram_model). Natural logarithms throughout.
"""

from __future__ import annotations

import torch
from torch import Tensor

# ---- L-1-1 probability ---------------------------------------------------------------------


def conditional(joint: Tensor, given_dim: int) -> Tensor:
    """P(others | X_given) from a joint table; same shape as `joint`.

    joint: (n_0, n_1, ...) probabilities or counts (any total, k >= 2 dims). The marginal of
    the variable along `given_dim` is the sum over every other dim; each slice along
    `given_dim` is divided by its marginal. A zero marginal gives zeros (never NaN).
    """
    dim = given_dim % joint.dim()
    others = [d for d in range(joint.dim()) if d != dim]
    marginal = joint.sum(dim=others, keepdim=True)
    safe = torch.where(marginal > 0, marginal, torch.ones_like(marginal))
    return torch.where(marginal > 0, joint / safe, torch.zeros_like(joint))


def mean_var(values: Tensor, probs: Tensor) -> tuple[Tensor, Tensor]:
    """(..., n), (..., n) -> (E[X], Var[X]), each (...): population moments along the last dim.

    E[X] = Σ p x, Var[X] = Σ p (x − E[X])² (no Bessel correction: a distribution, not a sample).
    """
    mean = (probs * values).sum(dim=-1)
    var = (probs * (values - mean.unsqueeze(-1)) ** 2).sum(dim=-1)
    return mean, var


# ---- L-1-1 information theory ----------------------------------------------------------------


def _plogq(p: Tensor, q: Tensor) -> Tensor:
    """Elementwise p·log q with 0 where p = 0 (whatever q is), -inf where p > 0 and q = 0."""
    p, q = torch.broadcast_tensors(p, q)
    safe_q = torch.where(p > 0, q, torch.ones_like(q))
    return torch.where(p > 0, p * torch.log(safe_q), torch.zeros_like(p))


def entropy(p: Tensor, dim: int = -1) -> Tensor:
    """Shannon entropy in nats, H(p) = −Σ p log p along `dim` (removed); 0·log 0 = 0."""
    return -_plogq(p, p).sum(dim=dim)


def cross_entropy(p: Tensor, q: Tensor, dim: int = -1) -> Tensor:
    """H(p, q) = −Σ p log q in nats along `dim` (removed); p and q broadcast.

    Terms with p = 0 add 0; +inf where p > 0 and q = 0.
    """
    return -_plogq(p, q).sum(dim=dim)


def kl_divergence(p: Tensor, q: Tensor, dim: int = -1) -> Tensor:
    """KL(p‖q) = Σ p (log p − log q) in nats along `dim` (removed); p and q broadcast.

    Terms with p = 0 add 0; +inf where p > 0 and q = 0 (design.md fixed contract).
    """
    p, q = torch.broadcast_tensors(p, q)
    return (_plogq(p, p) - _plogq(p, q)).sum(dim=dim)


def cross_entropy_logits(logits: Tensor, target: Tensor, dim: int = -1) -> Tensor:
    """H(target, softmax(logits)) = −Σ target · log_softmax(logits) along `dim` (removed).

    logits and target broadcast; stable for logits of magnitude 1e4 (log-sum-exp with the max
    subtracted). Soft targets as in torch.nn.functional.cross_entropy with class probabilities.
    """
    shifted = logits - logits.amax(dim=dim, keepdim=True).detach()
    log_probs = shifted - shifted.exp().sum(dim=dim, keepdim=True).log()
    return -(target * log_probs).sum(dim=dim)


# ---- L-1-2 Markov chains -------------------------------------------------------------------


def bigram_model(tokens: Tensor, vocab_size: int, alpha: float = 0.0) -> Tensor:
    """1-D int64 ids -> (V, V) float32 row-stochastic P (design.md fixed contract).

    P[i, j] = (count(i→j) + α) / (count(i→·) + α·V); a row with no counts and α = 0 is 1/V.
    """
    V = vocab_size
    counts = torch.zeros(V, V, dtype=torch.float64)
    if tokens.numel() > 1:
        pairs = tokens[:-1].long() * V + tokens[1:].long()
        counts = torch.bincount(pairs, minlength=V * V).reshape(V, V).to(torch.float64)
    counts = counts + alpha
    totals = counts.sum(dim=1, keepdim=True)
    P = torch.where(totals > 0, counts / totals.clamp_min(1e-300), torch.full_like(counts, 1 / V))
    return P.to(torch.float32)


def n_step(P: Tensor, p0: Tensor, n: int) -> Tensor:
    """Distribution after n steps, row-vector convention: p_n = p0 @ P^n.

    P: (V, V) row-stochastic (P[i, j] = P(next = j | now = i)); p0: (V,) or (B, V); n >= 0.
    """
    p = p0
    for _ in range(n):
        p = p @ P
    return p


def stationary(P: Tensor) -> Tensor:
    """(V, V) row-stochastic, irreducible and aperiodic -> π (V,): π P = π, Σ π = 1, π ≥ 0.

    Solves the linear system (Pᵀ − I) π = 0 with one equation replaced by Σ π = 1, in float64;
    returns P's dtype.
    """
    V = P.shape[0]
    A = P.to(torch.float64).T - torch.eye(V, dtype=torch.float64)
    A[-1] = 1.0
    rhs = torch.zeros(V, dtype=torch.float64)
    rhs[-1] = 1.0
    return torch.linalg.solve(A, rhs).to(P.dtype)


def bigram_perplexity(P: Tensor, tokens: Tensor) -> Tensor:
    """Perplexity of a 1-D id sequence (T >= 2) under a bigram matrix P (V, V); 0-dim, P.dtype.

    exp(−(1/(T−1)) Σ_t log P[tokens[t], tokens[t+1]]); +inf if a transition has probability 0.
    """
    probs = P[tokens[:-1], tokens[1:]]
    return torch.exp(-torch.log(probs).mean())


# ---- L-1-3 linear algebra --------------------------------------------------------------------


def matmul(A: Tensor, B: Tensor) -> Tensor:
    """(..., n, k) x (..., k, m) -> (..., n, m); batch dims broadcast. out[i, j] = Σ_k A[i,k] B[k,j]."""
    return (A.unsqueeze(-1) * B.unsqueeze(-3)).sum(dim=-2)


def linear(x: Tensor, W: Tensor, b: Tensor | None = None) -> Tensor:
    """x (..., d_in), W (d_out, d_in), b (d_out,) or None -> (..., d_out): x Wᵀ + b.

    The convention of torch.nn.Linear (weight stored as (out_features, in_features)).
    """
    out = x @ W.T
    return out if b is None else out + b
