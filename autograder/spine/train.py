"""The three training stages of the spine: pretraining, SFT and DPO.

Each stage is a plain loop (AdamW, linear warmup then cosine decay, gradient clipping) over
batches drawn with a seeded `torch.Generator`; with `torch.set_num_threads(1)` (set by the
builder) a run is reproducible on the same machine and torch version.
"""

from __future__ import annotations

import copy
import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

import torch

from autograder.spine.data import dpo_batch, pack_documents, pad_batch, sample_windows, sft_example
from autograder.spine.losses import dpo_loss, next_token_loss, sequence_logprob
from course.miniworld import preference_pairs, pretraining_documents, sft_pairs
from course.tinygpt import TinyGPT, TinyGPTConfig
from course.tokenizer import CharTokenizer

Log = Callable[[str], None]

# vocab_size is set from the tokenizer when the model is built.
MODEL = TinyGPTConfig(block_size=64, d_model=128, n_layers=4, n_heads=4, mlp_ratio=4)


@dataclass(frozen=True)
class StageConfig:
    steps: int
    batch_size: int
    lr: float
    warmup: int
    seed: int
    n_data: int  # documents (pretraining), pairs (SFT, DPO)
    min_lr_ratio: float = 0.1
    weight_decay: float = 0.1
    grad_clip: float = 1.0
    beta: float = 0.1  # DPO only
    replay: float = 0.0  # SFT only: share of pretraining windows mixed into each batch

    def quick(self) -> StageConfig:
        """A few-step smoke version (same code path, tiny data)."""
        return replace(self, steps=4, warmup=1, n_data=min(self.n_data, 64), batch_size=8)


STAGES: dict[str, StageConfig] = {
    "pretrained": StageConfig(steps=1500, batch_size=32, lr=2e-3, warmup=100, seed=1, n_data=20000),
    "sft": StageConfig(
        steps=400, batch_size=32, lr=3e-4, warmup=20, seed=2, n_data=20000, replay=0.5
    ),
    # DPO stops early on purpose: at 5e-6, ~100+ steps (or lr 1e-5) start to over-optimise
    # (fillers get half-deleted, answers about never-asked facts get worse).
    "dpo": StageConfig(
        steps=60, batch_size=16, lr=5e-6, warmup=6, seed=3, n_data=4000, beta=0.1, weight_decay=0.0
    ),
}


def lr_at(step: int, cfg: StageConfig) -> float:
    """Linear warmup over cfg.warmup steps, then cosine decay to min_lr_ratio * lr."""
    if step < cfg.warmup:
        return cfg.lr * (step + 1) / cfg.warmup
    progress = min(1.0, (step - cfg.warmup) / max(1, cfg.steps - cfg.warmup))
    cosine = 0.5 * (1 + math.cos(math.pi * progress))
    return cfg.lr * (cfg.min_lr_ratio + (1 - cfg.min_lr_ratio) * cosine)


def make_optimizer(model: torch.nn.Module, cfg: StageConfig) -> torch.optim.Optimizer:
    """AdamW; weight decay on matrices only (not on LayerNorm parameters)."""
    decay = [p for p in model.parameters() if p.requires_grad and p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.requires_grad and p.dim() < 2]
    return torch.optim.AdamW(
        [
            {"params": decay, "weight_decay": cfg.weight_decay},
            {"params": no_decay, "weight_decay": 0.0},
        ],
        lr=cfg.lr,
        betas=(0.9, 0.95),
    )


def _loop(
    model: torch.nn.Module,
    cfg: StageConfig,
    loss_fn: Callable[[int], torch.Tensor],
    name: str,
    log: Log,
) -> list[float]:
    """Run cfg.steps optimiser steps of loss_fn(step); returns the loss curve."""
    opt = make_optimizer(model, cfg)
    model.train()
    losses = []
    start = time.perf_counter()
    every = max(1, cfg.steps // 10)
    for step in range(cfg.steps):
        for group in opt.param_groups:
            group["lr"] = lr_at(step, cfg)
        loss = loss_fn(step)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.grad_clip)
        opt.step()
        losses.append(loss.item())
        if step % every == 0 or step == cfg.steps - 1:
            recent = sum(losses[-every:]) / len(losses[-every:])
            log(
                f"[{name}] step {step + 1:5d}/{cfg.steps}  loss {recent:.4f}  "
                f"lr {lr_at(step, cfg):.2e}  {time.perf_counter() - start:6.1f}s"
            )
    model.eval()
    return losses


