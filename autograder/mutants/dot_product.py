"""Mutants for L-2 点积与相似度 (see autograder/mutants/__init__.py for the rules).

Wrong mutants are mistakes students really make (curriculum.md, L-2); `oracle` names the
matching Oracle in autograder/checks/dot_product.py ("" where none exists). Correct mutants
are written differently from the reference and obey each check's forbidden built-ins.
"""

from __future__ import annotations

import math  # noqa: F401  (mutants may use the notebook's globals)

import torch
import torch.nn.functional as F  # noqa: F401, N812
from torch import Tensor

from autograder.mutants import Mutant

# ---- dot ----------------------------------------------------------------------------------
# Forbidden: torch.dot / matmul / einsum / @ and friends (MATMUL_BUILTINS).


def dot__no_sum(a: Tensor, b: Tensor) -> Tensor:
    return a * b


def dot__first_dim(a: Tensor, b: Tensor) -> Tensor:
    return (a * b).sum(dim=0)


def dot__norm_product(a: Tensor, b: Tensor) -> Tensor:
    return torch.sqrt((a * a).sum(-1)) * torch.sqrt((b * b).sum(-1))


def dot__sum_everything(a: Tensor, b: Tensor) -> Tensor:
    return torch.sum(a * b)


def dot__keepdim(a: Tensor, b: Tensor) -> Tensor:
    return (a * b).sum(dim=-1, keepdim=True)


def dot__python_loop_first_axis(a: Tensor, b: Tensor) -> Tensor:
    total = 0
    for i in range(len(a)):
        total = total + a[i] * b[i]
    return total


def dot__float32_accumulator(a: Tensor, b: Tensor) -> Tensor:
    out = torch.zeros(torch.broadcast_shapes(a.shape, b.shape)[:-1])  # default dtype float32
    for i in range(a.shape[-1]):
        out += a[..., i] * b[..., i]
    return out


def dot__matmul_operator(a: Tensor, b: Tensor) -> Tensor:
    return (a.unsqueeze(-2) @ b.unsqueeze(-1)).squeeze(-1).squeeze(-1)


def dot__linalg_matmul(a: Tensor, b: Tensor) -> Tensor:
    return torch.linalg.matmul(a.unsqueeze(-2), b.unsqueeze(-1))[..., 0, 0]


def dot__loop_over_last_dim(a: Tensor, b: Tensor) -> Tensor:
    total = 0
    for i in range(a.shape[-1]):
        total = total + a[..., i] * b[..., i]
    return total


def dot__cumsum_last(a: Tensor, b: Tensor) -> Tensor:
    return torch.cumsum(torch.mul(a, b), dim=-1)[..., -1]


def dot__sum_over_rank_of_a(a: Tensor, b: Tensor) -> Tensor:
    return (a * b).sum(dim=a.dim() - 1)


def dot__float64_accumulator(a: Tensor, b: Tensor) -> Tensor:
    out = torch.zeros(torch.broadcast_shapes(a.shape, b.shape)[:-1], dtype=torch.float64)
    for i in range(a.shape[-1]):
        out += a[..., i] * b[..., i]
    return out


# ---- angle_between --------------------------------------------------------------------------


def angle_between__no_clamp(a: Tensor, b: Tensor) -> Tensor:
    cos = (a * b).sum(-1) / (a.norm(dim=-1) * b.norm(dim=-1))
    return torch.arccos(cos)


def angle_between__degrees(a: Tensor, b: Tensor) -> Tensor:
    cos = (a * b).sum(-1) / (a.norm(dim=-1) * b.norm(dim=-1))
    return torch.arccos(cos.clamp(-1.0, 1.0)) * 180 / math.pi


def angle_between__no_normalise(a: Tensor, b: Tensor) -> Tensor:
    return torch.arccos(torch.clamp((a * b).sum(-1), -1.0, 1.0))


def angle_between__returns_cosine(a: Tensor, b: Tensor) -> Tensor:
    return ((a * b).sum(-1) / (a.norm(dim=-1) * b.norm(dim=-1))).clamp(-1.0, 1.0)


def angle_between__norm_without_dim(a: Tensor, b: Tensor) -> Tensor:
    cos = (a * b).sum(-1) / (a.norm() * b.norm())
    return torch.arccos(cos.clamp(-1.0, 1.0))


def angle_between__atan2(a: Tensor, b: Tensor) -> Tensor:
    d = (a * b).sum(-1)
    sin_part = torch.sqrt(torch.clamp((a * a).sum(-1) * (b * b).sum(-1) - d * d, min=0.0))
    return torch.atan2(sin_part, d)


def angle_between__normalise_first(a: Tensor, b: Tensor) -> Tensor:
    ua = a / torch.linalg.vector_norm(a, dim=-1, keepdim=True)
    ub = b / torch.linalg.vector_norm(b, dim=-1, keepdim=True)
    return torch.acos(torch.clamp((ua * ub).sum(dim=-1), min=-1.0, max=1.0))


