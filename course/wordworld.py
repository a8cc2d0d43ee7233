"""A tiny seeded word-level corpus for learning word vectors (L-3 表示学习基础).

word2vec and GloVe learn from which words occur near which (the distributional hypothesis:
"You shall know a word by the company it keeps", Firth 1957, 历史背景). Real corpora have
billions of words; this one is built so that the same effect shows in a few seconds on a CPU:

* 16 person words in 8 male/female pairs (国王/王后, 王子/公主, 男人/女人, ...). Each sentence
  about a person holds one gender word (他, 他的 / 她, 她的) and words of the pair's two
  features (royal / common / family, adult / young / old), so a person's contexts are
  "gender + features": 国王 − 男人 + 女人 lands near 王后 only if the learner's word2vec
  picks that structure up from co-occurrence alone.
* two topic groups (fruit, animals) with their own context words, so that nearest
  neighbours of 苹果 or 猫 make sense;
* a few filler words (的, 了, 很, 在) that occur everywhere.

Words are already separated (a sentence is a list of words): Chinese word segmentation is not
the subject here. Everything comes from `random.Random(seed)`; nothing is downloaded.

    sentences(n, seed)   list of n sentences (each a list of 4–7 words)
    build_vocab(sents)   (vocab list sorted by descending count then by word, word -> id)
    PAIRS                (male, female, features) for the analogy and probe exercises
"""

from __future__ import annotations

import random
from collections import Counter

__all__ = [
    "FEATURE_WORDS",
    "FILLER",
    "GENDER_WORDS",
    "PAIRS",
    "TOPICS",
    "build_vocab",
    "gender_labels",
    "person_words",
    "sentences",
]

GENDER_WORDS: dict[str, tuple[str, ...]] = {"male": ("他", "他的"), "female": ("她", "她的")}

FEATURE_WORDS: dict[str, tuple[str, ...]] = {
    "royal": ("宫殿", "王冠", "王国", "王位"),
    "common": ("街上", "村里", "城里"),
    "family": ("家里", "照顾", "家人"),
    "adult": ("成年", "工作", "上班"),
    "young": ("上学", "玩耍", "年轻"),
    "old": ("年老", "退休", "拐杖"),
}

# (male word, female word, the pair's two features)
PAIRS: tuple[tuple[str, str, tuple[str, str]], ...] = (
    ("国王", "王后", ("royal", "adult")),
    ("王子", "公主", ("royal", "young")),
    ("男人", "女人", ("common", "adult")),
    ("男孩", "女孩", ("common", "young")),
    ("父亲", "母亲", ("family", "adult")),
    ("儿子", "女儿", ("family", "young")),
    ("爷爷", "奶奶", ("family", "old")),
    ("老头", "老太", ("common", "old")),
)

# topic -> (topic words, their context words)
TOPICS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "fruit": (("苹果", "香蕉", "葡萄", "西瓜"), ("吃", "甜", "果园", "新鲜")),
    "animal": (("猫", "狗", "马", "牛"), ("喂", "跑", "尾巴", "叫")),
}

FILLER: tuple[str, ...] = ("的", "了", "很", "在")

PERSON_SHARE = 0.75  # fraction of sentences about a person (the rest: fruit and animals)


def person_words() -> list[str]:
    """The 16 person words, male then female of each pair, in PAIRS order."""
    return [w for male, female, _ in PAIRS for w in (male, female)]


def gender_labels() -> dict[str, int]:
    """Person word -> 1 for female, 0 for male (the L-3-4 probe's labels)."""
    return {w: i % 2 for i, w in enumerate(person_words())}


def _person_sentence(rng: random.Random) -> list[str]:
    male, female, features = rng.choice(PAIRS)
    female_side = rng.random() < 0.5
    word = female if female_side else male
    context = [rng.choice(GENDER_WORDS["female" if female_side else "male"])]
    context += [rng.choice(FEATURE_WORDS[f]) for f in features]
    context.append(rng.choice(FEATURE_WORDS[rng.choice(features)]))
    return _place(rng, word, context)


def _topic_sentence(rng: random.Random) -> list[str]:
    words, context_words = TOPICS[rng.choice(sorted(TOPICS))]
    word = rng.choice(words)
    return _place(rng, word, [rng.choice(context_words) for _ in range(3)])


def _place(rng: random.Random, word: str, context: list[str]) -> list[str]:
    """Add one filler word, shuffle the context and put `word` at a random position."""
    context = [*context, rng.choice(FILLER)]
    rng.shuffle(context)
    cut = rng.randrange(len(context) + 1)
    return context[:cut] + [word] + context[cut:]


def sentences(n: int = 3000, seed: int = 0) -> list[list[str]]:
    """`n` seeded sentences, each a list of words (5–6 words; a person sentence has 6).

    About 75% are about a person (one gender word and two feature words per sentence), the
    rest about fruit or animals. The same (n, seed) always gives the same corpus.
    """
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    rng = random.Random(seed)
    return [
        _person_sentence(rng) if rng.random() < PERSON_SHARE else _topic_sentence(rng)
        for _ in range(n)
    ]


def build_vocab(sents: list[list[str]]) -> tuple[list[str], dict[str, int]]:
    """Vocabulary of `sents`: words sorted by descending count, ties by the word itself.

    Returns (vocab, word_to_id) with word_to_id[vocab[i]] == i.
    """
    counts = Counter(w for s in sents for w in s)
    vocab = sorted(counts, key=lambda w: (-counts[w], w))
    return vocab, {w: i for i, w in enumerate(vocab)}
