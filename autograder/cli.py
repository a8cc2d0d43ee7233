"""`autograder`: the instructor's command line, a thin layer over plain functions.

autograder release            nbgrader release/ for every level + the student edition
autograder intake ZIP SLUG    unpack an LMS zip (Canvas, Moodle) into submitted/
autograder grade              grade submitted/ into the gradebook, tables and feedback
autograder report             an HTML class report with plots, from a graded class
autograder demo               release, build a synthetic class, grade it, print a table
autograder build-checkpoints  rebuild the tiny model's stage checkpoints (course/checkpoints)
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from autograder.paths import default_root
from autograder.progress import Progress
from autograder.sandbox import Limits
from autograder.spine import build


def _release(args: argparse.Namespace) -> int:
    from autograder.release import build_student_edition, release_assignments

    slugs = release_assignments(args.root)
    print(f"released {len(slugs)} assignment(s) into {args.root / 'release'}: {', '.join(slugs)}")
    if args.student_edition:
        out = build_student_edition(args.root, args.student_edition, archive=args.zip)
        print(f"student edition: {out}" + (f" (+ {out.with_suffix('.zip')})" if args.zip else ""))
    return 0


def _grade(args: argparse.Namespace) -> int:
    from datetime import datetime

    from autograder import reports
    from autograder.grade import grade_class
    from autograder.sandbox import support

    submitted = args.submitted or args.root / "submitted"
    if not submitted.is_dir():
        print(f"error: no submissions folder {submitted}", file=sys.stderr)
        return 2
    settings = _settings(args)
    if settings is None:
        return 2
    limits = Limits(
        cell_timeout=args.timeout if args.timeout is not None else settings.cell_timeout,
        notebook_timeout=args.notebook_timeout,
        memory_mb=args.memory_mb,
        cpu_seconds=args.cpu_seconds,
        max_processes=args.max_processes,
        max_file_mb=args.max_file_mb,
        max_output_kb=args.max_output_kb,
        max_evidence_mb=args.max_evidence_mb,
        network=args.network,
        disk_mb=args.disk_mb,
    )
    for note in support().notes:
        print(f"sandbox: {note}", file=sys.stderr)

    due = datetime.fromisoformat(args.due) if args.due else None
    with Progress(quiet=args.quiet) as progress:
        rows = grade_class(
            args.root,
            submitted,
            args.out or args.root,
            db_url=args.db_url,
            workers=args.workers,
            limits=limits,
            due=due,
            students=set(args.student) if args.student else None,
            force=args.force,
            on_progress=progress,
            dask=args.dask,
            max_notebook_mb=args.max_notebook_mb,
            max_upload_mb=settings.max_upload_mb,
            timezone=settings.timezone,
            engine=args.engine,
        )
    print(reports.summary_table(rows))
    if not args.dask:  # on a cluster, each worker decides for itself
        _say_engine(args.engine)
    return 0


def _settings(args: argparse.Namespace):
    """nbgrader_config.py's settings overridden by the command line; None (and a message)
    when the time zone is unknown."""
    from dataclasses import replace

    from autograder.config import course_settings
    from autograder.timestamps import course_zone

    settings = course_settings(args.root)
    if getattr(args, "timezone", None):
        settings = replace(settings, timezone=args.timezone)
    if getattr(args, "max_upload_mb", None) is not None:
        settings = replace(settings, max_upload_mb=args.max_upload_mb)
    try:
        course_zone(settings.timezone)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return None
    return settings


def _report(args: argparse.Namespace) -> int:
    from autograder.classreport import build

    out = args.out or args.root
    if not (out / "grades.json").is_file():
        print(f"error: no graded class in {out} (grades.json missing)", file=sys.stderr)
        return 2
    print(f"class report: {build(out)}")
    return 0


def _intake(args: argparse.Namespace) -> int:
    import csv
    from datetime import datetime

    import nbformat

    from autograder.intake import IntakeError, intake_zip

    notebooks = [p.stem for p in sorted((args.root / "source" / args.assignment).glob("*.ipynb"))]
    if not notebooks:
        print(f"error: no source notebooks for assignment {args.assignment!r}", file=sys.stderr)
        return 2
    roster = None
    if args.roster:  # CSV with columns lms_id, student_id
        with args.roster.open(encoding="utf-8") as fh:
            roster = {row["lms_id"]: row["student_id"] for row in csv.DictReader(fh)}
    from autograder.timestamps import course_zone

    settings = _settings(args)
    if settings is None:
        return 2
    due = datetime.fromisoformat(args.due) if args.due else None
    submitted = args.submitted or args.root / "submitted"
    release_dir = args.root / "release" / args.assignment
    templates = {
        stem: (
            nbformat.read(args.root / "source" / args.assignment / f"{stem}.ipynb", as_version=4),
            nbformat.read(release_dir / f"{stem}.ipynb", as_version=4),
        )
        for stem in notebooks
        if (release_dir / f"{stem}.ipynb").is_file()
    }
    try:
        report = intake_zip(
            args.zip,
            args.assignment,
            notebooks,
            submitted,
            roster=roster,
            due=due,
            force=args.force,
            zone=course_zone(settings.timezone),
            templates=templates,
        )
    except IntakeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(report.summary())
    if args.report:
        args.report.write_text(report.to_json(), encoding="utf-8")
    return 0


def _demo(args: argparse.Namespace) -> int:
    from autograder.demo import main

    code = main(args.root, args.out, args.workers, args.engine)
    _say_engine(args.engine)
    return code


def _say_engine(engine: str) -> None:
    """After a run: which engine graded (the warm one started in the background)."""
    if engine == "cold":
        print("engine: cold (a fresh kernel per notebook, as asked)", file=sys.stderr)
        return
    from autograder.engine import why_cold

    if why_cold():
        print(f"engine: cold, the warm engine cannot run here: {why_cold()}", file=sys.stderr)


def _engine_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--engine",
        choices=("warm", "cold"),
        default="warm",
        help="warm: fork each notebook's kernel from a parent that has imported torch & co. "
        "once, each in its own sandbox (needs root and bubblewrap; else cold); cold: start a "
        "fresh sandboxed kernel per notebook. Same grades (default: warm)",
    )


def _timezone_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--timezone",
        metavar="ZONE",
        help="course time zone, an IANA name such as Asia/Shanghai: reads naive times "
        "(--due, timestamp.txt, zip entry times) and decides ambiguous abbreviations such as "
        "CST (default: nbgrader_config.py's Exchange.timezone, else UTC)",
    )


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="autograder", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument(
        "--root",
        type=Path,
        default=default_root(),
        help="course root holding source/ and release/ (default: this repository)",
    )
    sub = p.add_subparsers(dest="command", required=True)

    r = sub.add_parser("release", help="generate release/ and optionally the student edition")
    r.add_argument(
        "--student-edition",
        type=Path,
        metavar="DIR",
        help="also write the student edition (notebooks + course package) here",
    )
    r.add_argument("--zip", action="store_true", help="also pack the student edition as DIR.zip")
    r.set_defaults(func=_release)

    g = sub.add_parser("grade", help="grade submissions in nbgrader's submitted/ layout")
    g.add_argument("--submitted", type=Path, help="submissions (default: ROOT/submitted)")
    g.add_argument("--out", type=Path, help="gradebook, tables, feedback (default: ROOT)")
    g.add_argument("--db-url", help="gradebook URL (default: sqlite:///OUT/gradebook.db)")
    g.add_argument(
        "--workers", type=int, help="notebooks graded in parallel (default: one per core)"
    )
    g.add_argument(
        "--dask",
        metavar="ADDRESS",
        help="grade on a Dask distributed cluster (scheduler address, e.g. tcp://host:8786); "
        "workers need this package, the course root and the submissions at the same paths",
    )
    g.add_argument("--quiet", action="store_true", help="no progress bar or per-notebook lines")
    g.add_argument(
        "--due",
        help="deadline, ISO 8601 (e.g. 2026-12-01T23:59+08:00; without an offset: in the "
        "course time zone); a later timestamp.txt marks the submission late",
    )
    g.add_argument(
        "--student",
        action="append",
        metavar="ID",
        help="(re)grade only this student (repeatable); others are kept",
    )
    g.add_argument("--force", action="store_true", help="regrade even unchanged submissions")
    _timezone_option(g)
    files = g.add_argument_group("submitted files (see README, Statuses)")
    files.add_argument(
        "--max-notebook-mb",
        type=float,
        default=20,
        help="largest notebook once its outputs are dropped (outputs are never graded, so "
        "saved figures do not count); larger: malformed (default: 20)",
    )
    files.add_argument(
        "--max-upload-mb",
        type=float,
        default=None,
        help="larger files are refused unread (default: nbgrader_config.py's "
        "CourseDirectory.max_file_size, else 100)",
    )
    sandbox = g.add_argument_group("sandbox limits, per notebook (see README, Sandbox)")
    sandbox.add_argument(
        "--timeout",
        type=int,
        default=None,
        help="seconds of wall clock per cell before it is interrupted (default: "
        f"nbgrader_config.py's ExecutePreprocessor.timeout, else {Limits.cell_timeout})",
    )
    sandbox.add_argument(
        "--notebook-timeout",
        type=int,
        default=Limits.notebook_timeout,
        help="seconds of wall clock per notebook before its kernel is killed",
    )
    sandbox.add_argument(
        "--memory-mb",
        type=int,
        default=Limits.memory_mb,
        help="address-space cap of the kernel (RLIMIT_AS)",
    )
    sandbox.add_argument(
        "--cpu-seconds",
        type=int,
        default=Limits.cpu_seconds,
        help="CPU-time cap of the kernel (RLIMIT_CPU)",
    )
    sandbox.add_argument(
        "--max-processes",
        type=int,
        default=Limits.max_processes,
        help="process cap (pids cgroup, or RLIMIT_NPROC)",
    )
    sandbox.add_argument(
        "--max-file-mb",
        type=int,
        default=Limits.max_file_mb,
        help="largest file a kernel may write (RLIMIT_FSIZE)",
    )
    sandbox.add_argument(
        "--max-output-kb", type=int, default=Limits.max_output_kb, help="outputs kept per notebook"
    )
    sandbox.add_argument(
        "--disk-mb",
        type=int,
        default=Limits.disk_mb,
        help="size of the kernel's private tmpfs, its only writable place (bubblewrap)",
    )
    sandbox.add_argument(
        "--max-evidence-mb",
        type=int,
        default=Limits.max_evidence_mb,
        help="largest evidence file per grade cell; larger scores 0 (malformed)",
    )
    sandbox.add_argument(
        "--network",
        action="store_true",
        help="leave the network on (default: a namespace without network)",
    )
    _engine_option(g)
    g.set_defaults(func=_grade)

    rp = sub.add_parser("report", help="HTML class report with plots from a graded class")
    rp.add_argument("--out", type=Path, help="the folder `autograder grade --out` wrote")
    rp.set_defaults(func=_report)

    i = sub.add_parser("intake", help="unpack an LMS (Canvas/Moodle) zip into submitted/")
    i.add_argument("zip", type=Path, help="the LMS 'download all submissions' zip")
    i.add_argument("assignment", help="assignment slug, e.g. l2_dot_product")
    i.add_argument("--submitted", type=Path, help="target folder (default: ROOT/submitted)")
    i.add_argument("--roster", type=Path, help="CSV with columns lms_id,student_id")
    i.add_argument(
        "--due",
        help="deadline, ISO 8601 (without an offset: in the course time zone); marks late "
        "submissions",
    )
    i.add_argument("--report", type=Path, help="also write the intake report as JSON")
    i.add_argument("--force", action="store_true", help="replace submissions that differ")
    _timezone_option(i)
    i.set_defaults(func=_intake)

    d = sub.add_parser("demo", help="grade a synthetic class end to end")
    d.add_argument("--out", type=Path, default=Path("demo-class"), help="output folder")
    d.add_argument("--workers", type=int, default=2, help="notebooks graded in parallel")
    _engine_option(d)
    d.set_defaults(func=_demo)

    b = sub.add_parser("build-checkpoints", help="rebuild course/checkpoints (see README)")
    build.add_arguments(b)
    b.set_defaults(func=build.run)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    raise SystemExit(main())
