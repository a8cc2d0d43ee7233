"""Checks for L-2 点积与相似度: one `Check` per grade cell of L-2-dot-product-similarity.ipynb.

Cases avoid constants that hide bugs: d = 9 (so √d = 3 ≠ d), Lq = 5 ≠ Lk = 7, corpus rows of
very different lengths (so a raw dot product ranks differently from cosine), values ×100 and
×1000, zeros, float64 next to float32, and masks that are neither all-true nor causal.
Every check goes through the case checklist (CONTRIBUTING.md): `derive` adds size-1,
different-rank, special-value-in-each-argument and float64 variants of the hand-written
cases, restricted to what each exercise's contract allows.
"""

from __future__ import annotations

import math

import torch

from autograder.check import Case, Check, Oracle
from autograder.references import dot_product as ref
from autograder.variants import as_dtype, derive, special_in_each_arg

F64 = torch.float64


def _randn(gen: torch.Generator, *shape: int, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    return torch.randn(*shape, generator=gen, dtype=F64).to(dtype)


MATMUL_BUILTINS = (
    "torch.dot",
    "torch.inner",
    "torch.matmul",
    "torch.mm",
    "torch.bmm",
    "torch.mv",
    "torch.einsum",
    "torch.tensordot",
    "torch.linalg.vecdot",
    "torch.Tensor.__matmul__",
    "torch.Tensor.dot",
    "torch.Tensor.matmul",
    # the same shortcut under other names (mutant dot__linalg_matmul survived without them)
    "torch.linalg.matmul",
    "torch.vdot",
    "torch.Tensor.vdot",
    "torch.Tensor.inner",
    "torch.Tensor.mm",
    "torch.Tensor.mv",
    "torch.Tensor.bmm",
    "torch.Tensor.__rmatmul__",
    # fused multiply-adds and linear layers are dot products too
    "torch.baddbmm",
    "torch.addmm",
    "torch.addmv",
    "torch.addbmm",
    "torch.chain_matmul",
    "torch.linalg.multi_dot",
    "torch.nn.functional.linear",
    "torch.nn.functional.bilinear",
)

# ---- L-2-1 dot product and angle -------------------------------------------------------


def _dot_cases(gen: torch.Generator) -> list[Case]:
    batched = Case("batched", (_randn(gen, 4, 7), _randn(gen, 4, 7)))
    return [
        Case("hand_1d", (torch.tensor([1.0, 2.0, 3.0]), torch.tensor([4.0, -5.0, 6.0]))),
        batched,
        # (d,) with (n, d) and back, a batch of one: "the last dim is a.dim() - 1" fails here
        *derive([batched], ref.dot, skip_last=1, dtypes=()),
        Case("broadcast", (_randn(gen, 3, 1, 5), _randn(gen, 1, 4, 5))),
        Case("float64_x1000", (_randn(gen, 6, 9, dtype=F64) * 1000, _randn(gen, 6, 9, dtype=F64))),
        # exact in float64 (1 and 6), 0 and 8 when accumulated in float32: keeps the dtype honest
        Case(
            "float64_cancellation",
            (
                torch.tensor([[1e8, 1.0, -1e8], [3.0, -1e8, 1e8]], dtype=F64),
                torch.tensor([[1.0, 1.0, 1.0], [2.0, 1.0, 1.0]], dtype=F64),
            ),
        ),
    ]


DOT_ORACLES = (
    Oracle("no_sum", lambda a, b: a * b, "只做了逐元素相乘，忘了沿最后一维求和（sum）。"),
    Oracle(
        "first_dim",
        lambda a, b: (a * b).sum(dim=0),
        "求和的维度不对：点积应沿最后一维（dim=-1）求和，而不是第 0 维。",
    ),
    Oracle(
        "norm_product",
        lambda a, b: a.norm(dim=-1) * b.norm(dim=-1),
        "返回的是长度之积 ‖a‖·‖b‖，缺少夹角信息：点积是逐元素乘积之和。",
    ),
    Oracle(
        "float32",
        lambda a, b: (a.float() * b.float()).sum(dim=-1),
        "float64 的输入按 float32 计算了（例如累加器用了默认 dtype 的 torch.zeros），"
        "精度丢失：结果应保持输入的 dtype。",
    ),
    Oracle(
        "float64",
        lambda a, b: (a.double() * b.double()).sum(dim=-1),
        "float32 的输入返回了 float64（例如累加器用了 dtype=torch.float64）："
        "结果应保持输入的 dtype。",
    ),
    Oracle(
        "rank_of_a",
        lambda a, b: (a * b).sum(dim=a.dim() - 1),
        "求和的维度写成了 a.dim() - 1：当 a、b 的维数不同（如 (d,) 与 (n, d)）时它不是"
        "最后一维。用 dim=-1。",
    ),
)


def _angle_cases(gen: torch.Generator) -> list[Case]:
    a = _randn(gen, 16, 6, dtype=F64)
    scales = torch.rand(16, 1, generator=gen, dtype=F64) * 9 + 0.5
    random = Case("random", (_randn(gen, 5, 4), _randn(gen, 5, 4)))
    return [
        random,
        *derive([random], ref.angle_between, skip_last=1),
        Case("orthogonal", (torch.tensor([3.0, 0.0]), torch.tensor([0.0, -2.0]))),
        Case("parallel_f64", (a, a * scales)),
        Case("antiparallel_f64", (a, -a * scales)),
    ]


def _angle_no_clamp(a, b):
    return torch.arccos((a * b).sum(-1) / (a.norm(dim=-1) * b.norm(dim=-1)))


def _near_parallel(a, b):
    """Where a missing clamp can give NaN: |cos| within rounding of 1."""
    return ref.cosine_similarity(a, b).abs() > 1 - 1e-4


ANGLE_NAN_CAUSES = (
    "平行或反向的向量，余弦因舍入略超出 [-1, 1]，arccos 得到 NaN？取 arccos 前先 clamp；"
    "或者零向量的长度为 0（本题不测零向量）"
)

ANGLE_ORACLES = (
    Oracle(
        "no_clamp",
        _angle_no_clamp,
        "平行向量的余弦可能因舍入略大于 1，arccos 得到 NaN：先把余弦 clamp 到 [-1, 1]。",
        nan_where=_near_parallel,
    ),
    Oracle(
        "degrees",
        lambda a, b: torch.rad2deg(ref.angle_between(a, b)),
        "返回的是角度制（degree），本题要求弧度（radian）。",
    ),
    Oracle(
        "no_normalise",
        lambda a, b: torch.arccos(((a * b).sum(-1)).clamp(-1, 1)),
        "直接对点积取 arccos 了：先除以两个向量的长度，得到余弦。",
    ),
)

# ---- L-2-2 cosine similarity ------------------------------------------------------------

COSINE_FORBIDDEN = (
    "torch.nn.functional.cosine_similarity",
    "torch.cosine_similarity",
    "torch.nn.CosineSimilarity",
)


def _cosine_value_cases(gen: torch.Generator) -> list[Case]:
    batched = Case("batched", (_randn(gen, 6, 10), _randn(gen, 6, 10) * 3))
    return [
        Case("hand_1d", (torch.tensor([1.0, 0.0, 1.0]), torch.tensor([1.0, 1.0, 0.0]))),
        batched,
        # size 1 anywhere (also along dim: a (6, 1) broadcasts to (6, 10)), (d,) with (n, d)
        *derive([batched], ref.cosine_similarity, dtypes=()),
        Case("float64", (_randn(gen, 5, 7, dtype=F64), _randn(gen, 5, 7, dtype=F64))),
        Case("x1000_and_x0.001", (_randn(gen, 4, 8) * 1000, _randn(gen, 4, 8) * 1e-3)),
    ]


def _cosine_shape_cases(gen: torch.Generator) -> list[Case]:
    dim0 = Case("dim0", (_randn(gen, 8, 3), _randn(gen, 8, 3)), {"dim": 0})
    return [
        Case("broadcast", (_randn(gen, 4, 1, 8), _randn(gen, 1, 5, 8))),
        dim0,
        Case("dim1_of_3d", (_randn(gen, 2, 8, 3), _randn(gen, 2, 8, 3)), {"dim": 1}),
        # size 1 along dim in one input only: its length must be taken after broadcasting
        Case("size1_along_dim", (_randn(gen, 4, 1), _randn(gen, 4, 8))),
        Case("size1_along_dim_b", (_randn(gen, 4, 8, dtype=F64), _randn(gen, 4, 1, dtype=F64))),
        Case("rank1_with_rank3", (_randn(gen, 8), _randn(gen, 2, 5, 8))),
        *derive([dim0], ref.cosine_similarity, ranks=False),
    ]


def _cosine_zero_cases(gen: torch.Generator) -> list[Case]:
    a = _randn(gen, 4, 6)
    a[1] = 0.0
    b = _randn(gen, 4, 6)
    b[2] = 0.0
    b[1] = 0.0
    rows = Case("rows", (_randn(gen, 3, 6, dtype=F64), _randn(gen, 3, 6, dtype=F64)))
    return [
        Case("zero_rows", (a, b)),
        Case("zero_1d", (torch.zeros(5), _randn(gen, 5))),
        Case("zero_1d_second", (_randn(gen, 5), torch.zeros(5))),
        Case("zero_broadcast_row", (torch.zeros(1, 6), _randn(gen, 3, 6))),
        Case("zero_1d_with_rows", (_randn(gen, 3, 6), torch.zeros(6))),
        *special_in_each_arg(rows, 0.0, index=1),  # a zero row in a, then in b (float64)
    ]


def _cos_one_sided(a, b, dim=-1, eps=1e-8):
    return (a * b).sum(dim) / a.norm(dim=dim).clamp_min(eps)


def _cos_squared(a, b, dim=-1, eps=1e-8):
    return (a * b).sum(dim) / ((a * a).sum(dim) * (b * b).sum(dim)).clamp_min(eps)


def _cos_no_eps(a, b, dim=-1, eps=1e-8):
    return (a * b).sum(dim) / (a.norm(dim=dim) * b.norm(dim=dim))


def _cos_ignores_dim(a, b, dim=-1, eps=1e-8):
    return ref.cosine_similarity(a, b, -1, eps)


def _cos_norms_before_broadcast(a, b, dim=-1, eps=1e-8):
    return (a * b).sum(dim) / (a.norm(dim=dim) * b.norm(dim=dim)).clamp_min(eps)


COSINE_ORACLES = (
    Oracle("one_sided", _cos_one_sided, "只除以了 ‖a‖：余弦需要同时除以两个向量的长度。"),
    Oracle(
        "norms_before_broadcast",
        _cos_norms_before_broadcast,
        "长度是在广播之前算的：若一个输入在 dim 上的长度为 1，它会被广播成 d 个相同的数，"
        "长度也要按广播后的向量算。先用 torch.broadcast_tensors 对齐 a、b。",
    ),
    Oracle("squared_norms", _cos_squared, "分母用了平方和，少了开方（sqrt）：长度是 √(Σx²)。"),
    Oracle(
        "no_eps",
        _cos_no_eps,
        "零向量的长度为 0，直接相除得到 NaN：按约定零向量的相似度为 0"
        "（分母用 max(‖a‖·‖b‖, eps)）。",
    ),
    Oracle(
        "ignores_dim",
        _cos_ignores_dim,
        "忽略了参数 dim：应沿 dim 指定的维度计算，而不是总用最后一维。",
    ),
)


def _pairwise_cases(gen: torch.Generator) -> list[Case]:
    A = _randn(gen, 5, 6)
    A[3] = 0.0
    base = Case("5x7", (A, _randn(gen, 7, 6) * 10))
    return [
        base,
        Case("float64_2x3", (_randn(gen, 2, 4, dtype=F64), _randn(gen, 3, 4, dtype=F64))),
        # the zero row moved to B; one row in A or in B; d = 1 (A and B are (n, d) by contract)
        *derive([base], ref.pairwise_cosine, ranks=False, swap=True, dtypes=()),
    ]


PAIRWISE_ORACLES = (
    Oracle(
        "transposed",
        lambda A, B, eps=1e-8: ref.pairwise_cosine(B, A, eps),
        "结果转置了：第 i 行第 j 列应是 A 的第 i 行与 B 的第 j 行，形状 (n, m)。",
    ),
    Oracle(
        "one_sided",
        lambda A, B, eps=1e-8: (A / A.norm(dim=-1, keepdim=True)) @ B.T,
        "只归一化了 A：B 的每一行也要除以它的长度。",
    ),
    Oracle("raw_dot", lambda A, B, eps=1e-8: A @ B.T, "没有归一化：这是原始点积，不是余弦。"),
    Oracle(
        "no_eps",
        lambda A, B, eps=1e-8: (
            (A / A.norm(dim=-1, keepdim=True)) @ (B / B.norm(dim=-1, keepdim=True)).T
        ),
        "零向量的长度为 0，相除得到 NaN：按约定零向量的相似度为 0（长度用 max(‖x‖, eps)）。",
    ),
    Oracle(
        "eps_on_A_only",
        lambda A, B, eps=1e-8: (
            (A / A.norm(dim=-1, keepdim=True).clamp_min(eps)) @ (B / B.norm(dim=-1, keepdim=True)).T
        ),
        "只给 A 的长度用了 max(‖x‖, eps)：B 里的零行长度为 0，相除得到 NaN。B 也要同样处理。",
    ),
    Oracle(
        "normalises_columns",
        lambda A, B, eps=1e-8: (
            (A / A.norm(dim=0, keepdim=True)) @ (B / B.norm(dim=0, keepdim=True)).T
        ),
        "归一化的维度不对：应让每一行（每个向量，dim=-1）长度为 1，而不是每一列。",
    ),
)

# ---- L-2-3 why attention scales by √d ---------------------------------------------------


def _variance_cases(gen: torch.Generator) -> list[Case]:
    q64, k64 = _randn(gen, 50, 64), _randn(gen, 50, 64)
    q9, k9 = _randn(gen, 40, 9, dtype=F64), _randn(gen, 40, 9, dtype=F64)
    scaled = Case("d9_scaled_f64", (q9, k9), {"scale": True})
    return [
        Case("d64_scaled", (q64, k64), {"scale": True}),
        Case("d64_raw", (q64, k64), {"scale": False}),
        scaled,
        Case("d9_default", (q9, k9)),
        # d = 1 (√1 = 1: scaling changes nothing); n = 1 has no sample variance (dropped)
        *derive([scaled], ref.dot_product_variance, per_arg=False, ranks=False),
    ]


def _var_by_d(q, k, scale=True):
    s = (q * k).sum(-1)
    return (s / q.shape[-1] if scale else s).var()


def _var_population(q, k, scale=True):
    s = (q * k).sum(-1)
    return (s / math.sqrt(q.shape[-1]) if scale else s).var(correction=0)


def _var_all_entries(q, k, scale=True):
    s = q * k
    return (s / math.sqrt(q.shape[-1]) if scale else s).var()


def _var_std(q, k, scale=True):
    s = (q * k).sum(-1)
    return (s / math.sqrt(q.shape[-1]) if scale else s).std()


VARIANCE_ORACLES = (
    Oracle("divide_by_d", _var_by_d, "缩放因子是 √d，而不是 d：除以 d 会把方差压到 1/d。"),
    Oracle(
        "population_variance",
        _var_population,
        "用了总体方差（除以 n）；本题约定样本方差（除以 n−1，torch.var 的默认）。",
    ),
    Oracle(
        "all_entries",
        _var_all_entries,
        "对 q*k 的所有元素求方差了：应先沿 d 求和得到 n 个点积分数，再求这 n 个数的方差。",
    ),
    Oracle("std", _var_std, "返回的是标准差（std），本题要方差（variance）。"),
)

# ---- L-2-3 scaled dot-product attention -------------------------------------------------

ATTENTION_FORBIDDEN = (
    "torch.nn.functional.scaled_dot_product_attention",
    "torch.nn.MultiheadAttention",
    "torch.nn.functional.multi_head_attention_forward",
)


def _qkv(gen: torch.Generator, *batch: int, dtype=torch.float32, scale: float = 3.0):
    q = _randn(gen, *batch, 5, 9, dtype=dtype) * scale
    k = _randn(gen, *batch, 7, 9, dtype=dtype) * scale
    v = _randn(gen, *batch, 7, 4, dtype=dtype)
    return q, k, v


def _attention_value_cases(gen: torch.Generator) -> list[Case]:
    two_d, heads = Case("2d", _qkv(gen)), Case("batched_heads", _qkv(gen, 2, 3))
    q, k, v = _qkv(gen, 2)
    return [
        two_d,
        heads,
        Case("one_query", (q[:, :1], k, v)),
        Case("one_key", (q, k[:, :1], v[:, :1])),
        # d = dv = 1, one query with one key, a batch of one (q, k, v share leading dims)
        *derive([two_d, heads], ref.scaled_dot_product_attention, per_arg=False, ranks=False),
        Case("float64", _qkv(gen, 2, dtype=F64)),
        # scores ~1e4: exp overflows unless the softmax subtracts the row max (float64, so
        # that correct implementations agree to 1e-5 however they order the arithmetic)
        Case("float64_x100", _qkv(gen, 2, dtype=F64, scale=100.0)),
    ]


def _graded_rows(mask: torch.Tensor, out_shape: tuple[int, ...]) -> torch.Tensor:
    """Output elements that count: rows whose query may attend to at least one key."""
    return mask.any(dim=-1, keepdim=True).expand(out_shape)


def _attention_mask_cases(gen: torch.Generator) -> list[Case]:
    q, k, v = _qkv(gen, 2, 3)
    mask = torch.rand(5, 7, generator=gen) < 0.55
    mask[0, :] = False  # a row with no allowed key: not graded
    mask[1, :] = False
    mask[1, 6] = True  # a row with exactly one allowed key
    mask[2, :] = True  # a row with every key allowed
    out_shape = (2, 3, 5, 4)
    q2, k2, v2 = _qkv(gen, 2)
    offset_causal = torch.ones(5, 7, dtype=torch.bool).tril(diagonal=2)  # non-square, shifted
    batch_mask = torch.rand(2, 1, 7, generator=gen) < 0.7
    batch_mask[..., 0] = True
    padding = Case(
        "per_batch_key_padding",
        (q2, k2, v2),
        {"mask": batch_mask},
        graded=_graded_rows(batch_mask.expand(2, 5, 7), (2, 5, 4)),
    )
    return [
        Case("random_mask", (q, k, v), {"mask": mask}, graded=_graded_rows(mask, out_shape)),
        Case(
            "offset_causal",
            (q2, k2, v2),
            {"mask": offset_causal},
            graded=_graded_rows(offset_causal, (2, 5, 4)),
        ),
        padding,
        *as_dtype(padding, F64),
    ]


def _attention_grad_cases(gen: torch.Generator) -> list[Case]:
    q, k, v = _qkv(gen, 2, dtype=F64)
    mask = torch.ones(5, 7, dtype=torch.bool).tril(diagonal=1)  # every row keeps a key
    return [
        Case("grads_qkv", _qkv(gen, 2), grad=(0, 1, 2)),
        Case("grads_f64_one_query", (q[:, :1], k, v), grad=(0, 1, 2)),
        Case("grads_f64_mask", (q, k, v), {"mask": mask}, grad=(0, 1, 2)),
    ]


def _attn(q, k, v, mask, scale: float, softmax_dim: int = -1, fill=float("-inf")):
    scores = q @ k.transpose(-2, -1) * scale
    if mask is not None:
        scores = scores.masked_fill(~mask, fill)
    return torch.softmax(scores, dim=softmax_dim) @ v


def _attn_no_scale(q, k, v, mask=None):
    return _attn(q, k, v, mask, 1.0)


def _attn_by_d(q, k, v, mask=None):
    return _attn(q, k, v, mask, 1.0 / q.shape[-1])


def _attn_by_key_length(q, k, v, mask=None):
    return _attn(q, k, v, mask, 1.0 / math.sqrt(k.shape[-2]))


def _attn_over_queries(q, k, v, mask=None):
    return _attn(q, k, v, mask, 1.0 / math.sqrt(q.shape[-1]), softmax_dim=-2)


def _attn_inverted_mask(q, k, v, mask=None):
    return ref.scaled_dot_product_attention(q, k, v, None if mask is None else ~mask)


def _attn_ignores_mask(q, k, v, mask=None):
    return ref.scaled_dot_product_attention(q, k, v)


def _attn_mask_after_softmax(q, k, v, mask=None):
    weights = torch.softmax(q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1]), dim=-1)
    if mask is not None:
        weights = weights * mask
    return weights @ v


