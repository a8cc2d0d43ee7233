"""The mini-world: facts and splits, pretraining text, SFT and preference pairs, arithmetic."""

from __future__ import annotations

import random

import pytest

from course.miniworld import (
    RELATION_BY_NAME,
    RELATIONS,
    all_facts,
    arithmetic_problems,
    check_steps,
    counterfactuals,
    domain_sentences,
    fact_probes,
    fact_questions,
    facts,
    judge_fact,
    judge_style,
    parse_answer,
    preference_pairs,
    pretraining_documents,
    sft_pairs,
)
from course.miniworld.arithmetic import ArithmeticProblem, is_test_problem
from course.miniworld.chat import strip_rambling
from course.tokenizer import CharTokenizer, chat_text

TOK = CharTokenizer.default()
DOCS = pretraining_documents(3000, seed=0)
CORPUS = "".join(DOCS)


# ---- facts -------------------------------------------------------------------------------


def test_world_size():
    subjects = {f.subject for f in all_facts()}
    assert len(all_facts()) == 56
    assert len(subjects) == 34  # a few dozen entities
    assert len(RELATIONS) == 5


def test_objects_are_two_characters_and_distinct_within_a_relation():
    for rel in RELATIONS:
        assert all(len(o) == 2 for o in rel.objects), rel.name
        assert len(set(rel.objects)) == len(rel.objects), rel.name
        assert len({s for s, _ in rel.pairs}) == len(rel.pairs), rel.name


def test_each_relation_has_several_templates_and_held_out_ones():
    for rel in RELATIONS:
        assert len(rel.templates) >= 4 and len(rel.heldout_templates) >= 2
        assert not set(rel.templates) & set(rel.heldout_templates)
        for t in rel.templates + rel.heldout_templates:
            assert "{s}" in t and "{o}" in t


def test_chat_split_is_by_subject_and_partitions_the_facts():
    train, heldout = facts("train"), facts("heldout")
    assert sorted(map(repr, train + heldout)) == sorted(map(repr, all_facts()))
    assert len(train) == 38 and len(heldout) == 18
    # people and animals are held out as whole entities (both of their relations)
    held_subjects = {f.subject for f in heldout}
    assert not held_subjects & {f.subject for f in train}
    with pytest.raises(ValueError):
        facts("test")


def test_fact_probes_compare_equal_length_sentences():
    probes = fact_probes()
    assert len(probes) == 56 * 2
    for p in probes:
        assert p.fact.object in p.true_text
        assert len(p.counterfactual_texts) == len(counterfactuals(p.fact)) >= 9
        assert all(len(c) == len(p.true_text) for c in p.counterfactual_texts)
        assert p.true_text not in p.counterfactual_texts
    assert len(fact_probes("train")) == 56 * 5


# ---- pretraining text --------------------------------------------------------------------


def test_documents_are_seeded():
    assert pretraining_documents(20, seed=3) == pretraining_documents(20, seed=3)
    assert pretraining_documents(20, seed=3) != pretraining_documents(20, seed=4)


def test_every_fact_appears_in_training_templates():
    for fact in all_facts():
        rel = RELATION_BY_NAME[fact.relation]
        seen = sum(fact.sentence(t) in CORPUS for t in rel.templates)
        assert seen >= 3, fact


def test_held_out_sentences_never_appear_but_their_words_do():
    for p in fact_probes("heldout"):
        assert p.true_text not in CORPUS
    for rel in RELATIONS:
        for t in rel.heldout_templates:
            assert all(ch in CORPUS for ch in t.format(s="", o=""))


def test_filler_mentions_no_entity():
    subjects = {f.subject for f in all_facts()} | {o for f in all_facts() for o in [f.object]}
    for sentence in domain_sentences("filler", 500, seed=1):
        assert not any(name in sentence for name in subjects), sentence


