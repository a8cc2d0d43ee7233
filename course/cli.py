"""`course`: the student's command line.

    course levels               the levels of the course and their notebooks
    course check NOTEBOOK       run a notebook top to bottom and report each test cell

`course check` runs a copy in a temporary folder (your file is never changed) and reports
the visible tests only: they are a help, not the grade.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

from course.levels import LEVELS


def _levels(_args: argparse.Namespace) -> int:
    for level in LEVELS:
        print(f"{level.label:<4} {level.slug:<24} {level.title}  ({', '.join(level.notebooks)})")
    return 0


def check_notebook(path: Path, timeout: int = 120) -> list[tuple[str, str, str]]:
    """Execute a copy of `path`; return (grade_id, "ok" | "failed" | "not run", message)."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
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
        client.execute()
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


def _check(args: argparse.Namespace) -> int:
    if not args.notebook.is_file():
        print(f"找不到文件 (file not found): {args.notebook}", file=sys.stderr)
        return 2
    report = check_notebook(args.notebook, args.timeout)
    for grade_id, status, message in report:
        mark = {"ok": "✔", "failed": "✘"}.get(status, "·")
        print(f"{mark} {grade_id:<40} {status}" + (f"\n    {message}" if message else ""))
    failed = sum(status != "ok" for _, status, _ in report)
    print(
        f"\n{len(report) - failed}/{len(report)} 个可见测试通过 (visible tests passed)。"
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
    c.set_defaults(func=_check)
    args = p.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    raise SystemExit(main())
