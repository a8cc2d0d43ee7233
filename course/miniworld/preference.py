"""Preference pairs for DPO, and programmatic judges of which behaviour a response shows.

A pair is one prompt with a chosen and a rejected answer that differ in exactly one way:

    kind="style": chosen 浙江。   rejected 浙江。希望对你有帮助！
                  (same fact, concise vs rambling; the shipped DPO checkpoint learns this)
    kind="fact":  chosen 浙江。   rejected 江苏。
                  (same style, correct vs wrong fact)

The judges read a generated response and say which behaviour it shows, so the effect of
DPO can be measured: `judge_style` (concise / rambling / other) and `judge_fact`
(correct / wrong / other).
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from course.miniworld.chat import (
    ANSWER_RE,
    concise_answer,
    fact_question,
    parse_answer,
    rambling_answer,
    strip_rambling,
)
from course.miniworld.facts import RELATION_BY_NAME, Fact, counterfactuals, facts


@dataclass(frozen=True)
class PreferencePair:
    question: str
    chosen: str
    rejected: str
    kind: str  # "style" or "fact"
    fact: Fact


def preference_pairs(
    n: int, seed: int = 0, split: str = "train", kind: str = "style"
) -> list[PreferencePair]:
    """n pairs about the `split` facts, from `random.Random(seed)`."""
    if kind not in ("style", "fact"):
        raise ValueError(f"kind must be 'style' or 'fact', not {kind!r}")
    rng = random.Random(seed)
    pool = facts(split)
    pairs = []
    for _ in range(n):
        fact = rng.choice(pool)
        question = fact_question(fact, rng)
        chosen = concise_answer(fact)
        if kind == "style":
            rejected = rambling_answer(fact, rng)
        else:
            rejected = f"{rng.choice(counterfactuals(fact))}。"
        pairs.append(PreferencePair(question, chosen, rejected, kind, fact))
    return pairs


def judge_style(response: str) -> str:
    """ "concise" (exactly one short answer, e.g. '浙江。'), "rambling" (a short answer
    followed by filler phrases) or "other" (anything else)."""
    text = response.replace("<eos>", "").strip()
    if ANSWER_RE.match(text):
        return "concise"
    _, removed = strip_rambling(text)
    if removed and parse_answer(text) is not None:
        return "rambling"
    return "other"


def judge_fact(response: str, fact: Fact) -> str:
    """ "correct" (the core answer is the fact's object), "wrong" (the core answer is another
    object of the same relation, e.g. another province) or "other" (no such answer)."""
    answer = parse_answer(response)
    if answer == fact.object:
        return "correct"
    if answer in RELATION_BY_NAME[fact.relation].objects:
        return "wrong"
    return "other"
