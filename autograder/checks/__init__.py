"""The registry of checks: every hidden grade cell calls one of these by id.

One module per level; each exports CHECKS, a tuple of `autograder.check.Check` in notebook
order. Ids look like "L-2/cosine_similarity/values": level label, function, aspect.
"""

from __future__ import annotations

import functools

from autograder.check import Check
from autograder.checks import (
    dot_product,
    llm_essence,
    math_foundations,
    pretrain_finetune,
    representation,
)

MODULES = (math_foundations, dot_product, representation, llm_essence, pretrain_finetune)


@functools.cache
def all_checks() -> dict[str, Check]:
    registry: dict[str, Check] = {}
    for module in MODULES:
        for check in module.CHECKS:
            if check.id in registry:
                raise ValueError(f"duplicate check id {check.id}")
            registry[check.id] = check
    return registry


def get(check_id: str) -> Check:
    try:
        return all_checks()[check_id]
    except KeyError:
        raise KeyError(f"unknown check {check_id!r}") from None


def for_function(function: str) -> list[Check]:
    """Every check that grades the student function `function`."""
    return [c for c in all_checks().values() if c.function == function]
