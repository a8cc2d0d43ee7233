"""Mutants for L-3 表示学习基础 (see autograder/mutants/__init__.py for the rules).

Wrong mutants are mistakes students really make (curriculum.md, L-3); `oracle` names the
matching Oracle in autograder/checks/representation.py ("" where none exists). Correct
mutants are written differently from the reference and obey each check's forbidden built-ins.
"""

from __future__ import annotations

import math  # noqa: F401  (mutants may use the notebook's globals)

import torch
import torch.nn.functional as F  # noqa: N812
from torch import Tensor

from autograder.mutants import Mutant

# ---- one_hot -------------------------------------------------------------------------------
# Forbidden: F.one_hot.


def one_hot__int64_output(ids: Tensor, vocab_size: int) -> Tensor:
    if ids.is_floating_point():
        raise ValueError("ids must be integers")
    if ids.numel() and (ids.min() < 0 or ids.max() >= vocab_size):
        raise ValueError("id out of range")
    return (ids.unsqueeze(-1) == torch.arange(vocab_size)).long()


def one_hot__vocab_axis_first(ids: Tensor, vocab_size: int) -> Tensor:
    if ids.is_floating_point():
        raise ValueError("ids must be integers")
    if ids.numel() and (ids.min() < 0 or ids.max() >= vocab_size):
        raise ValueError("id out of range")
    return (torch.arange(vocab_size).view(-1, *[1] * ids.dim()) == ids).float()


def one_hot__no_dtype_check(ids: Tensor, vocab_size: int) -> Tensor:
    if ids.numel() and (ids.min() < 0 or ids.max() >= vocab_size):
        raise ValueError("id out of range")
    out = torch.zeros(*ids.shape, vocab_size)
    out.scatter_(-1, ids.long().unsqueeze(-1), 1.0)
    return out


def one_hot__upper_bound_off_by_one(ids: Tensor, vocab_size: int) -> Tensor:
    if ids.is_floating_point():
        raise ValueError("ids must be integers")
    if ids.numel() and (ids.min() < 0 or ids.max() > vocab_size):
        raise ValueError("id out of range")
    return (ids.unsqueeze(-1) == torch.arange(vocab_size)).float()


def one_hot__no_range_check(ids: Tensor, vocab_size: int) -> Tensor:
    if ids.is_floating_point():
        raise ValueError("ids must be integers")
    return (ids.unsqueeze(-1) == torch.arange(vocab_size)).float()


def one_hot__flattens_batch(ids: Tensor, vocab_size: int) -> Tensor:
    if ids.is_floating_point():
        raise ValueError("ids must be integers")
    if ids.numel() and (ids.min() < 0 or ids.max() >= vocab_size):
        raise ValueError("id out of range")
    flat = ids.reshape(-1)
    out = torch.zeros(flat.shape[0], vocab_size)
    out[torch.arange(flat.shape[0]), flat.long()] = 1.0
    return out


def one_hot__uses_builtin(ids: Tensor, vocab_size: int) -> Tensor:
    if ids.is_floating_point():
        raise ValueError("ids must be integers")
    if ids.numel() and (ids.min() < 0 or ids.max() >= vocab_size):
        raise ValueError("id out of range")
    return F.one_hot(ids.long(), vocab_size).float()


def one_hot__eye_rows(ids: Tensor, vocab_size: int) -> Tensor:
    if ids.dtype.is_floating_point or ids.dtype.is_complex or ids.dtype == torch.bool:
        raise ValueError(f"ids must be integers, got {ids.dtype}")
    if ((ids < 0) | (ids >= vocab_size)).any():
        raise ValueError("id out of range")
    return torch.eye(vocab_size)[ids.long()]


def one_hot__scatter(ids: Tensor, vocab_size: int) -> Tensor:
    if torch.is_floating_point(ids) or ids.dtype == torch.bool:
        raise ValueError("ids must have an integer dtype")
    ids = ids.to(torch.int64)
    bad = (ids < 0) | (ids >= vocab_size)
    if bad.any():
        raise ValueError(f"{int(bad.sum())} ids outside [0, {vocab_size})")
    out = torch.zeros(ids.shape + (vocab_size,), dtype=torch.float32)
    return out.scatter(-1, ids.unsqueeze(-1), 1.0)


# ---- skipgram_pairs ----------------------------------------------------------------------------


