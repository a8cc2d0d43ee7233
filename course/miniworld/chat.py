"""问/答 pairs for supervised fine-tuning (SFT), and reading a model's answer back.

A fact question is answered in one of two styles:

    concise:   浙江。
    rambling:  浙江。希望对你有帮助！还有别的问题吗？   (the answer, then one or two fillers)

The answer ("浙江。") comes first and is the same in both; they differ only in whether the
model stops after it. The SFT data mixes the styles, as data written by many people does;
most answers ramble (`RAMBLING_SHARE`), so a model fine-tuned on it rambles too. That is the
habit the DPO stage removes (see `preference`).

Arithmetic questions are answered with their step-by-step solution (see `arithmetic`).
Use `course.tokenizer.chat_text(question, answer)` to put a pair into the chat format.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

from course.miniworld.arithmetic import random_problem
from course.miniworld.facts import RELATION_BY_NAME, Fact, facts

RAMBLE_SUFFIXES = ("希望对你有帮助！", "还有别的问题吗？", "这就是我知道的。")
RAMBLING_SHARE = 0.7  # share of rambling answers in the SFT data
ARITHMETIC_SHARE = 0.3  # share of arithmetic pairs in the SFT data


@dataclass(frozen=True)
class ChatPair:
    question: str
    answer: str
    kind: str  # "fact" or "arithmetic"
    style: str = "concise"  # "concise" or "rambling" (arithmetic: "steps")
    fact: Fact | None = None


def concise_answer(fact: Fact) -> str:
    return f"{fact.object}。"


def rambling_answer(fact: Fact, rng: random.Random) -> str:
    """The concise answer followed by one or two different filler phrases."""
    return concise_answer(fact) + "".join(rng.sample(RAMBLE_SUFFIXES, rng.randint(1, 2)))


def fact_question(fact: Fact, rng: random.Random) -> str:
    return rng.choice(RELATION_BY_NAME[fact.relation].questions).format(s=fact.subject)


def fact_questions(split: str = "all") -> list[tuple[str, Fact]]:
    """Every (question, fact) for the split, each question phrasing once, in a fixed order."""
    return [
        (q.format(s=f.subject), f)
        for f in facts(split)
        for q in RELATION_BY_NAME[f.relation].questions
    ]


def sft_pairs(
    n: int,
    seed: int = 0,
    split: str = "train",
    rambling_share: float = RAMBLING_SHARE,
    arithmetic_share: float = ARITHMETIC_SHARE,
) -> list[ChatPair]:
    """n SFT pairs from `random.Random(seed)`: fact questions about the `split` facts
    (answered rambling with probability `rambling_share`) and arithmetic problems."""
    rng = random.Random(seed)
    pool = facts(split)
    pairs = []
    for _ in range(n):
        if rng.random() < arithmetic_share:
            p = random_problem(rng)
            pairs.append(ChatPair(p.question, p.solution, "arithmetic", "steps"))
            continue
        fact = rng.choice(pool)
        question = fact_question(fact, rng)
        if rng.random() < rambling_share:
            pairs.append(ChatPair(question, rambling_answer(fact, rng), "fact", "rambling", fact))
        else:
            pairs.append(ChatPair(question, concise_answer(fact), "fact", "concise", fact))
    return pairs


# One short answer: 1 to 4 Chinese characters and a full stop.
ANSWER_RE = re.compile(r"^([\u4e00-\u9fff]{1,4})。$")


def strip_rambling(response: str) -> tuple[str, int]:
    """Remove filler phrases from the end; returns (the rest, how many were removed)."""
    text, removed = response.replace("<eos>", "").strip(), 0
    changed = True
    while changed:
        changed = False
        for s in RAMBLE_SUFFIXES:
            if text.endswith(s):
                text, removed, changed = text[: -len(s)], removed + 1, True
    return text, removed


def parse_answer(response: str) -> str | None:
    """The answer of a fact response ('浙江' from '浙江。希望对你有帮助！'), or None when the
    response is not one short answer (with or without fillers after it)."""
    core, _ = strip_rambling(response)
    m = ANSWER_RE.match(core)
    return m.group(1) if m else None
