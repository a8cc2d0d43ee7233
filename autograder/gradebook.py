"""Write grades into nbgrader's gradebook, so formgrader, `nbgrader export` and friends see them.

The assignment, its notebooks and cells are registered the canonical way (nbgrader's own
generate_assignment with a database). Each graded notebook then gets the rows nbgrader's own
`autograde` would leave (nbgrader/preprocessors/saveautogrades.py), plus what only we know:

    grade.auto_score           the judged points
    grade.needs_manual_grade   False, as stock autograde leaves a scored cell; True where a
                               human must look: a grade cell without a hidden check (auto_score
                               None), or one an instructor already scored by hand (stock rule)
    comment.auto_comment       per solution cell: each check on its function with points, the
                               failing case and reason, and the Chinese hint (formgrader shows
                               it in the comment box; `nbgrader generate_feedback` prints it)
    notebook.flagged           True for a `tampered` notebook. A tampered notebook is still
                               scored (locked cells were restored, the judge ran outside the
                               kernel), so its cells do not need manual grading: the flag asks
                               for a review. A flag is never cleared here (an instructor's own).
    submission.timestamp       from nbgrader's timestamp.txt (store_timestamps), so formgrader
                               counts the submission as autograded and lateness is visible
    assignment.duedate         the `--due` of `autograder grade` (store_due_date)
"""

from __future__ import annotations

import contextlib
import re
import tempfile
import warnings
from collections import defaultdict
from collections.abc import Iterable, Iterator
from datetime import datetime, timezone
from pathlib import Path

from nbgrader.api import Gradebook, MissingEntry
from nbgrader.utils import parse_utc
from sqlalchemy.exc import SAWarning

from autograder import alembic_head, checks
from autograder.release import COURSE_ID, generate

alembic_head.install()  # new gradebooks: no `alembic heads` subprocess


def register_assignments(root: Path, db_url: str, slugs: Iterable[str]) -> None:
    """Create or update the assignments and their cells in the gradebook at `db_url`."""
    with tempfile.TemporaryDirectory() as tmp:
        for slug in slugs:
            generate(root, slug, release_dir=Path(tmp), db_url=db_url)


@contextlib.contextmanager
def _open(db_url: str) -> Iterator[Gradebook]:
    """The gradebook, without SQLAlchemy's autoflush warning that nbgrader's own
    add-submission path trips (harmless)."""
    with Gradebook(db_url, course_id=COURSE_ID) as gb, warnings.catch_warnings():
        warnings.simplefilter("ignore", SAWarning)
        yield gb


def _solution_cell_of(gb: Gradebook, notebook: str, assignment: str) -> dict[str, str]:
    """Function name -> grade_id of the solution cell that defines it (its released stub)."""
    found: dict[str, str] = {}
    nb = gb.find_notebook(notebook, assignment)
    for cell in nb.solution_cells:
        source = gb.find_source_cell(cell.name, notebook, assignment).source or ""
        for name in re.findall(r"^def\s+([A-Za-z_]\w*)\s*\(", source, re.MULTILINE):
            found.setdefault(name, cell.name)
        found.setdefault(cell.name, cell.name)  # fallback: the cell is named after it
    return found


def comment_text(rows: list[dict]) -> str:
    """The per-solution-cell comment: one line per check, then the reason and hint of a miss.

    No hidden-test source and no reference code: the text is built from results only.
    """
    got = sum(r["points"] for r in rows)
    total = sum(r["max_points"] for r in rows)
    lines = [f"自动评分 (auto-graded): {got:g} / {total:g}"]
    for r in rows:
        mark = "✓" if r["status"] == "passed" else "✗"
        lines.append(
            f"{mark} {r['title']} [{r['grade_id']}] {r['points']:g} / {r['max_points']:g}"
            + ("" if r["status"] == "passed" else f" ({r['status']})")
        )
        if r["status"] != "passed" and r.get("message"):
            lines.append(f"  原因 (reason): {r['message']}")
        if r.get("hint"):
            lines.append(f"  提示 (hint): {r['hint']}")
    return "\n".join(lines)


