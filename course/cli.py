"""`course`: the student's command line.

    course levels               the levels of the course and their notebooks
    course check NOTEBOOK       run a notebook top to bottom and report each test cell

`course check` runs a copy in a temporary folder (your file is never changed) and reports
the visible tests only: they are a help, not the grade. The copy is assembled exactly as the
grader assembles it (course.assembly: read-only cells restored, answers found even in cells
that lost their nbgrader metadata), so what passes here is what the grader runs.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from course.levels import LEVELS


def _levels(_args: argparse.Namespace) -> int:
    for level in LEVELS:
        print(f"{level.label:<4} {level.slug:<24} {level.title}  ({', '.join(level.notebooks)})")
    return 0


@dataclass
class Prepared:
    """What `course check` runs: the student's notebook assembled on its release template."""

    notebook: object  # nbformat.NotebookNode
    template: Path | None  # the release notebook used, None when none fits
    warnings: list[str] = field(default_factory=list)  # for the student (Chinese + English)
    points: dict[str, float] = field(default_factory=dict)  # grade_id -> points of the cell


def prepare_check(path: Path, template: Path | None = None) -> Prepared:
    """Assemble `path` as the grader does (course.assembly), on `template` or on the release
    notebook that fits it best (course.assembly.find_templates)."""
    import nbformat

    from course.assembly import assemble, find_templates, fit, nbgrader_meta, student_warnings

    nb = nbformat.read(path, as_version=4)
    candidates = [template] if template else find_templates()
    best, best_key = None, None
    for candidate in candidates:
        release = nbformat.read(candidate, as_version=4)
        f = fit(nb, release, release)
        key = (f.score, candidate.name == path.name)
        if f.belongs and (best_key is None or key > best_key):
            best, best_key = (candidate, release), key
    if best is None:
        warning = (
            "没有找到这个 notebook 对应的课程作业，按原样运行 (no course notebook matches "
            "this one: it is run as it is; the grader would not recognise it)"
        )
        points = {
            nbgrader_meta(c)["grade_id"]: float(nbgrader_meta(c).get("points", 0))
            for c in nb.cells
            if nbgrader_meta(c).get("grade")
        }
        return Prepared(nb, None, [warning], points)
    candidate, release = best
    built = assemble(nb, release, release)
    points = {
        nbgrader_meta(c)["grade_id"]: float(nbgrader_meta(c).get("points", 0))
        for c in release.cells
        if nbgrader_meta(c).get("grade")
    }
    return Prepared(built.notebook, candidate, student_warnings(built), points)


def check_notebook(
    path: Path, timeout: int = 120, template: Path | None = None
) -> list[tuple[str, str, str]]:
    """Execute an assembled copy of `path` (see prepare_check); return
    (grade_id, "ok" | "failed" | "not run", message) per test cell."""
    from nbclient import NotebookClient

    nb = prepare_check(path, template).notebook
    with tempfile.TemporaryDirectory() as tmp:
        for extra in path.parent.iterdir():  # data files next to the notebook
            if extra.is_file() and extra.suffix != ".ipynb":
                shutil.copy2(extra, Path(tmp) / extra.name)
        client = NotebookClient(
            nb,
            timeout=timeout,
            allow_errors=True,
            kernel_name="python3",
            resources={"metadata": {"path": tmp}},
        )
        # as nbgrader's Validate button and the grader do: notebooks shrink their demos
        client.execute(env={**os.environ, "NBGRADER_EXECUTION": "validate"})
    report = []
    for cell in nb.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if not meta.get("grade") or cell.cell_type != "code":
            continue
        errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
        if cell.get("execution_count") is None:
            report.append((meta["grade_id"], "not run", ""))
        elif errors:
            report.append(
                (meta["grade_id"], "failed", f"{errors[0].get('ename')}: {errors[0].get('evalue')}")
            )
        else:
            report.append((meta["grade_id"], "ok", ""))
    return report


def visible_points(
    report: list[tuple[str, str, str]], points: dict[str, float]
) -> tuple[float, float]:
    """(points of the test cells that passed, points of all test cells)."""
    got = sum(points.get(gid, 0.0) for gid, status, _ in report if status == "ok")
    return got, sum(points.get(gid, 0.0) for gid, _, _ in report)


def _check(args: argparse.Namespace) -> int:
    if not args.notebook.is_file():
        print(f"找不到文件 (file not found): {args.notebook}", file=sys.stderr)
        return 2
    try:
        prepared = prepare_check(args.notebook, args.template)
    except Exception as exc:  # not JSON, not a notebook: say so instead of a traceback
        print(
            f"读不了这个 notebook (cannot read this notebook): {args.notebook}: "
            f"{type(exc).__name__}: {exc}"[:400]
            + (
                "\n提交和检查的应是 .ipynb 文件 (check and submit the .ipynb file)"
                if args.notebook.suffix.lower() != ".ipynb"
                else ""
            ),
            file=sys.stderr,
        )
        return 2
    for warning in prepared.warnings:
        print(f"⚠ {warning}")
    report = check_notebook(args.notebook, args.timeout, args.template)
    for grade_id, status, message in report:
        mark = {"ok": "✔", "failed": "✘"}.get(status, "·")
        print(f"{mark} {grade_id:<40} {status}" + (f"\n    {message}" if message else ""))
    failed = sum(status != "ok" for _, status, _ in report)
    got, total = visible_points(report, prepared.points)
    print(
        f"\n{len(report) - failed}/{len(report)} 个可见测试通过 (visible tests passed)，"
        f"对应 {got:g}/{total:g} 分 (points of those test cells)。"
        "评分还会运行隐藏的检查 (hidden checks also count)."
    )
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="course", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = p.add_subparsers(dest="command", required=True)
    sub.add_parser("levels", help="list the levels").set_defaults(func=_levels)
    c = sub.add_parser("check", help="run a notebook and report its visible tests")
    c.add_argument("notebook", type=Path)
    c.add_argument("--timeout", type=int, default=120, help="seconds per cell")
    c.add_argument(
        "--template",
        type=Path,
        help="the release notebook to assemble on (default: the course's own that fits best)",
    )
    c.set_defaults(func=_check)
    args = p.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    raise SystemExit(main())