def skipgram_pairs__pairs_with_itself(ids: Tensor, window: int) -> Tensor:
    n = len(ids)
    rows = []
    for i in range(n):
        for j in range(max(0, i - window), min(n, i + window + 1)):
            rows.append([int(ids[i]), int(ids[j])])
    return torch.tensor(rows, dtype=torch.long).reshape(-1, 2)


def skipgram_pairs__skips_equal_ids(ids: Tensor, window: int) -> Tensor:
    n = len(ids)
    rows = []
    for i in range(n):
        for j in range(max(0, i - window), min(n, i + window + 1)):
            if ids[j] != ids[i]:  # drops the same word at another position too
                rows.append([int(ids[i]), int(ids[j])])
    return torch.tensor(rows, dtype=torch.long).reshape(-1, 2)


def skipgram_pairs__window_exclusive(ids: Tensor, window: int) -> Tensor:
    n = len(ids)
    rows = []
    for i in range(n):
        for j in range(max(0, i - window), min(n, i + window)):
            if j != i:
                rows.append([int(ids[i]), int(ids[j])])
    return torch.tensor(rows, dtype=torch.long).reshape(-1, 2)


def skipgram_pairs__ordered_by_offset(ids: Tensor, window: int) -> Tensor:
    n = len(ids)
    rows = []
    for offset in range(-window, window + 1):
        if offset == 0:
            continue
        for i in range(n):
            if 0 <= i + offset < n:
                rows.append([int(ids[i]), int(ids[i + offset])])
    return torch.tensor(rows, dtype=torch.long).reshape(-1, 2)


def skipgram_pairs__wraps_around(ids: Tensor, window: int) -> Tensor:
    n = len(ids)
    rows = []
    for i in range(n):
        for offset in range(-window, window + 1):
            if offset != 0 and i + offset < n:
                rows.append([int(ids[i]), int(ids[i + offset])])  # ids[-1] is the last word
    return torch.tensor(rows, dtype=torch.long).reshape(-1, 2)


def skipgram_pairs__swapped_columns(ids: Tensor, window: int) -> Tensor:
    n = len(ids)
    rows = []
    for i in range(n):
        for j in range(max(0, i - window), min(n, i + window + 1)):
            if j != i:
                rows.append([int(ids[j]), int(ids[i])])
    return torch.tensor(rows, dtype=torch.long).reshape(-1, 2)


def skipgram_pairs__full_windows_only(ids: Tensor, window: int) -> Tensor:
    n = len(ids)
    rows = []
    for i in range(window, n - window):
        for j in range(i - window, i + window + 1):
            if j != i:
                rows.append([int(ids[i]), int(ids[j])])
    return torch.tensor(rows, dtype=torch.long).reshape(-1, 2)


def skipgram_pairs__keeps_input_dtype(ids: Tensor, window: int) -> Tensor:
    n = len(ids)
    rows = []
    for i in range(n):
        for j in range(max(0, i - window), min(n, i + window + 1)):
            if j != i:
                rows.append(torch.stack([ids[i], ids[j]]))
    return torch.stack(rows) if rows else torch.zeros(0, 2, dtype=ids.dtype)


def skipgram_pairs__empty_is_1d(ids: Tensor, window: int) -> Tensor:
    n = len(ids)
    rows = []
    for i in range(n):
        for j in range(max(0, i - window), min(n, i + window + 1)):
            if j != i:
                rows.append([int(ids[i]), int(ids[j])])
    return torch.tensor(rows, dtype=torch.long)  # [] gives shape (0,), not (0, 2)


def skipgram_pairs__vectorised(ids: Tensor, window: int) -> Tensor:
    n = ids.shape[0]
    pos = torch.arange(n)
    offsets = torch.tensor([o for o in range(-window, window + 1) if o != 0], dtype=torch.long)
    centre = pos[:, None].expand(n, len(offsets))
    context = centre + offsets[None, :]  # (n, 2*window): sorted by position within each row
    keep = (context >= 0) & (context < n)
    ids64 = ids.to(torch.int64)
    return torch.stack([ids64[centre[keep]], ids64[context[keep]]], dim=-1).reshape(-1, 2)


def skipgram_pairs__list_slices(ids: Tensor, window: int) -> Tensor:
    words = ids.tolist()
    out: list[list[int]] = []
    for i, w in enumerate(words):
        left = words[max(0, i - window) : i]
        right = words[i + 1 : i + 1 + window]
        out.extend([w, c] for c in left + right)
    return torch.tensor(out, dtype=torch.int64).view(-1, 2)