def write_scores(db_url: str, rows: list[dict]) -> None:
    """rows: grades.csv rows (student, assignment, notebook, grade_id, points, status, hint,
    message, notebook_status, …), one per grade cell. See the module docstring for what is set.
    """
    with _open(db_url) as gb:
        for student, assignment in sorted({(r["student"], r["assignment"]) for r in rows}):
            gb.update_or_create_student(student)
            gb.update_or_create_submission(assignment, student)
        by_notebook: dict[tuple[str, str, str], list[dict]] = defaultdict(list)
        for r in rows:
            by_notebook[(r["student"], r["assignment"], r["notebook"])].append(r)
        owners_of: dict[tuple[str, str], dict[str, str]] = {}
        for (student, assignment, notebook), group in sorted(by_notebook.items()):
            try:
                submitted = gb.find_submission_notebook(notebook, assignment, student)
                if (notebook, assignment) not in owners_of:
                    owners_of[notebook, assignment] = _solution_cell_of(gb, notebook, assignment)
                owners = owners_of[notebook, assignment]
            except MissingEntry:  # a notebook the gradebook does not know: in the CSV
                continue
            per_solution: dict[str, list[dict]] = defaultdict(list)
            for r in group:
                _write_grade(gb, r)
                if r.get("check_id"):
                    owner = owners.get(checks.get(r["check_id"]).function)
                    if owner:
                        per_solution[owner].append(r)
            for cell_id, cell_rows in per_solution.items():
                comment = gb.find_comment(cell_id, notebook, assignment, student)
                comment.auto_comment = comment_text(cell_rows)
            if any(r.get("notebook_status") == "tampered" for r in group):
                submitted.flagged = True
        gb.db.commit()


def _write_grade(gb: Gradebook, r: dict) -> None:
    try:
        grade = gb.find_grade(r["grade_id"], r["notebook"], r["assignment"], r["student"])
    except MissingEntry:  # a grade cell the gradebook does not know: reported in the CSV
        return
    if r["status"] == "manual":  # no hidden check: a human grades it (stock: auto_score None)
        grade.auto_score = None
        grade.needs_manual_grade = True
        return
    grade.auto_score = float(r["points"])
    # nbgrader's rule (SaveAutoGrades._add_score): a cell already scored by hand stays for review
    grade.needs_manual_grade = grade.manual_score is not None


def read_timestamp(folder: Path) -> datetime | None:
    """nbgrader's timestamp.txt in a submission folder, as nbgrader stores it (naive UTC).

    None when the file is absent or unreadable (nbgrader then stores no timestamp either).
    """
    path = folder / "timestamp.txt"
    try:
        return parse_utc(path.read_text(encoding="utf-8").strip())
    except (OSError, ValueError, OverflowError):
        return None


def store_timestamps(db_url: str, stamps: dict[tuple[str, str], datetime | None]) -> None:
    """(student, assignment) -> submission time; stored as nbgrader's autograde stores it.

    Formgrader counts a submission as autograded only when this equals the timestamp.txt in
    submitted/ (nbgrader.apps.api.NbGraderAPI.get_autograded_students).
    """
    with _open(db_url) as gb:
        for (student, assignment), stamp in sorted(stamps.items()):
            gb.update_or_create_student(student)
            submission = gb.update_or_create_submission(assignment, student)
            submission.timestamp = parse_utc(stamp) if stamp is not None else None
        gb.db.commit()


def store_due_date(db_url: str, assignments: Iterable[str], due: datetime) -> None:
    """Set the assignments' due date (what `nbgrader db assignment add --duedate` sets)."""
    if due.tzinfo is None:
        due = due.replace(tzinfo=timezone.utc)
    with Gradebook(db_url) as gb:
        for slug in assignments:
            gb.update_or_create_assignment(slug, duedate=parse_utc(due))


def totals(db_url: str, assignment: str) -> dict[str, float]:
    """Student -> total score of `assignment`, as the gradebook computes it."""
    with Gradebook(db_url) as gb:
        return {s.student.id: s.score for s in gb.assignment_submissions(assignment)}
