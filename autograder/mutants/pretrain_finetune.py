"""Mutants for L+1 预训练与微调 (see autograder/mutants/__init__.py for the rules).

Wrong mutants are mistakes students really make (curriculum.md, L+1); `oracle` names the
matching Oracle in autograder/checks/pretrain_finetune.py ("" where none exists). Correct
mutants are written differently from the reference. Like a solution cell, they may use only
the notebook's globals (torch, math, F, Tensor) and their arguments (the tokenizer).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F  # noqa: N812
from torch import Tensor

from autograder.mutants import Mutant

# ---- next_token_loss ---------------------------------------------------------------------------


def next_token_loss__no_shift(logits: Tensor, labels: Tensor, ignore_index: int = -100) -> Tensor:
    V = logits.shape[-1]
    return F.cross_entropy(logits.reshape(-1, V), labels.reshape(-1), ignore_index=ignore_index)


def next_token_loss__shift_backwards(
    logits: Tensor, labels: Tensor, ignore_index: int = -100
) -> Tensor:
    V = logits.shape[-1]
    return F.cross_entropy(
        logits[:, 1:].reshape(-1, V), labels[:, :-1].reshape(-1), ignore_index=ignore_index
    )


def next_token_loss__counts_ignored(
    logits: Tensor, labels: Tensor, ignore_index: int = -100
) -> Tensor:
    logp = torch.log_softmax(logits[:, :-1], dim=-1)
    target = labels[:, 1:]
    keep = target != ignore_index
    picked = logp.gather(-1, torch.where(keep, target, 0).unsqueeze(-1)).squeeze(-1)
    return -(picked * keep).mean()


def next_token_loss__sum(logits: Tensor, labels: Tensor, ignore_index: int = -100) -> Tensor:
    V = logits.shape[-1]
    return F.cross_entropy(
        logits[:, :-1].reshape(-1, V),
        labels[:, 1:].reshape(-1),
        ignore_index=ignore_index,
        reduction="sum",
    )


def next_token_loss__per_sequence_mean(
    logits: Tensor, labels: Tensor, ignore_index: int = -100
) -> Tensor:
    losses = []
    for b in range(logits.shape[0]):
        target = labels[b, 1:]
        if (target != ignore_index).any():
            losses.append(F.cross_entropy(logits[b, :-1], target, ignore_index=ignore_index))
    return torch.stack(losses).mean()


def next_token_loss__probabilities(
    logits: Tensor, labels: Tensor, ignore_index: int = -100
) -> Tensor:
    probs = torch.softmax(logits[:, :-1], dim=-1)
    target = labels[:, 1:]
    keep = target != ignore_index
    picked = probs.gather(-1, torch.where(keep, target, 0).unsqueeze(-1)).squeeze(-1)
    return -picked[keep].mean()


def next_token_loss__unstable_softmax(
    logits: Tensor, labels: Tensor, ignore_index: int = -100
) -> Tensor:
    e = torch.exp(logits[:, :-1])
    probs = e / e.sum(dim=-1, keepdim=True)
    target = labels[:, 1:]
    keep = target != ignore_index
    picked = probs.gather(-1, torch.where(keep, target, 0).unsqueeze(-1)).squeeze(-1)
    return -torch.log(picked[keep]).mean()


def next_token_loss__hardcoded_ignore(
    logits: Tensor, labels: Tensor, ignore_index: int = -100
) -> Tensor:
    V = logits.shape[-1]
    return F.cross_entropy(logits[:, :-1].reshape(-1, V), labels[:, 1:].reshape(-1))


def next_token_loss__float32_upcast(
    logits: Tensor, labels: Tensor, ignore_index: int = -100
) -> Tensor:
    # the spine's builder does this (for float16 logits); here float64 must stay float64
    V = logits.shape[-1]
    return F.cross_entropy(
        logits[:, :-1].reshape(-1, V).float(),
        labels[:, 1:].reshape(-1),
        ignore_index=ignore_index,
    )


def next_token_loss__logsumexp(logits: Tensor, labels: Tensor, ignore_index: int = -100) -> Tensor:
    pred, target = logits[:, :-1], labels[:, 1:]
    keep = target != ignore_index
    safe = torch.where(keep, target, torch.zeros_like(target))
    correct = pred.gather(-1, safe.unsqueeze(-1)).squeeze(-1)
    nll = torch.logsumexp(pred, dim=-1) - correct  # cross-entropy = logsumexp(o) - o_y
    return nll[keep].sum() / keep.sum()


def next_token_loss__loop_nll(logits: Tensor, labels: Tensor, ignore_index: int = -100) -> Tensor:
    B, T, V = logits.shape
    logp = F.log_softmax(logits, dim=-1)
    terms = []
    for b in range(B):
        for t in range(T - 1):
            y = int(labels[b, t + 1])
            if y != ignore_index:
                terms.append(-logp[b, t, y])
    return torch.stack(terms).mean()


# ---- perplexity ------------------------------------------------------------------------------


def perplexity__base2(mean_nll: Tensor) -> Tensor:
    return 2**mean_nll


def perplexity__negative_exponent(mean_nll: Tensor) -> Tensor:
    return torch.exp(-mean_nll)


def perplexity__no_exp(mean_nll: Tensor) -> Tensor:
    return mean_nll


def perplexity__log(mean_nll: Tensor) -> Tensor:
    return torch.log(mean_nll)


def perplexity__float32(mean_nll: Tensor) -> Tensor:
    return torch.exp(mean_nll.float())


def perplexity__method(mean_nll: Tensor) -> Tensor:
    return mean_nll.exp()


def perplexity__power_of_e(mean_nll: Tensor) -> Tensor:
    return torch.pow(math.e, mean_nll)


# ---- pack_documents --------------------------------------------------------------------------


def pack_documents__no_eos(docs: list, seq_len: int, eos_id: int) -> tuple[Tensor, Tensor]:
    stream = [t for doc in docs for t in doc]
    n = len(stream) // seq_len
    ids = torch.tensor(stream[: n * seq_len], dtype=torch.long).reshape(n, seq_len)
    return ids, ids.clone()


def pack_documents__eos_before(docs: list, seq_len: int, eos_id: int) -> tuple[Tensor, Tensor]:
    stream = []
    for doc in docs:
        stream += [eos_id] + list(doc)
    n = len(stream) // seq_len
    ids = torch.tensor(stream[: n * seq_len], dtype=torch.long).reshape(n, seq_len)
    return ids, ids.clone()


def pack_documents__eos_join(docs: list, seq_len: int, eos_id: int) -> tuple[Tensor, Tensor]:
    stream = []
    for i, doc in enumerate(docs):
        if i:
            stream.append(eos_id)
        stream += list(doc)
    n = len(stream) // seq_len
    ids = torch.tensor(stream[: n * seq_len], dtype=torch.long).reshape(n, seq_len)
    return ids, ids.clone()


def pack_documents__pads_last_chunk(docs: list, seq_len: int, eos_id: int) -> tuple[Tensor, Tensor]:
    stream = []
    for doc in docs:
        stream += list(doc) + [eos_id]
    while len(stream) % seq_len:
        stream.append(0)
    ids = torch.tensor(stream, dtype=torch.long).reshape(-1, seq_len)
    return ids, ids.clone()


def pack_documents__labels_preshifted(
    docs: list, seq_len: int, eos_id: int
) -> tuple[Tensor, Tensor]:
    stream = []
    for doc in docs:
        stream += list(doc) + [eos_id]
    n = len(stream) // seq_len
    ids = torch.tensor(stream[: n * seq_len], dtype=torch.long).reshape(n, seq_len)
    labels = torch.full_like(ids, -100)
    labels[:, :-1] = ids[:, 1:]
    return ids, labels


def pack_documents__float_ids(docs: list, seq_len: int, eos_id: int) -> tuple[Tensor, Tensor]:
    stream = []
    for doc in docs:
        stream += list(doc) + [eos_id]
    n = len(stream) // seq_len
    ids = torch.tensor(stream[: n * seq_len], dtype=torch.float32).reshape(n, seq_len)
    return ids, ids.clone()


def pack_documents__cat_and_view(docs: list, seq_len: int, eos_id: int) -> tuple[Tensor, Tensor]:
    pieces = [torch.tensor(list(doc) + [eos_id], dtype=torch.long) for doc in docs]
    stream = torch.cat(pieces) if pieces else torch.zeros(0, dtype=torch.long)
    usable = stream.numel() - stream.numel() % seq_len
    ids = stream[:usable].view(-1, seq_len)
    return ids, ids.clone()


def pack_documents__chunk_loop(docs: list, seq_len: int, eos_id: int) -> tuple[Tensor, Tensor]:
    rows, current = [], []
    for doc in docs:
        for t in list(doc) + [eos_id]:
            current.append(t)
            if len(current) == seq_len:
                rows.append(current)
                current = []
    ids = torch.tensor(rows, dtype=torch.long).reshape(len(rows), seq_len)
    return ids, ids.clone()


# ---- cosine_lr -------------------------------------------------------------------------------


def cosine_lr__step0_zero(
    step: int, max_lr: float, warmup_steps: int, total_steps: int, min_lr: float = 0.0
) -> float:
    if step < warmup_steps:
        return max_lr * step / warmup_steps
    progress = min(1.0, (step - warmup_steps) / max(1, total_steps - warmup_steps))
    return min_lr + (max_lr - min_lr) * 0.5 * (1 + math.cos(math.pi * progress))


def cosine_lr__no_clamp(
    step: int, max_lr: float, warmup_steps: int, total_steps: int, min_lr: float = 0.0
) -> float:
    if step < warmup_steps:
        return max_lr * (step + 1) / warmup_steps
    progress = (step - warmup_steps) / max(1, total_steps - warmup_steps)
    return min_lr + (max_lr - min_lr) * 0.5 * (1 + math.cos(math.pi * progress))


def cosine_lr__decays_to_zero(
    step: int, max_lr: float, warmup_steps: int, total_steps: int, min_lr: float = 0.0
) -> float:
    if step < warmup_steps:
        return max_lr * (step + 1) / warmup_steps
    progress = min(1.0, (step - warmup_steps) / max(1, total_steps - warmup_steps))
    return max_lr * 0.5 * (1 + math.cos(math.pi * progress))


def cosine_lr__linear_decay(
    step: int, max_lr: float, warmup_steps: int, total_steps: int, min_lr: float = 0.0
) -> float:
    if step < warmup_steps:
        return max_lr * (step + 1) / warmup_steps
    progress = min(1.0, (step - warmup_steps) / max(1, total_steps - warmup_steps))
    return max_lr + (min_lr - max_lr) * progress


def cosine_lr__progress_from_zero(
    step: int, max_lr: float, warmup_steps: int, total_steps: int, min_lr: float = 0.0
) -> float:
    if step < warmup_steps:
        return max_lr * (step + 1) / warmup_steps
    progress = min(1.0, step / total_steps)
    return min_lr + (max_lr - min_lr) * 0.5 * (1 + math.cos(math.pi * progress))


def cosine_lr__no_half(
    step: int, max_lr: float, warmup_steps: int, total_steps: int, min_lr: float = 0.0
) -> float:
    if step < warmup_steps:
        return max_lr * (step + 1) / warmup_steps
    progress = min(1.0, (step - warmup_steps) / max(1, total_steps - warmup_steps))
    return min_lr + (max_lr - min_lr) * math.cos(math.pi * progress)


def cosine_lr__warmup_to_min(
    step: int, max_lr: float, warmup_steps: int, total_steps: int, min_lr: float = 0.0
) -> float:
    if step < warmup_steps:
        return min_lr + (max_lr - min_lr) * (step + 1) / warmup_steps
    progress = min(1.0, (step - warmup_steps) / max(1, total_steps - warmup_steps))
    return min_lr + (max_lr - min_lr) * 0.5 * (1 + math.cos(math.pi * progress))


def cosine_lr__sin_form(
    step: int, max_lr: float, warmup_steps: int, total_steps: int, min_lr: float = 0.0
) -> float:
    if step < warmup_steps:
        return (step + 1) / warmup_steps * max_lr
    decay_steps = max(1, total_steps - warmup_steps)
    progress = min(step - warmup_steps, decay_steps) / decay_steps
    # ½(1 + cos πp) = cos²(πp/2)
    return min_lr + (max_lr - min_lr) * math.cos(math.pi * progress / 2) ** 2


def cosine_lr__torch_scalar(
    step: int, max_lr: float, warmup_steps: int, total_steps: int, min_lr: float = 0.0
) -> float:
    if step < warmup_steps:
        return float(torch.tensor(max_lr * (step + 1) / warmup_steps, dtype=torch.float64))
    if step >= total_steps:
        return min_lr
    p = torch.tensor(
        (step - warmup_steps) / max(1, total_steps - warmup_steps), dtype=torch.float64
    )
    return float(min_lr + (max_lr - min_lr) * (1 + torch.cos(math.pi * p)) / 2)


# ---- mix_domains -----------------------------------------------------------------------------


def mix_domains__size_proportional(
    sizes: list, weights: list, n: int, generator: torch.Generator
) -> Tensor:
    probs = torch.tensor(sizes, dtype=torch.float64)
    domains = torch.multinomial(probs / probs.sum(), n, replacement=True, generator=generator)
    index = (torch.rand(n, generator=generator) * torch.tensor(sizes)[domains]).long()
    return torch.stack([domains, index], dim=1)


def mix_domains__uniform_domains(
    sizes: list, weights: list, n: int, generator: torch.Generator
) -> Tensor:
    domains = torch.randint(0, len(sizes), (n,), generator=generator)
    index = (torch.rand(n, generator=generator) * torch.tensor(sizes)[domains]).long()
    return torch.stack([domains, index], dim=1)


def mix_domains__global_index(
    sizes: list, weights: list, n: int, generator: torch.Generator
) -> Tensor:
    w = torch.tensor(weights, dtype=torch.float64)
    domains = torch.multinomial(w, n, replacement=True, generator=generator)
    index = torch.randint(0, sum(sizes), (n,), generator=generator)
    return torch.stack([domains, index], dim=1)


def mix_domains__columns_swapped(
    sizes: list, weights: list, n: int, generator: torch.Generator
) -> Tensor:
    w = torch.tensor(weights, dtype=torch.float64)
    domains = torch.multinomial(w, n, replacement=True, generator=generator)
    index = (torch.rand(n, generator=generator) * torch.tensor(sizes)[domains]).long()
    return torch.stack([index, domains], dim=1)


def mix_domains__unnormalised_cumsum(
    sizes: list, weights: list, n: int, generator: torch.Generator
) -> Tensor:
    edges = torch.tensor(weights, dtype=torch.float64).cumsum(0)  # not divided by the total
    u = torch.rand(n, generator=generator, dtype=torch.float64)
    domains = torch.searchsorted(edges, u, right=True).clamp(max=len(sizes) - 1)
    index = (torch.rand(n, generator=generator) * torch.tensor(sizes)[domains]).long()
    return torch.stack([domains, index], dim=1)


def mix_domains__never_last_index(
    sizes: list, weights: list, n: int, generator: torch.Generator
) -> Tensor:
    w = torch.tensor(weights, dtype=torch.float64)
    domains = torch.multinomial(w, n, replacement=True, generator=generator)
    rows = []
    for d in domains.tolist():
        i = torch.randint(0, max(1, sizes[d] - 1), (1,), generator=generator)  # off by one
        rows.append([d, int(i)])
    return torch.tensor(rows, dtype=torch.long)


def mix_domains__row_loop(sizes: list, weights: list, n: int, generator: torch.Generator) -> Tensor:
    w = torch.tensor(weights, dtype=torch.float64)
    rows = []
    for _ in range(n):
        d = int(torch.multinomial(w, 1, generator=generator))
        i = int(torch.randint(0, sizes[d], (1,), generator=generator))
        rows.append([d, i])
    return torch.tensor(rows, dtype=torch.long).reshape(n, 2)


def mix_domains__searchsorted(
    sizes: list, weights: list, n: int, generator: torch.Generator
) -> Tensor:
    w = torch.tensor(weights, dtype=torch.float64)
    edges = (w / w.sum()).cumsum(0)
    u = torch.rand(n, generator=generator, dtype=torch.float64)
    domains = torch.searchsorted(edges, u, right=True).clamp(max=len(sizes) - 1)
    # a zero-weight domain has an empty interval, so searchsorted never lands in it
    index = torch.floor(
        torch.rand(n, generator=generator, dtype=torch.float64)
        * torch.tensor(sizes, dtype=torch.float64)[domains]
    )
    return torch.stack([domains, index.long()], dim=1)


# ---- interpolate_positions -------------------------------------------------------------------


def interpolate_positions__inverted_ratio(pos: Tensor, old_len: int, new_len: int) -> Tensor:
    pos = pos if pos.is_floating_point() else pos.float()
    return pos * new_len / old_len if new_len > old_len else pos.clone()


def interpolate_positions__integer_positions(pos: Tensor, old_len: int, new_len: int) -> Tensor:
    pos = pos if pos.is_floating_point() else pos.float()
    return (pos * old_len // new_len) if new_len > old_len else pos.clone()


def interpolate_positions__clamped(pos: Tensor, old_len: int, new_len: int) -> Tensor:
    pos = pos if pos.is_floating_point() else pos.float()
    return torch.clamp(pos, max=old_len - 1)


def interpolate_positions__unchanged(pos: Tensor, old_len: int, new_len: int) -> Tensor:
    return pos.float() if not pos.is_floating_point() else pos.clone()


def interpolate_positions__scales_when_shorter(pos: Tensor, old_len: int, new_len: int) -> Tensor:
    pos = pos if pos.is_floating_point() else pos.float()
    return pos * (old_len / new_len)


def interpolate_positions__rounded(pos: Tensor, old_len: int, new_len: int) -> Tensor:
    pos = pos if pos.is_floating_point() else pos.float()
    return torch.round(pos * old_len / new_len) if new_len > old_len else pos.clone()


def interpolate_positions__int_stays_int(pos: Tensor, old_len: int, new_len: int) -> Tensor:
    if new_len <= old_len:
        return pos.clone()
    return pos * old_len / new_len


def interpolate_positions__scale_factor(pos: Tensor, old_len: int, new_len: int) -> Tensor:
    scale = max(1.0, new_len / old_len)  # the "factor" of linear RoPE scaling
    return pos.to(torch.float32 if not pos.is_floating_point() else pos.dtype) / scale


def interpolate_positions__where(pos: Tensor, old_len: int, new_len: int) -> Tensor:
    x = pos.float() if not pos.is_floating_point() else pos
    ratio = torch.tensor(old_len / new_len, dtype=torch.float64)
    return torch.where(ratio < 1, x * ratio.item(), x.clone())


# ---- build_sft_example ----------------------------------------------------------------------


def build_sft_example__masks_inputs(prompt: str, response: str, tokenizer) -> tuple[Tensor, Tensor]:
    p = tokenizer.encode("<bos><问>" + prompt + "<答>", strict=True)
    r = tokenizer.encode(response + "<eos>", strict=True)
    return torch.tensor([-100] * len(p) + r), torch.tensor(p + r)


def build_sft_example__drops_eos(prompt: str, response: str, tokenizer) -> tuple[Tensor, Tensor]:
    p = tokenizer.encode("<bos><问>" + prompt + "<答>", strict=True)
    r = tokenizer.encode(response, strict=True)
    return torch.tensor(p + r), torch.tensor([-100] * len(p) + r)


def build_sft_example__eos_masked(prompt: str, response: str, tokenizer) -> tuple[Tensor, Tensor]:
    p = tokenizer.encode("<bos><问>" + prompt + "<答>", strict=True)
    r = tokenizer.encode(response, strict=True)
    ids = p + r + [tokenizer.eos_id]
    return torch.tensor(ids), torch.tensor([-100] * len(p) + r + [-100])


def build_sft_example__no_mask(prompt: str, response: str, tokenizer) -> tuple[Tensor, Tensor]:
    ids = torch.tensor(tokenizer.encode(f"<bos><问>{prompt}<答>{response}<eos>", strict=True))
    return ids, ids.clone()


def build_sft_example__mask_by_characters(
    prompt: str, response: str, tokenizer
) -> tuple[Tensor, Tensor]:
    prompt_text = f"<bos><问>{prompt}<答>"
    ids = torch.tensor(tokenizer.encode(prompt_text + response + "<eos>", strict=True))
    labels = ids.clone()
    labels[: len(prompt_text)] = -100  # string length, not the number of tokens
    return ids, labels


def build_sft_example__answer_marker_counted(
    prompt: str, response: str, tokenizer
) -> tuple[Tensor, Tensor]:
    q = tokenizer.encode("<bos><问>" + prompt, strict=True)
    rest = tokenizer.encode("<答>" + response + "<eos>", strict=True)
    return torch.tensor(q + rest), torch.tensor([-100] * len(q) + rest)


def build_sft_example__labels_preshifted(
    prompt: str, response: str, tokenizer
) -> tuple[Tensor, Tensor]:
    p = tokenizer.encode("<bos><问>" + prompt + "<答>", strict=True)
    r = tokenizer.encode(response + "<eos>", strict=True)
    ids = torch.tensor(p + r)
    labels = torch.tensor([-100] * (len(p) - 1) + r + [-100])
    return ids, labels


def build_sft_example__no_bos(prompt: str, response: str, tokenizer) -> tuple[Tensor, Tensor]:
    p = tokenizer.encode("<问>" + prompt + "<答>", strict=True)
    r = tokenizer.encode(response + "<eos>", strict=True)
    return torch.tensor(p + r), torch.tensor([-100] * len(p) + r)


def build_sft_example__ids_by_hand(prompt: str, response: str, tokenizer) -> tuple[Tensor, Tensor]:
    head = [tokenizer.bos_id, tokenizer.question_id]
    head += [tokenizer.stoi[c] for c in prompt] + [tokenizer.answer_id]
    tail = [tokenizer.stoi[c] for c in response] + [tokenizer.eos_id]
    input_ids = torch.tensor(head + tail, dtype=torch.long)
    labels = torch.cat([torch.full((len(head),), -100), torch.tensor(tail, dtype=torch.long)])
    return input_ids, labels


def build_sft_example__where_mask(prompt: str, response: str, tokenizer) -> tuple[Tensor, Tensor]:
    n_prompt = len(tokenizer.encode(f"<bos><问>{prompt}<答>", strict=True))
    ids = torch.tensor(tokenizer.encode(f"<bos><问>{prompt}<答>{response}<eos>", strict=True))
    positions = torch.arange(len(ids))
    return ids, torch.where(positions < n_prompt, torch.full_like(ids, -100), ids)


MUTANTS = (
    Mutant("next_token_loss", next_token_loss__no_shift, False, "no_shift", "no shift"),
    Mutant(
        "next_token_loss",
        next_token_loss__shift_backwards,
        False,
        "shift_backwards",
        "logits[:, 1:] with labels[:, :-1]",
    ),
    Mutant(
        "next_token_loss",
        next_token_loss__counts_ignored,
        False,
        "counts_ignored",
        "ignored targets in the denominator",
    ),
    Mutant("next_token_loss", next_token_loss__sum, False, "sum", "sum instead of mean"),
    Mutant(
        "next_token_loss",
        next_token_loss__per_sequence_mean,
        False,
        "per_sequence_mean",
        "mean of per-row means",
    ),
    Mutant(
        "next_token_loss",
        next_token_loss__probabilities,
        False,
        "probabilities",
        "-p instead of -log p",
    ),
    Mutant(
        "next_token_loss",
        next_token_loss__unstable_softmax,
        False,
        "unstable_softmax",
        "exp without subtracting the max",
    ),
    Mutant(
        "next_token_loss",
        next_token_loss__hardcoded_ignore,
        False,
        "hardcoded_ignore",
        "ignore_index not passed on",
    ),
    Mutant(
        "next_token_loss",
        next_token_loss__float32_upcast,
        False,
        "",
        "float64 logits computed (and returned) in float32",
    ),
    Mutant("next_token_loss", next_token_loss__logsumexp, True, why="logsumexp(o) - o_y by hand"),
    Mutant("next_token_loss", next_token_loss__loop_nll, True, why="Python loop over targets"),
    Mutant("perplexity", perplexity__base2, False, "base2", "2 ** nll"),
    Mutant("perplexity", perplexity__negative_exponent, False, "negative_exponent", "exp(-nll)"),
    Mutant("perplexity", perplexity__no_exp, False, "no_exp", "returns the nll"),
    Mutant("perplexity", perplexity__log, False, "log", "log instead of exp"),
    Mutant("perplexity", perplexity__float32, False, "", "float64 computed in float32"),
    Mutant("perplexity", perplexity__method, True, why="Tensor.exp"),
    Mutant("perplexity", perplexity__power_of_e, True, why="torch.pow(e, nll)"),
    Mutant("pack_documents", pack_documents__no_eos, False, "no_eos", "no EOS"),
    Mutant("pack_documents", pack_documents__eos_before, False, "eos_before", "EOS before docs"),
    Mutant(
        "pack_documents",
        pack_documents__eos_join,
        False,
        "eos_between_only",
        "EOS only between documents",
    ),
    Mutant(
        "pack_documents",
        pack_documents__pads_last_chunk,
        False,
        "keeps_last_chunk",
        "pads the last chunk with 0 instead of dropping it",
    ),
    Mutant(
        "pack_documents",
        pack_documents__labels_preshifted,
        False,
        "labels_preshifted",
        "labels shifted in the data (double shift with the loss)",
    ),
    Mutant("pack_documents", pack_documents__float_ids, False, "", "float token ids"),
    Mutant("pack_documents", pack_documents__cat_and_view, True, why="torch.cat and view"),
    Mutant("pack_documents", pack_documents__chunk_loop, True, why="token-by-token chunking"),
    Mutant("cosine_lr", cosine_lr__step0_zero, False, "step0_zero", "lr 0 at step 0"),
    Mutant("cosine_lr", cosine_lr__no_clamp, False, "no_clamp", "cosine rises after the end"),
    Mutant("cosine_lr", cosine_lr__decays_to_zero, False, "decays_to_zero", "ignores min_lr"),
    Mutant("cosine_lr", cosine_lr__linear_decay, False, "linear_decay", "linear decay"),
    Mutant(
        "cosine_lr",
        cosine_lr__progress_from_zero,
        False,
        "progress_from_zero",
        "decay progress counted from step 0",
    ),
    Mutant("cosine_lr", cosine_lr__no_half, False, "no_half", "cos instead of (1+cos)/2"),
    Mutant("cosine_lr", cosine_lr__warmup_to_min, False, "", "warmup starts from min_lr"),
    Mutant("cosine_lr", cosine_lr__sin_form, True, why="cos² form"),
    Mutant("cosine_lr", cosine_lr__torch_scalar, True, why="torch scalars, explicit end branch"),
    Mutant(
        "mix_domains",
        mix_domains__size_proportional,
        False,
        "size_proportional",
        "natural mixture by size",
    ),
    Mutant(
        "mix_domains", mix_domains__uniform_domains, False, "uniform_domains", "ignores weights"
    ),
    Mutant(
        "mix_domains",
        mix_domains__global_index,
        False,
        "global_index",
        "index over the concatenation of all domains",
    ),
    Mutant(
        "mix_domains",
        mix_domains__columns_swapped,
        False,
        "columns_swapped",
        "(index, domain) rows",
    ),
    Mutant(
        "mix_domains",
        mix_domains__unnormalised_cumsum,
        False,
        "",
        "thresholds on the unnormalised cumulative weights",
    ),
    Mutant(
        "mix_domains", mix_domains__never_last_index, False, "", "randint(0, size - 1): off by one"
    ),
    Mutant("mix_domains", mix_domains__row_loop, True, why="one multinomial + randint per row"),
    Mutant("mix_domains", mix_domains__searchsorted, True, why="inverse CDF with searchsorted"),
    Mutant(
        "interpolate_positions",
        interpolate_positions__inverted_ratio,
        False,
        "inverted_ratio",
        "new/old",
    ),
    Mutant(
        "interpolate_positions",
        interpolate_positions__integer_positions,
        False,
        "integer_positions",
        "floor division",
    ),
    Mutant(
        "interpolate_positions",
        interpolate_positions__clamped,
        False,
        "clamped",
        "clamps instead of scaling",
    ),
    Mutant(
        "interpolate_positions",
        interpolate_positions__unchanged,
        False,
        "unchanged",
        "no scaling (extrapolation)",
    ),
    Mutant(
        "interpolate_positions",
        interpolate_positions__scales_when_shorter,
        False,
        "scales_when_shorter",
        "scales up when new_len < old_len",
    ),
    Mutant(
        "interpolate_positions",
        interpolate_positions__rounded,
        False,
        "",
        "rounds the interpolated positions",
    ),
    Mutant(
        "interpolate_positions",
        interpolate_positions__int_stays_int,
        False,
        "",
        "integer positions unchanged stay integer when nothing to do",
    ),
    Mutant(
        "interpolate_positions",
        interpolate_positions__scale_factor,
        True,
        why="divide by the factor max(1, new/old)",
    ),
    Mutant("interpolate_positions", interpolate_positions__where, True, why="torch.where on ratio"),
    Mutant(
        "build_sft_example",
        build_sft_example__masks_inputs,
        False,
        "masks_inputs",
        "-100 in input_ids instead of labels",
    ),
    Mutant("build_sft_example", build_sft_example__drops_eos, False, "drops_eos", "no EOS"),
    Mutant(
        "build_sft_example", build_sft_example__eos_masked, False, "eos_masked", "EOS label -100"
    ),
    Mutant("build_sft_example", build_sft_example__no_mask, False, "no_mask", "prompt counted"),
    Mutant(
        "build_sft_example",
        build_sft_example__mask_by_characters,
        False,
        "mask_by_characters",
        "masks len(prompt string) tokens",
    ),
    Mutant(
        "build_sft_example",
        build_sft_example__answer_marker_counted,
        False,
        "answer_marker_counted",
        "<答> label counted",
    ),
    Mutant(
        "build_sft_example",
        build_sft_example__labels_preshifted,
        False,
        "labels_preshifted",
        "labels shifted in the data",
    ),
    Mutant("build_sft_example", build_sft_example__no_bos, False, "", "no <bos>"),
    Mutant("build_sft_example", build_sft_example__ids_by_hand, True, why="ids via stoi by hand"),
    Mutant("build_sft_example", build_sft_example__where_mask, True, why="torch.where mask"),
)
