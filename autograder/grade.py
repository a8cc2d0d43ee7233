"""`autograder grade`: grade a class from nbgrader's submitted/ layout.

The pipeline, per notebook of each submission (several at once, each in its own kernel):

    find the student's notebook in their folder        autograder.locate (renamed, nested…)
    read it (never modified), outputs dropped          -> malformed if unreadable
    assemble it on the source template                 autograder.assemble, course.assembly
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
from datetime import datetime
from pathlib import Path

import nbformat

from autograder import classconfig, gradebook, reports, review
from autograder.assemble import assemble, grade_cells_of, nbgrader_meta
from autograder.engine import drain, prestart, warm_engine
from autograder.execute import execute
from autograder.integrity import is_tampered, scan_cells, unparsable_that_ran
from autograder.judge import CellResult, judge_cells, write_inputs
from autograder.locate import Located, locate, read_submission
from autograder.release import available_levels
from autograder.runner import run_jobs
from autograder.sandbox import Limits, prepare
from autograder.state import STATE_FILE, GradingState
from autograder.timestamps import DEFAULT_ZONE, as_utc, course_zone, parse_timestamp
from course.assembly import fit

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
    max_notebook_mb: float = 20  # the notebook without its outputs (outputs are not graded)
    max_upload_mb: float = 100  # larger files are refused unread (nbgrader's max_file_size)
    timezone: str = DEFAULT_ZONE  # course time zone: naive and ambiguous times in timestamp.txt
    found: tuple[str, ...] = ()  # which file was taken and which were ignored (autograder.locate)
    problem: str = ""  # status when submission is None: missing | malformed | wrong-format
    problem_message: str = ""
    folder: Path | None = None  # the student's assignment folder (holds timestamp.txt)
    engine: str = "warm"  # warm: kernels forked by autograder.engine where it runs; cold: never

    @property
    def key(self) -> str:
        return f"{self.student}/{self.assignment}/{self.notebook}"


def safe_name(name: str) -> str:
    """A folder name as text: undecodable bytes (a non-UTF-8 file name) become U+FFFD."""
    return os.fsencode(name).decode("utf-8", "replace")


def discover(
    root: Path,
    submitted: Path,
    out: Path,
    limits: Limits = Limits(),
    release_dir: Path | None = None,
    due: datetime | None = None,
    max_notebook_mb: float = 20,
    max_upload_mb: float = 100,
    timezone: str = DEFAULT_ZONE,
    engine: str = "warm",
) -> list[Job]:
    """One job per student x assignment x expected notebook found under submitted/.

    The student's file for each notebook is found by autograder.locate: the exact name, or
    a renamed, nested or re-downloaded copy holding this assignment's cells. A folder that
    cannot be read (a symlink loop, no permission) still gets its jobs, marked malformed with
    the reason, so every student folder ends as rows with a status.
    """
    release_dir = release_dir or root / "release"
    jobs = []
    slugs = set(available_levels(root))
    templates: dict[str, list] = {}

    def template(slug: str) -> list:
        if slug not in templates:
            templates[slug] = [
                (
                    src.name,
                    nbformat.read(src, as_version=4),
                    _read_or_empty(release_dir / slug / src.name),
                )
                for src in sorted((root / "source" / slug).glob("*.ipynb"))
            ]
        return templates[slug]

    found_dirs: dict[str, dict[str, Path | None]] = {}  # student folder -> slug -> folder
    problems: dict[tuple[str, str], str] = {}  # (student folder, slug or "") -> why unread
    for student_dir in sorted(p for p in submitted.iterdir() if not p.name.startswith(".")):
        if not student_dir.is_dir() and not student_dir.is_symlink():
            continue  # a stray file next to the student folders; dot-folders: intake staging
        found_dirs[student_dir.name] = {}
        try:
            children = sorted(student_dir.iterdir())
        except OSError as exc:
            problems[(student_dir.name, "")] = f"student folder unreadable: {exc.strerror or exc}"
            continue
        for assignment_dir in children:
            if assignment_dir.name not in slugs:
                continue
            found_dirs[student_dir.name][assignment_dir.name] = assignment_dir
            if not assignment_dir.is_dir():
                problems[(student_dir.name, assignment_dir.name)] = (
                    "assignment folder unreadable (a broken link or a symlink loop?)"
                )
    graded = sorted({s for slugs_of in found_dirs.values() for s in slugs_of}) or sorted(slugs)
    for folder, assignments in found_dirs.items():
        student = safe_name(folder)
        if (folder, "") in problems or not assignments:  # unreadable, or nothing we know
            assignments = dict.fromkeys(graded)
        for slug, assignment_dir in sorted(assignments.items()):
            problem = problems.get((folder, "")) or problems.get((folder, slug), "")
            if problem or assignment_dir is None:
                status = "malformed" if problem else "missing"
                message = problem or "no folder for this assignment"
                found = {name: Located(None, (), status, message) for name, _, _ in template(slug)}
            else:
                try:
                    found = locate(assignment_dir, template(slug), max_notebook_mb, max_upload_mb)
                except Exception as exc:  # an unreadable folder costs this student only
                    message = f"grader error: cannot search the folder: {type(exc).__name__}: {exc}"
                    found = {
                        name: Located(None, (), "crashed", message[:300])
                        for name, _, _ in template(slug)
                    }
            for name, _, _ in template(slug):
                where = found[name]
                jobs.append(
                    Job(
                        student=student,
                        assignment=slug,
                        notebook=Path(name).stem,
                        submission=where.path,
                        source=root / "source" / slug / name,
                        release=release_dir / slug / name,
                        autograded=out / "autograded" / student / slug / name,
                        limits=limits,
                        hide=(root, submitted, out),
                        due=due,
                        max_notebook_mb=max_notebook_mb,
                        max_upload_mb=max_upload_mb,
                        timezone=timezone,
                        found=where.notes,
                        problem=where.status,
                        problem_message=where.message,
                        folder=assignment_dir,
                        engine=engine,
                    )
                )
    return jobs


def _read_or_empty(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4) if path.is_file() else nbformat.v4.new_notebook()


@dataclass
class Outcome:
    """Everything grading one notebook produced (what the state file keeps between runs)."""

    results: list[CellResult]
    status: str  # ok | late | tampered | timeout | memory | crashed | malformed | wrong-format | missing
    message: str
    integrity: list[str]
    timestamp: str = ""  # submission time from timestamp.txt, ISO 8601 in UTC ("" if none)
    seconds: float = 0.0  # wall clock spent grading this notebook (0 when kept from a run before)
    # `executed` (set by grade_notebook, not a field): the executed notebook, handed to the
    # writer thread in memory (review.write_autograded) instead of through a file


def _all_cells(job: Job, status: str, message: str, integrity: list[str] | None = None) -> Outcome:
    source = nbformat.read(job.source, as_version=4)
    cells = [
        CellResult(gc.grade_id, gc.check_id, gc.grade_id, 0.0, gc.points, status, message=message)
        for gc in grade_cells_of(source)
    ]
    return Outcome(cells, status, message, list(job.found) + list(integrity or []))


def submission_time(job: Job) -> tuple[datetime | None, str]:
    """(time in timestamp.txt as aware UTC, or None; a note when it cannot be read).

    timestamp.txt is looked for next to the notebook, then up to the assignment folder.
    """
    if job.submission is None:
        return None, ""
    folders = [job.submission.parent]
    if job.folder is not None:  # up to the assignment folder, never above it
        folders += [
            p for p in job.submission.parent.parents if p == job.folder or job.folder in p.parents
        ]
    stamp_file = next(
        (f / "timestamp.txt" for f in folders if (f / "timestamp.txt").is_file()), None
    )
    if stamp_file is None:
        return None, ""
    try:
        text = stamp_file.read_bytes()[:200].decode("utf-8", "replace")
        return as_utc(parse_timestamp(text, course_zone(job.timezone))), ""
    except ValueError as exc:
        return None, f"timestamp.txt unreadable ({exc}); lateness not decided"[:300]


def _late(job: Job, stamp: datetime | None) -> str:
    if job.due is None or stamp is None:
        return ""
    due = as_utc(job.due, course_zone(job.timezone))
    return f"late by {stamp - due}" if stamp > due else ""


def _require_text_sources(nb: nbformat.NotebookNode) -> None:
    """Every cell's source is text (nbformat allows a list of strings, joined on reading)."""
    for index, cell in enumerate(nb.cells):
        if not isinstance(cell, dict) or not isinstance(cell.get("source", ""), str):
            where = nbgrader_meta(cell).get("grade_id") if isinstance(cell, dict) else None
            raise ValueError(f"cell {index} ({where or 'no grade_id'}): source is not text")


