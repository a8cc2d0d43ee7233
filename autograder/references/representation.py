"""References for L-3 表示学习基础 (representation learning).

Written for clarity, not speed. Shapes and conventions follow the exercise texts in
source/l3_representation/L-3-representation-learning.ipynb. Sources:
* SGNS: Mikolov et al. 2013, "Distributed Representations of Words and Phrases and their
  Compositionality", eq. 4 (历史背景);
* GloVe: Pennington, Socher, Manning 2014, "GloVe: Global Vectors for Word Representation",
  eq. 8 (the weighted least-squares cost) and eq. 9 (f with x_max = 100, α = 3/4) (历史背景);
* 3CosAdd analogies on unit vectors: Mikolov, Yih, Zweig 2013; Levy & Goldberg 2014 (历史背景).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F  # noqa: N812
from torch import Tensor

INTEGER_DTYPES = (torch.uint8, torch.int8, torch.int16, torch.int32, torch.int64)


def one_hot(ids: Tensor, vocab_size: int) -> Tensor:
    """ids (...) of an integer dtype -> (..., vocab_size) float32, 1.0 at each id, else 0.

    Raises ValueError for a non-integer dtype (floating, complex, bool) or an id outside
    [0, vocab_size).
    """
    if ids.dtype not in INTEGER_DTYPES:
        raise ValueError(f"ids must have an integer dtype, got {ids.dtype}")
    if ids.numel() and (int(ids.min()) < 0 or int(ids.max()) >= vocab_size):
        raise ValueError(f"ids must lie in [0, {vocab_size})")
    return (ids.long().unsqueeze(-1) == torch.arange(vocab_size)).to(torch.float32)


def skipgram_pairs(ids: Tensor, window: int) -> Tensor:
    """1-D ids (n,) -> int64 (N, 2): rows (ids[i], ids[j]) for 0 < |i - j| <= window.

    Ordered by centre position i, then by context position j (both ascending); a position is
    never paired with itself; no wrap-around at the ends. Fewer than two ids give (0, 2).
    """
    n = ids.shape[0]
    rows = [
        (int(ids[i]), int(ids[j]))
        for i in range(n)
        for j in range(max(0, i - window), min(n, i + window + 1))
        if j != i
    ]
    return torch.tensor(rows, dtype=torch.int64).reshape(-1, 2)


def sgns_loss(center: Tensor, context: Tensor, negatives: Tensor) -> Tensor:
    """Skip-gram negative-sampling loss (Mikolov et al. 2013, eq. 4), a scalar.

    center u (B, d), context v (B, d), negatives n (B, K, d):
    mean over b of  −log σ(u_b·v_b) − Σ_k log σ(−u_b·n_bk).  Stable via F.logsigmoid.
    """
    positive = (center * context).sum(dim=-1)  # (B,)
    negative = (negatives * center.unsqueeze(-2)).sum(dim=-1)  # (B, K)
    per_example = -F.logsigmoid(positive) - F.logsigmoid(-negative).sum(dim=-1)
    return per_example.mean()


def glove_weight(X: Tensor, x_max: float = 100.0, alpha: float = 0.75) -> Tensor:
    """GloVe's f(x) = (x / x_max)^α for x < x_max, 1 otherwise; f(0) = 0 (Pennington 2014, eq. 9)."""
    return (X / x_max).clamp(max=1.0) ** alpha


def glove_loss(
    W: Tensor,
    W_context: Tensor,
    b: Tensor,
    b_context: Tensor,
    X: Tensor,
    x_max: float = 100.0,
    alpha: float = 0.75,
) -> Tensor:
    """GloVe cost (Pennington et al. 2014, eq. 8), a scalar:

    J = Σ_{i,j : X_ij > 0} f(X_ij) (w_i·w̃_j + b_i + b̃_j − log X_ij)²
    W (n, d), W_context (m, d), b (n,), b_context (m,), X (n, m) counts ≥ 0.
    Zero counts contribute exactly 0 (no log 0, no NaN in values or gradients).
    """
    observed = X > 0
    log_x = torch.log(torch.where(observed, X, torch.ones_like(X)))  # log 1 = 0 where X = 0
    weight = torch.where(observed, glove_weight(X, x_max, alpha), torch.zeros_like(X))
    prediction = W @ W_context.T + b[:, None] + b_context[None, :]  # (n, m)
    return (weight * (prediction - log_x) ** 2).sum()


def analogy(E: Tensor, vocab: list[str], a: str, b: str, c: str, k: int = 1) -> list[str]:
    """ "a is to b as c is to ?" by 3CosAdd on unit vectors; the k best words, best first.

    E (V, d), vocab: V words (vocab[i] is row i). Rows are normalised to unit length first;
    target t = ê_b − ê_a + ê_c; words ranked by cos(t, ê_w), the inputs a, b, c excluded;
    ties go to the word earlier in vocab.
    """
    index = {w: i for i, w in enumerate(vocab)}
    unit = E / E.norm(dim=-1, keepdim=True)
    target = unit[index[b]] - unit[index[a]] + unit[index[c]]
    scores = (unit * target).sum(dim=-1) / target.norm()
    for word in (a, b, c):
        scores[index[word]] = -torch.inf
    order = torch.sort(scores, descending=True, stable=True).indices
    return [vocab[int(i)] for i in order[:k]]


def pca(X: Tensor, k: int) -> tuple[Tensor, Tensor]:
    """X (n, d) -> (Z (n, k), components (k, d)), by SVD of the centred data.

    components: the top-k right singular vectors as rows (unit length, largest variance
    first); Z = (X − mean) @ components.T. Each component's sign is arbitrary.
    """
    centred = X - X.mean(dim=0, keepdim=True)
    _, _, Vh = torch.linalg.svd(centred, full_matrices=False)
    components = Vh[:k]
    return centred @ components.T, components


def canonical_pca_signs(value: list[Tensor]) -> list[Tensor]:
    """Fix PCA's sign freedom: flip each component (and its Z column) so that the entry of
    largest magnitude of the component is positive. Used by the check on both sides."""
    Z, components = value
    pivot = components.abs().argmax(dim=-1, keepdim=True)  # (k, 1)
    signs = torch.sign(components.gather(-1, pivot)).squeeze(-1)  # (k,)
    signs = torch.where(signs == 0, torch.ones_like(signs), signs)
    return [Z * signs, components * signs[:, None]]


def probe_direction(X: Tensor, labels: Tensor) -> Tensor:
    """Mean-difference probe: unit vector along mean(X[labels]) − mean(X[~labels]).

    X (n, d), labels (n,) bool (True = the property, e.g. female) -> (d,), unit length.
    """
    direction = X[labels].mean(dim=0) - X[~labels].mean(dim=0)
    return direction / direction.norm()
