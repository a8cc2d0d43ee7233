"""Assemble the notebook that is actually graded from a student's submission.

The instructor's source notebook is the template, so a submission is graded on the original
tests whatever happened to its copy:

* solution cells (nbgrader `solution: true`) come from the student, matched by grade_id; a
  missing one falls back to the release stub (which raises NotImplementedError);
* locked cells (grade cells, read-only cells) always come from the source; an edited one is
  reported as "restored", a deleted one as "missing", extra copies are dropped;
* other cells the student kept (matched by cell id) and cells the student added stay where the
  student put them, after the nearest preceding matched cell; copies of a solution cell keep
  their code (Python semantics: the last definition wins) but lose their nbgrader metadata;
* every grade cell with a hidden check is rewritten to the kernel half of judged mode,
  `course.evidence.record(<check id>, <function>)`; visible asserts are a help, not the grade.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

from nbformat import NotebookNode

from autograder.notebook import HIDDEN_CALL

START = ("start", "")


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


def nbgrader_meta(cell: NotebookNode) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {}) or {}


def _key(cell: NotebookNode) -> tuple[str, str]:
    gid = nbgrader_meta(cell).get("grade_id")
    return ("gid", str(gid)) if gid else ("id", str(cell.get("id", "")))


def grade_cells_of(source: NotebookNode) -> list[GradeCell]:
    """The grade cells of a source notebook with the check each one calls."""
    cells = []
    for cell in source.cells:
        meta = nbgrader_meta(cell)
        if not meta.get("grade"):
            continue
        match = HIDDEN_CALL.search(cell.source) if cell.cell_type == "code" else None
        cells.append(GradeCell(meta["grade_id"], float(meta.get("points", 0)),
                               match["id"] if match else "", match["fn"] if match else ""))
    return cells


def evidence_source(check_id: str, function: str) -> str:
    return ("from course.evidence import record as _course_record\n"
            f'_course_record("{check_id}", globals().get("{function}"))\n')


def assemble(student: NotebookNode, source: NotebookNode, release: NotebookNode) -> Assembly:
    source_keys = {_key(c) for c in source.cells}
    release_by_key = {_key(c): c for c in release.cells}
    matched: dict[tuple[str, str], NotebookNode] = {}
    extras: dict[tuple[str, str], list[NotebookNode]] = {START: []}
    integrity: list[str] = []
    anchor = START
    for cell in student.cells:
        key = _key(cell)
        if key in source_keys and key not in matched:
            matched[key] = cell
            anchor = key
            extras.setdefault(key, [])
            continue
        if key in source_keys and key[0] == "gid":  # a second copy of a labelled cell
            src_meta = nbgrader_meta(next(c for c in source.cells if _key(c) == key))
            if src_meta.get("solution"):
                extra = copy.deepcopy(cell)
                extra.metadata.pop("nbgrader", None)
                extras[anchor].append(extra)
                integrity.append(f"duplicated solution cell {key[1]!r}: copies kept as plain cells")
            else:
                integrity.append(f"duplicated locked cell {key[1]!r}: copy dropped")
            continue
        extra = copy.deepcopy(cell)
        extra.metadata.pop("nbgrader", None)  # an unknown grade_id earns nothing
        if nbgrader_meta(cell):
            integrity.append(f"unknown nbgrader cell {key[1]!r}: kept as a plain cell")
        extras[anchor].append(extra)

    cells: list[NotebookNode] = list(extras[START])
    for src in source.cells:
        key = _key(src)
        meta = nbgrader_meta(src)
        mine = matched.get(key)
        if meta.get("solution"):
            if mine is None:
                integrity.append(f"missing solution cell {key[1]!r}: release stub used")
                chosen = copy.deepcopy(release_by_key.get(key, src))
            else:
                chosen = copy.deepcopy(src)
                chosen.source = mine.get("source", "")
                if mine.get("cell_type") != src.cell_type:
                    integrity.append(f"cell type of {key[1]!r} changed: restored to {src.cell_type}")
        elif meta.get("locked") or meta.get("grade"):
            chosen = copy.deepcopy(src)
            released = release_by_key.get(key)
            if mine is None:
                integrity.append(f"missing locked cell {key[1]!r}: restored")
            elif released is not None and (mine.get("source") != released.source
                                           or mine.get("cell_type") != released.cell_type):
                integrity.append(f"edited locked cell {key[1]!r}: restored")
        else:
            chosen = copy.deepcopy(mine if mine is not None else src)
        if chosen.cell_type == "code":
            chosen.outputs = []
            chosen.execution_count = None
        cells.append(chosen)
        cells.extend(extras.get(key, []))

    notebook = copy.deepcopy(source)
    notebook.cells = cells
    grade_cells = grade_cells_of(source)
    by_gid = {g.grade_id: g for g in grade_cells}
    for cell in notebook.cells:
        gc = by_gid.get(nbgrader_meta(cell).get("grade_id", ""))
        if gc and gc.check_id and nbgrader_meta(cell).get("grade"):
            cell.source = evidence_source(gc.check_id, gc.function)
    return Assembly(notebook, grade_cells, integrity)
