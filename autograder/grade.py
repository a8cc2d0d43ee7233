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

import functools
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path

import nbformat
from nbgrader.utils import parse_utc

from autograder import gradebook, reports
from autograder.assemble import assemble, grade_cells_of, nbgrader_meta
from autograder.execute import execute
from autograder.integrity import is_tampered, scan_notebook
from autograder.judge import CellResult, judge_cells, write_inputs
from autograder.release import available_levels
from autograder.runner import run_jobs
from autograder.sandbox import Limits, prepare
from autograder.state import STATE_FILE, GradingState

__all__ = ["STATE_FILE", "Job", "Outcome", "discover", "grade_class", "grade_notebook"]


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
    due: datetime | None = None  # deadline; a later timestamp.txt makes the submission late
    max_notebook_mb: int = 20  # larger files are refused unread

    @property
    def key(self) -> str:
        return f"{self.student}/{self.assignment}/{self.notebook}"


def safe_name(name: str) -> str:
    """A folder name as text: undecodable bytes (a non-UTF-8 file name) become U+FFFD."""
    return os.fsencode(name).decode("utf-8", "replace")


def _find_notebook(folder: Path, expected: str, n_expected: int) -> Path | None:
    """The student's copy of `expected`; for a one-notebook assignment, also a lone notebook
    under another name (say "L-2-…(1).ipynb" after a re-download)."""
    exact = folder / expected
    if exact.is_file():
        return exact
    others = [p for p in folder.glob("*.ipynb") if p.is_file()]
    return others[0] if n_expected == 1 and len(others) == 1 else None


def discover(
    root: Path,
    submitted: Path,
    out: Path,
    limits: Limits = Limits(),
    release_dir: Path | None = None,
    due: datetime | None = None,
) -> list[Job]:
    """One job per student x assignment x expected notebook found under submitted/."""
    release_dir = release_dir or root / "release"
    jobs = []
    slugs = set(available_levels(root))
    folders = (p for p in submitted.iterdir() if p.is_dir() and not p.name.startswith("."))
    for student_dir in sorted(folders):  # dot-folders: intake staging, checkpoints
        student = safe_name(student_dir.name)
        for assignment_dir in sorted(p for p in student_dir.iterdir() if p.is_dir()):
            if assignment_dir.name not in slugs:
                continue
            sources = sorted((root / "source" / assignment_dir.name).glob("*.ipynb"))
            for source in sources:
                jobs.append(
                    Job(
                        student=student,
                        assignment=assignment_dir.name,
                        notebook=source.stem,
                        submission=_find_notebook(assignment_dir, source.name, len(sources)),
                        source=source,
                        release=release_dir / assignment_dir.name / source.name,
                        autograded=out / "autograded" / student / assignment_dir.name / source.name,
                        limits=limits,
                        hide=(root, submitted, out),
                        due=due,
                    )
                )
    return jobs


@dataclass
class Outcome:
    """Everything grading one notebook produced (what the state file keeps between runs)."""

    results: list[CellResult]
    status: str  # ok | late | tampered | timeout | memory | crashed | malformed | missing
    message: str
    integrity: list[str]
    seconds: float = 0.0  # wall clock spent grading this notebook (0 when kept from a run before)


def _all_cells(job: Job, status: str, message: str) -> Outcome:
    source = nbformat.read(job.source, as_version=4)
    cells = [
        CellResult(gc.grade_id, gc.check_id, gc.grade_id, 0.0, gc.points, status, message=message)
        for gc in grade_cells_of(source)
    ]
    return Outcome(cells, status, message, [])


