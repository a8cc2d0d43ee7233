"""References for L+1 预训练与微调 (pretraining, mid-training, SFT).

Written for clarity, not speed. Shapes and conventions follow the exercise texts in
source/l5_pretrain_finetune/Lp1-pretraining-and-finetuning.ipynb, and agree with the
spine's builders (autograder/spine: losses.next_token_loss, data.sft_example,
train.lr_at), which tests/test_references_pretrain_finetune.py proves.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F  # noqa: N812
from torch import Tensor

from course.tokenizer import EOS, CharTokenizer, chat_prompt

IGNORE_INDEX = -100


# ---- L+1-1 pretraining -------------------------------------------------------------------


def next_token_loss(logits: Tensor, labels: Tensor, ignore_index: int = IGNORE_INDEX) -> Tensor:
    """Mean next-token cross-entropy (fixed contract, design.md) -> scalar in logits' dtype.

    logits (B, T, V), labels (B, T) aligned with the inputs (Hugging Face convention):
    position t predicts labels[:, t + 1]; the mean runs over every target of the whole batch
    that is not `ignore_index`. F.cross_entropy subtracts the max (log-sum-exp), so logits of
    magnitude 1e4 stay finite. A batch with no counted target is undefined (NaN).
    """
    pred = logits[:, :-1, :]  # (B, T-1, V): positions that have a next token
    target = labels[:, 1:]  # (B, T-1): the token that comes next
    return F.cross_entropy(
        pred.reshape(-1, pred.shape[-1]), target.reshape(-1), ignore_index=ignore_index
    )


def perplexity(mean_nll: Tensor) -> Tensor:
    """exp(mean negative log-likelihood in nats), elementwise; keeps the input's dtype."""
    return torch.exp(mean_nll)


def pack_documents(
    docs: Sequence[Sequence[int]], seq_len: int, eos_id: int
) -> tuple[Tensor, Tensor]:
    """Documents of token ids -> (input_ids, labels), both (N, seq_len) int64.

    Each document is followed by eos_id; the stream is cut into consecutive chunks of
    seq_len; an incomplete last chunk is dropped (as Hugging Face's run_clm `group_texts`).
    labels equal input_ids (the loss does the shift); N may be 0.
    """
    stream: list[int] = []
    for doc in docs:
        stream.extend(int(t) for t in doc)
        stream.append(int(eos_id))
    n = len(stream) // seq_len
    ids = torch.tensor(stream[: n * seq_len], dtype=torch.long).reshape(n, seq_len)
    return ids, ids.clone()


def cosine_lr(
    step: int, max_lr: float, warmup_steps: int, total_steps: int, min_lr: float = 0.0
) -> float:
    """Learning rate at optimiser step `step` (0-based) -> float.

    Linear warmup: step s < warmup_steps gives max_lr·(s+1)/warmup_steps (so step 0 already
    trains and step warmup_steps-1 reaches max_lr). Then cosine decay from max_lr to min_lr
    over the remaining total_steps - warmup_steps steps; from step total_steps on, min_lr.
    Same convention as autograder/spine/train.lr_at (min_lr = min_lr_ratio·lr there).
    """
    if step < warmup_steps:
        return max_lr * (step + 1) / warmup_steps
    progress = min(1.0, (step - warmup_steps) / max(1, total_steps - warmup_steps))
    return min_lr + (max_lr - min_lr) * 0.5 * (1.0 + math.cos(math.pi * progress))


# ---- L+1-2 mid-training ------------------------------------------------------------------


def mix_domains(
    sizes: Sequence[int], weights: Sequence[float], n: int, generator: torch.Generator
) -> Tensor:
    """n training examples drawn from a mixture of domains -> (n, 2) int64 rows (domain, index).

    Each row picks domain d with probability weights[d] / sum(weights) (a weight of 0 is never
    picked), then an example index uniformly in [0, sizes[d]), both with replacement, using
    `generator`. Replay = giving the general-data domain a non-zero weight.
    """
    w = torch.tensor(weights, dtype=torch.float64)
    domains = torch.multinomial(w / w.sum(), n, replacement=True, generator=generator)
    size = torch.tensor(sizes, dtype=torch.float64)[domains]
    index = (torch.rand(n, generator=generator, dtype=torch.float64) * size).long()
    return torch.stack([domains, index], dim=1)


