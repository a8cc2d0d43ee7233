"""Mutants for L0 LLM 模型本质 (see autograder/mutants/__init__.py for the rules).

Wrong mutants are mistakes students really make (curriculum.md, L0); `oracle` names the
matching Oracle in autograder/checks/llm_essence.py ("" where none exists). Correct mutants
are written differently from the reference and obey each check's forbidden built-ins.
Block mutants are whole classes (the solution cell of `TransformerBlock` is a class); they
use only the notebook's globals, so each one carries its own attention and LayerNorm.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F  # noqa: N812
from torch import Tensor

from autograder.mutants import Mutant

# ---- softmax --------------------------------------------------------------------------------


def softmax__no_max_subtraction(x: Tensor, dim: int = -1) -> Tensor:
    e = torch.exp(x)
    return e / e.sum(dim=dim, keepdim=True)


def softmax__global_max(x: Tensor, dim: int = -1) -> Tensor:
    e = torch.exp(x - x.max())
    return e / e.sum(dim=dim, keepdim=True)


def softmax__last_dim_only(x: Tensor, dim: int = -1) -> Tensor:
    e = torch.exp(x - x.max(dim=-1, keepdim=True).values)
    return e / e.sum(dim=-1, keepdim=True)


def softmax__whole_tensor_sum(x: Tensor, dim: int = -1) -> Tensor:
    e = torch.exp(x - x.amax(dim=dim, keepdim=True))
    return e / e.sum()


def softmax__float32_compute(x: Tensor, dim: int = -1) -> Tensor:
    x32 = x.float()
    e = torch.exp(x32 - x32.amax(dim=dim, keepdim=True))
    return (e / e.sum(dim=dim, keepdim=True)).to(x.dtype)


def softmax__log_softmax_returned(x: Tensor, dim: int = -1) -> Tensor:
    shifted = x - x.amax(dim=dim, keepdim=True)
    return shifted - torch.log(torch.exp(shifted).sum(dim=dim, keepdim=True))


def softmax__builtin(x: Tensor, dim: int = -1) -> Tensor:
    return torch.softmax(x, dim=dim)


def softmax__logsumexp(x: Tensor, dim: int = -1) -> Tensor:
    return torch.exp(x - torch.logsumexp(x, dim=dim, keepdim=True))


def softmax__reciprocal_multiply(x: Tensor, dim: int = -1) -> Tensor:
    e = (x - x.max(dim=dim, keepdim=True).values).exp()
    return e * e.sum(dim=dim, keepdim=True).reciprocal()


def softmax__moved_dim_loop(x: Tensor, dim: int = -1) -> Tensor:
    moved = x.movedim(dim, -1)
    top = moved.max(dim=-1, keepdim=True).values
    e = (moved - top).exp()
    return (e / e.sum(-1, keepdim=True)).movedim(-1, dim)


# ---- next_token_probs -------------------------------------------------------------------------


def next_token_probs__temperature_after_softmax(
    logits: Tensor, temperature: float = 1.0, top_k: int | None = None, top_p: float | None = None
) -> Tensor:
    if temperature == 0:
        return torch.zeros_like(logits).scatter(-1, logits.argmax(-1, keepdim=True), 1.0)
    e = torch.exp(logits - logits.amax(-1, keepdim=True))
    probs = e / e.sum(-1, keepdim=True) / temperature
    if top_k is not None and top_k < logits.shape[-1]:
        kth = logits.topk(top_k, dim=-1).values[..., -1:]
        probs = probs.masked_fill(logits < kth, 0.0)
    probs = probs / probs.sum(-1, keepdim=True)
    if top_p is not None and top_p < 1.0:
        sorted_p, _ = probs.sort(-1, descending=True)
        before = sorted_p.cumsum(-1) - sorted_p
        thr = sorted_p.masked_fill(before >= top_p, float("inf")).amin(-1, keepdim=True)
        probs = probs.masked_fill(probs < thr, 0.0)
        probs = probs / probs.sum(-1, keepdim=True)
    return probs


def next_token_probs__drops_crossing_token(
    logits: Tensor, temperature: float = 1.0, top_k: int | None = None, top_p: float | None = None
) -> Tensor:
    if temperature == 0:
        return torch.zeros_like(logits).scatter(-1, logits.argmax(-1, keepdim=True), 1.0)
    z = logits / temperature
    if top_k is not None and top_k < z.shape[-1]:
        z = z.masked_fill(z < z.topk(top_k, dim=-1).values[..., -1:], float("-inf"))
    probs = torch.softmax(z, dim=-1)
    if top_p is not None and top_p < 1.0:
        sorted_p, order = probs.sort(-1, descending=True)
        keep_sorted = sorted_p.cumsum(-1) <= top_p  # stops *before* the crossing token
        keep = keep_sorted.scatter(-1, order, keep_sorted)
        probs = probs.masked_fill(~keep, 0.0)
        probs = probs / probs.sum(-1, keepdim=True)
    return probs


def next_token_probs__no_renormalise(
    logits: Tensor, temperature: float = 1.0, top_k: int | None = None, top_p: float | None = None
) -> Tensor:
    if temperature == 0:
        return torch.zeros_like(logits).scatter(-1, logits.argmax(-1, keepdim=True), 1.0)
    z = logits / temperature
    probs = torch.softmax(z, dim=-1)
    if top_k is not None and top_k < z.shape[-1]:
        probs = probs.masked_fill(z < z.topk(top_k, dim=-1).values[..., -1:], 0.0)
    if top_p is not None and top_p < 1.0:
        sorted_p, _ = probs.sort(-1, descending=True)
        before = sorted_p.cumsum(-1) - sorted_p
        thr = sorted_p.masked_fill(before >= top_p, float("inf")).amin(-1, keepdim=True)
        probs = probs.masked_fill(probs < thr, 0.0)
    return probs


def next_token_probs__top_p_before_temperature(
    logits: Tensor, temperature: float = 1.0, top_k: int | None = None, top_p: float | None = None
) -> Tensor:
    if temperature == 0:
        return torch.zeros_like(logits).scatter(-1, logits.argmax(-1, keepdim=True), 1.0)
    keep = torch.ones_like(logits, dtype=torch.bool)
    if top_k is not None and top_k < logits.shape[-1]:
        keep &= logits >= logits.topk(top_k, dim=-1).values[..., -1:]
    if top_p is not None and top_p < 1.0:
        p1 = torch.softmax(logits.masked_fill(~keep, float("-inf")), dim=-1)
        sorted_p, _ = p1.sort(-1, descending=True)
        before = sorted_p.cumsum(-1) - sorted_p
        thr = sorted_p.masked_fill(before >= top_p, float("inf")).amin(-1, keepdim=True)
        keep &= p1 >= thr
    return torch.softmax((logits / temperature).masked_fill(~keep, float("-inf")), dim=-1)


def next_token_probs__multiplies_temperature(
    logits: Tensor, temperature: float = 1.0, top_k: int | None = None, top_p: float | None = None
) -> Tensor:
    if temperature == 0:
        return torch.zeros_like(logits).scatter(-1, logits.argmax(-1, keepdim=True), 1.0)
    z = logits * temperature
    if top_k is not None and top_k < z.shape[-1]:
        z = z.masked_fill(z < z.topk(top_k, dim=-1).values[..., -1:], float("-inf"))
    probs = torch.softmax(z, dim=-1)
    if top_p is not None and top_p < 1.0:
        sorted_p, _ = probs.sort(-1, descending=True)
        before = sorted_p.cumsum(-1) - sorted_p
        thr = sorted_p.masked_fill(before >= top_p, float("inf")).amin(-1, keepdim=True)
        probs = probs.masked_fill(probs < thr, 0.0)
        probs = probs / probs.sum(-1, keepdim=True)
    return probs


def next_token_probs__divide_by_zero_at_T0(
    logits: Tensor, temperature: float = 1.0, top_k: int | None = None, top_p: float | None = None
) -> Tensor:
    z = logits / temperature if temperature else logits / 1e-30
    if top_k is not None and top_k < z.shape[-1]:
        z = z.masked_fill(z < z.topk(top_k, dim=-1).values[..., -1:], float("-inf"))
    probs = torch.softmax(z, dim=-1)
    if top_p is not None and top_p < 1.0:
        sorted_p, _ = probs.sort(-1, descending=True)
        before = sorted_p.cumsum(-1) - sorted_p
        thr = sorted_p.masked_fill(before >= top_p, float("inf")).amin(-1, keepdim=True)
        probs = probs.masked_fill(probs < thr, 0.0)
        probs = probs / probs.sum(-1, keepdim=True)
    return probs


def next_token_probs__top_k_index_ties(
    logits: Tensor, temperature: float = 1.0, top_k: int | None = None, top_p: float | None = None
) -> Tensor:
    if temperature == 0:
        return torch.zeros_like(logits).scatter(-1, logits.argmax(-1, keepdim=True), 1.0)
    z = logits / temperature
    if top_k is not None and top_k < z.shape[-1]:
        idx = z.topk(top_k, dim=-1).indices
        keep = torch.zeros_like(z, dtype=torch.bool).scatter(-1, idx, True)
        z = z.masked_fill(~keep, float("-inf"))
    probs = torch.softmax(z, dim=-1)
    if top_p is not None and top_p < 1.0:
        sorted_p, _ = probs.sort(-1, descending=True)
        before = sorted_p.cumsum(-1) - sorted_p
        thr = sorted_p.masked_fill(before >= top_p, float("inf")).amin(-1, keepdim=True)
        probs = probs.masked_fill(probs < thr, 0.0)
        probs = probs / probs.sum(-1, keepdim=True)
    return probs


def next_token_probs__loop_over_sorted(
    logits: Tensor, temperature: float = 1.0, top_k: int | None = None, top_p: float | None = None
) -> Tensor:
    flat = logits.reshape(-1, logits.shape[-1])
    rows = []
    for row in flat:
        if temperature == 0:
            out = torch.zeros_like(row)
            out[int(row.argmax())] = 1.0
            rows.append(out)
            continue
        z = row / temperature
        values = sorted(z.tolist(), reverse=True)
        keep = torch.ones_like(z, dtype=torch.bool)
        if top_k is not None and top_k < len(values):
            keep = z >= values[top_k - 1]
        e = torch.exp(z - z.max()) * keep
        p = e / e.sum()
        if top_p is not None and top_p < 1.0:
            mass, smallest = 0.0, None
            for value in sorted(p.tolist(), reverse=True):
                if mass >= top_p:
                    break
                mass += value
                smallest = value
            p = p * (p >= smallest)
            p = p / p.sum()
        rows.append(p)
    return torch.stack(rows).reshape(logits.shape)


def next_token_probs__masked_logits(
    logits: Tensor, temperature: float = 1.0, top_k: int | None = None, top_p: float | None = None
) -> Tensor:
    if temperature == 0:
        first = (logits == logits.amax(-1, keepdim=True)).to(torch.int64).argmax(-1)
        return F.one_hot(first, logits.shape[-1]).to(logits.dtype)
    z = logits / temperature
    if top_k is not None and top_k < z.shape[-1]:
        z = z.masked_fill(z < z.topk(top_k, dim=-1).values[..., -1:], float("-inf"))
    if top_p is not None and top_p < 1.0:
        p = torch.softmax(z, dim=-1)
        sorted_p, _ = p.sort(-1, descending=True)
        mass_before = sorted_p.cumsum(-1) - sorted_p
        smallest_kept = torch.where(
            mass_before < top_p, sorted_p, torch.full_like(sorted_p, 2.0)
        ).amin(-1, True)
        z = z.masked_fill(p < smallest_kept, float("-inf"))
    return torch.softmax(z, dim=-1)


# ---- sample_next --------------------------------------------------------------------------------


def sample_next__global_rng(
    logits: Tensor,
    temperature: float = 1.0,
    top_k: int | None = None,
    top_p: float | None = None,
    generator: torch.Generator | None = None,
) -> Tensor:
    if temperature == 0:
        return logits.argmax(-1)
    z = logits / temperature
    if top_k is not None and top_k < z.shape[-1]:
        z = z.masked_fill(z < z.topk(top_k, dim=-1).values[..., -1:], float("-inf"))
    probs = torch.softmax(z, dim=-1)
    if top_p is not None and top_p < 1.0:
        sorted_p, _ = probs.sort(-1, descending=True)
        before = sorted_p.cumsum(-1) - sorted_p
        thr = sorted_p.masked_fill(before >= top_p, float("inf")).amin(-1, keepdim=True)
        probs = probs.masked_fill(probs < thr, 0.0)
    flat = probs.reshape(-1, probs.shape[-1])
    return torch.multinomial(flat, 1).reshape(probs.shape[:-1])


def sample_next__fixed_seed_inside(
    logits: Tensor,
    temperature: float = 1.0,
    top_k: int | None = None,
    top_p: float | None = None,
    generator: torch.Generator | None = None,
) -> Tensor:
    if temperature == 0:
        return logits.argmax(-1)
    z = logits / temperature
    if top_k is not None and top_k < z.shape[-1]:
        z = z.masked_fill(z < z.topk(top_k, dim=-1).values[..., -1:], float("-inf"))
    probs = torch.softmax(z, dim=-1)
    if top_p is not None and top_p < 1.0:
        sorted_p, _ = probs.sort(-1, descending=True)
        before = sorted_p.cumsum(-1) - sorted_p
        thr = sorted_p.masked_fill(before >= top_p, float("inf")).amin(-1, keepdim=True)
        probs = probs.masked_fill(probs < thr, 0.0)
    flat = probs.reshape(-1, probs.shape[-1])
    own = torch.Generator().manual_seed(0)
    return torch.multinomial(flat, 1, generator=own).reshape(probs.shape[:-1])


def sample_next__drops_crossing_token(
    logits: Tensor,
    temperature: float = 1.0,
    top_k: int | None = None,
    top_p: float | None = None,
    generator: torch.Generator | None = None,
) -> Tensor:
    if temperature == 0:
        return logits.argmax(-1)
    z = logits / temperature
    if top_k is not None and top_k < z.shape[-1]:
        z = z.masked_fill(z < z.topk(top_k, dim=-1).values[..., -1:], float("-inf"))
    probs = torch.softmax(z, dim=-1)
    if top_p is not None and top_p < 1.0:
        sorted_p, order = probs.sort(-1, descending=True)
        keep_sorted = sorted_p.cumsum(-1) <= top_p
        probs = probs.masked_fill(~keep_sorted.scatter(-1, order, keep_sorted), 0.0)
    flat = probs.reshape(-1, probs.shape[-1])
    return torch.multinomial(flat, 1, generator=generator).reshape(probs.shape[:-1])


def sample_next__temperature_after_softmax(
    logits: Tensor,
    temperature: float = 1.0,
    top_k: int | None = None,
    top_p: float | None = None,
    generator: torch.Generator | None = None,
) -> Tensor:
    if temperature == 0:
        return logits.argmax(-1)
    z = logits / 1.0
    if top_k is not None and top_k < z.shape[-1]:
        z = z.masked_fill(z < z.topk(top_k, dim=-1).values[..., -1:], float("-inf"))
    probs = torch.softmax(z, dim=-1)
    if top_p is not None and top_p < 1.0:
        sorted_p, _ = probs.sort(-1, descending=True)
        before = sorted_p.cumsum(-1) - sorted_p
        thr = sorted_p.masked_fill(before >= top_p, float("inf")).amin(-1, keepdim=True)
        probs = probs.masked_fill(probs < thr, 0.0)
    probs = probs / temperature
    flat = probs.reshape(-1, probs.shape[-1])
    return torch.multinomial(flat, 1, generator=generator).reshape(probs.shape[:-1])


def sample_next__keepdim_shape(
    logits: Tensor,
    temperature: float = 1.0,
    top_k: int | None = None,
    top_p: float | None = None,
    generator: torch.Generator | None = None,
) -> Tensor:
    if temperature == 0:
        return logits.argmax(-1, keepdim=True)
    z = logits / temperature
    if top_k is not None and top_k < z.shape[-1]:
        z = z.masked_fill(z < z.topk(top_k, dim=-1).values[..., -1:], float("-inf"))
    probs = torch.softmax(z, dim=-1)
    if top_p is not None and top_p < 1.0:
        sorted_p, _ = probs.sort(-1, descending=True)
        before = sorted_p.cumsum(-1) - sorted_p
        thr = sorted_p.masked_fill(before >= top_p, float("inf")).amin(-1, keepdim=True)
        probs = probs.masked_fill(probs < thr, 0.0)
    flat = probs.reshape(-1, probs.shape[-1])
    return torch.multinomial(flat, 1, generator=generator).reshape(*probs.shape[:-1], 1)


def sample_next__top_k_off_by_one(
    logits: Tensor,
    temperature: float = 1.0,
    top_k: int | None = None,
    top_p: float | None = None,
    generator: torch.Generator | None = None,
) -> Tensor:
    if temperature == 0:
        return logits.argmax(-1)
    k = None if top_k is None else top_k + 1
    z = logits / temperature
    if k is not None and k < z.shape[-1]:
        z = z.masked_fill(z < z.topk(k, dim=-1).values[..., -1:], float("-inf"))
    probs = torch.softmax(z, dim=-1)
    if top_p is not None and top_p < 1.0:
        sorted_p, _ = probs.sort(-1, descending=True)
        before = sorted_p.cumsum(-1) - sorted_p
        thr = sorted_p.masked_fill(before >= top_p, float("inf")).amin(-1, keepdim=True)
        probs = probs.masked_fill(probs < thr, 0.0)
    flat = probs.reshape(-1, probs.shape[-1])
    return torch.multinomial(flat, 1, generator=generator).reshape(probs.shape[:-1])


def sample_next__tiny_temperature_for_greedy(
    logits: Tensor,
    temperature: float = 1.0,
    top_k: int | None = None,
    top_p: float | None = None,
    generator: torch.Generator | None = None,
) -> Tensor:
    t = max(temperature, 1e-6)
    z = logits / t
    if top_k is not None and top_k < z.shape[-1]:
        z = z.masked_fill(z < z.topk(top_k, dim=-1).values[..., -1:], float("-inf"))
    probs = torch.softmax(z, dim=-1)
    if top_p is not None and top_p < 1.0:
        sorted_p, _ = probs.sort(-1, descending=True)
        before = sorted_p.cumsum(-1) - sorted_p
        thr = sorted_p.masked_fill(before >= top_p, float("inf")).amin(-1, keepdim=True)
        probs = probs.masked_fill(probs < thr, 0.0)
    flat = probs.reshape(-1, probs.shape[-1])
    return torch.multinomial(flat, 1, generator=generator).reshape(probs.shape[:-1])


def sample_next__inverse_cdf(
    logits: Tensor,
    temperature: float = 1.0,
    top_k: int | None = None,
    top_p: float | None = None,
    generator: torch.Generator | None = None,
) -> Tensor:
    if temperature == 0:
        return logits.argmax(dim=-1)
    z = logits / temperature
    if top_k is not None and top_k < z.shape[-1]:
        z = z.masked_fill(z < z.topk(top_k, dim=-1).values[..., -1:], float("-inf"))
    probs = torch.softmax(z, dim=-1)
    if top_p is not None and top_p < 1.0:
        sorted_p, _ = probs.sort(-1, descending=True)
        before = sorted_p.cumsum(-1) - sorted_p
        thr = sorted_p.masked_fill(before >= top_p, float("inf")).amin(-1, keepdim=True)
        probs = probs.masked_fill(probs < thr, 0.0)
    probs = probs / probs.sum(-1, keepdim=True)
    u = torch.rand(probs.shape[:-1] + (1,), generator=generator, dtype=probs.dtype)
    cdf = probs.cumsum(-1)
    idx = (cdf < u).sum(-1)
    # rounding can leave the last cdf value just below u: take the last kept token then
    last_kept = probs.shape[-1] - 1 - (probs.flip(-1) > 0).to(torch.int64).argmax(-1)
    return torch.minimum(idx, last_kept)


def sample_next__gumbel_max(
    logits: Tensor,
    temperature: float = 1.0,
    top_k: int | None = None,
    top_p: float | None = None,
    generator: torch.Generator | None = None,
) -> Tensor:
    if temperature == 0:
        return logits.argmax(dim=-1)
    z = logits / temperature
    if top_k is not None and top_k < z.shape[-1]:
        z = z.masked_fill(z < z.topk(top_k, dim=-1).values[..., -1:], float("-inf"))
    probs = torch.softmax(z, dim=-1)
    if top_p is not None and top_p < 1.0:
        sorted_p, _ = probs.sort(-1, descending=True)
        before = sorted_p.cumsum(-1) - sorted_p
        thr = sorted_p.masked_fill(before >= top_p, float("inf")).amin(-1, keepdim=True)
        probs = probs.masked_fill(probs < thr, 0.0)
    u = torch.rand(probs.shape, generator=generator, dtype=torch.float64).clamp_min(1e-300)
    gumbel = -torch.log(-torch.log(u))
    return (probs.double().log() + gumbel).argmax(dim=-1)


# ---- causal_mask --------------------------------------------------------------------------------


def causal_mask__inverted(T: int) -> Tensor:
    return torch.ones(T, T, dtype=torch.bool).triu(1)


def causal_mask__strict(T: int) -> Tensor:
    return torch.ones(T, T, dtype=torch.bool).tril(-1)


def causal_mask__upper_triangle(T: int) -> Tensor:
    return torch.ones(T, T, dtype=torch.bool).triu()


def causal_mask__float(T: int) -> Tensor:
    return torch.tril(torch.ones(T, T))


def causal_mask__additive_minus_inf(T: int) -> Tensor:
    return torch.zeros(T, T).masked_fill(torch.ones(T, T, dtype=torch.bool).triu(1), float("-inf"))


def causal_mask__compare_aranges(T: int) -> Tensor:
    i = torch.arange(T)
    return i[None, :] <= i[:, None]


def causal_mask__loops(T: int) -> Tensor:
    mask = torch.zeros(T, T, dtype=torch.bool)
    for i in range(T):
        for j in range(i + 1):
            mask[i, j] = True
    return mask


# ---- multi_head_attention ---------------------------------------------------------------------


def multi_head_attention__view_without_transpose(
    x: Tensor,
    w_q: Tensor,
    w_k: Tensor,
    w_v: Tensor,
    w_o: Tensor,
    n_heads: int,
    mask: Tensor | None = None,
) -> Tensor:
    *lead, T, D = x.shape
    dh = D // n_heads
    q, k, v = ((x @ w.T).reshape(*lead, n_heads, T, dh) for w in (w_q, w_k, w_v))
    s = q @ k.transpose(-2, -1) / math.sqrt(dh)
    if mask is not None:
        s = s.masked_fill(~mask, float("-inf"))
    y = torch.softmax(s, dim=-1) @ v
    y = y.reshape(*lead, T, D)
    return y @ w_o.T


def multi_head_attention__merge_without_transpose(
    x: Tensor,
    w_q: Tensor,
    w_k: Tensor,
    w_v: Tensor,
    w_o: Tensor,
    n_heads: int,
    mask: Tensor | None = None,
) -> Tensor:
    *lead, T, D = x.shape
    dh = D // n_heads
    q, k, v = ((x @ w.T).reshape(*lead, T, n_heads, dh).transpose(-3, -2) for w in (w_q, w_k, w_v))
    s = q @ k.transpose(-2, -1) / math.sqrt(dh)
    if mask is not None:
        s = s.masked_fill(~mask, float("-inf"))
    y = torch.softmax(s, dim=-1) @ v
    y = y.reshape(*lead, T, D)
    return y @ w_o.T


def multi_head_attention__scale_by_d_model(
    x: Tensor,
    w_q: Tensor,
    w_k: Tensor,
    w_v: Tensor,
    w_o: Tensor,
    n_heads: int,
    mask: Tensor | None = None,
) -> Tensor:
    *lead, T, D = x.shape
    dh = D // n_heads
    q, k, v = ((x @ w.T).reshape(*lead, T, n_heads, dh).transpose(-3, -2) for w in (w_q, w_k, w_v))
    s = q @ k.transpose(-2, -1) / math.sqrt(D)
    if mask is not None:
        s = s.masked_fill(~mask, float("-inf"))
    y = torch.softmax(s, dim=-1) @ v
    y = y.transpose(-3, -2).reshape(*lead, T, D)
    return y @ w_o.T


def multi_head_attention__no_output_projection(
    x: Tensor,
    w_q: Tensor,
    w_k: Tensor,
    w_v: Tensor,
    w_o: Tensor,
    n_heads: int,
    mask: Tensor | None = None,
) -> Tensor:
    *lead, T, D = x.shape
    dh = D // n_heads
    q, k, v = ((x @ w.T).reshape(*lead, T, n_heads, dh).transpose(-3, -2) for w in (w_q, w_k, w_v))
    s = q @ k.transpose(-2, -1) / math.sqrt(dh)
    if mask is not None:
        s = s.masked_fill(~mask, float("-inf"))
    y = torch.softmax(s, dim=-1) @ v
    y = y.transpose(-3, -2).reshape(*lead, T, D)
    return y


def multi_head_attention__no_scale(
    x: Tensor,
    w_q: Tensor,
    w_k: Tensor,
    w_v: Tensor,
    w_o: Tensor,
    n_heads: int,
    mask: Tensor | None = None,
) -> Tensor:
    *lead, T, D = x.shape
    dh = D // n_heads
    q, k, v = ((x @ w.T).reshape(*lead, T, n_heads, dh).transpose(-3, -2) for w in (w_q, w_k, w_v))
    s = q @ k.transpose(-2, -1) / math.sqrt(1)
    if mask is not None:
        s = s.masked_fill(~mask, float("-inf"))
    y = torch.softmax(s, dim=-1) @ v
    y = y.transpose(-3, -2).reshape(*lead, T, D)
    return y @ w_o.T


def multi_head_attention__x_at_w(
    x: Tensor,
    w_q: Tensor,
    w_k: Tensor,
    w_v: Tensor,
    w_o: Tensor,
    n_heads: int,
    mask: Tensor | None = None,
) -> Tensor:
    *lead, T, D = x.shape
    dh = D // n_heads
    q, k, v = (
        (x @ w.T).reshape(*lead, T, n_heads, dh).transpose(-3, -2) for w in (w_q.T, w_k.T, w_v.T)
    )
    s = q @ k.transpose(-2, -1) / math.sqrt(dh)
    if mask is not None:
        s = s.masked_fill(~mask, float("-inf"))
    y = torch.softmax(s, dim=-1) @ v
    y = y.transpose(-3, -2).reshape(*lead, T, D)
    return y @ w_o


def multi_head_attention__mask_after_softmax(
    x: Tensor,
    w_q: Tensor,
    w_k: Tensor,
    w_v: Tensor,
    w_o: Tensor,
    n_heads: int,
    mask: Tensor | None = None,
) -> Tensor:
    *lead, T, D = x.shape
    dh = D // n_heads
    q, k, v = ((x @ w.T).reshape(*lead, T, n_heads, dh).transpose(-3, -2) for w in (w_q, w_k, w_v))
    s = q @ k.transpose(-2, -1) / math.sqrt(dh)
    a = torch.exp(s - s.amax(-1, keepdim=True))
    a = a / a.sum(-1, keepdim=True)
    if mask is not None:
        a = a * mask
    return (a @ v).transpose(-3, -2).reshape(*lead, T, D) @ w_o.T


def multi_head_attention__loop_over_heads(
    x: Tensor,
    w_q: Tensor,
    w_k: Tensor,
    w_v: Tensor,
    w_o: Tensor,
    n_heads: int,
    mask: Tensor | None = None,
) -> Tensor:
    D = x.shape[-1]
    dh = D // n_heads
    q, k, v = x @ w_q.T, x @ w_k.T, x @ w_v.T
    outs = []
    for h in range(n_heads):
        part = slice(h * dh, (h + 1) * dh)
        s = q[..., part] @ k[..., part].transpose(-2, -1) / math.sqrt(dh)
        if mask is not None:
            m = mask if mask.dim() < 3 else mask[..., 0, :, :]
            s = s.masked_fill(~m, float("-inf"))
        outs.append(torch.softmax(s, dim=-1) @ v[..., part])
    return torch.cat(outs, dim=-1) @ w_o.T


def multi_head_attention__einsum(
    x: Tensor,
    w_q: Tensor,
    w_k: Tensor,
    w_v: Tensor,
    w_o: Tensor,
    n_heads: int,
    mask: Tensor | None = None,
) -> Tensor:
    *lead, T, D = x.shape
    dh = D // n_heads
    q = torch.einsum("...td,ed->...te", x, w_q).unflatten(-1, (n_heads, dh))
    k = torch.einsum("...td,ed->...te", x, w_k).unflatten(-1, (n_heads, dh))
    v = torch.einsum("...td,ed->...te", x, w_v).unflatten(-1, (n_heads, dh))
    s = torch.einsum("...qhd,...khd->...hqk", q, k) * dh**-0.5
    if mask is not None:
        s = s.masked_fill(mask.logical_not(), float("-inf"))
    a = torch.softmax(s, dim=-1)
    y = torch.einsum("...hqk,...khd->...qhd", a, v).flatten(-2)
    return torch.einsum("...te,de->...td", y, w_o)


# ---- layer_norm -----------------------------------------------------------------------------------


def layer_norm__unbiased_variance(
    x: Tensor, weight: Tensor, bias: Tensor, eps: float = 1e-5
) -> Tensor:
    mean = x.mean(-1, keepdim=True)
    return (x - mean) / torch.sqrt(x.var(-1, keepdim=True) + eps) * weight + bias


def layer_norm__eps_outside_sqrt(
    x: Tensor, weight: Tensor, bias: Tensor, eps: float = 1e-5
) -> Tensor:
    mean = x.mean(-1, keepdim=True)
    std = x.std(-1, keepdim=True, unbiased=False)
    return (x - mean) / (std + eps) * weight + bias


def layer_norm__no_affine(x: Tensor, weight: Tensor, bias: Tensor, eps: float = 1e-5) -> Tensor:
    mean = x.mean(-1, keepdim=True)
    var = ((x - mean) ** 2).mean(-1, keepdim=True)
    return (x - mean) / torch.sqrt(var + eps)


def layer_norm__var_from_moments(
    x: Tensor, weight: Tensor, bias: Tensor, eps: float = 1e-5
) -> Tensor:
    mean = x.mean(-1, keepdim=True)
    var = (x**2).mean(-1, keepdim=True) - mean**2
    return (x - mean) / torch.sqrt(var + eps) * weight + bias


def layer_norm__wrong_dim(x: Tensor, weight: Tensor, bias: Tensor, eps: float = 1e-5) -> Tensor:
    mean = x.mean(0, keepdim=True)
    var = ((x - mean) ** 2).mean(0, keepdim=True)
    return (x - mean) / torch.sqrt(var + eps) * weight + bias


def layer_norm__var_mean(x: Tensor, weight: Tensor, bias: Tensor, eps: float = 1e-5) -> Tensor:
    var, mean = torch.var_mean(x, dim=-1, keepdim=True, correction=0)
    return (x - mean) * torch.rsqrt(var + eps) * weight + bias


def layer_norm__centred_first(x: Tensor, weight: Tensor, bias: Tensor, eps: float = 1e-5) -> Tensor:
    centred = x - x.sum(-1, keepdim=True) / x.shape[-1]
    var = (centred * centred).sum(-1, keepdim=True) / x.shape[-1]
    return weight * centred / (var + eps) ** 0.5 + bias


# ---- count_parameters ---------------------------------------------------------------------------


def count_parameters__tied_counted_twice(config: dict) -> int:
    V, D, L, r = config["vocab_size"], config["d_model"], config["n_layers"], config["mlp_ratio"]
    b = config.get("bias", False)
    per_layer = 4 * D + 4 * D * D + 2 * r * D * D + ((4 * D + r * D + D) if b else 0)
    return 2 * V * D + config["block_size"] * D + L * per_layer + 2 * D


def count_parameters__no_position_embedding(config: dict) -> int:
    V, D, L, r = config["vocab_size"], config["d_model"], config["n_layers"], config["mlp_ratio"]
    b = config.get("bias", False)
    per_layer = 4 * D + 4 * D * D + 2 * r * D * D + ((4 * D + r * D + D) if b else 0)
    head = 0 if config.get("tie_embeddings", True) else V * D
    return V * D + L * per_layer + 2 * D + head


def count_parameters__no_layernorm(config: dict) -> int:
    V, D, L, r = config["vocab_size"], config["d_model"], config["n_layers"], config["mlp_ratio"]
    b = config.get("bias", False)
    per_layer = 4 * D * D + 2 * r * D * D + ((4 * D + r * D + D) if b else 0)
    head = 0 if config.get("tie_embeddings", True) else V * D
    return V * D + config["block_size"] * D + L * per_layer + head


def count_parameters__mlp_one_matrix(config: dict) -> int:
    V, D, L, r = config["vocab_size"], config["d_model"], config["n_layers"], config["mlp_ratio"]
    b = config.get("bias", False)
    per_layer = 4 * D + 4 * D * D + r * D * D + ((4 * D + r * D + D) if b else 0)
    head = 0 if config.get("tie_embeddings", True) else V * D
    return V * D + config["block_size"] * D + L * per_layer + 2 * D + head


def count_parameters__attention_three_matrices(config: dict) -> int:
    V, D, L, r = config["vocab_size"], config["d_model"], config["n_layers"], config["mlp_ratio"]
    b = config.get("bias", False)
    per_layer = 4 * D + 3 * D * D + 2 * r * D * D + ((3 * D + r * D + D) if b else 0)
    head = 0 if config.get("tie_embeddings", True) else V * D
    return V * D + config["block_size"] * D + L * per_layer + 2 * D + head


def count_parameters__per_head_matrices(config: dict) -> int:
    V, D, L, r = config["vocab_size"], config["d_model"], config["n_layers"], config["mlp_ratio"]
    H = config["n_heads"]
    b = config.get("bias", False)
    per_layer = 4 * D + 4 * D * D * H + 2 * r * D * D + ((4 * D + r * D + D) if b else 0)
    head = 0 if config.get("tie_embeddings", True) else V * D
    return V * D + config["block_size"] * D + L * per_layer + 2 * D + head


def count_parameters__ignores_bias(config: dict) -> int:
    V, D, L, r = config["vocab_size"], config["d_model"], config["n_layers"], config["mlp_ratio"]
    head = 0 if config.get("tie_embeddings", True) else V * D
    return V * D + config["block_size"] * D + L * (4 * D + 4 * D * D + 2 * r * D * D) + 2 * D + head


def count_parameters__ignores_untied(config: dict) -> int:
    V, D, L, r = config["vocab_size"], config["d_model"], config["n_layers"], config["mlp_ratio"]
    b = config.get("bias", False)
    per_layer = 4 * D + 4 * D * D + 2 * r * D * D + ((4 * D + r * D + D) if b else 0)
    return V * D + config["block_size"] * D + L * per_layer + 2 * D


def count_parameters__by_component(config: dict) -> int:
    D, hidden = config["d_model"], config["mlp_ratio"] * config["d_model"]
    bias = bool(config.get("bias", False))

    def linear(n_in: int, n_out: int) -> int:
        return n_in * n_out + (n_out if bias else 0)

    layer_norm = 2 * D
    attention = 4 * linear(D, D)
    mlp = linear(D, hidden) + linear(hidden, D)
    layers = config["n_layers"] * (layer_norm + attention + layer_norm + mlp)
    embeddings = (config["vocab_size"] + config["block_size"]) * D
    output = 0 if config.get("tie_embeddings", True) else config["vocab_size"] * D
    return embeddings + layers + layer_norm + output


def count_parameters__shapes_list(config: dict) -> int:
    V, T, D = config["vocab_size"], config["block_size"], config["d_model"]
    Hd = config["mlp_ratio"] * D
    shapes = [(V, D), (T, D), (D,), (D,)]  # embeddings, final LayerNorm
    for _ in range(config["n_layers"]):
        shapes += [(D,), (D,), (D, D), (D, D), (D, D), (D, D), (D,), (D,), (Hd, D), (D, Hd)]
        if config.get("bias", False):
            shapes += [(D,)] * 4 + [(Hd,), (D,)]
    if not config.get("tie_embeddings", True):
        shapes.append((V, D))
    return sum(math.prod(s) for s in shapes)


# ---- param_bytes --------------------------------------------------------------------------------


def param_bytes__bits_not_bytes(n_params: int, dtype: str) -> int:
    return (
        n_params
        * {"float64": 64, "float32": 32, "bfloat16": 16, "float16": 16, "int8": 8, "int4": 4}[dtype]
    )


def param_bytes__bfloat16_as_4(n_params: int, dtype: str) -> int:
    size = {"float64": 8, "float32": 4, "bfloat16": 4, "float16": 2, "int8": 1}
    return (n_params + 1) // 2 if dtype == "int4" else n_params * size[dtype]


def param_bytes__int4_whole_byte(n_params: int, dtype: str) -> int:
    return (
        n_params
        * {"float64": 8, "float32": 4, "bfloat16": 2, "float16": 2, "int8": 1, "int4": 1}[dtype]
    )


def param_bytes__int4_floor(n_params: int, dtype: str) -> int:
    size = {"float64": 8, "float32": 4, "bfloat16": 2, "float16": 2, "int8": 1, "int4": 0.5}
    return int(n_params * size[dtype])


def param_bytes__megabytes(n_params: int, dtype: str) -> int:
    size = {"float64": 8, "float32": 4, "bfloat16": 2, "float16": 2, "int8": 1, "int4": 0.5}
    return math.ceil(n_params * size[dtype] / 1e6)


def param_bytes__bits_ceil(n_params: int, dtype: str) -> int:
    bits = {"float64": 64, "float32": 32, "bfloat16": 16, "float16": 16, "int8": 8, "int4": 4}[
        dtype
    ]
    return (n_params * bits + 7) // 8


def param_bytes__element_size(n_params: int, dtype: str) -> int:
    if dtype == "int4":
        return math.ceil(n_params / 2)
    return n_params * torch.empty(0, dtype=getattr(torch, dtype)).element_size()


# ---- text_logprob ---------------------------------------------------------------------------------


def text_logprob__no_shift(logits: Tensor, ids: Tensor) -> Tensor:
    return torch.log_softmax(logits, dim=-1).gather(-1, ids[..., None]).squeeze(-1).sum(-1)


def text_logprob__mean_not_sum(logits: Tensor, ids: Tensor) -> Tensor:
    logp = torch.log_softmax(logits[:, :-1], dim=-1)
    return logp.gather(-1, ids[:, 1:, None]).squeeze(-1).mean(-1)


def text_logprob__raw_logits(logits: Tensor, ids: Tensor) -> Tensor:
    return logits[:, :-1].gather(-1, ids[:, 1:, None]).squeeze(-1).sum(-1)


def text_logprob__product_of_probs(logits: Tensor, ids: Tensor) -> Tensor:
    z = logits[:, :-1]
    p = torch.exp(z - z.amax(-1, keepdim=True))
    p = p / p.sum(-1, keepdim=True)
    return torch.log(p.gather(-1, ids[:, 1:, None]).squeeze(-1).prod(-1))


def text_logprob__log_of_softmax(logits: Tensor, ids: Tensor) -> Tensor:
    z = logits[:, :-1]
    p = torch.exp(z - z.amax(-1, keepdim=True))
    p = p / p.sum(-1, keepdim=True)
    return torch.log(p).gather(-1, ids[:, 1:, None]).squeeze(-1).sum(-1)


def text_logprob__includes_last_position(logits: Tensor, ids: Tensor) -> Tensor:
    logp = torch.log_softmax(logits, dim=-1)
    targets = torch.cat([ids[:, 1:], ids[:, :1]], dim=1)
    return logp.gather(-1, targets[..., None]).squeeze(-1).sum(-1)


def text_logprob__cross_entropy(logits: Tensor, ids: Tensor) -> Tensor:
    nll = F.cross_entropy(logits[:, :-1].transpose(1, 2), ids[:, 1:], reduction="none")
    return -nll.sum(dim=-1)


def text_logprob__logsumexp_loop(logits: Tensor, ids: Tensor) -> Tensor:
    total = torch.zeros(logits.shape[0], dtype=logits.dtype)
    for t in range(ids.shape[1] - 1):
        z = logits[:, t]
        chosen = z.gather(-1, ids[:, t + 1 : t + 2]).squeeze(-1)
        total = total + chosen - torch.logsumexp(z, dim=-1)
    return total


# ---- TransformerBlock (whole classes: the solution cell is a class) -------------------------------
# Each block mutant is the same class with one piece swapped, generated from one template so the
# pieces stay readable side by side; `__mutant_source__` is what gets pasted into a notebook.

BLOCK_TEMPLATE = """
class TransformerBlock__{name}(torch.nn.Module):
    def __init__(self, d_model: int, n_heads: int, mlp_ratio: int = 4, eps: float = 1e-5):
        super().__init__()
        self.n_heads, self.eps = n_heads, eps
        self.ln1, self.ln2 = torch.nn.Module(), torch.nn.Module()
        for ln in (self.ln1, self.ln2):
            ln.weight = torch.nn.Parameter(torch.ones(d_model))
            ln.bias = torch.nn.Parameter(torch.zeros(d_model))
        self.attn = torch.nn.Module()
        for name in ("q_proj", "k_proj", "v_proj", "out_proj"):
            self.attn.add_module(name, torch.nn.Linear(d_model, d_model, bias=False))
        self.mlp = torch.nn.Module()
        self.mlp.fc = torch.nn.Linear(d_model, mlp_ratio * d_model, bias=False)
        self.mlp.proj = torch.nn.Linear(mlp_ratio * d_model, d_model, bias=False)

    def _ln(self, x, p):
        mean = x.mean(-1, keepdim=True)
        {var}
        return (x - mean) / {denominator} * p.weight + p.bias

    def _attn(self, x):
        *lead, T, D = x.shape
        H, dh = self.n_heads, D // self.n_heads
        a = self.attn
        q, k, v = (p(x).reshape(*lead, T, H, dh).transpose(-3, -2) for p in (a.q_proj, a.k_proj, a.v_proj))
        s = q @ k.transpose(-2, -1) / math.sqrt(dh)
        {mask}
        e = torch.exp(s - s.amax(-1, keepdim=True))
        y = (e / e.sum(-1, keepdim=True)) @ v
        return a.out_proj(y.transpose(-3, -2).reshape(*lead, T, D))

    def forward(self, x: Tensor) -> Tensor:
        {forward}