# ---- sgns_loss -------------------------------------------------------------------------------


def sgns_loss__negatives_sign(center: Tensor, context: Tensor, negatives: Tensor) -> Tensor:
    pos = (center * context).sum(-1)
    neg = (negatives * center.unsqueeze(1)).sum(-1)
    return (-F.logsigmoid(pos) - F.logsigmoid(neg).sum(-1)).mean()


def sgns_loss__softmax(center: Tensor, context: Tensor, negatives: Tensor) -> Tensor:
    pos = (center * context).sum(-1, keepdim=True)
    neg = torch.einsum("bkd,bd->bk", negatives, center)
    logits = torch.cat([pos, neg], dim=1)
    return F.cross_entropy(logits, torch.zeros(len(logits), dtype=torch.long))


def sgns_loss__log_of_sigmoid(center: Tensor, context: Tensor, negatives: Tensor) -> Tensor:
    pos = (center * context).sum(-1)
    neg = (negatives * center.unsqueeze(1)).sum(-1)
    loss = -torch.log(torch.sigmoid(pos)) - torch.log(torch.sigmoid(-neg)).sum(-1)
    return loss.mean()


def sgns_loss__mean_over_negatives(center: Tensor, context: Tensor, negatives: Tensor) -> Tensor:
    pos = (center * context).sum(-1)
    neg = (negatives * center.unsqueeze(1)).sum(-1)
    return (-F.logsigmoid(pos) - F.logsigmoid(-neg).mean(-1)).mean()


def sgns_loss__sum_over_batch(center: Tensor, context: Tensor, negatives: Tensor) -> Tensor:
    pos = (center * context).sum(-1)
    neg = (negatives * center.unsqueeze(1)).sum(-1)
    return (-F.logsigmoid(pos) - F.logsigmoid(-neg).sum(-1)).sum()


def sgns_loss__no_negatives(center: Tensor, context: Tensor, negatives: Tensor) -> Tensor:
    return -F.logsigmoid((center * context).sum(-1)).mean()


def sgns_loss__one_minus_sigmoid(center: Tensor, context: Tensor, negatives: Tensor) -> Tensor:
    pos = (center * context).sum(-1)
    neg = (negatives * center.unsqueeze(1)).sum(-1)
    loss = -F.logsigmoid(pos) - torch.log(1 - torch.sigmoid(neg)).sum(-1)
    return loss.mean()


def sgns_loss__float32_upcast(center: Tensor, context: Tensor, negatives: Tensor) -> Tensor:
    pos = (center.float() * context.float()).sum(-1)
    neg = (negatives.float() * center.float().unsqueeze(1)).sum(-1)
    return (-F.logsigmoid(pos) - F.logsigmoid(-neg).sum(-1)).mean()


def sgns_loss__softplus(center: Tensor, context: Tensor, negatives: Tensor) -> Tensor:
    # −log σ(x) = softplus(−x)
    pos = torch.einsum("bd,bd->b", center, context)
    neg = torch.einsum("bkd,bd->bk", negatives, center)
    return (F.softplus(-pos) + F.softplus(neg).sum(dim=1)).mean()


def sgns_loss__bmm_concat(center: Tensor, context: Tensor, negatives: Tensor) -> Tensor:
    vectors = torch.cat([context.unsqueeze(1), -negatives], dim=1)  # (B, 1 + K, d)
    scores = torch.bmm(vectors, center.unsqueeze(-1)).squeeze(-1)  # (B, 1 + K)
    return -F.logsigmoid(scores).sum(dim=1).mean()


# ---- glove_loss --------------------------------------------------------------------------------


def glove_loss__log_zero(
    W: Tensor,
    W_context: Tensor,
    b: Tensor,
    b_context: Tensor,
    X: Tensor,
    x_max: float = 100.0,
    alpha: float = 0.75,
) -> Tensor:
    f = torch.clamp(X / x_max, max=1.0) ** alpha
    pred = W @ W_context.T + b[:, None] + b_context[None, :]
    return (f * (pred - torch.log(X)) ** 2).sum()


def glove_loss__where_after_log(
    W: Tensor,
    W_context: Tensor,
    b: Tensor,
    b_context: Tensor,
    X: Tensor,
    x_max: float = 100.0,
    alpha: float = 0.75,
) -> Tensor:
    f = torch.clamp(X / x_max, max=1.0) ** alpha
    pred = W @ W_context.T + b[:, None] + b_context[None, :]
    terms = f * (pred - torch.log(X)) ** 2
    return torch.where(X > 0, terms, torch.zeros_like(terms)).sum()