def angle_between__normalise_first_no_clamp(a: Tensor, b: Tensor) -> Tensor:
    ua = a / a.norm(dim=-1, keepdim=True)
    ub = b / b.norm(dim=-1, keepdim=True)
    return torch.arccos((ua * ub).sum(dim=-1))


# ---- cosine_similarity ------------------------------------------------------------------------
# Forbidden: F.cosine_similarity, torch.cosine_similarity, nn.CosineSimilarity.


def cosine_similarity__one_sided(a: Tensor, b: Tensor, dim: int = -1, eps: float = 1e-8) -> Tensor:
    return (a * b).sum(dim) / a.norm(dim=dim).clamp_min(eps)


def cosine_similarity__no_sqrt(a: Tensor, b: Tensor, dim: int = -1, eps: float = 1e-8) -> Tensor:
    return (a * b).sum(dim) / ((a**2).sum(dim) * (b**2).sum(dim)).clamp_min(eps)


def cosine_similarity__no_eps(a: Tensor, b: Tensor, dim: int = -1, eps: float = 1e-8) -> Tensor:
    return (a * b).sum(dim=dim) / (a.norm(dim=dim) * b.norm(dim=dim))


def cosine_similarity__normalise_first_no_eps(
    a: Tensor, b: Tensor, dim: int = -1, eps: float = 1e-8
) -> Tensor:
    a = a / a.norm(dim=dim, keepdim=True)
    b = b / b.norm(dim=dim, keepdim=True)
    return (a * b).sum(dim=dim)


def cosine_similarity__norms_before_broadcast(
    a: Tensor, b: Tensor, dim: int = -1, eps: float = 1e-8
) -> Tensor:
    return (a * b).sum(dim) / (a.norm(dim=dim) * b.norm(dim=dim)).clamp_min(eps)


def cosine_similarity__ignores_dim(
    a: Tensor, b: Tensor, dim: int = -1, eps: float = 1e-8
) -> Tensor:
    a, b = torch.broadcast_tensors(a, b)
    num = (a * b).sum(-1)
    return num / (a.norm(dim=-1) * b.norm(dim=-1)).clamp_min(eps)


def cosine_similarity__norm_without_dim(
    a: Tensor, b: Tensor, dim: int = -1, eps: float = 1e-8
) -> Tensor:
    return (a * b).sum(dim=dim) / (a.norm() * b.norm()).clamp_min(eps)


def cosine_similarity__keepdim(a: Tensor, b: Tensor, dim: int = -1, eps: float = 1e-8) -> Tensor:
    num = (a * b).sum(dim=dim, keepdim=True)
    den = a.norm(dim=dim, keepdim=True) * b.norm(dim=dim, keepdim=True)
    return num / den.clamp_min(eps)


def cosine_similarity__uses_builtin(
    a: Tensor, b: Tensor, dim: int = -1, eps: float = 1e-8
) -> Tensor:
    return F.cosine_similarity(a, b, dim=dim, eps=eps)


def cosine_similarity__normalise_before_broadcast(
    a: Tensor, b: Tensor, dim: int = -1, eps: float = 1e-8
) -> Tensor:
    a_len = torch.sqrt((a * a).sum(dim=dim, keepdim=True))
    b_len = torch.sqrt((b * b).sum(dim=dim, keepdim=True))
    a_unit = a / torch.clamp(a_len, min=eps)
    b_unit = b / torch.clamp(b_len, min=eps)
    return (a_unit * b_unit).sum(dim=dim)


def cosine_similarity__where_zero(a: Tensor, b: Tensor, dim: int = -1, eps: float = 1e-8) -> Tensor:
    shape = torch.broadcast_shapes(a.shape, b.shape)
    a, b = a.expand(shape), b.expand(shape)
    num = torch.sum(a * b, dim=dim)
    den = torch.linalg.vector_norm(a, dim=dim) * torch.linalg.vector_norm(b, dim=dim)
    return torch.where(den > eps, num / den, torch.zeros_like(num))


def cosine_similarity__f_normalize(
    a: Tensor, b: Tensor, dim: int = -1, eps: float = 1e-8
) -> Tensor:
    a, b = torch.broadcast_tensors(a, b)
    return (F.normalize(a, dim=dim) * F.normalize(b, dim=dim)).sum(dim=dim)


# ---- pairwise_cosine --------------------------------------------------------------------------


def pairwise_cosine__transposed(A: Tensor, B: Tensor, eps: float = 1e-8) -> Tensor:
    An = A / A.norm(dim=-1, keepdim=True).clamp_min(eps)
    Bn = B / B.norm(dim=-1, keepdim=True).clamp_min(eps)
    return Bn @ An.T


def pairwise_cosine__one_sided(A: Tensor, B: Tensor, eps: float = 1e-8) -> Tensor:
    return (A / A.norm(dim=-1, keepdim=True)) @ B.T


