"""`course`: the student's command line.

    course levels               the levels of the course and their notebooks
    course check NOTEBOOK       run a notebook top to bottom and report each test cell

`course check` runs a copy in a temporary folder (your file is never changed) and reports
the visible tests only: they are a help, not the grade. The copy is assembled exactly as the
grader assembles it (course.assembly: read-only cells restored, answers found even in cells
that lost their nbgrader metadata), so what passes here is what the grader runs. It also
reports every other cell that raised (a demo cell your function crashes), says
"还没有实现 `<name>`" for a stub, explains other exceptions, and names a failing helper first
when a failing function calls it ("你的 `angle_between` 调用了 `dot`，而 `dot` 未通过它自己的检查").

The kernel talks to `course check` over IPC (Unix sockets in the temporary folder) where
the platform has them, so nothing is sent over TCP and ipykernel has nothing to warn about.
"""

from __future__ import annotations

import argparse
import ast
import os
import re
import shutil
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from course.explain import dependency_hint, explain_error
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


def _kernel_manager(folder: str):
    """A python3 kernel manager on IPC sockets inside `folder` (TCP on Windows).

    ipykernel warns "Kernel is running over TCP without encryption" for every TCP kernel;
    IPC keeps all traffic in Unix sockets of the temporary folder, so there is nothing to
    warn about. Windows has no IPC transport: there the kernel uses TCP on localhost.
    """
    from jupyter_client.manager import KernelManager

    if os.name == "nt":
        return KernelManager(kernel_name="python3")
    return KernelManager(kernel_name="python3", transport="ipc", ip=os.path.join(folder, "kernel"))


def execute_notebook(nb, data_dir: Path | None = None, timeout: int = 120):
    """Execute `nb` (in place) in a temporary folder holding the files of `data_dir`."""
    from nbclient import NotebookClient

    with tempfile.TemporaryDirectory() as tmp:
        for extra in data_dir.iterdir() if data_dir else ():  # data files next to the notebook
            if extra.is_file() and extra.suffix != ".ipynb":
                shutil.copy2(extra, Path(tmp) / extra.name)
        with tempfile.TemporaryDirectory() as sockets:  # short path: Unix sockets max ~100 chars
            client = NotebookClient(
                nb,
                km=_kernel_manager(sockets),
                timeout=timeout,
                allow_errors=True,
                resources={"metadata": {"path": tmp}},
            )
            # as nbgrader's Validate button and the grader do: notebooks shrink their demos;
            # cleanup_kc: our own manager, so its kernel is shut down here
            client.execute(cleanup_kc=True, env={**os.environ, "NBGRADER_EXECUTION": "validate"})
    return nb


def execute_copy(path: Path, timeout: int = 120, template: Path | None = None):
    """Assemble `path` as the grader does (prepare_check), execute it; return the notebook."""
    return execute_notebook(prepare_check(path, template).notebook, path.parent, timeout)


# ---- reporting: what `course check` says about an executed notebook ------------------------

ANSI = re.compile(r"\x1b\[[0-9;]*m")


@dataclass
class CellReport:
    """One cell worth reporting: a grade cell (always) or another cell that raised."""

    label: str  # grade_id, or "单元格 [n]" for an ordinary cell
    status: str  # "ok" | "failed" | "not run"
    message: str = ""  # the error, first line
    hint: str = ""  # Chinese: the dependency first, then where to look
    first_line: str = ""  # ordinary cells: the cell's first code line
    grade: bool = True


@dataclass
class NotebookReport:
    cells: list[CellReport] = field(default_factory=list)

    @property
    def grade_cells(self) -> list[CellReport]:
        return [c for c in self.cells if c.grade]

    @property
    def other_errors(self) -> list[CellReport]:
        return [c for c in self.cells if not c.grade]

    @property
    def ok(self) -> bool:
        return all(c.status == "ok" for c in self.cells)


def _meta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {}) or {}


def _solution_functions(nb) -> dict[str, set[str]]:
    """Top-level functions of the solution cells -> the solution functions each one names."""
    from course.assembly import parse_python

    defs: dict[str, ast.FunctionDef] = {}
    for cell in nb.cells:
        if cell.cell_type != "code" or not _meta(cell).get("solution"):
            continue
        try:
            tree = parse_python(cell.source)
        except SyntaxError:
            continue
        for node in tree.body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                defs[node.name] = node
    return {
        name: {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and n.id in defs} - {name}
        for name, node in defs.items()
    }


