"""`autograder grade`: grade a class from nbgrader's submitted/ layout.

The pipeline, per notebook of each submission (several at once, each in its own kernel):

    read the student's notebook (never modified)      -> malformed if unreadable
    assemble it on the source template                 autograder.assemble
    write each check's plain inputs into a workdir     autograder.judge.write_inputs
    execute it in a fresh sandboxed kernel             autograder.sandbox, autograder.execute
    judge the evidence the kernel left there           autograder.judge.judge_cells

then, in this process: scores into nbgrader's gradebook, grades.csv / grades.json (one row per
student x notebook x grade cell), feedback HTML per student and notebook.
"""

from __future__ import annotations

import shutil
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

import nbformat

from autograder import gradebook, reports
from autograder.assemble import assemble, grade_cells_of
from autograder.execute import execute
from autograder.judge import CellResult, judge_cells, write_inputs
from autograder.release import available_levels
from autograder.sandbox import Limits, prepare


@dataclass(frozen=True)
class Job:
    student: str
    assignment: str
    notebook: str  # stem, e.g. "L-2-dot-product-similarity"
    submission: Path | None  # None: the student did not submit this notebook
    source: Path
    release: Path
    autograded: Path  # where the executed, assembled notebook is kept for the instructor
    limits: Limits = Limits()
    hide: tuple[Path, ...] = ()  # folders the kernel must not see (course root, submissions…)


def discover(root: Path, submitted: Path, out: Path, limits: Limits = Limits(),
             release_dir: Path | None = None) -> list[Job]:
    """One job per student x assignment x expected notebook found under submitted/."""
    release_dir = release_dir or root / "release"
    jobs = []
    slugs = set(available_levels(root))
    for student_dir in sorted(p for p in submitted.iterdir() if p.is_dir()):
        for assignment_dir in sorted(p for p in student_dir.iterdir() if p.is_dir()):
            if assignment_dir.name not in slugs:
                continue
            for source in sorted((root / "source" / assignment_dir.name).glob("*.ipynb")):
                candidate = assignment_dir / source.name
                jobs.append(Job(
                    student=student_dir.name, assignment=assignment_dir.name,
                    notebook=source.stem,
                    submission=candidate if candidate.is_file() else None,
                    source=source,
                    release=release_dir / assignment_dir.name / source.name,
                    autograded=out / "autograded" / student_dir.name / assignment_dir.name
                    / source.name,
                    limits=limits,
                    hide=(root, submitted, out),
                ))
    return jobs


def _all_cells(job: Job, status: str, message: str) -> list[CellResult]:
    source = nbformat.read(job.source, as_version=4)
    return [CellResult(gc.grade_id, gc.check_id, gc.grade_id, 0.0, gc.points, status,
                       message=message) for gc in grade_cells_of(source)]


def grade_notebook(job: Job) -> tuple[list[CellResult], list[str]]:
    """Grade one notebook of one student. Never raises: problems become statuses."""
    if job.submission is None:
        return _all_cells(job, "missing", "notebook not submitted"), []
    try:
        student_nb = nbformat.read(job.submission, as_version=4)
    except Exception as exc:
        return _all_cells(job, "malformed", f"unreadable notebook: {exc}"[:300]), []
    source = nbformat.read(job.source, as_version=4)
    release = nbformat.read(job.release, as_version=4)
    try:
        assembly = assemble(student_nb, source, release)
    except Exception as exc:
        return _all_cells(job, "malformed", f"cannot assemble notebook: {exc}"[:300]), []
    base = Path(tempfile.mkdtemp(prefix="grade-"))
    try:
        sandbox = prepare(base, job.limits, hide=list(job.hide))
        for extra in job.release.parent.iterdir():  # data files that ship with the assignment
            if extra.is_file() and extra.suffix != ".ipynb":
                shutil.copy2(extra, sandbox.workdir / extra.name)
        evidence_files = write_inputs(assembly.grade_cells, sandbox.workdir)
        run = execute(assembly.notebook, sandbox, evidence_files, job.limits)
        results = judge_cells(assembly.grade_cells, run.evidence, run.notebook, run.status,
                              run.message)
        job.autograded.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(run.notebook, job.autograded)
    finally:
        shutil.rmtree(base, ignore_errors=True)
    return results, assembly.integrity


def _rows(job: Job, results: list[CellResult]) -> list[dict]:
    return [{"student": job.student, "assignment": job.assignment, "notebook": job.notebook,
             **asdict(r)} for r in results]


def grade_class(root: Path, submitted: Path, out: Path, db_url: str | None = None,
                workers: int = 2, limits: Limits = Limits(),
                release_dir: Path | None = None) -> list[dict]:
    """Grade every submission under `submitted`; write gradebook, tables and feedback to `out`.

    Returns the rows of grades.csv (dicts with reports.COLUMNS and "title").
    """
    out.mkdir(parents=True, exist_ok=True)
    db_url = db_url or f"sqlite:///{(out / 'gradebook.db').resolve()}"
    jobs = discover(root, submitted, out, limits, release_dir)
    # Threads suffice: each notebook runs in its own kernel process; judging is light.
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        outcomes = list(pool.map(grade_notebook, jobs))
    rows: list[dict] = []
    integrity: dict[tuple[str, str, str], list[str]] = {}
    for job, (results, findings) in zip(jobs, outcomes, strict=True):
        rows.extend(_rows(job, results))
        integrity[(job.student, job.assignment, job.notebook)] = findings
    gradebook.register_assignments(root, db_url, sorted({j.assignment for j in jobs}))
    gradebook.write_scores(db_url, rows)
    reports.write_tables(rows, out)
    reports.write_feedback(rows, integrity, out)
    return rows
