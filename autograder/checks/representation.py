"""Checks for L-3 表示学习基础: one `Check` per grade cell of L-3-representation-learning.ipynb.

Cases avoid constants that hide bugs: vocabulary sizes 5, 7, 11 (never equal to a batch or
sequence length), sequences with repeated ids (so "a position with itself" differs from "the
same word elsewhere"), non-square co-occurrence matrices with counts above x_max and zero
rows, word vectors whose lengths span 0.1 … 10 (so unit-normalising matters), data with a
mean far from 0 (so centring matters), float64 next to float32.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F  # noqa: N812

from autograder.check import Case, Check, Oracle
from autograder.references import representation as ref

F64 = torch.float64


def _randn(gen: torch.Generator, *shape: int, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    return torch.randn(*shape, generator=gen, dtype=F64).to(dtype)


def _ids(gen: torch.Generator, high: int, *shape: int) -> torch.Tensor:
    return torch.randint(0, high, shape, generator=gen)


# ---- L-3-1 one_hot ---------------------------------------------------------------------------

ONE_HOT_FORBIDDEN = ("torch.nn.functional.one_hot",)


def _one_hot_value_cases(gen: torch.Generator) -> list[Case]:
    ids3 = _ids(gen, 11, 2, 3, 4)
    ids3[0, 0, 0], ids3[1, 2, 3] = 10, 0  # both ends of the range
    return [
        Case("hand_1d", (torch.tensor([2, 0, 3]), 5)),
        Case("batch_2d", (_ids(gen, 7, 3, 4), 7)),
        Case("rank3_ends", (ids3, 11)),
        Case("scalar_id", (torch.tensor(4), 7)),
        Case("int32_ids", (_ids(gen, 5, 6).to(torch.int32), 5)),
        Case("vocab_1", (torch.zeros(1, 1, dtype=torch.int64), 1)),
        Case("empty", (torch.zeros(0, dtype=torch.int64), 7)),
    ]


def _one_hot_error_cases(gen: torch.Generator) -> list[Case]:
    return [
        Case("float_ids", (torch.tensor([1.0, 2.0]), 5), raises="ValueError"),
        Case("float64_integral", (torch.tensor([[0.0, 3.0]], dtype=F64), 7), raises="ValueError"),
        Case("id_equals_V", (torch.tensor([0, 5, 1]), 5), raises="ValueError"),
        Case("negative_id", (torch.tensor([[1, 2], [-1, 0]]), 7), raises="ValueError"),
        Case("id_far_above", (torch.tensor([3, 40], dtype=torch.int32), 11), raises="ValueError"),
        Case("valid_next_to_errors", (torch.tensor([4, 0]), 5)),
    ]


def _one_hot_int64(ids, vocab_size):
    return ref.one_hot(ids, vocab_size).long()


def _one_hot_vocab_first(ids, vocab_size):
    return torch.movedim(ref.one_hot(ids, vocab_size), -1, 0)


def _one_hot_no_dtype_check(ids, vocab_size):
    if ids.numel() and (int(ids.min()) < 0 or int(ids.max()) >= vocab_size):
        raise ValueError("out of range")
    return (ids.long().unsqueeze(-1) == torch.arange(vocab_size)).float()


def _one_hot_off_by_one(ids, vocab_size):
    if ids.dtype not in ref.INTEGER_DTYPES:
        raise ValueError("not integer")
    if ids.numel() and (int(ids.min()) < 0 or int(ids.max()) > vocab_size):
        raise ValueError("out of range")
    return (ids.long().unsqueeze(-1) == torch.arange(vocab_size)).float()


ONE_HOT_ORACLES = (
    Oracle(
        "int64_output",
        _one_hot_int64,
        "输出的 dtype 应为 float32（嵌入矩阵是浮点数，要能做矩阵乘法）。",
    ),
    Oracle(
        "vocab_axis_first",
        _one_hot_vocab_first,
        "词表那一维放错了位置：输出形状应是 (..., V)，新维度加在最后。",
    ),
    Oracle(
        "no_dtype_check",
        _one_hot_no_dtype_check,
        "浮点类型的 ids（哪怕值是 2.0）也应抛出 ValueError：先检查 ids.dtype 是不是整数类型。",
    ),
    Oracle(
        "upper_bound_off_by_one",
        _one_hot_off_by_one,
        "上界差了一：合法的 id 是 0 … V−1，id == V 也越界，应抛出 ValueError。",
    ),
)

# ---- L-3-2 skipgram_pairs ---------------------------------------------------------------------


def _skipgram_value_cases(gen: torch.Generator) -> list[Case]:
    repeated = torch.tensor([3, 1, 3, 3, 0, 2, 1, 3, 4])  # the same id at nearby positions
    return [
        Case("hand_window2", (torch.tensor([10, 11, 12, 13, 14]), 2)),
        Case("repeated_ids_window3", (repeated, 3)),
        Case("window1_random", (_ids(gen, 20, 8), 1)),
        Case("window_longer_than_text", (torch.tensor([5, 6, 7, 8]), 10)),
    ]


def _skipgram_edge_cases(gen: torch.Generator) -> list[Case]:
    return [
        Case("one_id", (torch.tensor([7]), 2)),
        Case("no_ids", (torch.zeros(0, dtype=torch.int64), 3)),
        Case("two_ids", (torch.tensor([4, 9]), 1)),
        Case("int32_ids", (torch.tensor([2, 0, 1], dtype=torch.int32), 2)),
    ]


def _sg_rows(ids, window, keep_self=False, short_right=False, by_offset=False, wrap=False):
    n = ids.shape[0]
    offsets = [o for o in range(-window, window + 1) if keep_self or o != 0]
    if short_right:  # range(i - window, i + window): the right side stops one short
        offsets = [o for o in offsets if o < window]
    rows = []
    if by_offset:
        for o in offsets:
            for i in range(n):
                if 0 <= i + o < n:
                    rows.append((int(ids[i]), int(ids[i + o])))
        return torch.tensor(rows, dtype=torch.int64).reshape(-1, 2)
    for i in range(n):
        for o in offsets:
            j = i + o
            if (wrap and j < n) or 0 <= j < n:
                rows.append((int(ids[i]), int(ids[j])))  # wrap: ids[-1] is the last id
    return torch.tensor(rows, dtype=torch.int64).reshape(-1, 2)


SKIPGRAM_ORACLES = (
    Oracle(
        "pairs_with_itself",
        lambda ids, window: _sg_rows(ids, window, keep_self=True),
        "把一个位置和它自己配成了一对（偏移 0）：中心词的上下文不包括它自己的位置。",
    ),
    Oracle(
        "window_exclusive",
        lambda ids, window: _sg_rows(ids, window, short_right=True),
        "窗口差了一：window=2 时左右距离 1 和 2 的词都算上下文（range 的右端要写 i + window + 1）。",
    ),
    Oracle(
        "ordered_by_offset",
        lambda ids, window: _sg_rows(ids, window, by_offset=True),
        "顺序不对：先按中心位置 i 从小到大，同一个 i 再按上下文位置 j 从小到大。",
    ),
    Oracle(
        "wraps_around",
        lambda ids, window: _sg_rows(ids, window, wrap=True),
        "开头处的负下标绕到了句尾（Python 的 ids[-1] 是最后一个词）：越界的位置应跳过。",
    ),
    Oracle(
        "swapped_columns",
        lambda ids, window: ref.skipgram_pairs(ids, window).flip(-1),
        "两列反了：每行是 (中心词 id, 上下文词 id)。",
    ),
)

# ---- L-3-2 sgns_loss ------------------------------------------------------------------------


def _sgns_args(gen, B, K, d, dtype=torch.float32, scale=1.0):
    return (
        _randn(gen, B, d, dtype=dtype) * scale,
        _randn(gen, B, d, dtype=dtype) * scale,
        _randn(gen, B, K, d, dtype=dtype) * scale,
    )


def _sgns_value_cases(gen: torch.Generator) -> list[Case]:
    return [
        Case("B4_K3_d6", _sgns_args(gen, 4, 3, 6)),
        Case("B1_K1", _sgns_args(gen, 1, 1, 5)),
        Case("B7_K5_float64", _sgns_args(gen, 7, 5, 3, dtype=F64, scale=2.0)),
        Case("d1", _sgns_args(gen, 6, 2, 1)),
    ]


def _sgns_stable_cases(gen: torch.Generator) -> list[Case]:
    u = _randn(gen, 5, 4)
    u = u / u.norm(dim=-1, keepdim=True) * 30.0  # |u| = 30
    aligned = u * (torch.rand(5, 1, generator=gen) + 0.5)  # u·v = 450 … 1350
    against = -u.unsqueeze(1) * torch.tensor([0.5, 1.0, -0.8]).view(1, 3, 1)
    return [
        # positives far on the right side, negatives far on both sides: |score| up to ~1e3
        Case("scores_1e3", (u, aligned, against)),
        Case("scores_1e3_wrong_side", (u, -aligned, -against)),
        Case("scores_1e3_float64", (u.double(), -aligned.double(), against.double())),
        Case("B1_K1_1e3", (u[:1], aligned[:1], -against[:1, 1:2])),
    ]


def _sgns_grad_cases(gen: torch.Generator) -> list[Case]:
    return [
        Case("grads_all", _sgns_args(gen, 3, 4, 5, dtype=F64), grad=(0, 1, 2)),
        Case("grads_B1_K1_float32", _sgns_args(gen, 1, 1, 4, scale=2.0), grad=(0, 1, 2)),
    ]


def _sgns(u, v, n, neg_sign=-1.0, reduce_k="sum", reduce_b="mean", log_sigmoid=F.logsigmoid):
    pos = (u * v).sum(-1)
    neg = (n * u.unsqueeze(-2)).sum(-1)
    neg_terms = log_sigmoid(neg_sign * neg)
    neg_terms = neg_terms.sum(-1) if reduce_k == "sum" else neg_terms.mean(-1)
    per = -log_sigmoid(pos) - neg_terms
    return per.mean() if reduce_b == "mean" else per.sum()


def _sgns_softmax(center, context, negatives):
    pos = (center * context).sum(-1, keepdim=True)
    neg = (negatives * center.unsqueeze(-2)).sum(-1)
    logits = torch.cat([pos, neg], dim=-1)
    return -torch.log_softmax(logits, dim=-1)[:, 0].mean()


SGNS_ORACLES = (
    Oracle(
        "negatives_sign",
        lambda u, v, n: _sgns(u, v, n, neg_sign=1.0),
        "负样本项写成了 log σ(u·n)：负样本要被推开，应是 log σ(−u·n)。",
    ),
    Oracle(
        "softmax",
        _sgns_softmax,
        "用了 softmax（正样本和负样本互相竞争）；SGNS 对每一对独立地用 sigmoid：log σ(u·v) 与 log σ(−u·n)。",
    ),
    Oracle(
        "unstable_log_sigmoid",
        lambda u, v, n: _sgns(u, v, n, log_sigmoid=lambda x: torch.log(torch.sigmoid(x))),
        "torch.log(torch.sigmoid(x)) 在 x 很负时得到 log 0 = −inf：用 F.logsigmoid。",
    ),
    Oracle(
        "mean_over_negatives",
        lambda u, v, n: _sgns(u, v, n, reduce_k="mean"),
        "对 K 个负样本取了平均；公式里是求和 Σ_k（只在 batch 维上取平均）。",
    ),
    Oracle(
        "sum_over_batch",
        lambda u, v, n: _sgns(u, v, n, reduce_b="sum"),
        "对 batch 求和了；约定是对 batch 取平均（mean）。",
    ),
)

# ---- L-3-2 glove_loss --------------------------------------------------------------------------


def _glove_args(gen, n, m, d, dtype=torch.float32, zeros=0.0):
    counts = torch.randint(1, 300, (n, m), generator=gen).to(dtype)  # about 2/3 above x_max
    if zeros:
        counts[torch.rand(n, m, generator=gen) < zeros] = 0.0
    return (
        _randn(gen, n, d, dtype=dtype) * 0.5,
        _randn(gen, m, d, dtype=dtype) * 0.5,
        _randn(gen, n, dtype=dtype),
        _randn(gen, m, dtype=dtype),
        counts,
    )


def _glove_value_cases(gen: torch.Generator) -> list[Case]:
    small = _glove_args(gen, 4, 3, 2)
    small[4][:] = torch.tensor(
        [[1.0, 5.0, 50.0], [100.0, 250.0, 2.0], [7.0, 99.0, 101.0], [3, 1, 8]]
    )
    return [
        Case("hand_counts_5x3", small),
        Case("nonsquare_5x7", _glove_args(gen, 5, 7, 3)),
        Case("x_max_10_alpha_half", _glove_args(gen, 6, 4, 3), {"x_max": 10.0, "alpha": 0.5}),
        Case("float64", _glove_args(gen, 3, 5, 4, dtype=F64)),
        Case("one_pair_d1", _glove_args(gen, 1, 1, 1)),
    ]


def _glove_zero_cases(gen: torch.Generator) -> list[Case]:
    sparse = _glove_args(gen, 6, 5, 3, zeros=0.6)
    sparse[4][2, :] = 0.0  # a word that never occurs as a centre
    one_row = _glove_args(gen, 1, 4, 2, dtype=F64)
    one_row[4][0, 1:3] = 0.0
    return [
        Case("sparse_60pct_zeros", sparse),
        Case("one_row_float64", one_row),
        Case(
            "all_zero",
            tuple(
                a if i < 4 else torch.zeros(4, 4) for i, a in enumerate(_glove_args(gen, 4, 4, 2))
            ),
        ),
    ]


def _glove_grad_cases(gen: torch.Generator) -> list[Case]:
    one_row = _glove_args(gen, 1, 3, 2)
    one_row[4][0, 0] = 0.0
    return [
        Case(
            "grads_with_zeros", _glove_args(gen, 5, 4, 3, dtype=F64, zeros=0.4), grad=(0, 1, 2, 3)
        ),
        Case("grads_one_row_float32", one_row, grad=(0, 1, 2, 3)),
    ]


def _glove(W, Wc, b, bc, X, x_max=100.0, alpha=0.75, *, cap=True, log=torch.log, bias=True):
    observed = X > 0
    weight = (X / x_max).clamp(max=1.0) ** alpha if cap else (X / x_max) ** alpha
    pred = W @ Wc.T
    if bias:
        pred = pred + b[:, None] + bc[None, :]
    return weight, pred, observed, log


def _glove_log_zero(W, Wc, b, bc, X, x_max=100.0, alpha=0.75):
    weight, pred, _, _ = _glove(W, Wc, b, bc, X, x_max, alpha)
    return (weight * (pred - torch.log(X)) ** 2).sum()


def _glove_masked(W, Wc, b, bc, X, x_max=100.0, alpha=0.75, **kw):
    weight, pred, observed, log = _glove(W, Wc, b, bc, X, x_max, alpha, **kw)
    safe = torch.where(observed, X, torch.ones_like(X))
    return torch.where(observed, weight * (pred - log(safe)) ** 2, torch.zeros_like(X)).sum()


def _glove_where_after_log(W, Wc, b, bc, X, x_max=100.0, alpha=0.75):
    weight, pred, observed, _ = _glove(W, Wc, b, bc, X, x_max, alpha)
    terms = weight * (pred - torch.log(X)) ** 2
    return torch.where(observed, terms, torch.zeros_like(terms)).sum()


def _glove_mean(W, Wc, b, bc, X, x_max=100.0, alpha=0.75):
    weight, pred, observed, _ = _glove(W, Wc, b, bc, X, x_max, alpha)
    safe = torch.where(observed, X, torch.ones_like(X))
    terms = torch.where(observed, weight * (pred - torch.log(safe)) ** 2, torch.zeros_like(X))
    return terms.sum() / observed.sum().clamp_min(1)


GLOVE_ORACLES = (
    Oracle(
        "log_zero",
        _glove_log_zero,
        "X = 0 的位置算了 log 0 = −inf，0·inf 得到 NaN：只对 X > 0 的位置求和（先用掩码替换掉 0 再取 log）。",
    ),
    Oracle(
        "where_after_log",
        _glove_where_after_log,
        "先对整个 X 取 log、再用 torch.where 丢掉 X = 0 的项：数值没问题，但梯度里会出现 NaN"
        "（0·inf）。应在取 log 之前把 X = 0 替换掉。",
    ),
    Oracle(
        "no_cap",
        lambda *a, **k: _glove_masked(*a, **k, cap=False),
        "权重 f(x) 没有封顶：x ≥ x_max 时 f(x) = 1（用 clamp(max=1)）。",
    ),
    Oracle(
        "log1p",
        lambda *a, **k: _glove_masked(*a, **k, log=torch.log1p),
        "用了 log(1 + X)；GloVe 拟合的是 log X_ij（只对 X_ij > 0 的项）。",
    ),
    Oracle(
        "no_bias",
        lambda *a, **k: _glove_masked(*a, **k, bias=False),
        "漏了偏置项 b_i 和 b̃_j：预测值是 w_i·w̃_j + b_i + b̃_j。",
    ),
    Oracle(
        "mean_not_sum",
        _glove_mean,
        "取了平均；GloVe 的代价函数 J 是对所有 X_ij > 0 的项求和（sum）。",
    ),
)

# ---- L-3-3 analogy -----------------------------------------------------------------------------


def _words(n: int) -> list[str]:
    return [f"w{i:02d}" for i in range(n)]


def _spread_rows(gen: torch.Generator, n: int, d: int, dtype=torch.float32) -> torch.Tensor:
    """Rows of very different lengths (0.1 … 10), so raw and unit vectors rank differently."""
    rows = _randn(gen, n, d, dtype=F64)
    lengths = torch.logspace(-1, 1, n, dtype=F64)[torch.randperm(n, generator=gen)]
    return (rows / rows.norm(dim=-1, keepdim=True) * lengths[:, None]).to(dtype)


def _analogy_value_cases(gen: torch.Generator) -> list[Case]:
    E = _spread_rows(gen, 14, 4)
    V = _words(14)
    E2 = _spread_rows(gen, 20, 6, dtype=F64)
    V2 = _words(20)
    return [
        Case("k1_a", (E, V, "w00", "w01", "w02")),
        Case("k1_b", (E, V, "w05", "w03", "w09")),
        Case("k3", (E, V, "w12", "w07", "w04"), {"k": 3}),
        Case("k4_float64", (E2, V2, "w11", "w02", "w17"), {"k": 4}),
        Case("k5_float64", (E2, V2, "w03", "w19", "w08"), {"k": 5}),
    ]


def _analogy_edge_cases(gen: torch.Generator) -> list[Case]:
    # b − a + c points exactly at b's direction (a = c): every excluded input must be skipped
    E = _spread_rows(gen, 9, 3)
    V = _words(9)
    # duplicate rows w04 = w07 (and w01 = w06 up to length): exact ties, earlier word first
    T = torch.tensor(
        [
            [1.0, 0.0],
            [0.0, 1.0],
            [-1.0, 0.0],
            [0.0, -1.0],
            [1.0, 1.0],
            [2.0, -1.0],
            [0.0, 3.0],
            [1.0, 1.0],
        ]
    )
    return [
        Case("a_equals_c", (E, V, "w02", "w05", "w02"), {"k": 2}),
        Case("all_remaining", (E, V, "w08", "w00", "w03"), {"k": 6}),
        Case("ties_earlier_first", (T, _words(8), "w02", "w00", "w03"), {"k": 5}),
        # d = 1: every cosine is ±1, so the ranking is all ties
        Case(
            "d1_float64",
            (
                torch.tensor([[2.0], [-1.0], [3.0], [0.5], [-4.0], [1.0]], dtype=F64),
                _words(6),
                "w00",
                "w01",
                "w02",
            ),
            {"k": 3},
        ),
    ]


def _analogy_variant(
    E, vocab, a, b, c, k=1, *, normalise=True, exclude=(0, 1, 2), sign=1.0, after=False
):
    index = {w: i for i, w in enumerate(vocab)}
    unit = E / E.norm(dim=-1, keepdim=True)
    base = unit if normalise and not after else E
    target = sign * (base[index[b]] - base[index[a]]) + base[index[c]]
    rows = unit if normalise else E
    scores = (rows * target).sum(-1) / target.norm()
    for pos, word in enumerate((a, b, c)):
        if pos in exclude:
            scores[index[word]] = -torch.inf
    order = torch.sort(scores, descending=True, stable=True).indices
    return [vocab[int(i)] for i in order[:k]]


ANALOGY_ORACLES = (
    Oracle(
        "no_exclusion",
        lambda *a, **k: _analogy_variant(*a, **k, exclude=()),
        "没有排除输入词 a、b、c：b − a + c 往往离 b 或 c 自己最近，答案必须从其余的词里选。",
    ),
    Oracle(
        "raw_vectors",
        lambda *a, **k: _analogy_variant(*a, **k, normalise=False),
        "没有先把每个词向量归一化为单位长度：长向量会主导 b − a + c 和打分。",
    ),
    Oracle(
        "reversed_offset",
        lambda *a, **k: _analogy_variant(*a, **k, sign=-1.0),
        '方向反了："a 之于 b 如同 c 之于 ?" 的目标是 b − a + c，不是 a − b + c。',
    ),
    Oracle(
        "normalise_after",
        lambda *a, **k: _analogy_variant(*a, **k, after=True),
        "先用原始向量算 b − a + c 再归一化了；约定是先把每个词向量变成单位长度，再做加减。",
    ),
    Oracle(
        "excludes_only_c",
        lambda *a, **k: _analogy_variant(*a, **k, exclude=(2,)),
        "只排除了部分输入词：a、b、c 三个都不能作为答案。",
    ),
)

# ---- L-3-3 pca ---------------------------------------------------------------------------------

PCA_FORBIDDEN = ("torch.pca_lowrank", "torch.svd_lowrank")


def _pca_data(gen, n, d, dtype=torch.float32, offset=5.0):
    """Rows with distinct variances per direction (no tie between components) and mean ≠ 0."""
    scales = torch.linspace(3.0, 0.3, d, dtype=F64)
    rotation, _ = torch.linalg.qr(torch.randn(d, d, generator=gen, dtype=F64))
    X = (torch.randn(n, d, generator=gen, dtype=F64) * scales) @ rotation.T + offset
    return X.to(dtype)


def _pca_cases(gen: torch.Generator) -> list[Case]:
    return [
        Case("n30_d5_k2", (_pca_data(gen, 30, 5), 2)),
        Case("k1", (_pca_data(gen, 25, 4), 1)),
        Case("float64_k3", (_pca_data(gen, 40, 6, dtype=F64), 3)),
        Case("fewer_rows_than_dims", (_pca_data(gen, 6, 9, dtype=F64, offset=-3.0), 3)),
        Case("d1", (_pca_data(gen, 7, 1), 1)),
    ]


def _pca_not_centred(X, k):
    _, _, Vh = torch.linalg.svd(X, full_matrices=False)
    return X @ Vh[:k].T, Vh[:k]


def _pca_columns_of_vh(X, k):
    Xc = X - X.mean(dim=0)
    _, _, Vh = torch.linalg.svd(Xc, full_matrices=False)
    comps = Vh[:, :k].T
    return Xc @ comps.T, comps


def _pca_eigh_ascending(X, k):
    Xc = X - X.mean(dim=0)
    _, vecs = torch.linalg.eigh(Xc.T @ Xc)
    comps = vecs[:, :k].T
    return Xc @ comps.T, comps


def _pca_whitened(X, k):
    Xc = X - X.mean(dim=0)
    U, _, Vh = torch.linalg.svd(Xc, full_matrices=False)
    return U[:, :k], Vh[:k]


PCA_ORACLES = (
    Oracle(
        "not_centred", _pca_not_centred, "没有先中心化：SVD 之前要减去每一列的均值 X.mean(dim=0)。"
    ),
    Oracle(
        "columns_of_vh",
        _pca_columns_of_vh,
        "torch.linalg.svd 返回的是 Vᴴ（Vh）：主成分是 Vh 的前 k **行**，不是前 k 列。",
    ),
    Oracle(
        "eigh_ascending",
        _pca_eigh_ascending,
        "torch.linalg.eigh 的特征值按**从小到大**排列：取方差最大的 k 个方向要从最后往前取。",
    ),
    Oracle(
        "whitened",
        _pca_whitened,
        "坐标用了 U 的前 k 列（没有乘奇异值 S）：投影坐标是 (X − 均值) @ components.T = U·S。",
    ),
)

# ---- L-3-4 probe_direction ------------------------------------------------------------------------


def _probe_cases(gen: torch.Generator) -> list[Case]:
    labels = torch.tensor([True, False, False, True, False, True, False, False, True, False])
    one_positive = torch.zeros(6, dtype=torch.bool)
    one_positive[4] = True
    return [
        Case("n10_d6", (_randn(gen, 10, 6) + 2.0, labels)),
        Case("float64_d3", (_randn(gen, 10, 3, dtype=F64) * 5, labels.flip(0))),
        Case("one_positive", (_randn(gen, 6, 4), one_positive)),
        Case("d1", (_randn(gen, 6, 1) + 1.0, one_positive.roll(2))),
    ]


def _probe_raw(X, labels):
    return X[labels].mean(dim=0) - X[~labels].mean(dim=0)


PROBE_ORACLES = (
    Oracle("not_normalised", _probe_raw, "方向没有归一化：返回单位向量（除以它的长度）。"),
    Oracle(
        "reversed",
        lambda X, labels: -ref.probe_direction(X, labels),
        "方向反了：约定是 “有该属性（labels 为 True）的均值 − 没有该属性的均值”。",
    ),
    Oracle(
        "positive_mean_only",
        lambda X, labels: F.normalize(X[labels].mean(dim=0), dim=0),
        "只用了正类的均值：要的是两类均值之差（差值去掉了所有词共有的部分）。",
    ),
)

SGNS_NAN_CAUSES = "torch.log(torch.sigmoid(x)) 在 x 很负时是 log 0 = −inf（请用 F.logsigmoid）"
GLOVE_NAN_CAUSES = (
    "X = 0 的位置取了 log（log 0 = −inf，0·inf = NaN）；梯度里的 NaN 常来自先对整个 X 取 log、"
    "再用 torch.where 丢掉零"
)

# ---- the checks, in notebook order ------------------------------------------------------------

CHECKS = (
    Check(
        "L-3/one_hot/values",
        "one_hot",
        "one_hot：形状、dtype 与取值",
        2,
        _one_hot_value_cases,
        ref.one_hot,
        exact=True,
        forbidden=ONE_HOT_FORBIDDEN,
        oracles=ONE_HOT_ORACLES,
    ),
    Check(
        "L-3/one_hot/errors",
        "one_hot",
        "one_hot：越界与非整数 ids 抛出 ValueError",
        1,
        _one_hot_error_cases,
        ref.one_hot,
        exact=True,
        forbidden=ONE_HOT_FORBIDDEN,
        oracles=ONE_HOT_ORACLES,
    ),
    Check(
        "L-3/skipgram_pairs/values",
        "skipgram_pairs",
        "skipgram_pairs：窗口、顺序与重复词",
        2,
        _skipgram_value_cases,
        ref.skipgram_pairs,
        exact=True,
        oracles=SKIPGRAM_ORACLES,
        waivers={"size_one": "a one-id sequence is graded in L-3/skipgram_pairs/edges"},
    ),
    Check(
        "L-3/skipgram_pairs/edges",
        "skipgram_pairs",
        "skipgram_pairs：很短的序列与 dtype",
        1,
        _skipgram_edge_cases,
        ref.skipgram_pairs,
        exact=True,
        oracles=SKIPGRAM_ORACLES,
    ),
    Check(
        "L-3/sgns_loss/values",
        "sgns_loss",
        "sgns_loss：数值、batch 与 dtype",
        2,
        _sgns_value_cases,
        ref.sgns_loss,
        oracles=SGNS_ORACLES,
        nan_causes=SGNS_NAN_CAUSES,
    ),
    Check(
        "L-3/sgns_loss/stable",
        "sgns_loss",
        "sgns_loss：分数达到 1e3 时数值稳定",
        1,
        _sgns_stable_cases,
        ref.sgns_loss,
        oracles=SGNS_ORACLES,
        nan_causes=SGNS_NAN_CAUSES,
    ),
    Check(
        "L-3/sgns_loss/gradients",
        "sgns_loss",
        "sgns_loss：梯度",
        1,
        _sgns_grad_cases,
        ref.sgns_loss,
        oracles=SGNS_ORACLES,
        nan_causes=SGNS_NAN_CAUSES,
    ),
    Check(
        "L-3/glove_loss/values",
        "glove_loss",
        "glove_loss：权重函数、偏置与求和",
        2,
        _glove_value_cases,
        ref.glove_loss,
        oracles=GLOVE_ORACLES,
        nan_causes=GLOVE_NAN_CAUSES,
    ),
    Check(
        "L-3/glove_loss/zero_counts",
        "glove_loss",
        "glove_loss：零计数贡献 0（没有 log 0）",
        1,
        _glove_zero_cases,
        ref.glove_loss,
        oracles=GLOVE_ORACLES,
        nan_causes=GLOVE_NAN_CAUSES,
    ),
    Check(
        "L-3/glove_loss/gradients",
        "glove_loss",
        "glove_loss：梯度（有零计数时也没有 NaN）",
        1,
        _glove_grad_cases,
        ref.glove_loss,
        oracles=GLOVE_ORACLES,
        nan_causes=GLOVE_NAN_CAUSES,
    ),
    Check(
        "L-3/analogy/values",
        "analogy",
        "analogy：3CosAdd、单位向量与 top-k",
        2,
        _analogy_value_cases,
        ref.analogy,
        oracles=ANALOGY_ORACLES,
        waivers={"size_one": "d = 1 (every cosine ±1, all ties) is graded in exclusion_ties"},
    ),
    Check(
        "L-3/analogy/exclusion_ties",
        "analogy",
        "analogy：排除输入词与并列规则",
        1,
        _analogy_edge_cases,
        ref.analogy,
        oracles=ANALOGY_ORACLES,
    ),
    Check(
        "L-3/pca/values",
        "pca",
        "pca：中心化、主成分与投影（不计符号）",
        2,
        _pca_cases,
        ref.pca,
        rtol=1e-4,
        atol=1e-4,
        forbidden=PCA_FORBIDDEN,
        oracles=PCA_ORACLES,
        canonical=ref.canonical_pca_signs,
    ),
    Check(
        "L-3/probe_direction/values",
        "probe_direction",
        "probe_direction：均值差方向",
        1,
        _probe_cases,
        ref.probe_direction,
        oracles=PROBE_ORACLES,
    ),
)
