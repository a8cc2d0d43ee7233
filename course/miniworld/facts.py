"""The facts of the mini-world: 34 entities, 5 relations, 56 facts, and their sentence templates.

Each relation maps a subject to an object, for example city → province (杭州 → 浙江). A fact is
written into pretraining text with one of the relation's `templates`; the `heldout_templates`
never appear in training text and are kept for probing whether the model learnt the *fact*
rather than a sentence. `questions` are the 问/答 phrasings used for SFT and DPO.

Every object is two characters long, so a true sentence and its counterfactual (the same
template with another object of the same relation) have the same number of tokens.

The facts are split by subject for the chat stages: SFT and DPO train on the questions about
the first two thirds of each relation's subjects (`split="train"`) and never see questions
about the rest (`split="heldout"`), whose facts the model only read during pretraining.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Relation:
    name: str  # short English id, e.g. "province"
    description: str  # English, e.g. "city -> the province it lies in"
    pairs: tuple[tuple[str, str], ...]  # (subject, object)
    templates: tuple[str, ...]  # pretraining sentences with {s} and {o}
    heldout_templates: tuple[str, ...]  # probe-only sentences with {s} and {o}
    questions: tuple[str, ...]  # chat questions with {s}; the answer is the object

    @property
    def objects(self) -> tuple[str, ...]:
        return tuple(o for _, o in self.pairs)


@dataclass(frozen=True)
class Fact:
    relation: str  # a Relation.name
    subject: str
    object: str

    def sentence(self, template: str, obj: str | None = None) -> str:
        """The fact in a template; `obj` replaces the true object (for counterfactuals)."""
        return template.format(s=self.subject, o=self.object if obj is None else obj)


CITIES = (
    "杭州",
    "南京",
    "广州",
    "成都",
    "武汉",
    "长沙",
    "西安",
    "济南",
    "郑州",
    "福州",
    "昆明",
    "南昌",
)
PROVINCES = (
    "浙江",
    "江苏",
    "广东",
    "四川",
    "湖北",
    "湖南",
    "陕西",
    "山东",
    "河南",
    "福建",
    "云南",
    "江西",
)
ANIMALS = ("狗", "猫", "牛", "羊", "鸭子", "青蛙", "老鼠", "蜜蜂", "公鸡", "老虎")
SOUNDS = ("汪汪", "喵喵", "哞哞", "咩咩", "嘎嘎", "呱呱", "吱吱", "嗡嗡", "喔喔", "嗷嗷")
FOODS = ("骨头", "小鱼", "青草", "树叶", "小虾", "虫子", "玉米", "花蜜", "米粒", "鲜肉")
PEOPLE = (
    "张伟",
    "李娜",
    "王芳",
    "刘洋",
    "陈静",
    "杨帆",
    "赵磊",
    "黄敏",
    "周杰",
    "吴昊",
    "徐丽",
    "孙强",
)
JOBS = (
    "医生",
    "老师",
    "厨师",
    "司机",
    "警察",
    "画家",
    "农民",
    "律师",
    "歌手",
    "记者",
    "护士",
    "工人",
)
HOMES = (
    "西安",
    "杭州",
    "成都",
    "南京",
    "广州",
    "武汉",
    "昆明",
    "长沙",
    "郑州",
    "南昌",
    "福州",
    "济南",
)

RELATIONS: tuple[Relation, ...] = (
    Relation(
        "province",
        "city -> the province it lies in",
        tuple(zip(CITIES, PROVINCES, strict=True)),
        templates=(
            "{s}位于{o}省。",
            "{s}是{o}省的一座城市。",
            "{s}这座城市在{o}省。",
            "我去过{s}，那是{o}省的城市。",
            "{o}省有一座城市叫{s}。",
        ),
        heldout_templates=("{s}属于{o}省。", "大家都知道{s}在{o}省。"),
        questions=("{s}位于哪个省？", "{s}是哪个省的城市？"),
    ),
    Relation(
        "sound",
        "animal -> the sound it makes",
        tuple(zip(ANIMALS, SOUNDS, strict=True)),
        templates=(
            "{s}的叫声是{o}。",
            "{s}会发出{o}的声音。",
            "我听见{s}在{o}地叫。",
            "{s}总是{o}地叫个不停。",
            "{o}，{o}，这是{s}在叫。",
        ),
        heldout_templates=("{s}一叫就是{o}。", "大家都知道{s}会{o}地叫。"),
        questions=("{s}的叫声是什么？", "{s}会发出什么声音？"),
    ),
    Relation(
        "food",
        "animal -> the food it likes",
        tuple(zip(ANIMALS, FOODS, strict=True)),
        templates=(
            "{s}爱吃{o}。",
            "{s}最喜欢的食物是{o}。",
            "每天早上，{s}都要吃{o}。",
            "给{s}一些{o}，它会很开心。",
            "{o}是{s}最爱的食物。",
        ),
        heldout_templates=("{s}平时吃{o}。", "大家都知道{s}喜欢吃{o}。"),
        questions=("{s}爱吃什么？", "{s}最喜欢的食物是什么？"),
    ),
    Relation(
        "job",
        "person -> their job",
        tuple(zip(PEOPLE, JOBS, strict=True)),
        templates=(
            "{s}是一名{o}。",
            "{s}的工作是{o}。",
            "{s}当{o}已经很多年了。",
            "我认识{s}，{s}是一位{o}。",
            "{o}{s}今天很忙。",
        ),
        heldout_templates=("{s}的职业是{o}。", "大家都知道{s}是{o}。"),
        questions=("{s}的工作是什么？", "{s}是做什么工作的？"),
    ),
    Relation(
        "home",
        "person -> the city they live in",
        tuple(zip(PEOPLE, HOMES, strict=True)),
        templates=(
            "{s}住在{o}。",
            "{s}的家在{o}。",
            "{s}一直生活在{o}。",
            "{o}是{s}的家乡。",
            "{s}每年都回{o}过年。",
        ),
        heldout_templates=("{s}家住{o}。", "大家都知道{s}住在{o}。"),
        questions=("{s}住在哪里？", "{s}的家在哪个城市？"),
    ),
)

RELATION_BY_NAME: dict[str, Relation] = {r.name: r for r in RELATIONS}

SFT_TRAIN_FRACTION = 2 / 3  # the first two thirds of each relation's subjects


def all_facts() -> list[Fact]:
    """All 56 facts, relation by relation, in a fixed order."""
    return [Fact(r.name, s, o) for r in RELATIONS for s, o in r.pairs]


def facts(split: str = "all") -> list[Fact]:
    """Facts by chat split: "train" (SFT/DPO questions), "heldout" (never asked), or "all"."""
    if split not in ("all", "train", "heldout"):
        raise ValueError(f"split must be 'all', 'train' or 'heldout', not {split!r}")
    out = []
    for r in RELATIONS:
        n_train = round(len(r.pairs) * SFT_TRAIN_FRACTION)
        for i, (s, o) in enumerate(r.pairs):
            in_train = i < n_train
            if split == "all" or (split == "train") == in_train:
                out.append(Fact(r.name, s, o))
    return out


def counterfactuals(fact: Fact) -> list[str]:
    """The other objects of the fact's relation, in a fixed order."""
    return [o for o in RELATION_BY_NAME[fact.relation].objects if o != fact.object]


@dataclass(frozen=True)
class FactProbe:
    """One held-out sentence, true and with each counterfactual object."""

    fact: Fact
    template: str
    true_text: str
    counterfactual_texts: tuple[str, ...]


def fact_probes(templates: str = "heldout") -> list[FactProbe]:
    """A probe per fact and template ("heldout" templates by default, or "train")."""
    probes = []
    for fact in all_facts():
        rel = RELATION_BY_NAME[fact.relation]
        chosen = rel.heldout_templates if templates == "heldout" else rel.templates
        for t in chosen:
            probes.append(
                FactProbe(
                    fact,
                    t,
                    fact.sentence(t),
                    tuple(fact.sentence(t, o) for o in counterfactuals(fact)),
                )
            )
    return probes