def glove_loss__no_cap(
    W: Tensor,
    W_context: Tensor,
    b: Tensor,
    b_context: Tensor,
    X: Tensor,
    x_max: float = 100.0,
    alpha: float = 0.75,
) -> Tensor:
    mask = X > 0
    f = (X / x_max) ** alpha
    pred = W @ W_context.T + b[:, None] + b_context[None, :]
    log_x = torch.log(X[mask])
    return (f[mask] * (pred[mask] - log_x) ** 2).sum()


def glove_loss__log1p(
    W: Tensor,
    W_context: Tensor,
    b: Tensor,
    b_context: Tensor,
    X: Tensor,
    x_max: float = 100.0,
    alpha: float = 0.75,
) -> Tensor:
    f = torch.clamp(X / x_max, max=1.0) ** alpha
    pred = W @ W_context.T + b[:, None] + b_context[None, :]
    return (f * (pred - torch.log1p(X)) ** 2).sum()


def glove_loss__no_bias(
    W: Tensor,
    W_context: Tensor,
    b: Tensor,
    b_context: Tensor,
    X: Tensor,
    x_max: float = 100.0,
    alpha: float = 0.75,
) -> Tensor:
    mask = X > 0
    f = torch.clamp(X / x_max, max=1.0) ** alpha
    pred = W @ W_context.T
    return (f[mask] * (pred[mask] - torch.log(X[mask])) ** 2).sum()


def glove_loss__mean_not_sum(
    W: Tensor,
    W_context: Tensor,
    b: Tensor,
    b_context: Tensor,
    X: Tensor,
    x_max: float = 100.0,
    alpha: float = 0.75,
) -> Tensor:
    mask = X > 0
    f = torch.clamp(X / x_max, max=1.0) ** alpha
    pred = W @ W_context.T + b[:, None] + b_context[None, :]
    terms = f[mask] * (pred[mask] - torch.log(X[mask])) ** 2
    return terms.sum() / mask.sum().clamp_min(1)


def glove_loss__ignores_x_max(
    W: Tensor,
    W_context: Tensor,
    b: Tensor,
    b_context: Tensor,
    X: Tensor,
    x_max: float = 100.0,
    alpha: float = 0.75,
) -> Tensor:
    mask = X > 0
    f = torch.clamp(X / 100.0, max=1.0) ** 0.75  # the paper's defaults, whatever is passed
    pred = W @ W_context.T + b[:, None] + b_context[None, :]
    return (f[mask] * (pred[mask] - torch.log(X[mask])) ** 2).sum()


def glove_loss__transposed_bias(
    W: Tensor,
    W_context: Tensor,
    b: Tensor,
    b_context: Tensor,
    X: Tensor,
    x_max: float = 100.0,
    alpha: float = 0.75,
) -> Tensor:
    mask = X > 0
    f = torch.clamp(X / x_max, max=1.0) ** alpha
    pred = W @ W_context.T + b[None, :] + b_context[:, None]
    return (f[mask] * (pred[mask] - torch.log(X[mask])) ** 2).sum()


def glove_loss__boolean_index(
    W: Tensor,
    W_context: Tensor,
    b: Tensor,
    b_context: Tensor,
    X: Tensor,
    x_max: float = 100.0,
    alpha: float = 0.75,
) -> Tensor:
    i, j = torch.nonzero(X > 0, as_tuple=True)
    x = X[i, j]
    f = torch.where(x < x_max, (x / x_max) ** alpha, torch.ones_like(x))
    pred = (W[i] * W_context[j]).sum(-1) + b[i] + b_context[j]
    return torch.sum(f * (pred - torch.log(x)) ** 2)


def glove_loss__masked_fill_log(
    W: Tensor,
    W_context: Tensor,
    b: Tensor,
    b_context: Tensor,
    X: Tensor,
    x_max: float = 100.0,
    alpha: float = 0.75,
) -> Tensor:
    zero = X == 0
    log_x = torch.log(X.masked_fill(zero, 1.0))
    f = torch.minimum((X / x_max) ** alpha, torch.ones_like(X)).masked_fill(zero, 0.0)
    diff = torch.addmm(b[:, None] + b_context[None, :], W, W_context.t()) - log_x
    return (f * diff * diff).sum()


# ---- analogy ----------------------------------------------------------------------------------