def pairwise_cosine__raw_dot(A: Tensor, B: Tensor, eps: float = 1e-8) -> Tensor:
    return torch.mm(A, B.t())


def pairwise_cosine__nan_on_zero_row(A: Tensor, B: Tensor, eps: float = 1e-8) -> Tensor:
    return (A / A.norm(dim=1, keepdim=True)) @ (B / B.norm(dim=1, keepdim=True)).T


def pairwise_cosine__eps_on_A_only(A: Tensor, B: Tensor, eps: float = 1e-8) -> Tensor:
    A_unit = A / A.norm(dim=-1, keepdim=True).clamp_min(eps)
    B_unit = B / B.norm(dim=-1, keepdim=True)
    return A_unit @ B_unit.T


def pairwise_cosine__squeezed(A: Tensor, B: Tensor, eps: float = 1e-8) -> Tensor:
    A_unit = A / A.norm(dim=-1, keepdim=True).clamp_min(eps)
    B_unit = B / B.norm(dim=-1, keepdim=True).clamp_min(eps)
    return (A_unit @ B_unit.T).squeeze()


def pairwise_cosine__normalises_columns(A: Tensor, B: Tensor, eps: float = 1e-8) -> Tensor:
    An = A / A.norm(dim=0, keepdim=True).clamp_min(eps)
    Bn = B / B.norm(dim=0, keepdim=True).clamp_min(eps)
    return An @ Bn.T


def pairwise_cosine__uses_builtin(A: Tensor, B: Tensor, eps: float = 1e-8) -> Tensor:
    return F.cosine_similarity(A[:, None, :], B[None, :, :], dim=-1, eps=eps)


def pairwise_cosine__broadcast(A: Tensor, B: Tensor, eps: float = 1e-8) -> Tensor:
    num = (A[:, None, :] * B[None, :, :]).sum(dim=-1)
    a_len = torch.sqrt((A * A).sum(dim=-1)).clamp_min(eps)
    b_len = torch.sqrt((B * B).sum(dim=-1)).clamp_min(eps)
    return num / (a_len[:, None] * b_len[None, :])


def pairwise_cosine__einsum(A: Tensor, B: Tensor, eps: float = 1e-8) -> Tensor:
    a_len = torch.linalg.vector_norm(A, dim=1, keepdim=True)
    b_len = torch.linalg.vector_norm(B, dim=1, keepdim=True)
    An = torch.where(a_len > eps, A / a_len, torch.zeros_like(A))
    Bn = torch.where(b_len > eps, B / b_len, torch.zeros_like(B))
    return torch.einsum("id,jd->ij", An, Bn)


# ---- dot_product_variance ----------------------------------------------------------------------


def dot_product_variance__divide_by_d(q: Tensor, k: Tensor, scale: bool = True) -> Tensor:
    s = (q * k).sum(-1)
    if scale:
        s = s / q.shape[-1]
    return s.var()


def dot_product_variance__population(q: Tensor, k: Tensor, scale: bool = True) -> Tensor:
    s = (q * k).sum(-1)
    if scale:
        s = s / math.sqrt(q.shape[-1])
    return ((s - s.mean()) ** 2).mean()


def dot_product_variance__all_entries(q: Tensor, k: Tensor, scale: bool = True) -> Tensor:
    s = q * k
    if scale:
        s = s / math.sqrt(q.shape[-1])
    return s.var()


def dot_product_variance__std(q: Tensor, k: Tensor, scale: bool = True) -> Tensor:
    s = (q * k).sum(-1)
    if scale:
        s = s / math.sqrt(q.shape[-1])
    return torch.std(s)


def dot_product_variance__ignores_scale_flag(q: Tensor, k: Tensor, scale: bool = True) -> Tensor:
    return ((q * k).sum(-1) / math.sqrt(q.shape[-1])).var()


def dot_product_variance__all_pairs(q: Tensor, k: Tensor, scale: bool = True) -> Tensor:
    s = q @ k.T
    if scale:
        s = s / math.sqrt(q.shape[-1])
    return s.var()


def dot_product_variance__mean_square(q: Tensor, k: Tensor, scale: bool = True) -> Tensor:
    s = (q * k).sum(-1)
    if scale:
        s = s / math.sqrt(q.shape[-1])
    return (s**2).mean()


def dot_product_variance__sqrt_of_n(q: Tensor, k: Tensor, scale: bool = True) -> Tensor:
    s = (q * k).sum(-1)
    if scale:
        s = s / math.sqrt(q.shape[0])
    return s.var()


def dot_product_variance__manual_bessel(q: Tensor, k: Tensor, scale: bool = True) -> Tensor:
    s = torch.einsum("nd,nd->n", q, k)
    if scale:
        s = s * q.shape[-1] ** -0.5
    return ((s - s.mean()) ** 2).sum() / (s.numel() - 1)


def dot_product_variance__diagonal(q: Tensor, k: Tensor, scale: bool = True) -> Tensor:
    s = torch.diagonal(q @ k.T)
    raw = torch.var(s, correction=1)
    return raw / q.shape[-1] if scale else raw