def _attn_zero_fill(q, k, v, mask=None):
    return _attn(q, k, v, mask, 1.0 / math.sqrt(q.shape[-1]), fill=0.0)


def _attn_no_max_subtraction(q, k, v, mask=None):
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    weights = scores.exp()
    return weights / weights.sum(dim=-1, keepdim=True) @ v


ATTENTION_ORACLES = (
    Oracle("no_scale", _attn_no_scale, "缺少缩放：分数要除以 √d（d 是 q 的最后一维）。"),
    Oracle("scale_by_d", _attn_by_d, "除以了 d 而不是 √d。"),
    Oracle(
        "scale_by_key_length",
        _attn_by_key_length,
        "缩放用了键的个数 Lk；应使用向量维度 d = q.shape[-1] 的平方根。",
    ),
    Oracle(
        "softmax_over_queries",
        _attn_over_queries,
        "softmax 的维度不对：每个查询（query）对所有键（key）归一化，应在最后一维（dim=-1）上做。",
    ),
    Oracle(
        "inverted_mask",
        _attn_inverted_mask,
        "掩码反了：约定 True 表示“可以关注”，应屏蔽 False 的位置。",
    ),
    Oracle("ignores_mask", _attn_ignores_mask, "没有使用 mask 参数。"),
    Oracle(
        "mask_after_softmax",
        _attn_mask_after_softmax,
        "在 softmax 之后才屏蔽，权重之和不再是 1：应在 softmax 之前把被屏蔽的分数设为 −∞。",
    ),
    Oracle(
        "zero_fill",
        _attn_zero_fill,
        "被屏蔽的分数设成了 0；exp(0)=1 仍有权重，应设为 −∞（或一个极小的数）。",
    ),
    Oracle(
        "no_max_subtraction",
        _attn_no_max_subtraction,
        "分数很大时 exp 溢出为 inf，inf/inf 得到 NaN：softmax 前先减去每行的最大值"
        "（或直接用 torch.softmax）。",
    ),
)