def analogy__no_exclusion(
    E: Tensor, vocab: list[str], a: str, b: str, c: str, k: int = 1
) -> list[str]:
    idx = {w: i for i, w in enumerate(vocab)}
    unit = E / E.norm(dim=-1, keepdim=True)
    target = unit[idx[b]] - unit[idx[a]] + unit[idx[c]]
    scores = unit @ target / target.norm()
    order = torch.sort(scores, descending=True, stable=True).indices
    return [vocab[int(i)] for i in order[:k]]


def analogy__raw_vectors(
    E: Tensor, vocab: list[str], a: str, b: str, c: str, k: int = 1
) -> list[str]:
    idx = {w: i for i, w in enumerate(vocab)}
    target = E[idx[b]] - E[idx[a]] + E[idx[c]]
    scores = E @ target
    for w in (a, b, c):
        scores[idx[w]] = -float("inf")
    order = torch.sort(scores, descending=True, stable=True).indices
    return [vocab[int(i)] for i in order[:k]]


def analogy__reversed_offset(
    E: Tensor, vocab: list[str], a: str, b: str, c: str, k: int = 1
) -> list[str]:
    idx = {w: i for i, w in enumerate(vocab)}
    unit = E / E.norm(dim=-1, keepdim=True)
    target = unit[idx[a]] - unit[idx[b]] + unit[idx[c]]
    scores = unit @ target / target.norm()
    for w in (a, b, c):
        scores[idx[w]] = -float("inf")
    order = torch.sort(scores, descending=True, stable=True).indices
    return [vocab[int(i)] for i in order[:k]]


def analogy__normalise_after(
    E: Tensor, vocab: list[str], a: str, b: str, c: str, k: int = 1
) -> list[str]:
    idx = {w: i for i, w in enumerate(vocab)}
    target = E[idx[b]] - E[idx[a]] + E[idx[c]]
    unit = E / E.norm(dim=-1, keepdim=True)
    scores = unit @ (target / target.norm())
    for w in (a, b, c):
        scores[idx[w]] = -float("inf")
    order = torch.sort(scores, descending=True, stable=True).indices
    return [vocab[int(i)] for i in order[:k]]


def analogy__excludes_only_c(
    E: Tensor, vocab: list[str], a: str, b: str, c: str, k: int = 1
) -> list[str]:
    idx = {w: i for i, w in enumerate(vocab)}
    unit = E / E.norm(dim=-1, keepdim=True)
    target = unit[idx[b]] - unit[idx[a]] + unit[idx[c]]
    scores = unit @ target
    scores[idx[c]] = -float("inf")
    order = torch.sort(scores, descending=True, stable=True).indices
    return [vocab[int(i)] for i in order[:k]]


def analogy__topk_ties(
    E: Tensor, vocab: list[str], a: str, b: str, c: str, k: int = 1
) -> list[str]:
    idx = {w: i for i, w in enumerate(vocab)}
    unit = E / E.norm(dim=-1, keepdim=True)
    target = unit[idx[b]] - unit[idx[a]] + unit[idx[c]]
    scores = unit @ target
    for w in (a, b, c):
        scores[idx[w]] = -float("inf")
    reversed_order = torch.sort(scores.flip(0), descending=True, stable=True).indices
    order = len(vocab) - 1 - reversed_order  # among equal scores the later word comes first
    return [vocab[int(i)] for i in order[:k]]


def analogy__returns_indices(
    E: Tensor, vocab: list[str], a: str, b: str, c: str, k: int = 1
) -> list[str]:
    idx = {w: i for i, w in enumerate(vocab)}
    unit = E / E.norm(dim=-1, keepdim=True)
    target = unit[idx[b]] - unit[idx[a]] + unit[idx[c]]
    scores = unit @ target
    for w in (a, b, c):
        scores[idx[w]] = -float("inf")
    return torch.sort(scores, descending=True, stable=True).indices[:k]


def analogy__euclidean_on_unit(
    E: Tensor, vocab: list[str], a: str, b: str, c: str, k: int = 1
) -> list[str]:
    # on unit vectors, ‖ê_w − t‖² = 1 + ‖t‖² − 2 ê_w·t: the nearest is the most cosine-similar
    unit = F.normalize(E, dim=-1)
    pick = {w: unit[vocab.index(w)] for w in (a, b, c)}
    target = pick[b] - pick[a] + pick[c]
    dist = (unit - target).norm(dim=-1)
    ranked = sorted(range(len(vocab)), key=lambda i: (float(dist[i]), i))
    return [vocab[i] for i in ranked if vocab[i] not in (a, b, c)][:k]