def grade_notebook(job: Job) -> Outcome:
    """Grade one notebook of one student. Never raises: problems become statuses."""
    if job.submission is None:
        return _all_cells(
            job, job.problem or "missing", job.problem_message or "notebook not submitted"
        )
    try:
        student_nb, notes = read_submission(job.submission, job.max_notebook_mb, job.max_upload_mb)
    except Exception as exc:
        return _all_cells(job, "malformed", f"unreadable notebook: {exc}"[:300])
    try:
        _require_text_sources(student_nb)  # before anything parses the cells
    except ValueError as exc:
        return _all_cells(job, "malformed", f"cannot assemble notebook: {exc}"[:300])
    source = nbformat.read(job.source, as_version=4)
    release = nbformat.read(job.release, as_version=4)
    if not fit(student_nb, source, release).belongs:
        return _all_cells(
            job, "malformed", "not this assignment's notebook: none of its exercise cells are there"
        )
    try:
        _require_text_sources(student_nb)
        assembly = assemble(student_nb, source, release)
        integrity = list(job.found) + notes + assembly.integrity + scan_cells(assembly.student_code)
    except Exception as exc:
        return _all_cells(job, "malformed", f"cannot assemble notebook: {exc}"[:300])
    warm = warm_engine(job.limits.network) if job.engine == "warm" else None
    base = sandbox = None
    try:
        data = [  # data files that ship with the assignment
            f for f in job.release.parent.iterdir() if f.is_file() and f.suffix != ".ipynb"
        ]
        if warm is not None:  # a kernel booted while the notebook before this one ran
            sandbox = warm.checkout(job.limits, data, hide=list(job.hide))
            base = sandbox.home
        else:
            base = Path(tempfile.mkdtemp(prefix="grade-"))
            sandbox = prepare(base, job.limits, hide=list(job.hide), data_files=data)
        expected = write_inputs(assembly.grade_cells, sandbox.inputs)
        run = execute(assembly.notebook, sandbox, expected, job.limits)
        integrity += run.findings
        results = judge_cells(
            assembly.grade_cells, run.evidence, run.notebook, run.status, run.message
        )
    except Exception as exc:  # the grader's own trouble: say so, keep the batch going
        if warm is not None and sandbox is not None:
            warm.discard(sandbox)  # its kernel was booted before this notebook needed it
        return _all_cells(job, "crashed", f"grader error: {type(exc).__name__}: {exc}"[:300])
    finally:
        if base is not None:
            shutil.rmtree(base, ignore_errors=True)
    integrity += unparsable_that_ran(assembly.student_code, run.notebook)
    stamp, stamp_note = submission_time(job)
    late = _late(job, stamp)
    integrity += [note for note in (stamp_note, late) if note]
    status, message = run.status, run.message
    if status == "ok" and is_tampered(integrity):
        status, message = "tampered", "integrity findings: review before trusting the grade"
    elif status == "ok" and late:
        status, message = "late", late
    outcome = Outcome(results, status, message, integrity, stamp.isoformat() if stamp else "")
    outcome.executed = run.notebook  # for review.write_autograded (not a field: not in the state)
    return outcome


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
    stamp = (job.folder or sub.parent) / "timestamp.txt" if sub else None
    return _digest(
        sub.read_bytes() if sub and sub.is_file() else b"<missing>",
        stamp.read_bytes() if stamp and stamp.is_file() else b"",
        job.source.read_bytes(),
        job.release.read_bytes(),
        _grader_digest().encode(),
        str(job.due).encode(),
        json.dumps(asdict(job.limits), sort_keys=True).encode(),
        json.dumps(
            [
                str(sub),
                job.found,
                job.problem_message,
                job.timezone,
                job.max_notebook_mb,
                job.max_upload_mb,
            ]
        ).encode(),
    )


