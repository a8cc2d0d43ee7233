"""Progress of a grading run: a tqdm bar on a terminal, one plain line per notebook otherwise.

The bar shows done / total, the ETA and how many notebooks did not end `ok`; notebooks kept
from an earlier run (unchanged submissions) count as done at once. Everything goes to stderr,
so the summary table on stdout stays clean for pipes.
"""

from __future__ import annotations

import sys

from tqdm.auto import tqdm


class Progress:
    """The `on_progress` callback of `grade_class`, as a context manager."""

    def __init__(self, quiet: bool = False, stream=None):
        self.stream = stream or sys.stderr
        self.quiet = quiet
        self.bar = None
        self.problems = 0

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc) -> None:
        if self.bar is not None:
            self.bar.close()

    def start(self, total: int) -> None:
        """Called by grade_class once it knows how many notebooks there are."""
        if not self.quiet and self.stream.isatty():
            self.bar = tqdm(total=total, unit="nb", file=self.stream, dynamic_ncols=True)

    def __call__(self, job, outcome, reused: bool) -> None:
        if outcome.status != "ok":
            self.problems += 1
        if self.bar is not None:
            self.bar.update(1)
            self.bar.set_postfix(not_ok=self.problems, refresh=False)
        elif not self.quiet:
            got = sum(r.points for r in outcome.results)
            total = sum(r.max_points for r in outcome.results)
            verb = "kept  " if reused else "graded"
            print(f"{verb} {job.key}: {got:g}/{total:g} {outcome.status}", file=self.stream)