def test_arithmetic_sentences_are_true_and_avoid_test_problems():
    kinds = set()
    for sentence in domain_sentences("arithmetic", 300, seed=2):
        if sentence.startswith("计算"):  # a worked problem in plain text
            kinds.add("worked")
            expr, rest = sentence.removeprefix("计算").split("：")
            steps, result = rest.rstrip("。").split("，得")
            problem = _problem_from_question(expr + "等于多少？")
            assert not is_test_problem(problem)
            check = check_steps(f"{steps}，答案：{result}。", problem)
            assert check.all_steps_correct and check.answer_correct and check.format_ok
        else:
            kinds.add("equation")
            lhs, rhs = sentence.rstrip("。").split("=")
            assert eval(lhs) == int(rhs) >= 0  # noqa: S307 - digits and +/- only
    assert kinds == {"worked", "equation"}


def test_all_generated_text_is_in_the_vocabulary():
    TOK.encode(CORPUS, strict=True)
    for p in sft_pairs(500, seed=1):
        TOK.encode(chat_text(p.question, p.answer), strict=True)
    for p in preference_pairs(200, seed=1) + preference_pairs(200, seed=1, kind="fact"):
        TOK.encode(p.question + p.chosen + p.rejected, strict=True)


# ---- SFT pairs ---------------------------------------------------------------------------


def test_sft_pairs_mix_styles_and_arithmetic_and_avoid_held_out_facts():
    pairs = sft_pairs(3000, seed=5)
    assert pairs == sft_pairs(3000, seed=5)
    held = {f.subject for f in facts("heldout")}
    fact_pairs = [p for p in pairs if p.kind == "fact"]
    assert not any(p.fact.subject in held for p in fact_pairs)
    rambling = sum(p.style == "rambling" for p in fact_pairs) / len(fact_pairs)
    assert 0.65 < rambling < 0.75
    arith = sum(p.kind == "arithmetic" for p in pairs) / len(pairs)
    assert 0.25 < arith < 0.35
    for p in fact_pairs:
        assert parse_answer(p.answer) == p.fact.object
        assert judge_style(p.answer) == p.style
    for p in pairs:
        if p.kind == "arithmetic":
            prob = _problem_from_question(p.question)
            assert not is_test_problem(prob)
            assert check_steps(p.answer, prob).answer_correct


def test_fact_questions_cover_each_phrasing():
    qs = fact_questions("heldout")
    assert len(qs) == 2 * len(facts("heldout"))
    assert ("郑州位于哪个省？", facts("heldout")[0]) in qs


def test_parse_answer():
    assert parse_answer("浙江。") == "浙江"
    assert parse_answer("浙江。希望对你有帮助！") == "浙江"
    assert parse_answer("浙江。希望对你有帮助！还有别的问题吗？") == "浙江"
    assert parse_answer("希望对你有帮助！浙江。") is None  # fillers come after the answer
    assert parse_answer("浙江") is None  # no full stop
    assert parse_answer("浙江。江苏。") is None  # two answers
    assert parse_answer("杭州位于浙江省。就是这样的城市。") is None  # a sentence, not an answer
    assert parse_answer("") is None


# ---- preference pairs and judges ----------------------------------------------------------


def test_style_pairs_differ_only_in_rambling():
    for p in preference_pairs(300, seed=2):
        assert judge_style(p.chosen) == "concise" and judge_style(p.rejected) == "rambling"
        assert strip_rambling(p.rejected)[0] == p.chosen
        assert judge_fact(p.chosen, p.fact) == judge_fact(p.rejected, p.fact) == "correct"
        assert p.fact in facts("train")


def test_fact_pairs_differ_only_in_the_fact():
    for p in preference_pairs(300, seed=2, kind="fact"):
        assert judge_style(p.chosen) == judge_style(p.rejected) == "concise"
        assert judge_fact(p.chosen, p.fact) == "correct"
        assert judge_fact(p.rejected, p.fact) == "wrong"
    with pytest.raises(ValueError):
        preference_pairs(1, kind="length")


