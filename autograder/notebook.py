"""In-kernel mode: what a hidden test cell calls in the source notebook.

    ### BEGIN HIDDEN TESTS
    from autograder.notebook import check
    check("L-2/cosine_similarity/values", cosine_similarity)
    ### END HIDDEN TESTS

The check runs entirely in this process and raises AssertionError (with the Chinese reason and
hint) unless every case passes, so nbval, `nbgrader validate` and stock `nbgrader autograde`
work unchanged. Our grading engine never runs this: it rewrites the cell to
`course.evidence.record(...)` and judges outside the kernel.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from autograder import checks
from autograder.check import Verdict, link_dependencies
from course.evidence import globals_of

# The exact shape of a hidden call; the grading engine parses grade cells with it.
HIDDEN_CALL = re.compile(
    r'^check\("(?P<id>[^"]+)",\s*(?P<fn>[A-Za-z_][A-Za-z0-9_]*)\)\s*$', re.MULTILINE
)


def check(check_id: str, fn: Callable) -> None:
    verdict = checks.get(check_id).run(fn)
    if not verdict.passed and verdict.calls:
        verdict = link_dependencies([verdict, *_called_verdicts(check_id, fn, verdict.calls)])[0]
    if not verdict.passed:
        raise AssertionError(verdict.message())
    print(verdict.message())


def _called_verdicts(check_id: str, fn: Callable, called: tuple[str, ...]) -> list[Verdict]:
    """Run the own checks of each graded function `fn` called (same level, in this kernel)."""
    level = check_id.split("/", 1)[0]
    namespace = globals_of(fn) or {}  # a class (TransformerBlock) via its methods
    verdicts = []
    for name in called:
        helper = namespace.get(name)
        for other in checks.for_function(name):
            if other.id.split("/", 1)[0] == level and callable(helper):
                verdicts.append(other.run(helper))
    return verdicts
