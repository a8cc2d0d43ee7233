"""nbgrader's own exchange, driven in code, with a local exchange folder.

    instructor                                         student (a home folder each)
    release_to_exchange(root, a, ex, course)   ──▶    fetch(home, a, ex, course, student)
                                                      ... works on home/<a>/*.ipynb ...
    collect(root, a, ex, course) -> submitted  ◀──    submit(home, a, ex, course, student)
    autograder.grade.grade_class(...) -> <out>/feedback/<student>/<a>/<notebook>.html
    return_feedback(root, out, a, ex, course)  ──▶    fetch_feedback(home, a, ex, course, student)

Each step is nbgrader's class from nbgrader.exchange.default, configured here (no
nbgrader_config.py, no cwd): `Exchange.root` is the exchange folder, `CourseDirectory.course_id`
the course. The student side is one process acting for many students:

- who: `nbgrader submit` names a submission `<student>+<assignment>+<timestamp>+<random>` in
  `<exchange>/<course>/inbound/`, taking <student> from `CourseDirectory.student_id` when it is
  set (not "*") and from the OS user otherwise (nbgrader.utils.get_username: the login of the
  process's uid, or JUPYTERHUB_USER for "jovyan"). We always set `CourseDirectory.student_id`,
  so no USER patching is needed. `collect` takes the student id from that file name (it only
  warns when the folder's OS owner differs) and copies the newest submission of each student
  to `submitted/<student>/<assignment>/`, with timestamp.txt and submission_secret.txt.
- where: `Exchange.assignment_dir` is the student's home (fetch writes, submit reads
  `<home>/<assignment>/`), `Exchange.cache` is `<home>/.nbgrader_cache` (submit keeps a copy
  there; fetch_feedback looks there for what it submitted).
- feedback: release_feedback reads `<feedback dir>/<student>/<assignment>/<notebook>.html`
  plus timestamp.txt and submission_secret.txt beside it, and publishes each page as
  `<exchange>/<course>/feedback/<md5(secret + notebook)>.html`. fetch_feedback recomputes that
  name from the secret in the student's cache, so only the submitter finds it, and copies it
  to `<home>/<assignment>/feedback/<timestamp>/<notebook>.html`. return_feedback therefore puts
  the collected submission's timestamp.txt and submission_secret.txt next to our feedback
  pages (nbgrader's generate_feedback does the same) and releases student by student; a
  student without a secret (an LMS submission) is skipped and logged.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from pathlib import Path

from nbgrader.auth import Authenticator
from nbgrader.coursedir import CourseDirectory
from nbgrader.exchange.default import (
    ExchangeCollect,
    ExchangeFetchAssignment,
    ExchangeFetchFeedback,
    ExchangeReleaseAssignment,
    ExchangeReleaseFeedback,
    ExchangeSubmit,
)
from nbgrader.utils import notebook_hash
from traitlets.config import Config

LOG = logging.getLogger("autograder.intake.exchange")
SUBMISSION_FILES = ("timestamp.txt", "submission_secret.txt")


def _config(exchange: Path, course_id: str, root: Path, **coursedir: str) -> Config:
    cfg = Config()
    cfg.Exchange.root = str(exchange.resolve())
    cfg.CourseDirectory.course_id = course_id
    cfg.CourseDirectory.root = str(root.resolve())
    for key, value in coursedir.items():
        cfg.CourseDirectory[key] = value
    return cfg


def _student_config(home: Path, exchange: Path, course_id: str, student: str) -> Config:
    cfg = _config(exchange, course_id, home, student_id=student)
    cfg.Exchange.assignment_dir = str(home.resolve())
    cfg.Exchange.cache = str((home / ".nbgrader_cache").resolve())
    return cfg


def _run(step: type, cfg: Config, assignment: str, **options):
    """Run one nbgrader exchange step; nbgrader's ExchangeError propagates."""
    coursedir = CourseDirectory(config=cfg)
    coursedir.assignment_id = assignment
    runner = step(coursedir=coursedir, authenticator=Authenticator(config=cfg), config=cfg, log=LOG)
    for key, value in options.items():
        setattr(runner, key, value)
    runner.start()
    return runner


