"""References for L0 LLM 模型本质 (what an LLM is).

Written for clarity, not speed. Shapes and conventions follow the exercise texts in
source/l4_llm_essence/L0-llm-model-essence.ipynb:

* softmax along `dim`, max-subtracted (exact for |x| up to 1e4 in float32);
* next-token filtering in the order temperature -> top-k -> top-p (as Hugging Face
  `generate` applies its logits warpers); ties at the top-k / top-p boundary are all kept;
  top-p keeps the token whose probability crosses the threshold; temperature 0 is greedy
  (a one-hot on the first maximal logit);
* causal masks are bool, True where query i may attend to key j (j <= i);
* linear weights are stored like nn.Linear, (out, in): y = x @ W.T;
* the Transformer block is TinyGPT's pre-norm block (course/tinygpt.py), written out.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F  # noqa: N812
from torch import Tensor, nn

OptionalInt = int | None
OptionalFloat = float | None
OptionalGenerator = torch.Generator | None

# ---- L0-1 P(next | context) -------------------------------------------------------------


def softmax(x: Tensor, dim: int = -1) -> Tensor:
    """exp(x - max) / sum exp(x - max) along `dim`; same shape and dtype as x."""
    shifted = x - x.amax(dim=dim, keepdim=True)
    e = torch.exp(shifted)
    return e / e.sum(dim=dim, keepdim=True)


def next_token_probs(
    logits: Tensor,
    temperature: float = 1.0,
    top_k: OptionalInt = None,
    top_p: OptionalFloat = None,
) -> Tensor:
    """logits (..., V) -> the sampling distribution (..., V), same dtype; rows sum to 1.

    temperature 0: one-hot on the first maximal logit (greedy). Otherwise
    p = softmax(logits / T); top-k keeps the k largest (all ties with the k-th value);
    top-p keeps, in order of decreasing probability, every token whose better tokens hold
    less than top_p of the mass (so the token crossing top_p is kept; a token tied with a
    kept one is kept too); the kept probabilities are renormalised.
    """
    if temperature == 0:
        greedy = logits.argmax(dim=-1, keepdim=True)
        return torch.zeros_like(logits).scatter(-1, greedy, 1.0)
    scaled = logits / temperature
    keep = torch.ones_like(scaled, dtype=torch.bool)
    if top_k is not None and top_k < scaled.shape[-1]:
        kth = scaled.topk(top_k, dim=-1).values[..., -1:]  # (..., 1)
        keep &= scaled >= kth
    probs = softmax(scaled.masked_fill(~keep, float("-inf")), dim=-1)
    if top_p is not None and top_p < 1.0:
        sorted_p, _ = probs.sort(dim=-1, descending=True)
        before = sorted_p.cumsum(dim=-1) - sorted_p  # mass of the strictly better tokens
        kept_sorted = before < top_p
        # the smallest kept probability; every token at least this likely is kept (ties)
        threshold = sorted_p.masked_fill(~kept_sorted, float("inf")).amin(dim=-1, keepdim=True)
        keep &= probs >= threshold
        probs = probs.masked_fill(~keep, 0.0)
        probs = probs / probs.sum(dim=-1, keepdim=True)
    return probs


def sample_next(
    logits: Tensor,
    temperature: float = 1.0,
    top_k: OptionalInt = None,
    top_p: OptionalFloat = None,
    generator: OptionalGenerator = None,
) -> Tensor:
    """logits (..., V) -> int64 token ids (...): greedy at temperature 0, else one sample
    per row from next_token_probs, drawn with `generator` (reproducible when seeded)."""
    if temperature == 0:
        return logits.argmax(-1)  # greedy
    probs = next_token_probs(logits, temperature, top_k, top_p)
    flat = probs.reshape(-1, probs.shape[-1]).to(torch.float64)
    ids = torch.multinomial(flat, 1, generator=generator).squeeze(-1)
    return ids.reshape(probs.shape[:-1])


# ---- L0-2 Transformer -------------------------------------------------------------------


def causal_mask(T: int) -> Tensor:
    """(T, T) bool, True where j <= i (query i may attend to key j)."""
    return torch.ones(T, T, dtype=torch.bool).tril()


def multi_head_attention(
    x: Tensor,
    w_q: Tensor,
    w_k: Tensor,
    w_v: Tensor,
    w_o: Tensor,
    n_heads: int,
    mask: Tensor | None = None,
) -> Tensor:
    """x (..., T, D), weights (D, D) as nn.Linear stores them -> (..., T, D).

    Heads split the projected (..., T, D) into (..., H, T, D/H), attend with scores scaled
    by 1/sqrt(D/H), are merged back to (..., T, D), and go through the output projection.
    mask: bool broadcastable to (..., H, T, T), True = may attend.
    """
    *lead, T, D = x.shape
    dh = D // n_heads

    def split(t: Tensor) -> Tensor:  # (..., T, D) -> (..., H, T, dh)
        return t.reshape(*lead, T, n_heads, dh).transpose(-3, -2)

    q, k, v = split(x @ w_q.T), split(x @ w_k.T), split(x @ w_v.T)
    scores = q @ k.transpose(-2, -1) / math.sqrt(dh)  # (..., H, T, T)
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    y = softmax(scores, dim=-1) @ v  # (..., H, T, dh)
    y = y.transpose(-3, -2).reshape(*lead, T, D)
    return y @ w_o.T


def layer_norm(x: Tensor, weight: Tensor, bias: Tensor, eps: float = 1e-5) -> Tensor:
    """(x - mean) / sqrt(var + eps) * weight + bias over the last dim (biased variance)."""
    mean = x.mean(dim=-1, keepdim=True)
    var = ((x - mean) ** 2).mean(dim=-1, keepdim=True)
    return (x - mean) / torch.sqrt(var + eps) * weight + bias


class TransformerBlock(torch.nn.Module):
    """TinyGPT's pre-norm block written out: (B, T, D) -> (B, T, D), causal.

    x = x + MHA(LN1(x)); x = x + proj(GELU(fc(LN2(x)))). Parameter names and shapes are those
    of course.tinygpt.Block (ln1.weight, ln1.bias, attn.{q,k,v,out}_proj.weight, ln2.weight,
    ln2.bias, mlp.fc.weight, mlp.proj.weight), so a Block's state_dict loads into it; the tests
    check that it reproduces Block's outputs.
    """

    def __init__(self, d_model: int, n_heads: int, mlp_ratio: int = 4, eps: float = 1e-5):
        super().__init__()
        self.n_heads, self.eps = n_heads, eps
        self.ln1, self.ln2 = nn.Module(), nn.Module()
        for ln in (self.ln1, self.ln2):
            ln.weight = nn.Parameter(torch.ones(d_model))
            ln.bias = nn.Parameter(torch.zeros(d_model))
        self.attn = nn.Module()
        for name in ("q_proj", "k_proj", "v_proj", "out_proj"):
            setattr(self.attn, name, nn.Linear(d_model, d_model, bias=False))
        self.mlp = nn.Module()
        self.mlp.fc = nn.Linear(d_model, mlp_ratio * d_model, bias=False)
        self.mlp.proj = nn.Linear(mlp_ratio * d_model, d_model, bias=False)

    def forward(self, x: Tensor) -> Tensor:
        a = self.attn
        h = layer_norm(x, self.ln1.weight, self.ln1.bias, self.eps)
        x = x + multi_head_attention(
            h,
            a.q_proj.weight,
            a.k_proj.weight,
            a.v_proj.weight,
            a.out_proj.weight,
            self.n_heads,
            causal_mask(x.shape[-2]),
        )
        h = layer_norm(x, self.ln2.weight, self.ln2.bias, self.eps)
        return x + self.mlp.proj(F.gelu(self.mlp.fc(h)))


# ---- L0-3 parameters ----------------------------------------------------------------------


def count_parameters(config: dict) -> int:
    """Parameters of a GPT-2-style decoder (TinyGPT's layout) from a config dict.

    Keys: vocab_size V, block_size, d_model D, n_layers L, mlp_ratio r; optional bias
    (default False: biases in every Linear and LayerNorm) and tie_embeddings (default True:
    the output layer reuses the token embedding, counted once).
    """
    V, D = config["vocab_size"], config["d_model"]
    L, r = config["n_layers"], config["mlp_ratio"]
    bias = bool(config.get("bias", False))
    tied = bool(config.get("tie_embeddings", True))
    norm = 2 * D  # LayerNorm weight and bias (nn.LayerNorm has both)
    attn = 4 * D * D + (4 * D if bias else 0)
    mlp = 2 * r * D * D + ((r * D + D) if bias else 0)
    embeddings = V * D + config["block_size"] * D
    head = 0 if tied else V * D
    return embeddings + L * (2 * norm + attn + mlp) + norm + head


BYTES_PER_PARAM = {"float64": 8, "float32": 4, "bfloat16": 2, "float16": 2, "int8": 1, "int4": 0.5}


def param_bytes(n_params: int, dtype: str) -> int:
    """Bytes to store n_params parameters in `dtype` (int4 packs two per byte, rounded up)."""
    if dtype == "int4":
        return (n_params + 1) // 2
    return n_params * int(BYTES_PER_PARAM[dtype])


def text_logprob(logits: Tensor, ids: Tensor) -> Tensor:
    """logits (B, T, V) of a model run on ids (B, T) -> (B,): sum over t of
    log P(ids[:, t+1] | ids[:, :t+1]) = log_softmax(logits[:, t])[ids[:, t+1]], t < T-1."""
    logp = torch.log_softmax(logits[:, :-1], dim=-1)  # (B, T-1, V)
    return logp.gather(-1, ids[:, 1:, None]).squeeze(-1).sum(dim=-1)