def _tested_function(cell, grade_id: str, functions: dict[str, set[str]]) -> str:
    """The solution function a grade cell tests: named in its grade_id, else first used."""
    for name in sorted(functions, key=len, reverse=True):
        if f"_{name}_" in f"_{grade_id}_" or grade_id == f"test_{name}":
            return name
    from course.assembly import parse_python

    try:
        used = [n.id for n in ast.walk(parse_python(cell.source)) if isinstance(n, ast.Name)]
    except SyntaxError:
        used = []
    return next((n for n in used if n in functions), "")


def _raising_function(error: dict, functions: dict[str, set[str]]) -> str:
    """The innermost solution function in the traceback ("... in dot(a, b)")."""
    text = ANSI.sub("", "\n".join(error.get("traceback", [])))
    found = [m for m in re.findall(r"\bin (\w+)\(", text) if m in functions]
    return found[-1] if found else ""


def _first_code_line(source: str) -> str:
    for line in source.splitlines():
        if line.strip() and not line.strip().startswith("#"):
            return line.strip()[:80]
    return ""


def report_notebook(nb) -> NotebookReport:
    """What `course check` reports about an executed notebook (no kernel needed)."""
    functions = _solution_functions(nb)
    report = NotebookReport()
    tested: list[tuple[CellReport, str]] = []
    for index, cell in enumerate(nb.cells, start=1):
        if cell.cell_type != "code":
            continue
        meta = _meta(cell)
        errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
        error = errors[0] if errors else None
        message = f"{error.get('ename')}: {error.get('evalue')}" if error else ""
        message = message.splitlines()[0] if message else ""
        if meta.get("grade"):
            function = _tested_function(cell, meta["grade_id"], functions)
            if cell.get("execution_count") is None:
                entry = CellReport(meta["grade_id"], "not run")
            else:
                entry = CellReport(meta["grade_id"], "failed" if error else "ok", message)
            tested.append((entry, function))
        elif error:
            entry = CellReport(
                f"单元格 [{index}]",
                "failed",
                message,
                first_line=_first_code_line(cell.source),
                grade=False,
            )
            tested.append((entry, _raising_function(error, functions)))
        else:
            continue
        if error and error.get("ename") != "AssertionError":
            raiser = _raising_function(error, functions)
            entry.hint = explain_error(message, raiser or tested[-1][1])
        report.cells.append(entry)
    failing = {f for entry, f in tested if entry.grade and entry.status != "ok" and f}
    for entry, function in tested:
        broken = sorted(functions.get(function, set()) & failing)
        if entry.status == "failed" and broken:
            entry.hint = " ".join(filter(None, [dependency_hint(function, broken), entry.hint]))
    return report


def check_notebook(
    path: Path, timeout: int = 120, template: Path | None = None
) -> list[tuple[str, str, str]]:
    """Execute an assembled copy of `path` (see prepare_check); return
    (grade_id, "ok" | "failed" | "not run", message) per test cell."""
    report = report_notebook(execute_copy(path, timeout, template))
    return [(c.label, c.status, c.message) for c in report.grade_cells]


def visible_points(
    report: list[tuple[str, str, str]], points: dict[str, float]
) -> tuple[float, float]:
    """(points of the test cells that passed, points of all test cells)."""
    got = sum(points.get(gid, 0.0) for gid, status, _ in report if status == "ok")
    return got, sum(points.get(gid, 0.0) for gid, _, _ in report)


def print_report(report: NotebookReport, points: dict[str, float] | None = None) -> None:
    for c in report.grade_cells:
        mark = {"ok": "✔", "failed": "✘"}.get(c.status, "·")
        print(f"{mark} {c.label:<40} {c.status}")
        if c.message:
            print(f"    {c.message}")
        if c.hint:
            print(f"    提示：{c.hint}")
    if report.other_errors:
        print("\n其他出错的单元格 (other cells that raised an error):")
        for c in report.other_errors:
            print(f"✘ {c.label} `{c.first_line}`\n    {c.message}")
            if c.hint:
                print(f"    提示：{c.hint}")
    grades = report.grade_cells
    passed = sum(c.status == "ok" for c in grades)
    print(
        f"\n{passed}/{len(grades)} 个可见测试通过 (visible tests passed)"
        + (
            f"，另有 {len(report.other_errors)} 个其他单元格出错 (other cells failed)"
            if report.other_errors
            else ""
        )
        + (
            "，对应 {:g}/{:g} 分 (points of those test cells)".format(
                *visible_points([(c.label, c.status, "") for c in grades], points)
            )
            if points
            else ""
        )
        + "。评分还会运行隐藏的检查 (hidden checks also count)."
    )


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
    report = report_notebook(
        execute_notebook(prepared.notebook, args.notebook.parent, args.timeout)
    )
    print_report(report, prepared.points)
    return 0 if report.ok else 1


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