# ---- scaled_dot_product_attention -----------------------------------------------------------
# Forbidden: F.scaled_dot_product_attention, nn.MultiheadAttention, multi_head_attention_forward.


def scaled_dot_product_attention__no_scale(q: Tensor, k: Tensor, v: Tensor, mask=None) -> Tensor:
    scores = q @ k.transpose(-2, -1)
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    return torch.softmax(scores, dim=-1) @ v


def scaled_dot_product_attention__scale_by_d(q: Tensor, k: Tensor, v: Tensor, mask=None) -> Tensor:
    scores = q @ k.transpose(-2, -1) / q.shape[-1]
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    return torch.softmax(scores, dim=-1) @ v


def scaled_dot_product_attention__scale_by_key_length(
    q: Tensor, k: Tensor, v: Tensor, mask=None
) -> Tensor:
    scores = q @ k.transpose(-2, -1) / math.sqrt(k.size(-2))
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    return torch.softmax(scores, dim=-1) @ v


def scaled_dot_product_attention__softmax_over_queries(
    q: Tensor, k: Tensor, v: Tensor, mask=None
) -> Tensor:
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    return torch.softmax(scores, dim=-2) @ v


def scaled_dot_product_attention__softmax_dim1(
    q: Tensor, k: Tensor, v: Tensor, mask=None
) -> Tensor:
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    return F.softmax(scores, dim=1) @ v


def scaled_dot_product_attention__inverted_mask(
    q: Tensor, k: Tensor, v: Tensor, mask=None
) -> Tensor:
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])
    if mask is not None:
        scores = scores.masked_fill(mask, float("-inf"))
    return torch.softmax(scores, dim=-1) @ v


def scaled_dot_product_attention__ignores_mask(
    q: Tensor, k: Tensor, v: Tensor, mask=None
) -> Tensor:
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])
    return torch.softmax(scores, dim=-1) @ v


def scaled_dot_product_attention__mask_after_softmax(
    q: Tensor, k: Tensor, v: Tensor, mask=None
) -> Tensor:
    weights = torch.softmax(q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1]), dim=-1)
    if mask is not None:
        weights = weights.masked_fill(~mask, 0.0)
    return weights @ v


def scaled_dot_product_attention__multiply_scores_by_mask(
    q: Tensor, k: Tensor, v: Tensor, mask=None
) -> Tensor:
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])
    if mask is not None:
        scores = scores * mask
    return torch.softmax(scores, dim=-1) @ v


def scaled_dot_product_attention__add_bool_mask(
    q: Tensor, k: Tensor, v: Tensor, mask=None
) -> Tensor:
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])
    if mask is not None:
        scores = scores + mask
    return torch.softmax(scores, dim=-1) @ v


def scaled_dot_product_attention__boolean_index_assign(
    q: Tensor, k: Tensor, v: Tensor, mask=None
) -> Tensor:
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])
    if mask is not None:
        scores[~mask] = float("-inf")  # boolean indexing does not broadcast
    return torch.softmax(scores, dim=-1) @ v


def scaled_dot_product_attention__detached_scores(
    q: Tensor, k: Tensor, v: Tensor, mask=None
) -> Tensor:
    scores = (q @ k.transpose(-2, -1)).detach() / math.sqrt(q.shape[-1])
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    return torch.softmax(scores, dim=-1) @ v


def scaled_dot_product_attention__inplace_scale_input(
    q: Tensor, k: Tensor, v: Tensor, mask=None
) -> Tensor:
    q /= math.sqrt(q.shape[-1])  # modifies the caller's tensor (a leaf that requires grad)
    scores = q @ k.transpose(-2, -1)
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    return torch.softmax(scores, dim=-1) @ v


def scaled_dot_product_attention__inplace_softmax(
    q: Tensor, k: Tensor, v: Tensor, mask=None
) -> Tensor:
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])
    if mask is not None:
        scores.masked_fill_(~mask, float("-inf"))
    scores = scores - scores.amax(dim=-1, keepdim=True)
    weights = scores.exp_()
    weights /= weights.sum(dim=-1, keepdim=True)  # exp's saved output is overwritten
    return weights @ v


def scaled_dot_product_attention__naive_softmax_overflow(
    q: Tensor, k: Tensor, v: Tensor, mask=None
) -> Tensor:
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    weights = torch.exp(scores)  # no max subtraction: overflows for large scores
    return weights / weights.sum(dim=-1, keepdim=True) @ v


def scaled_dot_product_attention__k_dot_T(q: Tensor, k: Tensor, v: Tensor, mask=None) -> Tensor:
    scores = q @ k.T / math.sqrt(q.shape[-1])  # .T reverses every dim of a batched tensor
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    return torch.softmax(scores, dim=-1) @ v


def scaled_dot_product_attention__uses_builtin(
    q: Tensor, k: Tensor, v: Tensor, mask=None
) -> Tensor:
    return F.scaled_dot_product_attention(q, k, v, attn_mask=mask)