# ---- L-2-4 application: top-k retrieval -------------------------------------------------


def _corpus(gen: torch.Generator, n: int, d: int) -> torch.Tensor:
    lengths = torch.logspace(-1, 1, n, dtype=F64)[torch.randperm(n, generator=gen)]
    rows = _randn(gen, n, d, dtype=F64)
    return (rows / rows.norm(dim=-1, keepdim=True) * lengths[:, None]).float()


def _retrieve_cases(gen: torch.Generator) -> list[Case]:
    corpus = _corpus(gen, 12, 6)
    return [
        Case("single_query_k3", (_randn(gen, 6), corpus, 3)),
        Case("batch_queries_k5", (_randn(gen, 4, 6) * 50, corpus, 5)),
        Case("k1", (_randn(gen, 6), corpus, 1)),
        Case("batch_of_one_f64", (_randn(gen, 1, 6, dtype=F64), corpus.double(), 4)),
    ]


def _retrieve_large_k_cases(gen: torch.Generator) -> list[Case]:
    corpus = _corpus(gen, 6, 4)
    return [
        Case("k_equals_n", (_randn(gen, 4), corpus, 6)),
        Case("k_greater_than_n", (_randn(gen, 2, 4), corpus, 20)),
        Case("corpus_of_one_f64", (_randn(gen, 3, 4, dtype=F64), corpus[:1].double(), 2)),
    ]