def _from_state(entry: dict) -> Outcome:
    data = entry["outcome"]
    return Outcome(
        [CellResult(**r) for r in data["results"]],
        data["status"],
        data["message"],
        list(data["integrity"]),
        data.get("timestamp", ""),
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
    max_notebook_mb: float = 20,
    max_upload_mb: float = 100,
    timezone: str = DEFAULT_ZONE,
    dask: str | None = None,
    engine: str = "warm",
) -> list[dict]:
    """Grade every submission under `submitted`; write gradebook, tables and feedback to `out`.

    Resumable and idempotent: outcomes are kept in out/grading-state.json, keyed by a
    fingerprint of everything that decides a grade; a re-run grades only new or changed
    submissions (all with `force`). With `students`, only those students are (re)graded and
    the others are taken from the state. Submissions are only ever read.
    `workers` notebooks run at once (default: one per core); with `dask`, the address of a
    Dask distributed scheduler, they run on its workers instead (see autograder.runner).
    `engine`: "warm" forks kernels from a pre-imported parent where this machine allows it
    (autograder.engine), else grades cold; "cold" always starts a fresh kernel. Same grades.
    Returns the rows of grades.csv (reports.COLUMNS plus "title").
    """
    out.mkdir(parents=True, exist_ok=True)
    db_url = db_url or f"sqlite:///{(out / 'gradebook.db').resolve()}"
    jobs = discover(
        root,
        submitted,
        out,
        limits,
        release_dir,
        due,
        max_notebook_mb,
        max_upload_mb,
        timezone,
        engine,
    )
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
    if (
        todo and engine == "warm" and dask is None
    ):  # the zygote starts while the gradebook is set up
        prestart(limits.network)
    # The gradebook knows the cells first: autograded notebooks carry its checksums.
    slugs = sorted({j.assignment for j in jobs})
    if slugs:
        gradebook.register_assignments(root, db_url, slugs)
    checksums = review.source_checksums(db_url, {(j.assignment, j.notebook) for j in jobs})
    for job, _ in todo:
        job.autograded.unlink(missing_ok=True)  # review.write_autograded: fresh or none
    if on_progress is not None and hasattr(on_progress, "start"):
        on_progress.start(len(kept) + len(todo))  # a progress bar learns the total
    for job in kept if on_progress else ():
        on_progress(job, outcomes[job], True)
    fingerprints = {job: fp for job, fp in todo}
    # One writer: outcomes come back to this thread, which alone touches the state file.
    for job, outcome in run_jobs([job for job, _ in todo], workers=workers, dask=dask):
        outcomes[job] = outcome
        review.write_autograded(job, outcome, checksums.get((job.assignment, job.notebook), {}))
        state.record(job.key, {"fingerprint": fingerprints[job], "outcome": asdict(outcome)})
        if on_progress:
            on_progress(job, outcome, False)
    state.compact()
    drain()  # the spare kernels of the warm engine: nothing more to grade
    graded = [job for job in jobs if job in outcomes]
    rows: list[dict] = [row for job in graded for row in _rows(job, outcomes[job])]
    integrity = {(j.student, j.assignment, j.notebook): outcomes[j].integrity for j in graded}
    if graded:
        gradebook.write_scores(db_url, rows)
        # timestamps as autograder.timestamps reads them (time zones of the course): the
        # lateness nbgrader computes from them is then the one our tables report
        stamps = {
            (j.student, j.assignment): datetime.fromisoformat(outcomes[j].timestamp)
            for j in graded
            if outcomes[j].timestamp
        }
        gradebook.store_timestamps(db_url, stamps)
        if due is not None:
            gradebook.store_due_date(
                db_url, sorted({j.assignment for j in graded}), as_utc(due, course_zone(timezone))
            )
        classconfig.write(out, root, submitted, db_url, release_dir or root / "release")
    reports.write_tables(rows, out)
    reports.write_feedback(rows, integrity, out)
    return rows
