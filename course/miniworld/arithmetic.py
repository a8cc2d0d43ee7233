"""Two-step arithmetic with step-by-step solutions, and a checker for each step and the answer.

A problem is `a op1 b op2 c` with a, b, c in 1..20, ops + or -, and no negative number on the
way. Its chat question and step-by-step solution look like

    question: 12+7-5等于多少？
    solution: 12+7=19，19-5=14，答案：14。

About one problem in ten is kept for testing (`is_test_problem`, split="test"): it never
appears in training text, worked or in chat form. Pretraining text holds single-step
equations and worked problems in plain text ('计算12+7-5：12+7=19，19-5=14，得14。');
the chat format above is taught by SFT.

`check_steps` grades a model's solution twice over, as the reasoning notebook needs:
process (is each step right?) and outcome (is the final answer right?).
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

MAX_OPERAND = 20
OPS = ("+", "-")


def _apply(x: int, op: str, y: int) -> int:
    return x + y if op == "+" else x - y


@dataclass(frozen=True)
class ArithmeticProblem:
    numbers: tuple[int, int, int]  # a, b, c
    ops: tuple[str, str]  # op1, op2, each "+" or "-"

    @property
    def question(self) -> str:
        (a, b, c), (p, q) = self.numbers, self.ops
        return f"{a}{p}{b}{q}{c}等于多少？"

    @property
    def steps(self) -> list[tuple[int, str, int, int]]:
        """[(x, op, y, result), ...]: left to right, each step uses the previous result."""
        (a, b, c), (p, q) = self.numbers, self.ops
        r1 = _apply(a, p, b)
        return [(a, p, b, r1), (r1, q, c, _apply(r1, q, c))]

    @property
    def answer(self) -> int:
        return self.steps[-1][3]

    @property
    def solution(self) -> str:
        steps = "，".join(f"{x}{op}{y}={r}" for x, op, y, r in self.steps)
        return f"{steps}，答案：{self.answer}。"


def is_test_problem(problem: ArithmeticProblem) -> bool:
    """About one problem in ten, fixed by a hash of its numbers and operators, is kept out
    of training data so that accuracy can be measured on unseen problems."""
    (a, b, c), (p, q) = problem.numbers, problem.ops
    key = ((a * 21 + b) * 21 + c) * 4 + OPS.index(p) * 2 + OPS.index(q)
    return (key * 2654435761) % 2**32 % 10 == 0


def random_problem(rng: random.Random, split: str = "train") -> ArithmeticProblem:
    """One problem of the split ("train" or "test") with every intermediate result >= 0."""
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', not {split!r}")
    while True:
        nums = tuple(rng.randint(1, MAX_OPERAND) for _ in range(3))
        ops = (rng.choice(OPS), rng.choice(OPS))
        problem = ArithmeticProblem(nums, ops)  # type: ignore[arg-type]
        if all(r >= 0 for *_, r in problem.steps) and is_test_problem(problem) == (split == "test"):
            return problem


def arithmetic_problems(n: int, seed: int = 0, split: str = "train") -> list[ArithmeticProblem]:
    """n problems of the split from `random.Random(seed)` (duplicates possible)."""
    rng = random.Random(seed)
    return [random_problem(rng, split) for _ in range(n)]


def equation_sentence(rng: random.Random) -> str:
    """Arithmetic for pretraining text: half single-step equations ('19-5=14。', left operands
    up to 40 so that second steps are covered too), half worked problems of the "train" split
    in a plain-text form ('计算12+7-5：12+7=19，19-5=14，得14。'), not the chat format."""
    if rng.random() < 0.5:
        p = random_problem(rng, "train")
        (a, b, c), (o1, o2) = p.numbers, p.ops
        steps = "，".join(f"{x}{op}{y}={r}" for x, op, y, r in p.steps)
        return f"计算{a}{o1}{b}{o2}{c}：{steps}，得{p.answer}。"
    while True:
        x, y, op = rng.randint(0, 2 * MAX_OPERAND), rng.randint(1, MAX_OPERAND), rng.choice(OPS)
        z = _apply(x, op, y)
        if z >= 0:
            return f"{x}{op}{y}={z}。"


@dataclass(frozen=True)
class StepCheck:
    steps: tuple[bool, ...]  # one per expected step: right operands, operator and result
    answer: int | None  # the final answer written after '答案：', or None if unreadable
    answer_correct: bool  # outcome: the final answer equals the problem's answer
    format_ok: bool  # exactly the expected steps, then '答案：N', each readable

    @property
    def all_steps_correct(self) -> bool:
        return all(self.steps)


_STEP_RE = re.compile(r"^(\d+)([+-])(\d+)=(\d+)$")
_ANSWER_RE = re.compile(r"^答案：(\d+)$")


def check_steps(solution: str, problem: ArithmeticProblem) -> StepCheck:
    """Grade a solution text step by step and by its final answer.

    A step is correct when it takes its operands from the problem and from the previous
    step's written result (so one wrong step does not make every later step wrong), uses
    the problem's operator, and its own arithmetic is right. Missing steps count as wrong.
    """
    text = solution.replace("<eos>", "").strip()
    text = text[:-1] if text.endswith("。") else text
    parts = text.split("，") if text else []
    answer = None
    if parts and (m := _ANSWER_RE.match(parts[-1])):
        answer = int(m.group(1))
        parts = parts[:-1]
    expected = problem.steps
    results: list[bool] = []
    readable = 0
    left = problem.numbers[0]
    for i, (_, op, y, _) in enumerate(expected):
        m = _STEP_RE.match(parts[i]) if i < len(parts) else None
        if m is None:
            results.append(False)
            continue
        readable += 1
        x2, op2, y2, z2 = int(m.group(1)), m.group(2), int(m.group(3)), int(m.group(4))
        results.append(x2 == left and op2 == op and y2 == y and _apply(x2, op2, y2) == z2)
        left = z2
    format_ok = answer is not None and readable == len(expected) == len(parts)
    return StepCheck(tuple(results), answer, answer == problem.answer, format_ok)