def read_submission(path: Path, max_mb: int) -> tuple[nbformat.NotebookNode, list[str]]:
    """Read a student's notebook, refusing what cannot be one (raises ValueError).

    Returns the notebook (as nbformat 4) and notes on what had to be repaired.
    """
    size = path.stat().st_size
    if size == 0:
        raise ValueError("empty file")
    if size > max_mb * 1024 * 1024:
        raise ValueError(f"file too large ({size / 2**20:.0f} MB > {max_mb} MB)")
    with path.open("rb") as fh:
        raw = json.loads(fh.read().decode("utf-8"))
    if not isinstance(raw, dict) or not isinstance(raw.get("cells", raw.get("worksheets")), list):
        raise ValueError("not a Jupyter notebook (no cells)")
    major = raw.get("nbformat")
    if major not in (3, 4):
        raise ValueError(f"unsupported nbformat {major!r} (expected 4)")
    notes = []
    if major == 3:
        notes.append("nbformat 3 notebook: converted to nbformat 4")
    else:
        ids = [c.get("id") for c in raw["cells"] if isinstance(c, dict)]
        if any(i is None for i in ids):
            notes.append("cells without ids (nbformat < 4.5): matched by grade_id and text")
        elif len(ids) != len(set(ids)):
            notes.append("duplicated cell ids: matched by grade_id and text")
    return nbformat.reads(json.dumps(raw), as_version=4), notes


def _late(job: Job) -> str:
    if job.due is None or job.submission is None:
        return ""
    stamp_file = job.submission.parent / "timestamp.txt"
    if not stamp_file.is_file():
        return ""
    try:
        stamp = parse_utc(stamp_file.read_text(encoding="utf-8").strip())
    except Exception:
        return "timestamp.txt unreadable"
    due = job.due if job.due.tzinfo else job.due.replace(tzinfo=timezone.utc)
    stamp = stamp if stamp.tzinfo else stamp.replace(tzinfo=timezone.utc)
    return f"late by {stamp - due}" if stamp > due else ""


def grade_notebook(job: Job) -> Outcome:
    """Grade one notebook of one student. Never raises: problems become statuses."""
    if job.submission is None:
        return _all_cells(job, "missing", "notebook not submitted")
    try:
        student_nb, notes = read_submission(job.submission, job.max_notebook_mb)
    except Exception as exc:
        return _all_cells(job, "malformed", f"unreadable notebook: {exc}"[:300])
    source = nbformat.read(job.source, as_version=4)
    release = nbformat.read(job.release, as_version=4)
    wanted = {nbgrader_meta(c).get("grade_id") for c in source.cells if nbgrader_meta(c)}
    if not wanted & {nbgrader_meta(c).get("grade_id") for c in student_nb.cells}:
        return _all_cells(
            job, "malformed", "not this assignment's notebook: none of its exercise cells are there"
        )
    try:
        assembly = assemble(student_nb, source, release)
    except Exception as exc:
        return _all_cells(job, "malformed", f"cannot assemble notebook: {exc}"[:300])
    integrity = notes + assembly.integrity + scan_notebook(student_nb)
    base = Path(tempfile.mkdtemp(prefix="grade-"))
    try:
        sandbox = prepare(base, job.limits, hide=list(job.hide))
        for extra in job.release.parent.iterdir():  # data files that ship with the assignment
            if extra.is_file() and extra.suffix != ".ipynb":
                shutil.copy2(extra, sandbox.workdir / extra.name)
        evidence_files = write_inputs(assembly.grade_cells, sandbox.workdir)
        run = execute(assembly.notebook, sandbox, evidence_files, job.limits)
        results = judge_cells(
            assembly.grade_cells, run.evidence, run.notebook, run.status, run.message
        )
        job.autograded.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(run.notebook, job.autograded)
    except Exception as exc:  # the grader's own trouble: say so, keep the batch going
        return _all_cells(job, "crashed", f"grader error: {type(exc).__name__}: {exc}"[:300])
    finally:
        shutil.rmtree(base, ignore_errors=True)
    late = _late(job)
    if late:
        integrity.append(late)
    status, message = run.status, run.message
    if status == "ok" and is_tampered(integrity):
        status, message = "tampered", "integrity findings: review before trusting the grade"
    elif status == "ok" and late:
        status, message = "late", late
    return Outcome(results, status, message, integrity)


def _rows(job: Job, outcome: Outcome) -> list[dict]:
    return [
        {
            "student": job.student,
            "assignment": job.assignment,
            "notebook": job.notebook,
            **asdict(r),
            "notebook_status": outcome.status,
            "notebook_message": outcome.message,
            "integrity": "; ".join(outcome.integrity),
        }
        for r in outcome.results
    ]


