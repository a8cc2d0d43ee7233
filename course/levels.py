"""The course's levels: one nbgrader assignment per level of the seed's knowledge tree.

Order is the recommended path (L-1 → L-2 → L-3 → L0 → L+1 → L+2 → L+3); slugs sort in that
order because nbgrader refuses `+` in assignment names. A notebook listed here but missing
from source/ is planned, not yet written; the release step skips levels with no notebook.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Level:
    label: str  # the seed's label, e.g. "L+1"
    slug: str  # nbgrader assignment id (folder name under source/ and release/)
    title: str  # Chinese title, as in the seed
    notebooks: tuple[str, ...]  # notebook stems, one per seed core document
    topics: str  # one line, English, for the README table


LEVELS: tuple[Level, ...] = (
    Level(
        "L-1",
        "l1_math",
        "数学基础",
        ("L-1-math-foundations",),
        "probability, information theory, Markov chains, linear algebra",
    ),
    Level(
        "L-2",
        "l2_dot_product",
        "点积与相似度",
        ("L-2-dot-product-similarity",),
        "dot product and angle, cosine similarity, why attention scales by √d_k, retrieval",
    ),
    Level(
        "L-3",
        "l3_representation",
        "表示学习基础",
        ("L-3-representation-learning",),
        "one-hot vs embeddings, word2vec, GloVe, analogies, distributed representations",
    ),
    Level(
        "L0",
        "l4_llm_essence",
        "LLM 模型本质",
        ("L0-llm-model-essence",),
        "P(next token | context), Transformer, attention, parameters, capability stages",
    ),
    Level(
        "L+1",
        "l5_pretrain_finetune",
        "预训练与微调",
        ("Lp1-pretraining-and-finetuning",),
        "pretraining, mid-training, SFT",
    ),
    Level(
        "L+2",
        "l6_alignment_reasoning",
        "对齐与推理",
        ("Lp2-alignment-rlhf-dpo", "Lp2-dpo-practice", "Lp2-reasoning"),
        "preference alignment, RLHF, DPO, reasoning",
    ),
    Level(
        "L+3",
        "l7_engineering",
        "工程实践与优化",
        ("Lp3-practical-guide", "Lp3-training-differences", "Lp3-milestones", "Lp3-future-trends"),
        "cost, memory, LoRA, data pipelines, milestones, future trends",
    ),
)


def by_slug(slug: str) -> Level:
    for level in LEVELS:
        if level.slug == slug:
            return level
    raise KeyError(f"unknown assignment {slug!r}; known: {[lv.slug for lv in LEVELS]}")
