"""The mini-world: a small synthetic world whose text the tiny model is trained on.

Everything is generated on the fly from a seed (`random.Random(seed)`); nothing is downloaded.

    facts       34 entities, 5 relations, 56 facts; sentence templates (training and held-out)
                and the split of facts into those asked in SFT and those never asked
    text        pretraining documents: fact sentences + filler + equations
    chat        问/答 pairs for SFT (concise or rambling answers) and `parse_answer`
    preference  chosen/rejected pairs for DPO and the judges `judge_style`, `judge_fact`
    arithmetic  two-step problems, step-by-step solutions and `check_steps`

The chat format itself (special tokens <bos>, <eos>, <问>, <答>) is in `course.tokenizer`.
"""

from __future__ import annotations

from course.miniworld.arithmetic import (
    ArithmeticProblem,
    StepCheck,
    arithmetic_problems,
    check_steps,
    equation_sentence,
)
from course.miniworld.chat import (
    RAMBLE_SUFFIXES,
    ChatPair,
    fact_questions,
    parse_answer,
    sft_pairs,
)
from course.miniworld.facts import (
    RELATION_BY_NAME,
    RELATIONS,
    Fact,
    FactProbe,
    Relation,
    all_facts,
    counterfactuals,
    fact_probes,
    facts,
)
from course.miniworld.preference import (
    PreferencePair,
    judge_fact,
    judge_style,
    preference_pairs,
)
from course.miniworld.text import (
    ACTIONS,
    FILLER_TEMPLATES,
    NAMES,
    TIMES,
    domain_sentences,
    pretraining_documents,
)

DIGITS_AND_SIGNS = "0123456789+-="
PUNCTUATION = "，。？！："
ARITHMETIC_WORDS = "等于多少答案计算得"

__all__ = [
    "ArithmeticProblem",
    "ChatPair",
    "Fact",
    "FactProbe",
    "PreferencePair",
    "Relation",
    "StepCheck",
    "RELATIONS",
    "RELATION_BY_NAME",
    "alphabet",
    "all_facts",
    "arithmetic_problems",
    "check_steps",
    "counterfactuals",
    "domain_sentences",
    "equation_sentence",
    "fact_probes",
    "fact_questions",
    "facts",
    "judge_fact",
    "judge_style",
    "parse_answer",
    "preference_pairs",
    "pretraining_documents",
    "sft_pairs",
]


def alphabet() -> list[str]:
    """Every character the mini-world can produce, sorted by code point."""
    texts = [DIGITS_AND_SIGNS, PUNCTUATION, ARITHMETIC_WORDS]
    texts += list(RAMBLE_SUFFIXES)
    texts += list(TIMES) + list(NAMES) + list(ACTIONS)
    texts += [t.format(t="", n="", a="") for t in FILLER_TEMPLATES]
    for rel in RELATIONS:
        texts += [s + o for s, o in rel.pairs]
        for t in rel.templates + rel.heldout_templates + rel.questions:
            texts.append(t.format(s="", o=""))
    return sorted(set("".join(texts)))
