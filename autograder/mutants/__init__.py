"""Mutants: realistic wrong implementations (and correct alternatives) of graded functions.

They prove that checks catch real mistakes: tests/test_mutants.py runs every mutant against
every check of its function in-process; a wrong one must lose points (and show its oracle's
hint where `oracle` is set), a correct one must keep full points. `autograder demo` also
pastes a few of them into synthetic student notebooks.

Rules for a mutant module (one per level, e.g. dot_product.py):
* each mutant is a top-level `def <function>__<what_is_wrong>(...)` with the student
  function's signature, using only the notebook's globals: `torch`, `math`, `F`
  (torch.nn.functional) and `Tensor`;
* it is registered in the module's MUTANTS tuple.
"""

from __future__ import annotations

import inspect
import re
import textwrap
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Mutant:
    function: str  # the student function it stands in for, e.g. "cosine_similarity"
    fn: Callable
    correct: bool  # True: a correct alternative that must keep full points
    oracle: str = ""  # for a wrong mutant: the oracle whose hint must be shown ("" = none)
    why: str = ""  # one line: the mistake (or the alternative) in English

    @property
    def name(self) -> str:
        return self.fn.__name__

    def source(self) -> str:
        """The mutant's code renamed to the student function, ready for a solution cell."""
        # generated mutants (e.g. whole classes from a template) carry their own source
        code = getattr(self.fn, "__mutant_source__", None) or inspect.getsource(self.fn)
        return re.sub(
            rf"\b(def|class) {re.escape(self.fn.__name__)}\(",
            rf"\1 {self.function}(",
            textwrap.dedent(code),
            count=1,
        )


def all_mutants() -> list[Mutant]:
    from autograder.mutants import (
        dot_product,
        llm_essence,
        math_foundations,
        pretrain_finetune,
        representation,
    )

    return [
        *math_foundations.MUTANTS,
        *dot_product.MUTANTS,
        *representation.MUTANTS,
        *llm_essence.MUTANTS,
        *pretrain_finetune.MUTANTS,
    ]
