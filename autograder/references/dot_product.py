"""References for L-2 点积与相似度 (dot product and similarity).

Written for clarity, not speed. Shapes follow the exercise texts in
source/l2_dot_product/L-2-dot-product-similarity.ipynb.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor


def dot(a: Tensor, b: Tensor) -> Tensor:
    """(..., d), (..., d) -> (...): Σ_i a_i b_i over the last dim, broadcasting the rest."""
    return (a * b).sum(dim=-1)


def angle_between(a: Tensor, b: Tensor) -> Tensor:
    """(..., d), (..., d) -> (...): angle in radians, arccos of the clamped cosine."""
    cos = dot(a, b) / (a.norm(dim=-1) * b.norm(dim=-1))
    return torch.arccos(cos.clamp(-1.0, 1.0))


def cosine_similarity(a: Tensor, b: Tensor, dim: int = -1, eps: float = 1e-8) -> Tensor:
    """Cosine along `dim` with broadcasting; a zero vector gives 0 (never NaN).

    cos = a·b / max(‖a‖·‖b‖, eps).
    """
    a, b = torch.broadcast_tensors(a, b)
    num = (a * b).sum(dim=dim)
    den = a.norm(dim=dim) * b.norm(dim=dim)
    return num / den.clamp_min(eps)


def pairwise_cosine(A: Tensor, B: Tensor, eps: float = 1e-8) -> Tensor:
    """(n, d), (m, d) -> (n, m): cosine of every row of A with every row of B."""
    An = A / A.norm(dim=-1, keepdim=True).clamp_min(eps)
    Bn = B / B.norm(dim=-1, keepdim=True).clamp_min(eps)
    return An @ Bn.T


def dot_product_variance(q: Tensor, k: Tensor, scale: bool = True) -> Tensor:
    """(n, d), (n, d) -> scalar: sample variance (Bessel-corrected) of s_i = q_i·k_i / √d.

    Without `scale` the scores are the raw dot products q_i·k_i.
    """
    scores = (q * k).sum(dim=-1)
    if scale:
        scores = scores / math.sqrt(q.shape[-1])
    return scores.var()


def scaled_dot_product_attention(
    q: Tensor, k: Tensor, v: Tensor, mask: Tensor | None = None
) -> Tensor:
    """q (..., Lq, d), k (..., Lk, d), v (..., Lk, dv) -> (..., Lq, dv).

    softmax(q kᵀ / √d + M) v, M = 0 where mask is True and -inf where it is False.
    """
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    return torch.softmax(scores, dim=-1) @ v


def top_k_retrieve(query: Tensor, corpus: Tensor, k: int) -> Tensor:
    """query (d,) or (B, d), corpus (n, d) -> indices (min(k, n),) or (B, min(k, n)), int64.

    Rows of `corpus` ranked by cosine similarity with the query, most similar first.
    """
    sims = pairwise_cosine(query.reshape(-1, query.shape[-1]), corpus)
    idx = sims.topk(min(k, corpus.shape[0]), dim=-1).indices
    return idx.reshape(*query.shape[:-1], -1)
