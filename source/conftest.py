"""pytest (nbval) over the source notebooks: run their training demos in the short form.

A notebook's long demos (L+1 trains TinyGPT for about a minute) shrink when
NBGRADER_EXECUTION is set (nbgrader validating or autograding) or COURSE_FAST_DEMOS is set,
as here; nbval's kernels inherit this environment. The full learner runs are timed by
benchmarks/notebook_budget.py instead. Nothing in this folder's root is released: nbgrader
copies only source/<assignment>/.
"""

from __future__ import annotations

import os

os.environ.setdefault("COURSE_FAST_DEMOS", "1")
