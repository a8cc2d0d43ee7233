"""Assemble the notebook that is actually graded from a student's submission.

The cell matching and restoring is `course.assembly.assemble`, shared with `course check`
(so a student sees locally the notebook the grader runs); see its docstring for the rules.
The grader assembles on the instructor's source notebook (template) with the release notebook
as stubs, then rewrites every grade cell with a hidden check to the kernel half of judged mode,
`course.evidence.record(<check id>, <function>)`: visible asserts are a help, not the grade.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from nbformat import NotebookNode

from autograder.notebook import HIDDEN_CALL
from course.assembly import assemble as assemble_cells
from course.assembly import nbgrader_meta

__all__ = [
    "Assembly",
    "GradeCell",
    "assemble",
    "evidence_source",
    "grade_cells_of",
    "nbgrader_meta",
]


@dataclass(frozen=True)
class GradeCell:
    grade_id: str
    points: float
    check_id: str  # "" for a grade cell without a hidden check (manual grading)
    function: str


@dataclass
class Assembly:
    notebook: NotebookNode
    grade_cells: list[GradeCell]
    integrity: list[str] = field(default_factory=list)  # English, for the instructor
    student_code: list[tuple[str, str]] = field(default_factory=list)  # (where, code) that runs


def grade_cells_of(source: NotebookNode) -> list[GradeCell]:
    """The grade cells of a source notebook with the check each one calls."""
    cells = []
    for cell in source.cells:
        meta = nbgrader_meta(cell)
        if not meta.get("grade"):
            continue
        match = HIDDEN_CALL.search(cell.source) if cell.cell_type == "code" else None
        cells.append(
            GradeCell(
                meta["grade_id"],
                float(meta.get("points", 0)),
                match["id"] if match else "",
                match["fn"] if match else "",
            )
        )
    return cells


def evidence_source(check_id: str, function: str) -> str:
    return (
        "from course.evidence import record as _course_record\n"
        f'_course_record("{check_id}", globals().get("{function}"))\n'
    )


def assemble(student: NotebookNode, source: NotebookNode, release: NotebookNode) -> Assembly:
    """The graded notebook: `student` rebuilt on `source`, grade cells collecting evidence."""
    built = assemble_cells(student, source, release)
    grade_cells = grade_cells_of(source)
    by_gid = {g.grade_id: g for g in grade_cells}
    for cell in built.notebook.cells:
        gc = by_gid.get(nbgrader_meta(cell).get("grade_id", ""))
        if gc and gc.check_id and nbgrader_meta(cell).get("grade"):
            cell.source = evidence_source(gc.check_id, gc.function)
    return Assembly(built.notebook, grade_cells, built.notes, built.student_code)