def test_judges_on_hand_written_responses():
    fact = facts()[0]  # 杭州 -> 浙江
    assert judge_style("浙江。") == "concise"
    assert judge_style("浙江。还有别的问题吗？") == "rambling"
    assert judge_style("浙江。希望对你有帮助！这就是我知道的。") == "rambling"
    assert judge_style("希望对你有帮助！") == "other"
    assert judge_style("杭州位于浙江省。") == "other"
    assert judge_fact("江苏。", fact) == "wrong"
    assert judge_fact("浙江。这就是我知道的。", fact) == "correct"
    assert judge_fact("浙江浙江浙江浙江浙江", fact) == "other"
    assert judge_fact("汪汪。", fact) == "other"  # an answer, but not a province
    assert judge_fact("儿一叫。", fact) == "other"


# ---- arithmetic ------------------------------------------------------------------------------


def _problem_from_question(q: str) -> ArithmeticProblem:
    expr = q.removesuffix("等于多少？")
    nums, ops, cur = [], [], ""
    for ch in expr:
        if ch in "+-":
            nums.append(int(cur))
            ops.append(ch)
            cur = ""
        else:
            cur += ch
    nums.append(int(cur))
    return ArithmeticProblem(tuple(nums), tuple(ops))


def test_problems_and_solutions():
    p = ArithmeticProblem((12, 7, 5), ("+", "-"))
    assert p.question == "12+7-5等于多少？"
    assert p.solution == "12+7=19，19-5=14，答案：14。"
    assert p.answer == 14
    for prob in arithmetic_problems(500, seed=1):
        assert all(r >= 0 for *_, r in prob.steps)
        assert all(1 <= n <= 20 for n in prob.numbers)
        assert _problem_from_question(prob.question) == prob
        assert prob.answer == eval(prob.question.removesuffix("等于多少？"))  # noqa: S307


def test_test_split_is_about_a_tenth_and_disjoint():
    rng = random.Random(0)
    sample = [
        ArithmeticProblem(
            (rng.randint(1, 20), rng.randint(1, 20), rng.randint(1, 20)),
            (rng.choice("+-"), rng.choice("+-")),
        )
        for _ in range(4000)
    ]
    share = sum(map(is_test_problem, sample)) / len(sample)
    assert 0.07 < share < 0.13
    assert all(is_test_problem(p) for p in arithmetic_problems(100, seed=3, split="test"))
    assert not any(is_test_problem(p) for p in arithmetic_problems(100, seed=3))


def test_check_steps_process_and_outcome():
    p = ArithmeticProblem((12, 7, 5), ("+", "-"))
    ok = check_steps("12+7=19，19-5=14，答案：14。", p)
    assert ok.steps == (True, True) and ok.answer_correct and ok.format_ok and ok.answer == 14
    assert check_steps("12+7=19，19-5=14，答案：14。<eos>", p).all_steps_correct
    # a wrong first step; the second step is right given what was written
    bad = check_steps("12+7=18，18-5=13，答案：13。", p)
    assert bad.steps == (False, True) and not bad.answer_correct and bad.format_ok
    # right steps, wrong final answer (outcome fails, process passes)
    slip = check_steps("12+7=19，19-5=14，答案：15。", p)
    assert slip.all_steps_correct and not slip.answer_correct
    # the wrong operand or operator is a wrong step even if its arithmetic is true
    assert check_steps("12+7=19，19+5=24，答案：24。", p).steps == (True, False)
    assert check_steps("12+8=20，20-5=15，答案：15。", p).steps == (False, True)
    # only an answer: outcome right, no process, wrong format
    short = check_steps("答案：14。", p)
    assert short.answer_correct and short.steps == (False, False) and not short.format_ok
    # unreadable
    junk = check_steps("浙江。", p)
    assert junk.answer is None and not junk.answer_correct and not junk.format_ok
    extra = check_steps("12+7=19，19-5=14，14+0=14，答案：14。", p)
    assert extra.all_steps_correct and not extra.format_ok