def pretrain(
    tok: CharTokenizer, cfg: StageConfig, model_config: TinyGPTConfig = MODEL, log: Log = print
) -> tuple[TinyGPT, list[float]]:
    """Next-token prediction on packed mini-world documents, from a random initialisation."""
    torch.manual_seed(cfg.seed)
    model = TinyGPT(replace(model_config, vocab_size=len(tok)))
    stream = pack_documents(pretraining_documents(cfg.n_data, seed=cfg.seed), tok)
    gen = torch.Generator().manual_seed(cfg.seed)
    log(
        f"[pretrained] {sum(p.numel() for p in model.parameters()):,} parameters, "
        f"{len(stream):,} tokens of text"
    )

    def loss_fn(step: int) -> torch.Tensor:
        ids = sample_windows(stream, cfg.batch_size, model.config.block_size, gen)
        return next_token_loss(model(ids), ids)

    return model, _loop(model, cfg, loss_fn, "pretrained", log)


def finetune_sft(
    model: TinyGPT, tok: CharTokenizer, cfg: StageConfig, log: Log = print
) -> tuple[TinyGPT, list[float]]:
    """SFT on 问/答 pairs about the "train" facts (+ arithmetic), loss on the answers only."""
    torch.manual_seed(cfg.seed)
    model = copy.deepcopy(model)
    examples = [
        sft_example(tok, p.question, p.answer) for p in sft_pairs(cfg.n_data, seed=cfg.seed)
    ]
    gen = torch.Generator().manual_seed(cfg.seed)
    stream = None
    n_replay = round(cfg.batch_size * cfg.replay)
    if n_replay:
        stream = pack_documents(pretraining_documents(2000, seed=cfg.seed + 100), tok)

    def loss_fn(step: int) -> torch.Tensor:
        picks = torch.randint(0, len(examples), (cfg.batch_size - n_replay,), generator=gen)
        ids, labels = pad_batch([examples[i] for i in picks.tolist()], tok.pad_id)
        loss = next_token_loss(model(ids), labels)
        if stream is not None:
            win = sample_windows(stream, n_replay, model.config.block_size, gen)
            loss = loss + cfg.replay * next_token_loss(model(win), win)
        return loss

    return model, _loop(model, cfg, loss_fn, "sft", log)


def train_dpo(
    sft_model: TinyGPT, tok: CharTokenizer, cfg: StageConfig, log: Log = print
) -> tuple[TinyGPT, list[float]]:
    """DPO on style pairs (concise chosen, rambling rejected); reference = the frozen SFT model."""
    torch.manual_seed(cfg.seed)
    policy = copy.deepcopy(sft_model)
    reference = copy.deepcopy(sft_model).eval()
    for p in reference.parameters():
        p.requires_grad_(False)
    pairs = preference_pairs(cfg.n_data, seed=cfg.seed, kind="style")
    rng = random.Random(cfg.seed)
    stats: dict[str, float] = {}

    def loss_fn(step: int) -> torch.Tensor:
        batch = [(p.question, p.chosen, p.rejected) for p in rng.sample(pairs, cfg.batch_size)]
        ids, labels = dpo_batch(tok, batch)
        n = len(batch)
        logps = sequence_logprob(policy(ids), labels)  # (2B,): chosen first, then rejected
        with torch.no_grad():
            ref_logps = sequence_logprob(reference(ids), labels)
        loss = dpo_loss(logps[:n], logps[n:], ref_logps[:n], ref_logps[n:], beta=cfg.beta)
        margin = (logps[:n] - ref_logps[:n]) - (logps[n:] - ref_logps[n:])
        stats["reward_accuracy"] = (margin > 0).float().mean().item()
        return loss

    losses = _loop(policy, cfg, loss_fn, "dpo", log)
    log(f"[dpo] last-batch reward accuracy {stats.get('reward_accuracy', float('nan')):.2f}")
    return policy, losses