def _retrieve_ascending(query, corpus, k):
    sims = ref.pairwise_cosine(query.reshape(-1, query.shape[-1]), corpus)
    idx = sims.argsort(dim=-1)[:, : min(k, corpus.shape[0])]
    return idx.reshape(*query.shape[:-1], -1)


def _retrieve_raw_dot(query, corpus, k):
    sims = query.reshape(-1, query.shape[-1]) @ corpus.T
    idx = sims.topk(min(k, corpus.shape[0]), dim=-1).indices
    return idx.reshape(*query.shape[:-1], -1)


def _retrieve_no_clamp(query, corpus, k):
    sims = ref.pairwise_cosine(query.reshape(-1, query.shape[-1]), corpus)
    return sims.topk(k, dim=-1).indices.reshape(*query.shape[:-1], -1)


RETRIEVE_ORACLES = (
    Oracle("ascending", _retrieve_ascending, "排序方向反了：最相似（余弦最大）的应排在最前面。"),
    Oracle(
        "raw_dot", _retrieve_raw_dot, "用了原始点积排序，长向量会被偏爱：检索应按余弦相似度排序。"
    ),
    Oracle(
        "k_not_clamped",
        _retrieve_no_clamp,
        "k 大于语料条数时出错了：这时返回全部 n 条（按相似度排序）。",
    ),
)

