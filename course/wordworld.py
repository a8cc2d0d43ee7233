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

    sentences(n, seed)   list of n sentences (each a list of 5–6 words)
    build_vocab(sents)   (vocab list sorted by descending count then by word, word -> id)
    PAIRS                (male, female, features) for the analogy and probe exercises
    train_sgns(...)      a word2vec (skip-gram, negative sampling) training loop that takes the
                         learner's `skipgram_pairs` and `sgns_loss` as arguments
    cooccurrence(...)    the co-occurrence count matrix X of (centre, context) pairs
    train_glove(...)     a GloVe training loop that takes the learner's `glove_loss`

The training loops hold no exercise answer: the pair extraction and the losses are passed in.
They are here (not in the notebook) so that the notebook and tests/test_wordworld.py measure
the same run.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import torch
from torch import Tensor

__all__ = [
    "FEATURE_WORDS",
    "FILLER",
    "GLOSS",
    "GENDER_WORDS",
    "PAIRS",
    "TOPICS",
    "Adam",
    "SGNSRun",
    "build_vocab",
    "cooccurrence",
    "gender_labels",
    "person_words",
    "sentences",
    "train_glove",
    "train_sgns",
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

# English glosses for plot labels (matplotlib's default fonts have no CJK glyphs)
GLOSS: dict[str, str] = {
    "国王": "king", "王后": "queen", "王子": "prince", "公主": "princess",
    "男人": "man", "女人": "woman", "男孩": "boy", "女孩": "girl",
    "父亲": "father", "母亲": "mother", "儿子": "son", "女儿": "daughter",
    "爷爷": "grandpa", "奶奶": "grandma", "老头": "old man", "老太": "old woman",
    "他": "he", "他的": "his", "她": "she", "她的": "her",
    "宫殿": "palace", "王冠": "crown", "王国": "kingdom", "王位": "throne",
    "街上": "street", "村里": "village", "城里": "town",
    "家里": "home", "照顾": "care", "家人": "family",
    "成年": "grown-up", "工作": "work", "上班": "office",
    "上学": "school", "玩耍": "play", "年轻": "young",
    "年老": "aged", "退休": "retired", "拐杖": "cane",
    "苹果": "apple", "香蕉": "banana", "葡萄": "grape", "西瓜": "melon",
    "吃": "eat", "甜": "sweet", "果园": "orchard", "新鲜": "fresh",
    "猫": "cat", "狗": "dog", "马": "horse", "牛": "cow",
    "喂": "feed", "跑": "run", "尾巴": "tail", "叫": "bark",
    "的": "de", "了": "le", "很": "very", "在": "at",
}  # fmt: skip

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


# ---- training loops (the learner's functions are passed in) --------------------------------


@dataclass
class SGNSRun:
    """What `train_sgns` returns."""

    vectors: Tensor  # (V, d) the input ("centre") vectors: the word vectors used afterwards
    context_vectors: Tensor  # (V, d) the output ("context") vectors
    vocab: list[str]
    pairs: Tensor  # (N, 2) int64: every (centre, context) id pair of the corpus
    losses: list[float] = field(default_factory=list)  # one per step


class Adam:
    """Adam (Kingma & Ba 2015, Algorithm 1) with torch.optim.Adam's defaults, in a few lines.

    Why not torch.optim.Adam: constructing any torch.optim optimizer imports torch._dynamo,
    about 2 s of CPU, which alone would eat half of a graded notebook's 5 s budget
    (authoring.md). tests/test_wordworld.py checks this class against torch.optim.Adam.
    """

    def __init__(self, params: list[Tensor], lr: float, betas=(0.9, 0.999), eps: float = 1e-8):
        self.params, self.lr, self.betas, self.eps, self.t = list(params), lr, betas, eps, 0
        self.m = [torch.zeros_like(p) for p in self.params]  # first moments
        self.v = [torch.zeros_like(p) for p in self.params]  # second moments

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad = None

    @torch.no_grad()
    def step(self) -> None:
        self.t += 1
        beta1, beta2 = self.betas
        for p, m, v in zip(self.params, self.m, self.v, strict=True):
            if p.grad is None:
                continue
            m.mul_(beta1).add_(p.grad, alpha=1 - beta1)
            v.mul_(beta2).addcmul_(p.grad, p.grad, value=1 - beta2)
            denom = (v / (1 - beta2**self.t)).sqrt_().add_(self.eps)
            p.addcdiv_(m, denom, value=-self.lr / (1 - beta1**self.t))


def noise_distribution(counts: Tensor, power: float = 0.75) -> Tensor:
    """Negative-sampling distribution ∝ count^0.75 (Mikolov et al. 2013, section 2.2)."""
    weights = counts.to(torch.float64) ** power
    return weights / weights.sum()


def train_sgns(
    sents: list[list[str]],
    skipgram_pairs: Callable[[Tensor, int], Tensor],
    sgns_loss: Callable[[Tensor, Tensor, Tensor], Tensor],
    *,
    dim: int = 16,
    window: int = 2,
    negatives: int = 5,
    epochs: int = 3,
    batch_size: int = 1024,
    lr: float = 0.02,
    seed: int = 0,
) -> SGNSRun:
    """Train word2vec (skip-gram with negative sampling) on `sents`; seeded, CPU, seconds.

    1. vocabulary (`build_vocab`), ids per sentence, pairs = skipgram_pairs(ids, window) per
       sentence (pairs never cross a sentence boundary);
    2. two tables: centre vectors (small random init) and context vectors (zeros), as in the
       original word2vec code;
    3. each step: a shuffled batch of pairs, `negatives` ids per pair drawn from the unigram
       distribution to the power 3/4, loss = sgns_loss(centre rows, context rows, negative
       rows), one Adam step (Adam instead of the paper's SGD: fewer steps on a tiny corpus;
       the small `Adam` class above, see there why).
    """
    vocab, index = build_vocab(sents)
    ids = [torch.tensor([index[w] for w in s], dtype=torch.int64) for s in sents]
    pairs = torch.cat([skipgram_pairs(t, window).reshape(-1, 2).long() for t in ids])
    counts = torch.bincount(torch.cat(ids), minlength=len(vocab))
    noise = noise_distribution(counts)
    gen = torch.Generator().manual_seed(seed)
    centre = ((torch.rand(len(vocab), dim, generator=gen) - 0.5) / dim).requires_grad_()
    context = torch.zeros(len(vocab), dim, requires_grad=True)
    optimiser = Adam([centre, context], lr=lr)
    losses: list[float] = []
    for _ in range(epochs):
        order = torch.randperm(len(pairs), generator=gen)
        for start in range(0, len(pairs), batch_size):
            batch = pairs[order[start : start + batch_size]]  # (B, 2)
            drawn = torch.multinomial(noise, len(batch) * negatives, True, generator=gen)
            loss = sgns_loss(
                centre[batch[:, 0]],  # (B, d)
                context[batch[:, 1]],  # (B, d)
                context[drawn.view(len(batch), negatives)],  # (B, K, d)
            )
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            losses.append(loss.item())
    return SGNSRun(centre.detach(), context.detach(), vocab, pairs, losses)


def cooccurrence(pairs: Tensor, vocab_size: int) -> Tensor:
    """(N, 2) int64 (centre, context) pairs -> (V, V) float32 counts X[i, j]."""
    X = torch.zeros(vocab_size, vocab_size)
    X.index_put_((pairs[:, 0], pairs[:, 1]), torch.ones(len(pairs)), accumulate=True)
    return X


def train_glove(
    X: Tensor,
    glove_loss: Callable[..., Tensor],
    *,
    dim: int = 16,
    steps: int = 300,
    lr: float = 0.05,
    x_max: float = 100.0,
    alpha: float = 0.75,
    seed: int = 0,
) -> tuple[Tensor, list[float]]:
    """Fit GloVe to the counts X (V, V) with the learner's `glove_loss`; full-batch Adam.

    Returns (W + W̃, losses): the paper uses the sum of the two tables as the word vectors
    (Pennington et al. 2014, section 4.2). Adam (the class above) instead of the paper's
    AdaGrad.
    """
    gen = torch.Generator().manual_seed(seed)
    n = X.shape[0]
    params = [
        ((torch.rand(n, dim, generator=gen) - 0.5) / dim).requires_grad_(),
        ((torch.rand(n, dim, generator=gen) - 0.5) / dim).requires_grad_(),
        torch.zeros(n, requires_grad=True),
        torch.zeros(n, requires_grad=True),
    ]
    optimiser = Adam(params, lr=lr)
    losses: list[float] = []
    for _ in range(steps):
        loss = glove_loss(*params, X, x_max=x_max, alpha=alpha)
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        losses.append(loss.item())
    return (params[0] + params[1]).detach(), losses
