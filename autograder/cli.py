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
    limits = Limits(
        cell_timeout=args.timeout,
        notebook_timeout=args.notebook_timeout,
        memory_mb=args.memory_mb,
        cpu_seconds=args.cpu_seconds,
        max_processes=args.max_processes,
        max_file_mb=args.max_file_mb,
        max_output_kb=args.max_output_kb,
        network=args.network,
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
        )
    print(reports.summary_table(rows))
    return 0


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

    from autograder.intake import IntakeError, intake_zip

    notebooks = [p.stem for p in sorted((args.root / "source" / args.assignment).glob("*.ipynb"))]
    if not notebooks:
        print(f"error: no source notebooks for assignment {args.assignment!r}", file=sys.stderr)
        return 2
    roster = None
    if args.roster:  # CSV with columns lms_id, student_id
        with args.roster.open(encoding="utf-8") as fh:
            roster = {row["lms_id"]: row["student_id"] for row in csv.DictReader(fh)}
    due = datetime.fromisoformat(args.due) if args.due else None
    submitted = args.submitted or args.root / "submitted"
    try:
        report = intake_zip(
            args.zip,
            args.assignment,
            notebooks,
            submitted,
            roster=roster,
            due=due,
            force=args.force,
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

    return main(args.root, args.out, args.workers)


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
        help="deadline, ISO 8601 (e.g. 2026-12-01T23:59+08:00); "
        "a later timestamp.txt marks the submission late",
    )
    g.add_argument(
        "--student",
        action="append",
        metavar="ID",
        help="(re)grade only this student (repeatable); others are kept",
    )
    g.add_argument("--force", action="store_true", help="regrade even unchanged submissions")
    sandbox = g.add_argument_group("sandbox limits, per notebook (see README, Sandbox)")
    sandbox.add_argument(
        "--timeout",
        type=int,
        default=Limits.cell_timeout,
        help="seconds of wall clock per cell before it is interrupted",
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
        "--network",
        action="store_true",
        help="leave the network on (default: a namespace without network)",
    )
    g.set_defaults(func=_grade)

    rp = sub.add_parser("report", help="HTML class report with plots from a graded class")
    rp.add_argument("--out", type=Path, help="the folder `autograder grade --out` wrote")
    rp.set_defaults(func=_report)

    i = sub.add_parser("intake", help="unpack an LMS (Canvas/Moodle) zip into submitted/")
    i.add_argument("zip", type=Path, help="the LMS 'download all submissions' zip")
    i.add_argument("assignment", help="assignment slug, e.g. l2_dot_product")
    i.add_argument("--submitted", type=Path, help="target folder (default: ROOT/submitted)")
    i.add_argument("--roster", type=Path, help="CSV with columns lms_id,student_id")
    i.add_argument("--due", help="deadline, ISO 8601; marks late submissions")
    i.add_argument("--report", type=Path, help="also write the intake report as JSON")
    i.add_argument("--force", action="store_true", help="replace submissions that differ")
    i.set_defaults(func=_intake)

    d = sub.add_parser("demo", help="grade a synthetic class end to end")
    d.add_argument("--out", type=Path, default=Path("demo-class"), help="output folder")
    d.add_argument("--workers", type=int, default=2, help="notebooks graded in parallel")
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