def _digest(*parts: bytes) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(hashlib.sha256(part).digest())
    return h.hexdigest()


@functools.cache
def _grader_digest() -> str:
    """Changes whenever the checks, references or grading code change."""
    package = Path(__file__).parent
    files = sorted(p for p in package.rglob("*.py") if "spine" not in p.parts)
    return _digest(*(p.read_bytes() for p in files))


def fingerprint(job: Job) -> str:
    """Same fingerprint = same grade: submission, notebooks, grader, due date and limits."""
    sub = job.submission
    stamp = sub.parent / "timestamp.txt" if sub else None
    return _digest(
        sub.read_bytes() if sub and sub.is_file() else b"<missing>",
        stamp.read_bytes() if stamp and stamp.is_file() else b"",
        job.source.read_bytes(),
        job.release.read_bytes(),
        _grader_digest().encode(),
        str(job.due).encode(),
        json.dumps(asdict(job.limits), sort_keys=True).encode(),
    )


def _from_state(entry: dict) -> Outcome:
    data = entry["outcome"]
    return Outcome(
        [CellResult(**r) for r in data["results"]],
        data["status"],
        data["message"],
        list(data["integrity"]),
        float(data.get("seconds", 0.0)),
    )


def grade_class(
    root: Path,
    submitted: Path,
    out: Path,
    db_url: str | None = None,
    workers: int | None = None,
    limits: Limits = Limits(),
    release_dir: Path | None = None,
    due: datetime | None = None,
    students: set[str] | None = None,
    force: bool = False,
    on_progress: Callable[[Job, Outcome, bool], None] | None = None,
    dask: str | None = None,
) -> list[dict]:
    """Grade every submission under `submitted`; write gradebook, tables and feedback to `out`.

    Resumable and idempotent: outcomes are kept in out/grading-state.json, keyed by a
    fingerprint of everything that decides a grade; a re-run grades only new or changed
    submissions (all with `force`). With `students`, only those students are (re)graded and
    the others are taken from the state. Submissions are only ever read.
    `workers` notebooks run at once (default: one per core); with `dask`, the address of a
    Dask distributed scheduler, they run on its workers instead (see autograder.runner).
    Returns the rows of grades.csv (reports.COLUMNS plus "title").
    """
    out.mkdir(parents=True, exist_ok=True)
    db_url = db_url or f"sqlite:///{(out / 'gradebook.db').resolve()}"
    jobs = discover(root, submitted, out, limits, release_dir, due)
    state = GradingState(out)
    outcomes: dict[Job, Outcome] = {}
    todo = []
    kept = []
    for job in jobs:
        key, fp = job.key, fingerprint(job)
        cached = state.get(key)
        if students is not None and job.student not in students:
            if cached:
                outcomes[job] = _from_state(cached)
            continue
        if cached and cached.get("fingerprint") == fp and not force and students is None:
            outcomes[job] = _from_state(cached)
            kept.append(job)
        else:
            todo.append((job, fp))
    if on_progress is not None and hasattr(on_progress, "start"):
        on_progress.start(len(kept) + len(todo))  # a progress bar learns the total
    for job in kept if on_progress else ():
        on_progress(job, outcomes[job], True)
    fingerprints = {job: fp for job, fp in todo}
    # One writer: outcomes come back to this thread, which alone touches the state file.
    for job, outcome in run_jobs([job for job, _ in todo], workers=workers, dask=dask):
        outcomes[job] = outcome
        state.record(job.key, {"fingerprint": fingerprints[job], "outcome": asdict(outcome)})
        if on_progress:
            on_progress(job, outcome, False)
    state.compact()
    graded = [job for job in jobs if job in outcomes]
    rows: list[dict] = [row for job in graded for row in _rows(job, outcomes[job])]
    integrity = {(j.student, j.assignment, j.notebook): outcomes[j].integrity for j in graded}
    if graded:
        gradebook.register_assignments(root, db_url, sorted({j.assignment for j in graded}))
        gradebook.write_scores(db_url, rows)
    reports.write_tables(rows, out)
    reports.write_feedback(rows, integrity, out)
    return rows