# ---- the checks, in notebook order ------------------------------------------------------

CHECKS = (
    Check(
        "L-2/dot/values",
        "dot",
        "点积 dot：数值、批量与广播",
        2,
        _dot_cases,
        ref.dot,
        forbidden=MATMUL_BUILTINS,
        oracles=DOT_ORACLES,
    ),
    Check(
        "L-2/angle_between/values",
        "angle_between",
        "夹角 angle_between：一般、正交、平行、反向",
        1,
        _angle_cases,
        ref.angle_between,
        atol=1e-5,
        oracles=ANGLE_ORACLES,
        nan_causes=ANGLE_NAN_CAUSES,
    ),
    Check(
        "L-2/cosine_similarity/values",
        "cosine_similarity",
        "余弦相似度：数值与尺度",
        2,
        _cosine_value_cases,
        ref.cosine_similarity,
        forbidden=COSINE_FORBIDDEN,
        oracles=COSINE_ORACLES,
    ),
    Check(
        "L-2/cosine_similarity/broadcast_dim",
        "cosine_similarity",
        "余弦相似度：广播与 dim 参数",
        2,
        _cosine_shape_cases,
        ref.cosine_similarity,
        forbidden=COSINE_FORBIDDEN,
        oracles=COSINE_ORACLES,
    ),
    Check(
        "L-2/cosine_similarity/zero_vector",
        "cosine_similarity",
        "余弦相似度：零向量得 0 而不是 NaN",
        1,
        _cosine_zero_cases,
        ref.cosine_similarity,
        forbidden=COSINE_FORBIDDEN,
        oracles=COSINE_ORACLES,
    ),
    Check(
        "L-2/pairwise_cosine/values",
        "pairwise_cosine",
        "两两余弦 pairwise_cosine",
        1,
        _pairwise_cases,
        ref.pairwise_cosine,
        forbidden=COSINE_FORBIDDEN,
        oracles=PAIRWISE_ORACLES,
        waivers={"ranks": "A is (n, d) and B is (m, d) by contract: both 2-D"},
    ),
    Check(
        "L-2/dot_product_variance/values",
        "dot_product_variance",
        "点积方差实验：缩放前后",
        2,
        _variance_cases,
        ref.dot_product_variance,
        oracles=VARIANCE_ORACLES,
        waivers={"ranks": "q and k are both (n, d) by contract"},
    ),
    Check(
        "L-2/scaled_dot_product_attention/values",
        "scaled_dot_product_attention",
        "缩放点积注意力：数值、批量与多头",
        3,
        _attention_value_cases,
        ref.scaled_dot_product_attention,
        forbidden=ATTENTION_FORBIDDEN,
        oracles=ATTENTION_ORACLES,
        waivers={
            "ranks": "q, k, v share their leading dims by contract; masks of other "
            "ranks broadcast in the mask check"
        },
    ),
    Check(
        "L-2/scaled_dot_product_attention/mask",
        "scaled_dot_product_attention",
        "缩放点积注意力：布尔掩码",
        2,
        _attention_mask_cases,
        ref.scaled_dot_product_attention,
        forbidden=ATTENTION_FORBIDDEN,
        oracles=ATTENTION_ORACLES,
    ),
    Check(
        "L-2/scaled_dot_product_attention/gradients",
        "scaled_dot_product_attention",
        "缩放点积注意力：梯度",
        1,
        _attention_grad_cases,
        ref.scaled_dot_product_attention,
        forbidden=ATTENTION_FORBIDDEN,
        oracles=ATTENTION_ORACLES,
    ),
    Check(
        "L-2/top_k_retrieve/values",
        "top_k_retrieve",
        "Top-k 检索：排序与批量查询",
        2,
        _retrieve_cases,
        ref.top_k_retrieve,
        exact=True,
        forbidden=COSINE_FORBIDDEN,
        oracles=RETRIEVE_ORACLES,
    ),
    Check(
        "L-2/top_k_retrieve/large_k",
        "top_k_retrieve",
        "Top-k 检索：k ≥ 语料条数",
        1,
        _retrieve_large_k_cases,
        ref.top_k_retrieve,
        exact=True,
        forbidden=COSINE_FORBIDDEN,
        oracles=RETRIEVE_ORACLES,
    ),
)
