"""Mutants for L-2 点积与相似度 (see autograder/mutants/__init__.py for the rules)."""

from __future__ import annotations

import math  # noqa: F401  (mutants may use the notebook's globals)

import torch
import torch.nn.functional as F  # noqa: F401, N812
from torch import Tensor

from autograder.mutants import Mutant


def cosine_similarity__one_sided(a: Tensor, b: Tensor, dim: int = -1, eps: float = 1e-8) -> Tensor:
    return (a * b).sum(dim) / a.norm(dim=dim).clamp_min(eps)


def scaled_dot_product_attention__no_scale(q: Tensor, k: Tensor, v: Tensor, mask=None) -> Tensor:
    scores = q @ k.transpose(-2, -1)
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    return torch.softmax(scores, dim=-1) @ v


MUTANTS = (
    Mutant("cosine_similarity", cosine_similarity__one_sided, False, "one_sided",
           "normalises by |a| only"),
    Mutant("scaled_dot_product_attention", scaled_dot_product_attention__no_scale, False,
           "no_scale", "forgets the 1/sqrt(d) scale"),
)