def analogy__python_loop(
    E: Tensor, vocab: list[str], a: str, b: str, c: str, k: int = 1
) -> list[str]:
    lengths = E.norm(dim=1)
    rows = {w: E[i] / lengths[i] for i, w in enumerate(vocab)}
    target = rows[b] - rows[a] + rows[c]
    target = target / target.norm()
    scored = [
        (-float((rows[w] * target).sum()), i, w) for i, w in enumerate(vocab) if w not in {a, b, c}
    ]
    scored.sort()
    return [w for _, _, w in scored[:k]]


# ---- pca ---------------------------------------------------------------------------------------
# Forbidden: torch.pca_lowrank, torch.svd_lowrank.


def pca__not_centred(X: Tensor, k: int) -> tuple[Tensor, Tensor]:
    _, _, Vh = torch.linalg.svd(X, full_matrices=False)
    return X @ Vh[:k].T, Vh[:k]


def pca__columns_of_vh(X: Tensor, k: int) -> tuple[Tensor, Tensor]:
    Xc = X - X.mean(dim=0)
    _, _, V = torch.linalg.svd(Xc, full_matrices=False)  # this is Vh, not V
    components = V[:, :k].T
    return Xc @ components.T, components


def pca__eigh_ascending(X: Tensor, k: int) -> tuple[Tensor, Tensor]:
    Xc = X - X.mean(dim=0)
    _, vectors = torch.linalg.eigh(Xc.T @ Xc)
    components = vectors[:, :k].T
    return Xc @ components.T, components


def pca__whitened(X: Tensor, k: int) -> tuple[Tensor, Tensor]:
    Xc = X - X.mean(dim=0)
    U, _, Vh = torch.linalg.svd(Xc, full_matrices=False)
    return U[:, :k], Vh[:k]


def pca__centre_rows(X: Tensor, k: int) -> tuple[Tensor, Tensor]:
    Xc = X - X.mean(dim=1, keepdim=True)
    _, _, Vh = torch.linalg.svd(Xc, full_matrices=False)
    return Xc @ Vh[:k].T, Vh[:k]


def pca__standardised(X: Tensor, k: int) -> tuple[Tensor, Tensor]:
    Xc = (X - X.mean(dim=0)) / X.std(dim=0)
    _, _, Vh = torch.linalg.svd(Xc, full_matrices=False)
    return Xc @ Vh[:k].T, Vh[:k]


def pca__uses_lowrank(X: Tensor, k: int) -> tuple[Tensor, Tensor]:
    U, S, V = torch.pca_lowrank(X, q=k, center=True)
    return U * S, V.T


def pca__eigh_descending(X: Tensor, k: int) -> tuple[Tensor, Tensor]:
    Xc = X - X.mean(dim=0, keepdim=True)
    cov = Xc.T @ Xc / (X.shape[0] - 1)
    values, vectors = torch.linalg.eigh(cov)
    top = torch.argsort(values, descending=True)[:k]
    components = vectors[:, top].T
    return Xc @ components.T, components


def pca__u_times_s(X: Tensor, k: int) -> tuple[Tensor, Tensor]:
    Xc = X - X.mean(0)
    U, S, V = torch.svd(Xc)  # the old API returns V itself
    return U[:, :k] * S[:k], V[:, :k].T


# ---- probe_direction ------------------------------------------------------------------------------


def probe_direction__not_normalised(X: Tensor, labels: Tensor) -> Tensor:
    return X[labels].mean(dim=0) - X[~labels].mean(dim=0)


def probe_direction__reversed(X: Tensor, labels: Tensor) -> Tensor:
    d = X[~labels].mean(dim=0) - X[labels].mean(dim=0)
    return d / d.norm()


def probe_direction__positive_mean_only(X: Tensor, labels: Tensor) -> Tensor:
    d = X[labels].mean(dim=0)
    return d / d.norm()


def probe_direction__overall_mean(X: Tensor, labels: Tensor) -> Tensor:
    d = X[labels].mean(dim=0) - X.mean(dim=0)
    return d  # not normalised either


def probe_direction__sum_not_mean(X: Tensor, labels: Tensor) -> Tensor:
    d = X[labels].sum(dim=0) - X[~labels].sum(dim=0)
    return d / d.norm()