def mixture_stats(sizes: Sequence[int], weights: Sequence[float], n: int, generator=None) -> Tensor:
    """What a correct mix_domains gives in expectation -> float64 (3 · n_domains + 1,).

    [share of each domain, mean index / size of each domain (0.5 for uniform indices),
    share of rows whose index is ≥ half the domain size (0.5), share of invalid rows (0)].
    Empty domains (weight 0) report 0.5 for their index statistics.
    """
    w = torch.tensor(weights, dtype=torch.float64)
    # uniform integers on [0, s): E[i / s] = (s - 1) / (2s); P(i >= s/2) = (s - ceil(s/2)) / s
    mean = torch.tensor([(s - 1) / (2 * s) for s in sizes], dtype=torch.float64)
    upper = torch.tensor([(s - math.ceil(s / 2)) / s for s in sizes], dtype=torch.float64)
    return torch.cat([w / w.sum(), mean, upper, torch.zeros(1, dtype=torch.float64)])


MIN_ROWS_FOR_INDEX_STATS = 500  # fewer rows: the index statistics are too noisy to judge


def summarise_mixture(value, sizes: Sequence[int]) -> Tensor:
    """The statistics of `mixture_stats` measured on a sample (n, 2) of (domain, index).

    A domain with fewer than MIN_ROWS_FOR_INDEX_STATS valid rows reports the expected index
    statistics (its share and the invalid rows are still measured)."""
    k = len(sizes)
    size_t = torch.tensor(sizes, dtype=torch.float64)
    rows = torch.as_tensor(value).reshape(-1, 2).to(torch.int64)
    dom, idx = rows[:, 0], rows[:, 1]
    valid = (dom >= 0) & (dom < k)
    valid &= (idx >= 0) & (idx < size_t[dom.clamp(0, k - 1)].long())
    n = max(1, len(rows))
    share, mean, upper = [], [], []
    for d in range(k):
        mine = valid & (dom == d)
        share.append(mine.sum().item() / n)
        if mine.sum() >= MIN_ROWS_FOR_INDEX_STATS:
            frac = idx[mine].double() / sizes[d]
            mean.append(frac.mean().item())
            upper.append((idx[mine] >= math.ceil(sizes[d] / 2)).double().mean().item())
        else:
            mean.append((sizes[d] - 1) / (2 * sizes[d]))
            upper.append((sizes[d] - math.ceil(sizes[d] / 2)) / sizes[d])
    invalid = 1.0 - valid.sum().item() / n if len(rows) else 0.0
    return torch.tensor(share + mean + upper + [invalid], dtype=torch.float64)


def interpolate_positions(pos: Tensor, old_len: int, new_len: int) -> Tensor:
    """Position interpolation (Chen et al., 2023, arXiv:2306.15595): pos · old_len / new_len.

    pos: any shape, integer or float; returns floats (float32 for integer input, the input's
    dtype for float input). When new_len <= old_len the positions already fit: unchanged.
    """
    out = pos.to(torch.get_default_dtype()) if not pos.is_floating_point() else pos
    if new_len <= old_len:
        return out.clone()
    return out * (old_len / new_len)


# ---- L+1-3 SFT -----------------------------------------------------------------------------


def build_sft_example(
    prompt: str, response: str, tokenizer: CharTokenizer
) -> tuple[Tensor, Tensor]:
    """One chat example -> (input_ids, labels), 1-D int64 tensors of equal length.

    input_ids = encode('<bos><问>' + prompt + '<答>' + response + '<eos>') (strict: a character
    outside the vocabulary raises ValueError); labels = input_ids with every prompt token
    (<bos> … <答>) set to -100, so only the response and its <eos> count in the loss.
    The same as autograder/spine/data.sft_example.
    """
    p_ids = tokenizer.encode(chat_prompt(prompt), strict=True)
    r_ids = tokenizer.encode(response + EOS, strict=True)
    ids = torch.tensor(p_ids + r_ids, dtype=torch.long)
    labels = ids.clone()
    labels[: len(p_ids)] = IGNORE_INDEX
    return ids, labels