def release_to_exchange(
    root: Path,
    assignment: str,
    exchange: Path,
    course_id: str,
    *,
    release_dir: Path | None = None,
    force: bool = True,
) -> Path:
    """`nbgrader release_assignment`: release/<assignment>/ -> <exchange>/<course>/outbound/."""
    release_dir = (release_dir or root / "release").resolve()
    cfg = _config(exchange, course_id, root, release_directory=str(release_dir))
    _run(ExchangeReleaseAssignment, cfg, assignment, force=force)
    return exchange / course_id / "outbound" / assignment


def fetch(
    student_home: Path, assignment: str, exchange: Path, course_id: str, student: str
) -> Path:
    """`nbgrader fetch_assignment` as `student`: the released assignment -> <home>/<assignment>/."""
    student_home.mkdir(parents=True, exist_ok=True)
    _run(
        ExchangeFetchAssignment,
        _student_config(student_home, exchange, course_id, student),
        assignment,
    )
    return student_home / assignment


def submit(
    student_home: Path, assignment: str, exchange: Path, course_id: str, student: str
) -> str:
    """`nbgrader submit` as `student`: <home>/<assignment>/ -> inbound; returns the timestamp."""
    runner = _run(
        ExchangeSubmit, _student_config(student_home, exchange, course_id, student), assignment
    )
    return runner.timestamp


def collect(
    root: Path,
    assignment: str,
    exchange: Path,
    course_id: str,
    *,
    submitted: Path | None = None,
    db_url: str | None = None,
    update: bool = True,
    check_owner: bool = True,
) -> Path:
    """`nbgrader collect`: the newest submission of each student -> submitted/<student>/<a>/.

    `db_url`: the gradebook where collect looks up the due date (only used with nbgrader's
    before_duedate option); without it a throwaway gradebook is used, so nothing is created
    in the course root. With `update`, a newer submission replaces an older collected one.
    `check_owner`: warn when a submission's OS owner is not the student it names (useless
    when one OS user plays every student, as in tests).
    """
    submitted = (submitted or root / "submitted").resolve()
    submitted.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        cfg = _config(
            exchange,
            course_id,
            root,
            submitted_directory=str(submitted),
            db_url=db_url or f"sqlite:///{Path(tmp) / 'gradebook.db'}",
        )
        _run(ExchangeCollect, cfg, assignment, update=update, check_owner=check_owner)
    return submitted


def _prepare_feedback(out: Path, submitted: Path, assignment: str) -> list[str]:
    """Copy each collected submission's timestamp and secret beside its feedback pages;
    return the students whose feedback can be released."""
    ready = []
    for folder in sorted((out / "feedback").glob(f"*/{assignment}")):
        student = folder.parent.name
        sources = [submitted / student / assignment / name for name in SUBMISSION_FILES]
        if not all(p.is_file() for p in sources):
            LOG.warning(
                "no exchange submission (secret) for %s/%s: feedback not released",
                student,
                assignment,
            )
            continue
        for source in sources:
            shutil.copyfile(source, folder / source.name)
        ready.append(student)
    return ready


def _released_page(exchange: Path, course_id: str, secret_file: Path, page: Path) -> Path:
    digest = notebook_hash(secret=secret_file.read_text(), notebook_id=page.stem)
    return exchange / course_id / "feedback" / f"{digest}.html"


def return_feedback(
    root: Path,
    out: Path,
    assignment: str,
    exchange: Path,
    course_id: str,
    *,
    submitted: Path | None = None,
) -> list[Path]:
    """`nbgrader release_feedback` for our feedback pages in <out>/feedback/; returns the pages
    as published in the exchange. `submitted`: where collect put the submissions."""
    submitted = submitted or root / "submitted"
    released = []
    for student in _prepare_feedback(out, submitted, assignment):
        cfg = _config(exchange, course_id, out, feedback_directory="feedback", student_id=student)
        _run(ExchangeReleaseFeedback, cfg, assignment)
        folder = out / "feedback" / student / assignment
        released += [
            _released_page(exchange, course_id, folder / "submission_secret.txt", p)
            for p in sorted(folder.glob("*.html"))
        ]
    return released


def fetch_feedback(
    student_home: Path, assignment: str, exchange: Path, course_id: str, student: str
) -> list[Path]:
    """`nbgrader fetch_feedback` as `student`; returns the pages now in
    <home>/<assignment>/feedback/<timestamp>/."""
    _run(
        ExchangeFetchFeedback,
        _student_config(student_home, exchange, course_id, student),
        assignment,
    )
    return sorted((student_home / assignment / "feedback").glob("*/*.html"))