def probe_direction__weighted(X: Tensor, labels: Tensor) -> Tensor:
    y = labels.to(X.dtype)
    pos = (y[:, None] * X).sum(0) / y.sum()
    neg = ((1 - y)[:, None] * X).sum(0) / (1 - y).sum()
    return F.normalize(pos - neg, dim=0)


def probe_direction__centred_first(X: Tensor, labels: Tensor) -> Tensor:
    Xc = X - X.mean(dim=0)
    d = Xc[labels].mean(0) - Xc[~labels].mean(0)
    return d / torch.linalg.vector_norm(d)


MUTANTS = (
    # one_hot
    Mutant("one_hot", one_hot__int64_output, False, "int64_output", "returns int64, not float32"),
    Mutant("one_hot", one_hot__vocab_axis_first, False, "vocab_axis_first", "output (V, ...)"),
    Mutant(
        "one_hot", one_hot__no_dtype_check, False, "no_dtype_check", "accepts float ids silently"
    ),
    Mutant(
        "one_hot",
        one_hot__upper_bound_off_by_one,
        False,
        "upper_bound_off_by_one",
        "checks id > V instead of id >= V",
    ),
    Mutant("one_hot", one_hot__no_range_check, False, "", "no range check: id == V gives zeros"),
    Mutant("one_hot", one_hot__flattens_batch, False, "", "flattens the batch: (N, V)"),
    Mutant("one_hot", one_hot__uses_builtin, False, "", "forbidden shortcut: F.one_hot"),
    Mutant("one_hot", one_hot__eye_rows, True, why="rows of torch.eye(V) indexed by ids"),
    Mutant("one_hot", one_hot__scatter, True, why="zeros + scatter along the last dim"),
    # skipgram_pairs
    Mutant(
        "skipgram_pairs",
        skipgram_pairs__pairs_with_itself,
        False,
        "pairs_with_itself",
        "keeps offset 0",
    ),
    Mutant(
        "skipgram_pairs",
        skipgram_pairs__skips_equal_ids,
        False,
        "",
        "skips equal ids instead of the same position",
    ),
    Mutant(
        "skipgram_pairs",
        skipgram_pairs__window_exclusive,
        False,
        "window_exclusive",
        "range(i - w, i + w): the right side stops one short",
    ),
    Mutant(
        "skipgram_pairs",
        skipgram_pairs__ordered_by_offset,
        False,
        "ordered_by_offset",
        "outer loop over offsets",
    ),
    Mutant(
        "skipgram_pairs",
        skipgram_pairs__wraps_around,
        False,
        "wraps_around",
        "negative positions wrap to the end",
    ),
    Mutant(
        "skipgram_pairs",
        skipgram_pairs__swapped_columns,
        False,
        "swapped_columns",
        "(context, centre) rows",
    ),
    Mutant(
        "skipgram_pairs",
        skipgram_pairs__full_windows_only,
        False,
        "",
        "only centres with a full window on both sides",
    ),
    Mutant(
        "skipgram_pairs",
        skipgram_pairs__keeps_input_dtype,
        False,
        "",
        "int32 ids give int32 pairs",
    ),
    Mutant(
        "skipgram_pairs",
        skipgram_pairs__empty_is_1d,
        False,
        "",
        "no pairs gives shape (0,), not (0, 2)",
    ),
    Mutant(
        "skipgram_pairs",
        skipgram_pairs__vectorised,
        True,
        why="offset grid, mask out-of-range positions",
    ),
    Mutant("skipgram_pairs", skipgram_pairs__list_slices, True, why="left and right list slices"),
    # sgns_loss
    Mutant(
        "sgns_loss", sgns_loss__negatives_sign, False, "negatives_sign", "log σ(u·n) on negatives"
    ),
    Mutant("sgns_loss", sgns_loss__softmax, False, "softmax", "softmax over positive + negatives"),
    Mutant(
        "sgns_loss",
        sgns_loss__log_of_sigmoid,
        False,
        "unstable_log_sigmoid",
        "torch.log(torch.sigmoid(x))",
    ),
    Mutant(
        "sgns_loss",
        sgns_loss__mean_over_negatives,
        False,
        "mean_over_negatives",
        "mean over K",
    ),
    Mutant("sgns_loss", sgns_loss__sum_over_batch, False, "sum_over_batch", "sum over the batch"),
    Mutant("sgns_loss", sgns_loss__no_negatives, False, "", "forgets the negative term"),
    Mutant(
        "sgns_loss",
        sgns_loss__one_minus_sigmoid,
        False,
        "",
        "log(1 − σ(u·n)): right formula, log 0 at large scores",
    ),
    Mutant("sgns_loss", sgns_loss__float32_upcast, False, "", "float64 inputs computed in float32"),
    Mutant("sgns_loss", sgns_loss__softplus, True, why="softplus(−x) = −log σ(x), einsum"),
    Mutant("sgns_loss", sgns_loss__bmm_concat, True, why="stack v and −n, one bmm, logsigmoid"),
    # glove_loss
    Mutant("glove_loss", glove_loss__log_zero, False, "log_zero", "log 0 on zero counts: NaN"),
    Mutant(
        "glove_loss",
        glove_loss__where_after_log,
        False,
        "where_after_log",
        "torch.where after log: NaN gradients",
    ),
    Mutant("glove_loss", glove_loss__no_cap, False, "no_cap", "f(x) not capped at 1"),
    Mutant("glove_loss", glove_loss__log1p, False, "log1p", "log(1 + X)"),
    Mutant("glove_loss", glove_loss__no_bias, False, "no_bias", "forgets b and b̃"),
    Mutant("glove_loss", glove_loss__mean_not_sum, False, "mean_not_sum", "mean over observed"),
    Mutant("glove_loss", glove_loss__ignores_x_max, False, "", "hard-codes x_max=100, α=3/4"),
    Mutant("glove_loss", glove_loss__transposed_bias, False, "", "b and b̃ on the wrong axes"),
    Mutant("glove_loss", glove_loss__boolean_index, True, why="nonzero pairs, gathered rows"),
    Mutant("glove_loss", glove_loss__masked_fill_log, True, why="masked_fill, minimum, addmm"),
    # analogy
    Mutant("analogy", analogy__no_exclusion, False, "no_exclusion", "inputs not excluded"),
    Mutant("analogy", analogy__raw_vectors, False, "raw_vectors", "no unit normalisation"),
    Mutant("analogy", analogy__reversed_offset, False, "reversed_offset", "a − b + c"),
    Mutant(
        "analogy", analogy__normalise_after, False, "normalise_after", "normalises after b − a + c"
    ),
    Mutant("analogy", analogy__excludes_only_c, False, "excludes_only_c", "excludes c only"),
    Mutant("analogy", analogy__topk_ties, False, "", "ties go to the later word"),
    Mutant("analogy", analogy__returns_indices, False, "", "returns a tensor of indices"),
    Mutant("analogy", analogy__euclidean_on_unit, True, why="Euclidean distance on unit vectors"),
    Mutant("analogy", analogy__python_loop, True, why="python loop, sort by (−cos, index)"),
    # pca
    Mutant("pca", pca__not_centred, False, "not_centred", "SVD of X without centring"),
    Mutant("pca", pca__columns_of_vh, False, "columns_of_vh", "columns of Vh taken as V"),
    Mutant("pca", pca__eigh_ascending, False, "eigh_ascending", "eigh's first k: least variance"),
    Mutant("pca", pca__whitened, False, "whitened", "Z = U[:, :k] without S"),
    Mutant("pca", pca__centre_rows, False, "", "subtracts each row's mean"),
    Mutant("pca", pca__standardised, False, "", "divides by the std: correlation PCA"),
    Mutant("pca", pca__uses_lowrank, False, "", "forbidden shortcut: torch.pca_lowrank"),
    Mutant("pca", pca__eigh_descending, True, why="eigh of the covariance, sorted descending"),
    Mutant("pca", pca__u_times_s, True, why="torch.svd (returns V), Z = U·S"),
    # probe_direction
    Mutant(
        "probe_direction",
        probe_direction__not_normalised,
        False,
        "not_normalised",
        "mean difference, not unit length",
    ),
    Mutant("probe_direction", probe_direction__reversed, False, "reversed", "negative − positive"),
    Mutant(
        "probe_direction",
        probe_direction__positive_mean_only,
        False,
        "positive_mean_only",
        "mean of the positive class only",
    ),
    Mutant("probe_direction", probe_direction__overall_mean, False, "", "positive − overall mean"),
    Mutant("probe_direction", probe_direction__sum_not_mean, False, "", "class sums, not means"),
    Mutant("probe_direction", probe_direction__weighted, True, why="label-weighted means"),
    Mutant("probe_direction", probe_direction__centred_first, True, why="centre X first"),
)
