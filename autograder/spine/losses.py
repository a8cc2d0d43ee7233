"""The training losses of the spine, with the signatures of the design's fixed contracts.

Convention (as in Hugging Face): `labels` are aligned with the inputs, position t of the
logits predicts labels[:, t + 1], and label -100 marks a target that does not count
(prompt tokens in SFT/DPO, padding).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

IGNORE_INDEX = -100


def _shift(logits: torch.Tensor, labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(B, T, V), (B, T) -> predictions (B, T-1, V) and their targets (B, T-1)."""
    return logits[:, :-1, :], labels[:, 1:]


def next_token_loss(
    logits: torch.Tensor, labels: torch.Tensor, ignore_index: int = IGNORE_INDEX
) -> torch.Tensor:
    """Mean cross-entropy over every counted target in the batch -> scalar."""
    pred, target = _shift(logits, labels)
    return F.cross_entropy(
        pred.reshape(-1, pred.shape[-1]).float(), target.reshape(-1), ignore_index=ignore_index
    )


def token_logprobs(
    logits: torch.Tensor, labels: torch.Tensor, ignore_index: int = IGNORE_INDEX
) -> tuple[torch.Tensor, torch.Tensor]:
    """log p(target) at each shifted position (B, T-1), and the mask of counted ones."""
    pred, target = _shift(logits, labels)
    mask = target != ignore_index
    safe = target.masked_fill(~mask, 0)  # any valid id; masked out below
    logp = torch.log_softmax(pred.float(), dim=-1).gather(-1, safe[..., None]).squeeze(-1)
    return logp * mask, mask


def sequence_logprob(
    logits: torch.Tensor, labels: torch.Tensor, ignore_index: int = IGNORE_INDEX
) -> torch.Tensor:
    """Sum over counted targets of log p(label | prefix) -> (B,)."""
    logp, _ = token_logprobs(logits, labels, ignore_index)
    return logp.sum(dim=-1)


def dpo_loss(
    policy_chosen_logps: torch.Tensor,
    policy_rejected_logps: torch.Tensor,
    ref_chosen_logps: torch.Tensor,
    ref_rejected_logps: torch.Tensor,
    beta: float = 0.1,
) -> torch.Tensor:
    """mean of -log σ(β[(π_c - ref_c) - (π_r - ref_r)]) -> scalar (logsigmoid keeps it stable)."""
    margin = (policy_chosen_logps - ref_chosen_logps) - (policy_rejected_logps - ref_rejected_logps)
    return -F.logsigmoid(beta * margin).mean()