def scaled_dot_product_attention__fill_minus_1e9_manual_softmax(
    q: Tensor, k: Tensor, v: Tensor, mask=None
) -> Tensor:
    scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(q.size(-1))
    if mask is not None:
        scores = scores.masked_fill(mask == 0, -1e9)
    scores = scores - scores.max(dim=-1, keepdim=True).values
    weights = torch.exp(scores)
    weights = weights / weights.sum(dim=-1, keepdim=True)
    return torch.matmul(weights, v)


def scaled_dot_product_attention__where_prescaled_q(
    q: Tensor, k: Tensor, v: Tensor, mask=None
) -> Tensor:
    scores = (q * q.shape[-1] ** -0.5) @ k.mT
    if mask is not None:
        scores = torch.where(mask, scores, torch.full_like(scores, float("-inf")))
    return F.softmax(scores, dim=-1) @ v


def scaled_dot_product_attention__einsum_log_mask(
    q: Tensor, k: Tensor, v: Tensor, mask=None
) -> Tensor:
    scores = torch.einsum("...qd,...kd->...qk", q, k) / math.sqrt(q.shape[-1])
    if mask is not None:
        scores = scores + torch.log(mask.to(scores.dtype))  # log 1 = 0, log 0 = -inf
    return torch.einsum("...qk,...kv->...qv", scores.softmax(dim=-1), v)


# ---- top_k_retrieve ---------------------------------------------------------------------------


def top_k_retrieve__ascending(query: Tensor, corpus: Tensor, k: int) -> Tensor:
    sims = F.normalize(query, dim=-1) @ F.normalize(corpus, dim=-1).T
    return sims.topk(min(k, corpus.shape[0]), dim=-1, largest=False).indices


def top_k_retrieve__raw_dot(query: Tensor, corpus: Tensor, k: int) -> Tensor:
    return (query @ corpus.T).topk(min(k, corpus.shape[0]), dim=-1).indices


def top_k_retrieve__normalises_query_only(query: Tensor, corpus: Tensor, k: int) -> Tensor:
    q = query / query.norm(dim=-1, keepdim=True)
    return (q @ corpus.T).topk(min(k, corpus.shape[0]), dim=-1).indices


def top_k_retrieve__k_not_clamped(query: Tensor, corpus: Tensor, k: int) -> Tensor:
    sims = F.normalize(query, dim=-1) @ F.normalize(corpus, dim=-1).T
    return sims.topk(k, dim=-1).indices


def top_k_retrieve__skips_first(query: Tensor, corpus: Tensor, k: int) -> Tensor:
    sims = F.normalize(query, dim=-1) @ F.normalize(corpus, dim=-1).T
    return sims.argsort(dim=-1, descending=True)[..., 1 : k + 1]


def top_k_retrieve__returns_scores(query: Tensor, corpus: Tensor, k: int) -> Tensor:
    sims = F.normalize(query, dim=-1) @ F.normalize(corpus, dim=-1).T
    return sims.topk(min(k, corpus.shape[0]), dim=-1).values


def top_k_retrieve__always_batched(query: Tensor, corpus: Tensor, k: int) -> Tensor:
    q = F.normalize(query.reshape(-1, query.shape[-1]), dim=-1)
    sims = q @ F.normalize(corpus, dim=-1).T
    return sims.topk(min(k, corpus.shape[0]), dim=-1).indices


def top_k_retrieve__uses_builtin(query: Tensor, corpus: Tensor, k: int) -> Tensor:
    sims = F.cosine_similarity(query[..., None, :], corpus, dim=-1)
    return sims.topk(min(k, corpus.shape[0]), dim=-1).indices


def top_k_retrieve__argsort_descending(query: Tensor, corpus: Tensor, k: int) -> Tensor:
    sims = F.normalize(query, dim=-1) @ F.normalize(corpus, dim=-1).T
    return torch.argsort(sims, dim=-1, descending=True)[..., :k]


def top_k_retrieve__normalise_corpus_only(query: Tensor, corpus: Tensor, k: int) -> Tensor:
    # dividing by ‖query‖ (a positive constant per query) never changes the ranking
    unit_corpus = corpus / corpus.norm(dim=-1, keepdim=True)
    scores = (unit_corpus * query[..., None, :]).sum(dim=-1)
    return torch.sort(scores, dim=-1, descending=True).indices[..., : min(k, len(corpus))]


def top_k_retrieve__loop_per_query(query: Tensor, corpus: Tensor, k: int) -> Tensor:
    unit_corpus = corpus / corpus.norm(dim=1, keepdim=True)
    rows = []
    for q in query.reshape(-1, query.shape[-1]):
        sims = (unit_corpus * (q / q.norm())).sum(dim=1)
        rows.append(torch.topk(sims, min(k, corpus.shape[0])).indices)
    return torch.stack(rows).reshape(*query.shape[:-1], -1)


