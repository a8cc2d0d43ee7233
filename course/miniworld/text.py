"""Pretraining text: documents that mix fact sentences, filler sentences and equations.

A document is a few sentences, for example

    杭州位于浙江省。周末小明去公园散步。19-5=14。张伟的工作是医生。

Facts use only the training templates (`Relation.templates`); the held-out templates never
appear, so probing with them tests knowledge, not a memorised sentence. Filler sentences are
made from a small grammar that mentions no entity of the mini-world; they carry the everyday
words (including those of the held-out templates) that make the text read like language.
The three sources are also available one by one, as domains to mix.
"""

from __future__ import annotations

import random

from course.miniworld.arithmetic import equation_sentence
from course.miniworld.facts import RELATION_BY_NAME, all_facts

TIMES = ("今天", "昨天", "周末", "早上", "晚上", "每年夏天")
NAMES = ("小明", "小红", "我们", "他们", "同学们", "大家")
ACTIONS = (
    "去公园散步",
    "在家里看书",
    "一起唱歌",
    "写作业",
    "打篮球",
    "去学校上课",
    "在河边钓鱼",
    "画画",
    "吃早饭",
    "回家休息",
)
FILLER_TEMPLATES = (
    "{t}{n}{a}。",
    "{n}{t}{a}。",
    "{n}平时喜欢{a}。",
    "这本书属于{n}。",
    "大家都知道{n}喜欢{a}。",
    "天气很好，{n}{a}。",
    "{n}说，{a}很有意思。",
    "{n}长大以后想找一个好职业。",
    "{n}家住在学校附近。",
    "窗外的鸟儿一叫就是半天。",
    "{t}的天气不错。",
    "{n}觉得{a}比看电视好。",
)

DOMAINS = ("facts", "filler", "arithmetic")
DEFAULT_MIX = {"facts": 0.5, "filler": 0.25, "arithmetic": 0.25}


def fact_sentence(rng: random.Random) -> str:
    """A random fact in a random training template."""
    fact = rng.choice(all_facts())
    return fact.sentence(rng.choice(RELATION_BY_NAME[fact.relation].templates))


def filler_sentence(rng: random.Random) -> str:
    template = rng.choice(FILLER_TEMPLATES)
    return template.format(t=rng.choice(TIMES), n=rng.choice(NAMES), a=rng.choice(ACTIONS))


SENTENCE_MAKERS = {
    "facts": fact_sentence,
    "filler": filler_sentence,
    "arithmetic": equation_sentence,
}


def domain_sentences(domain: str, n: int, seed: int = 0) -> list[str]:
    """n sentences of one domain ("facts", "filler" or "arithmetic")."""
    rng = random.Random(seed)
    return [SENTENCE_MAKERS[domain](rng) for _ in range(n)]


def pretraining_documents(
    n: int, seed: int = 0, mix: dict[str, float] | None = None, sentences: tuple[int, int] = (3, 8)
) -> list[str]:
    """n documents of plain text (no special tokens), from `random.Random(seed)`.

    mix: domain -> share of sentences (default `DEFAULT_MIX`);
    sentences: the least and most sentences per document.
    """
    rng = random.Random(seed)
    mix = DEFAULT_MIX if mix is None else mix
    domains, weights = list(mix), [mix[d] for d in mix]
    docs = []
    for _ in range(n):
        k = rng.randint(*sentences)
        picks = rng.choices(domains, weights=weights, k=k)
        docs.append("".join(SENTENCE_MAKERS[d](rng) for d in picks))
    return docs