"""
BLOCK_PARTS = {
    "var": "var = ((x - mean) ** 2).mean(-1, keepdim=True)",
    "denominator": "torch.sqrt(var + self.eps)",
    "mask": 's = s.masked_fill(~torch.ones(T, T, dtype=torch.bool).tril(), float("-inf"))',
    "forward": "x = x + self._attn(self._ln(x, self.ln1))\n"
    "        return x + self.mlp.proj(F.gelu(self.mlp.fc(self._ln(x, self.ln2))))",
}


def _block_mutant(name: str, **parts: str) -> type:
    code = BLOCK_TEMPLATE.format(name=name, **{**BLOCK_PARTS, **parts}).strip() + "\n"
    namespace = {"torch": torch, "math": math, "F": F, "Tensor": Tensor}
    exec(compile(code, f"<mutant TransformerBlock__{name}>", "exec"), namespace)
    cls = namespace[f"TransformerBlock__{name}"]
    cls.__mutant_source__ = code
    cls.__module__ = __name__
    return cls


TransformerBlock__post_norm = _block_mutant(
    "post_norm",
    forward="x = self._ln(x + self._attn(x), self.ln1)\n"
    "        return self._ln(x + self.mlp.proj(F.gelu(self.mlp.fc(x))), self.ln2)",
)
TransformerBlock__no_residual = _block_mutant(
    "no_residual",
    forward="x = self._attn(self._ln(x, self.ln1))\n"
    "        return self.mlp.proj(F.gelu(self.mlp.fc(self._ln(x, self.ln2))))",
)
TransformerBlock__no_causal_mask = _block_mutant("no_causal_mask", mask="pass")
TransformerBlock__relu = _block_mutant(
    "relu",
    forward="x = x + self._attn(self._ln(x, self.ln1))\n"
    "        return x + self.mlp.proj(torch.relu(self.mlp.fc(self._ln(x, self.ln2))))",
)
TransformerBlock__eps_outside_sqrt = _block_mutant(
    "eps_outside_sqrt", denominator="(torch.sqrt(var) + self.eps)"
)
TransformerBlock__unbiased_variance = _block_mutant(
    "unbiased_variance", var="var = x.var(-1, keepdim=True)"
)
TransformerBlock__tanh_gelu = _block_mutant(
    "tanh_gelu",
    forward="x = x + self._attn(self._ln(x, self.ln1))\n"
    "        return x + self.mlp.proj(F.gelu(self.mlp.fc(self._ln(x, self.ln2)), approximate='tanh'))",
)
TransformerBlock__hard_coded_eps = _block_mutant(
    "hard_coded_eps", denominator="torch.sqrt(var + 1e-5)"
)
TransformerBlock__mask_diagonal_only_missing = _block_mutant(
    "mask_diagonal_only_missing",
    mask="s = s.masked_fill(~torch.ones(T, T, dtype=torch.bool).tril(-1), -1e9)",
)
TransformerBlock__erf_gelu_rsqrt = _block_mutant(
    "erf_gelu_rsqrt",
    denominator="(var + self.eps) ** 0.5",
    forward="x = x + self._attn(self._ln(x, self.ln1))\n"
    "        h = self.mlp.fc(self._ln(x, self.ln2))\n"
    "        return x + self.mlp.proj(0.5 * h * (1 + torch.erf(h / math.sqrt(2))))",
)
TransformerBlock__where_mask_var_mean = _block_mutant(
    "where_mask_var_mean",
    var="var = torch.var_mean(x, dim=-1, keepdim=True, correction=0)[0]",
    mask="s = torch.where(torch.arange(T)[None, :] <= torch.arange(T)[:, None], s, "
    "torch.full_like(s, float('-inf')))",
)


W, C = False, True  # wrong, correct
MUTANTS = (
    # softmax
    Mutant(
        "softmax", softmax__no_max_subtraction, W, "no_max_subtraction", "exp(x) overflows at 1e4"
    ),
    Mutant("softmax", softmax__global_max, W, "global_max", "one max for the whole tensor"),
    Mutant("softmax", softmax__last_dim_only, W, "ignores_dim", "always normalises the last dim"),
    Mutant(
        "softmax", softmax__whole_tensor_sum, W, "whole_tensor", "denominator sums every element"
    ),
    Mutant("softmax", softmax__float32_compute, W, "float32", "computes float64 inputs in float32"),
    Mutant("softmax", softmax__log_softmax_returned, W, "", "returns log-probabilities"),
    Mutant("softmax", softmax__builtin, W, "", "calls the forbidden torch.softmax"),
    Mutant(
        "softmax",
        softmax__logsumexp,
        W,
        "",
        "exp(x - logsumexp(x)) loses ~1e-4 at |x| = 1e4 in float32",
    ),
    Mutant("softmax", softmax__reciprocal_multiply, C, "", "max(...).values and a reciprocal"),
    Mutant("softmax", softmax__moved_dim_loop, C, "", "moves dim last, normalises, moves it back"),
    # next_token_probs
    Mutant(
        "next_token_probs",
        next_token_probs__temperature_after_softmax,
        W,
        "temperature_after_softmax",
        "divides probabilities by T",
    ),
    Mutant(
        "next_token_probs",
        next_token_probs__drops_crossing_token,
        W,
        "top_p_drops_crossing_token",
        "keeps cumsum <= top_p only",
    ),
    Mutant(
        "next_token_probs",
        next_token_probs__no_renormalise,
        W,
        "not_renormalised",
        "zeroes filtered tokens without renormalising",
    ),
    Mutant(
        "next_token_probs",
        next_token_probs__top_p_before_temperature,
        W,
        "top_p_before_temperature",
        "chooses the nucleus before applying T",
    ),
    Mutant(
        "next_token_probs",
        next_token_probs__multiplies_temperature,
        W,
        "multiplied_by_temperature",
        "logits * T",
    ),
    Mutant(
        "next_token_probs",
        next_token_probs__divide_by_zero_at_T0,
        W,
        "",
        "T = 0 handled by dividing by a tiny number",
    ),
    Mutant(
        "next_token_probs",
        next_token_probs__top_k_index_ties,
        W,
        "top_k_breaks_ties",
        "top-k keeps exactly k indices on ties",
    ),
    Mutant(
        "next_token_probs",
        next_token_probs__loop_over_sorted,
        C,
        "",
        "python loop over sorted values",
    ),
    Mutant(
        "next_token_probs",
        next_token_probs__masked_logits,
        C,
        "",
        "masks logits with -inf, one softmax",
    ),
    # sample_next
    Mutant("sample_next", sample_next__global_rng, W, "", "ignores the generator (global RNG)"),
    Mutant("sample_next", sample_next__fixed_seed_inside, W, "", "seeds its own generator with 0"),
    Mutant(
        "sample_next",
        sample_next__drops_crossing_token,
        W,
        "top_p_drops_crossing_token",
        "top-p drops the crossing token",
    ),
    Mutant(
        "sample_next",
        sample_next__temperature_after_softmax,
        W,
        "temperature_after_softmax",
        "divides probabilities by T",
    ),
    Mutant("sample_next", sample_next__keepdim_shape, W, "", "returns shape (..., 1)"),
    Mutant("sample_next", sample_next__top_k_off_by_one, W, "", "keeps k + 1 tokens"),
    Mutant(
        "sample_next",
        sample_next__tiny_temperature_for_greedy,
        W,
        "",
        "samples at T = 1e-6 instead of argmax",
    ),
    Mutant(
        "sample_next", sample_next__inverse_cdf, C, "", "inverse CDF with torch.rand(generator=...)"
    ),
    Mutant("sample_next", sample_next__gumbel_max, C, "", "Gumbel-max trick with the generator"),
    # causal_mask
    Mutant("causal_mask", causal_mask__inverted, W, "inverted", "True where j > i"),
    Mutant("causal_mask", causal_mask__strict, W, "strict", "diagonal excluded"),
    Mutant("causal_mask", causal_mask__upper_triangle, W, "transposed", "upper triangle"),
    Mutant("causal_mask", causal_mask__float, W, "not_bool", "float 0/1 mask"),
    Mutant("causal_mask", causal_mask__additive_minus_inf, W, "", "additive -inf mask"),
    Mutant("causal_mask", causal_mask__compare_aranges, C, "", "compares two aranges"),
    Mutant("causal_mask", causal_mask__loops, C, "", "nested loops"),
    # multi_head_attention
    Mutant(
        "multi_head_attention",
        multi_head_attention__view_without_transpose,
        W,
        "view_without_transpose",
        "reshapes straight to (..., H, T, dh)",
    ),
    Mutant(
        "multi_head_attention",
        multi_head_attention__merge_without_transpose,
        W,
        "merge_without_transpose",
        "merges heads without transposing back",
    ),
    Mutant(
        "multi_head_attention",
        multi_head_attention__scale_by_d_model,
        W,
        "scale_by_d_model",
        "scales by sqrt(D)",
    ),
    Mutant(
        "multi_head_attention",
        multi_head_attention__no_output_projection,
        W,
        "no_output_projection",
        "skips w_o",
    ),
    Mutant("multi_head_attention", multi_head_attention__no_scale, W, "no_scale", "no 1/sqrt(dh)"),
    Mutant(
        "multi_head_attention",
        multi_head_attention__x_at_w,
        W,
        "weights_not_transposed",
        "x @ W, not x @ W.T",
    ),
    Mutant(
        "multi_head_attention",
        multi_head_attention__mask_after_softmax,
        W,
        "",
        "multiplies weights by mask",
    ),
    Mutant(
        "multi_head_attention",
        multi_head_attention__loop_over_heads,
        C,
        "",
        "loop over head slices",
    ),
    Mutant("multi_head_attention", multi_head_attention__einsum, C, "", "einsum throughout"),
    # layer_norm
    Mutant(
        "layer_norm",
        layer_norm__unbiased_variance,
        W,
        "unbiased_variance",
        "torch.var default (n - 1)",
    ),
    Mutant("layer_norm", layer_norm__eps_outside_sqrt, W, "eps_outside_sqrt", "std + eps"),
    Mutant("layer_norm", layer_norm__no_affine, W, "no_affine", "ignores weight and bias"),
    Mutant("layer_norm", layer_norm__var_from_moments, W, "var_from_moments", "E[x^2] - E[x]^2"),
    Mutant("layer_norm", layer_norm__wrong_dim, W, "", "normalises over dim 0"),
    Mutant("layer_norm", layer_norm__var_mean, C, "", "torch.var_mean(correction=0) and rsqrt"),
    Mutant("layer_norm", layer_norm__centred_first, C, "", "sums by hand, ** 0.5"),
    # TransformerBlock
    Mutant("TransformerBlock", TransformerBlock__post_norm, W, "post_norm", "post-norm"),
    Mutant(
        "TransformerBlock",
        TransformerBlock__no_residual,
        W,
        "no_residual",
        "no residual connections",
    ),
    Mutant(
        "TransformerBlock",
        TransformerBlock__no_causal_mask,
        W,
        "no_causal_mask",
        "attention without mask",
    ),
    Mutant("TransformerBlock", TransformerBlock__relu, W, "relu", "ReLU instead of GELU"),
    Mutant(
        "TransformerBlock",
        TransformerBlock__eps_outside_sqrt,
        W,
        "eps_outside_sqrt",
        "sqrt(var) + eps",
    ),
    Mutant(
        "TransformerBlock",
        TransformerBlock__unbiased_variance,
        W,
        "unbiased_variance",
        "var with n - 1",
    ),
    Mutant("TransformerBlock", TransformerBlock__tanh_gelu, W, "", "tanh-approximated GELU"),
    Mutant("TransformerBlock", TransformerBlock__hard_coded_eps, W, "", "eps fixed at 1e-5"),
    Mutant(
        "TransformerBlock",
        TransformerBlock__mask_diagonal_only_missing,
        W,
        "",
        "mask hides the diagonal",
    ),
    Mutant(
        "TransformerBlock", TransformerBlock__erf_gelu_rsqrt, C, "", "GELU written with erf, ** 0.5"
    ),
    Mutant(
        "TransformerBlock",
        TransformerBlock__where_mask_var_mean,
        C,
        "",
        "torch.where mask, var_mean",
    ),
    # count_parameters
    Mutant(
        "count_parameters",
        count_parameters__tied_counted_twice,
        W,
        "tied_counted_twice",
        "V*D twice",
    ),
    Mutant(
        "count_parameters",
        count_parameters__no_position_embedding,
        W,
        "no_position_embedding",
        "forgets block_size*D",
    ),
    Mutant(
        "count_parameters",
        count_parameters__no_layernorm,
        W,
        "no_layernorm",
        "forgets LayerNorm params",
    ),
    Mutant(
        "count_parameters", count_parameters__mlp_one_matrix, W, "mlp_one_matrix", "MLP as r*D^2"
    ),
    Mutant(
        "count_parameters",
        count_parameters__attention_three_matrices,
        W,
        "attention_three_matrices",
        "forgets W_O",
    ),
    Mutant(
        "count_parameters",
        count_parameters__per_head_matrices,
        W,
        "per_head_matrices",
        "multiplies attention by n_heads",
    ),
    Mutant(
        "count_parameters", count_parameters__ignores_bias, W, "ignores_bias", "ignores bias=True"
    ),
    Mutant(
        "count_parameters",
        count_parameters__ignores_untied,
        W,
        "",
        "never adds the untied output layer",
    ),
    Mutant(
        "count_parameters", count_parameters__by_component, C, "", "a linear() helper per component"
    ),
    Mutant("count_parameters", count_parameters__shapes_list, C, "", "lists every tensor shape"),
    # param_bytes
    Mutant("param_bytes", param_bytes__bits_not_bytes, W, "bits_not_bytes", "returns bits"),
    Mutant("param_bytes", param_bytes__bfloat16_as_4, W, "bfloat16_as_4", "bfloat16 as 4 bytes"),
    Mutant("param_bytes", param_bytes__int4_whole_byte, W, "int4_whole_byte", "int4 as 1 byte"),
    Mutant("param_bytes", param_bytes__int4_floor, W, "int4_floor", "int4 rounded down"),
    Mutant("param_bytes", param_bytes__megabytes, W, "", "returns megabytes"),
    Mutant("param_bytes", param_bytes__bits_ceil, C, "", "bits, then ceil-divide by 8"),
    Mutant("param_bytes", param_bytes__element_size, C, "", "torch element_size"),
    # text_logprob
    Mutant(
        "text_logprob", text_logprob__no_shift, W, "no_shift", "scores ids[:, t] with logits[:, t]"
    ),
    Mutant("text_logprob", text_logprob__mean_not_sum, W, "mean_not_sum", "mean over tokens"),
    Mutant("text_logprob", text_logprob__raw_logits, W, "raw_logits", "sums raw logits"),
    Mutant(
        "text_logprob", text_logprob__product_of_probs, W, "product_of_probs", "log of a product"
    ),
    Mutant("text_logprob", text_logprob__log_of_softmax, W, "log_of_softmax", "log(softmax(x))"),
    Mutant(
        "text_logprob",
        text_logprob__includes_last_position,
        W,
        "",
        "wraps the last position around",
    ),
    Mutant(
        "text_logprob", text_logprob__cross_entropy, C, "", "-F.cross_entropy(reduction='none').sum"
    ),
    Mutant("text_logprob", text_logprob__logsumexp_loop, C, "", "loop over t with logsumexp"),
)
