"""`course`: the student's command line.

    course levels               the levels of the course and their notebooks
    course check NOTEBOOK       run a notebook top to bottom and report each test cell

`course check` runs a copy in a temporary folder (your file is never changed) and reports
the visible tests only: they are a help, not the grade. It also reports every other cell
that raised (a demo cell your function crashes), says "还没有实现 `<name>`" for a stub,
explains other exceptions, and names a failing helper first when a failing function
calls it ("你的 `angle_between` 调用了 `dot`，而 `dot` 未通过它自己的检查").

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


def execute_copy(path: Path, timeout: int = 120):
    """Execute a copy of `path` in a temporary folder; return the executed notebook."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    with tempfile.TemporaryDirectory() as tmp:
        for extra in path.parent.iterdir():  # data files next to the notebook
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
            client.execute(cleanup_kc=True)  # our own manager: shut its kernel down here
    return nb


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
    defs: dict[str, ast.FunctionDef] = {}
    for cell in nb.cells:
        if cell.cell_type != "code" or not _meta(cell).get("solution"):
            continue
        try:
            tree = ast.parse(cell.source)
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
    try:
        used = [n.id for n in ast.walk(ast.parse(cell.source)) if isinstance(n, ast.Name)]
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


def check_notebook(path: Path, timeout: int = 120) -> list[tuple[str, str, str]]:
    """Execute a copy of `path`; return (grade_id, "ok" | "failed" | "not run", message)."""
    report = report_notebook(execute_copy(path, timeout))
    return [(c.label, c.status, c.message) for c in report.grade_cells]


def print_report(report: NotebookReport) -> None:
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
        + "。评分还会运行隐藏的检查 (hidden checks also count)."
    )


def _check(args: argparse.Namespace) -> int:
    if not args.notebook.is_file():
        print(f"找不到文件 (file not found): {args.notebook}", file=sys.stderr)
        return 2
    report = report_notebook(execute_copy(args.notebook, args.timeout))
    print_report(report)
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
    c.set_defaults(func=_check)
    args = p.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    raise SystemExit(main())
