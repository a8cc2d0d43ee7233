"""Write grades into nbgrader's gradebook, so formgrader, `nbgrader export` and friends see them.

The assignment, its notebooks and cells are registered the canonical way (nbgrader's own
generate_assignment with a database); scores are then written as `auto_score` of each grade.
"""

from __future__ import annotations

import tempfile
import warnings
from collections.abc import Iterable
from pathlib import Path

from nbgrader.api import Gradebook
from sqlalchemy.exc import SAWarning

from autograder.release import COURSE_ID, generate


def register_assignments(root: Path, db_url: str, slugs: Iterable[str]) -> None:
    """Create or update the assignments and their cells in the gradebook at `db_url`."""
    with tempfile.TemporaryDirectory() as tmp:
        for slug in slugs:
            generate(root, slug, release_dir=Path(tmp), db_url=db_url)


def write_scores(db_url: str, rows: list[dict]) -> None:
    """rows: dicts with student, assignment, notebook, grade_id, points (one per grade cell)."""
    with Gradebook(db_url, course_id=COURSE_ID) as gb, warnings.catch_warnings():
        # nbgrader's own add-submission path trips SQLAlchemy's autoflush warning; harmless.
        warnings.simplefilter("ignore", SAWarning)
        submissions = {(r["student"], r["assignment"]) for r in rows}
        for student, assignment in sorted(submissions):
            gb.update_or_create_student(student)
            gb.update_or_create_submission(assignment, student)
        for r in rows:
            try:
                grade = gb.find_grade(r["grade_id"], r["notebook"], r["assignment"], r["student"])
            except Exception:  # a grade cell the gradebook does not know: reported in the CSV
                continue
            grade.auto_score = float(r["points"])
        gb.db.commit()


def totals(db_url: str, assignment: str) -> dict[str, float]:
    """Student -> total score of `assignment`, as the gradebook computes it."""
    with Gradebook(db_url) as gb:
        return {s.student.id: s.score for s in gb.assignment_submissions(assignment)}