# ---- the catalogue --------------------------------------------------------------------------

MUTANTS = (
    # dot
    Mutant("dot", dot__no_sum, False, "no_sum", "elementwise product, no sum"),
    Mutant("dot", dot__first_dim, False, "first_dim", "sums over dim 0 instead of the last dim"),
    Mutant("dot", dot__norm_product, False, "norm_product", "returns |a|*|b|"),
    Mutant("dot", dot__sum_everything, False, "", "sum() without dim: one scalar for the batch"),
    Mutant("dot", dot__keepdim, False, "", "keepdim=True: shape (..., 1)"),
    Mutant(
        "dot",
        dot__python_loop_first_axis,
        False,
        "",
        "Python loop over a[i]*b[i]: right in 1-D, sums the batch axis otherwise",
    ),
    Mutant(
        "dot",
        dot__float32_accumulator,
        False,
        "float32",
        "accumulates in torch.zeros(...) of the default float32: float64 inputs lose precision",
    ),
    Mutant("dot", dot__matmul_operator, False, "", "forbidden shortcut: @ on unsqueezed vectors"),
    Mutant("dot", dot__linalg_matmul, False, "", "forbidden shortcut: torch.linalg.matmul"),
    Mutant(
        "dot",
        dot__sum_over_rank_of_a,
        False,
        "rank_of_a",
        "sums over dim a.dim() - 1: wrong when a is (d,) and b is (n, d) (issue 7)",
    ),
    Mutant(
        "dot",
        dot__float64_accumulator,
        False,
        "float64",
        "accumulates in float64 and returns float64 for float32 inputs (issue 7)",
    ),
    Mutant("dot", dot__loop_over_last_dim, True, why="loop over the last dim with a[..., i]"),
    Mutant("dot", dot__cumsum_last, True, why="last entry of a cumulative sum"),
    # angle_between
    Mutant(
        "angle_between",
        angle_between__no_clamp,
        False,
        "no_clamp",
        "arccos of an unclamped cosine: NaN for (anti)parallel vectors",
    ),
    Mutant("angle_between", angle_between__degrees, False, "degrees", "degrees, not radians"),
    Mutant(
        "angle_between",
        angle_between__normalise_first_no_clamp,
        False,
        "no_clamp",
        "normalise first, arccos without clamp: NaN elsewhere than the oracle's (issue 7)",
    ),
    Mutant(
        "angle_between",
        angle_between__no_normalise,
        False,
        "no_normalise",
        "arccos of the raw dot product",
    ),
    Mutant("angle_between", angle_between__returns_cosine, False, "", "forgets the arccos"),
    Mutant(
        "angle_between",
        angle_between__norm_without_dim,
        False,
        "",
        "norm() without dim: divides by the norm of the whole batch",
    ),
    Mutant(
        "angle_between", angle_between__atan2, True, why="atan2(sqrt(|a|^2|b|^2 - (a.b)^2), a.b)"
    ),
    Mutant(
        "angle_between",
        angle_between__normalise_first,
        True,
        why="normalise both, then acos of the clamped dot",
    ),
    # cosine_similarity
    Mutant(
        "cosine_similarity",
        cosine_similarity__one_sided,
        False,
        "one_sided",
        "normalises by |a| only",
    ),
    Mutant(
        "cosine_similarity",
        cosine_similarity__no_sqrt,
        False,
        "squared_norms",
        "divides by the squared norms (no sqrt)",
    ),
    Mutant(
        "cosine_similarity",
        cosine_similarity__no_eps,
        False,
        "no_eps",
        "no eps: NaN for a zero vector",
    ),
    Mutant(
        "cosine_similarity",
        cosine_similarity__normalise_first_no_eps,
        False,
        "no_eps",
        "normalises each vector without eps: NaN for a zero vector",
    ),
    Mutant(
        "cosine_similarity",
        cosine_similarity__norms_before_broadcast,
        False,
        "norms_before_broadcast",
        "norms before broadcasting: wrong when one input has size 1 along dim (issue 7)",
    ),
    Mutant(
        "cosine_similarity",
        cosine_similarity__ignores_dim,
        False,
        "ignores_dim",
        "always reduces the last dim",
    ),
    Mutant(
        "cosine_similarity",
        cosine_similarity__norm_without_dim,
        False,
        "",
        "norm() without dim: norm of the whole tensor",
    ),
    Mutant("cosine_similarity", cosine_similarity__keepdim, False, "", "keepdim=True: wrong shape"),
    Mutant(
        "cosine_similarity",
        cosine_similarity__uses_builtin,
        False,
        "",
        "forbidden shortcut: F.cosine_similarity",
    ),
    Mutant(
        "cosine_similarity",
        cosine_similarity__normalise_before_broadcast,
        False,
        "norms_before_broadcast",
        "normalises each input before broadcasting (eps per vector): wrong when one input "
        "has size 1 along dim (a 'correct' alternative until issue 7's size-1 cases)",
    ),
    Mutant(
        "cosine_similarity",
        cosine_similarity__where_zero,
        True,
        why="vector_norm, torch.where for zero vectors",
    ),
    Mutant(
        "cosine_similarity",
        cosine_similarity__f_normalize,
        True,
        why="F.normalize both, then sum of products",
    ),
    # pairwise_cosine
    Mutant(
        "pairwise_cosine",
        pairwise_cosine__transposed,
        False,
        "transposed",
        "returns (m, n): B rows against A rows",
    ),
    Mutant("pairwise_cosine", pairwise_cosine__one_sided, False, "one_sided", "normalises A only"),
    Mutant(
        "pairwise_cosine",
        pairwise_cosine__squeezed,
        False,
        "",
        "squeeze() 'tidies' the output: (1, m) becomes (m,); passes every visible test, "
        "crashes the retrieval demo (issue 7)",
    ),
    Mutant(
        "pairwise_cosine",
        pairwise_cosine__eps_on_A_only,
        False,
        "eps_on_A_only",
        "clamps the norms of A but not of B: NaN for a zero row in B (issue 7)",
    ),
    Mutant("pairwise_cosine", pairwise_cosine__raw_dot, False, "raw_dot", "raw dot products"),
    Mutant(
        "pairwise_cosine",
        pairwise_cosine__nan_on_zero_row,
        False,
        "no_eps",
        "no eps: NaN row for a zero vector",
    ),
    Mutant(
        "pairwise_cosine",
        pairwise_cosine__normalises_columns,
        False,
        "normalises_columns",
        "norm over dim 0: normalises the columns",
    ),
    Mutant(
        "pairwise_cosine",
        pairwise_cosine__uses_builtin,
        False,
        "",
        "forbidden shortcut: F.cosine_similarity with broadcasting",
    ),
    Mutant(
        "pairwise_cosine",
        pairwise_cosine__broadcast,
        True,
        why="broadcast A[:, None] * B[None] and divide by the outer product of norms",
    ),
    Mutant(
        "pairwise_cosine", pairwise_cosine__einsum, True, why="torch.where-normalised rows, einsum"
    ),
    # dot_product_variance
    Mutant(
        "dot_product_variance",
        dot_product_variance__divide_by_d,
        False,
        "divide_by_d",
        "divides by d instead of sqrt(d)",
    ),
    Mutant(
        "dot_product_variance",
        dot_product_variance__population,
        False,
        "population_variance",
        "mean of squared deviations (divides by n)",
    ),
    Mutant(
        "dot_product_variance",
        dot_product_variance__all_entries,
        False,
        "all_entries",
        "variance of every entry of q*k",
    ),
    Mutant(
        "dot_product_variance",
        dot_product_variance__std,
        False,
        "std",
        "returns the standard deviation",
    ),
    Mutant(
        "dot_product_variance",
        dot_product_variance__ignores_scale_flag,
        False,
        "",
        "always scales, ignoring scale=False",
    ),
    Mutant(
        "dot_product_variance",
        dot_product_variance__all_pairs,
        False,
        "",
        "variance of all n*n scores of q @ k.T, not of the paired q_i.k_i",
    ),
    Mutant(
        "dot_product_variance",
        dot_product_variance__mean_square,
        False,
        "",
        "E[s^2], assuming the mean is zero",
    ),
    Mutant(
        "dot_product_variance",
        dot_product_variance__sqrt_of_n,
        False,
        "",
        "scales by sqrt(q.shape[0]) (samples) instead of sqrt(d)",
    ),
    Mutant(
        "dot_product_variance",
        dot_product_variance__manual_bessel,
        True,
        why="einsum scores, manual sum of squared deviations / (n - 1)",
    ),
    Mutant(
        "dot_product_variance",
        dot_product_variance__diagonal,
        True,
        why="diagonal of q @ k.T; Var(s / sqrt(d)) = Var(s) / d",
    ),
    # scaled_dot_product_attention
    Mutant(
        "scaled_dot_product_attention",
        scaled_dot_product_attention__no_scale,
        False,
        "no_scale",
        "forgets the 1/sqrt(d) scale",
    ),
    Mutant(
        "scaled_dot_product_attention",
        scaled_dot_product_attention__scale_by_d,
        False,
        "scale_by_d",
        "divides by d instead of sqrt(d)",
    ),
    Mutant(
        "scaled_dot_product_attention",
        scaled_dot_product_attention__scale_by_key_length,
        False,
        "scale_by_key_length",
        "divides by sqrt(Lk)",
    ),
    Mutant(
        "scaled_dot_product_attention",
        scaled_dot_product_attention__softmax_over_queries,
        False,
        "softmax_over_queries",
        "softmax over dim -2 (the queries)",
    ),
    Mutant(
        "scaled_dot_product_attention",
        scaled_dot_product_attention__softmax_dim1,
        False,
        "",
        "softmax(dim=1) copied from 2-D code: wrong axis once batched",
    ),
    Mutant(
        "scaled_dot_product_attention",
        scaled_dot_product_attention__inverted_mask,
        False,
        "inverted_mask",
        "masks the True positions",
    ),
    Mutant(
        "scaled_dot_product_attention",
        scaled_dot_product_attention__ignores_mask,
        False,
        "ignores_mask",
        "never uses mask",
    ),
    Mutant(
        "scaled_dot_product_attention",
        scaled_dot_product_attention__mask_after_softmax,
        False,
        "mask_after_softmax",
        "zeroes weights after the softmax",
    ),
    Mutant(
        "scaled_dot_product_attention",
        scaled_dot_product_attention__multiply_scores_by_mask,
        False,
        "zero_fill",
        "scores * mask: masked scores become 0, not -inf",
    ),
    Mutant(
        "scaled_dot_product_attention",
        scaled_dot_product_attention__add_bool_mask,
        False,
        "",
        "adds the bool mask to the scores (+1 where allowed)",
    ),
    Mutant(
        "scaled_dot_product_attention",
        scaled_dot_product_attention__boolean_index_assign,
        False,
        "",
        "scores[~mask] = -inf: boolean indexing does not broadcast",
    ),
    Mutant(
        "scaled_dot_product_attention",
        scaled_dot_product_attention__detached_scores,
        False,
        "",
        "detaches the scores: no gradient for q and k",
    ),
    Mutant(
        "scaled_dot_product_attention",
        scaled_dot_product_attention__inplace_scale_input,
        False,
        "",
        "q /= sqrt(d) in place on the input",
    ),
    Mutant(
        "scaled_dot_product_attention",
        scaled_dot_product_attention__inplace_softmax,
        False,
        "",
        "in-place exp_ and /=: backward fails",
    ),
    Mutant(
        "scaled_dot_product_attention",
        scaled_dot_product_attention__naive_softmax_overflow,
        False,
        "no_max_subtraction",
        "softmax without subtracting the max: exp overflows to inf/inf = NaN",
    ),
    Mutant(
        "scaled_dot_product_attention",
        scaled_dot_product_attention__k_dot_T,
        False,
        "",
        "k.T instead of k.transpose(-2, -1)",
    ),
    Mutant(
        "scaled_dot_product_attention",
        scaled_dot_product_attention__uses_builtin,
        False,
        "",
        "forbidden shortcut: F.scaled_dot_product_attention",
    ),
    Mutant(
        "scaled_dot_product_attention",
        scaled_dot_product_attention__fill_minus_1e9_manual_softmax,
        True,
        why="masked_fill(mask == 0, -1e9), explicit max-subtracted exp/sum softmax",
    ),
    Mutant(
        "scaled_dot_product_attention",
        scaled_dot_product_attention__where_prescaled_q,
        True,
        why="scale q first, torch.where(mask, scores, -inf), .mT",
    ),
    Mutant(
        "scaled_dot_product_attention",
        scaled_dot_product_attention__einsum_log_mask,
        True,
        why="einsum and an additive log(mask) of 0 / -inf",
    ),
    # top_k_retrieve
    Mutant(
        "top_k_retrieve",
        top_k_retrieve__ascending,
        False,
        "ascending",
        "topk(largest=False): least similar first",
    ),
    Mutant(
        "top_k_retrieve",
        top_k_retrieve__raw_dot,
        False,
        "raw_dot",
        "ranks by raw dot product: long corpus rows win",
    ),
    Mutant(
        "top_k_retrieve",
        top_k_retrieve__normalises_query_only,
        False,
        "raw_dot",
        "normalises the query only: same ranking as the raw dot product",
    ),
    Mutant(
        "top_k_retrieve",
        top_k_retrieve__k_not_clamped,
        False,
        "k_not_clamped",
        "topk(k) crashes when k > n",
    ),
    Mutant(
        "top_k_retrieve",
        top_k_retrieve__skips_first,
        False,
        "",
        "off by one: [1:k+1] skips the best match",
    ),
    Mutant(
        "top_k_retrieve",
        top_k_retrieve__returns_scores,
        False,
        "",
        "returns the similarity values, not the indices",
    ),
    Mutant(
        "top_k_retrieve",
        top_k_retrieve__always_batched,
        False,
        "",
        "a (d,) query gives shape (1, k)",
    ),
    Mutant(
        "top_k_retrieve",
        top_k_retrieve__uses_builtin,
        False,
        "",
        "forbidden shortcut: F.cosine_similarity",
    ),
    Mutant(
        "top_k_retrieve",
        top_k_retrieve__argsort_descending,
        True,
        why="F.normalize, argsort(descending=True)[..., :k]",
    ),
    Mutant(
        "top_k_retrieve",
        top_k_retrieve__normalise_corpus_only,
        True,
        why="normalise the corpus only (query norm does not change the ranking), torch.sort",
    ),
    Mutant(
        "top_k_retrieve",
        top_k_retrieve__loop_per_query,
        True,
        why="loop over queries, topk of each",
    ),
)
