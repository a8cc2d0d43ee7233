"""The autograded notebook an instructor reviews in formgrader (autograded/<student>/<slug>/).

The executed notebook has its grade cells rewritten to evidence calls; an instructor checking a
disputed grade needs the test the student saw and the verdict instead. `reviewable` turns it into:

    a summary cell on top     score, notebook status and message, integrity findings
    grade cells               the released (visible) test source; as output, the verdict:
                              points, status, failing case and reason, hint (an error output
                              when points were lost, as stock nbgrader shows a traceback)
    every other nbgrader cell locked cells from the release notebook, solution cells as the
                              student wrote them, each with the checksum nbgrader's gradebook
                              holds for it (what OverwriteCells leaves in a stock autograde)
    all other outputs         as executed: figures and prints are kept; past the output cap
                              they were dropped with a "[output truncated by the grader]" note;
                              a notebook without any figure says why (NO_FIGURES)

Formgrader's "Generate feedback" renders this notebook for the student, so it never contains
hidden-test source or reference code: locked cells come from the release notebook, verdicts
from results only. A notebook that never ran (malformed, missing, grader error) is shown as the
release notebook with the verdicts, so formgrader still lists it as graded.
"""

from __future__ import annotations

import copy
import html
import re
import warnings
from collections.abc import Iterable
from pathlib import Path

import nbformat
from nbformat import NotebookNode, v4
from nbgrader.api import Gradebook, MissingEntry

from autograder import alembic_head
from autograder.assemble import nbgrader_meta

alembic_head.install()  # new gradebooks: no `alembic heads` subprocess

NOTE = (
    "评分依据隐藏检查（在内核之外判定）；上面的可见测试只供参考，评分时没有运行。\n"
    "(Graded by the hidden check, judged outside the kernel; the visible test above is shown "
    "for reference and was not run at grading.)"
)


NO_FIGURES = (
    "本 notebook 的输出里没有图像：评分内核里的 matplotlib 不显示图形（plt.show() 不产生输出）。"
    "学生自己运行时的图像保留在 submitted/ 里的原件中。 (No figures in these outputs: the grading "
    "kernel runs matplotlib without a display, so plt.show() draws nothing here; the student's "
    "own outputs, if any, are in the submitted notebook.)"
)


def _has_figures(nb: NotebookNode) -> bool:
    return any(
        key.startswith("image/")
        for cell in nb.cells
        for out in cell.get("outputs", [])
        for key in out.get("data", {})
    )


def source_checksums(db_url: str, notebooks: Iterable[tuple[str, str]]) -> dict:
    """(assignment, notebook) -> {grade_id: checksum} of the gradebook's source cells."""
    found: dict[tuple[str, str], dict[str, str]] = {}
    with Gradebook(db_url) as gb:
        for assignment, notebook in notebooks:
            try:
                cells = gb.find_notebook(notebook, assignment).source_cells
            except MissingEntry:
                continue
            found[assignment, notebook] = {c.name: c.checksum for c in cells if c.checksum}
    return found


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()!|~])")


def _md(text: str) -> str:
    """Student-influenced text (cell ids, error messages) as inert Markdown: no HTML, no links."""
    return _MD_SPECIAL.sub(r"\\\1", html.escape(str(text), quote=False))


def _summary(
    student: str, results: list[dict], status: str, message: str, integrity, figures: bool
) -> str:
    got = sum(r["points"] for r in results)
    total = sum(r["max_points"] for r in results)
    lines = [
        "### 评分摘要 (grading summary)",
        "",
        f"- 学生 (student): {_md(student)}",
        f"- 得分 (score): **{got:g} / {total:g}**",
        f"- 状态 (status): **{_md(status)}**" + (f" — {_md(message)}" if message else ""),
    ]
    if integrity:
        lines += ["", "**提交完整性 (integrity):**", ""]
        lines += [f"- {_md(item)}" for item in integrity]
    if not figures:
        lines += ["", NO_FIGURES]
    lines += [
        "",
        "每个测试单元格显示学生看到的可见测试，输出是评分结果。 "
        "(Each test cell shows the visible test the student saw; its output is the verdict.)",
    ]
    return "\n".join(lines)


def verdict_output(r: dict) -> NotebookNode:
    """The grade cell's output: points, status, failing case and reason, hint."""
    head = f"{r['title']} [{r['grade_id']}]: {r['points']:g} / {r['max_points']:g}"
    if r["status"] == "passed":
        return v4.new_output("stream", name="stdout", text=f"✓ 通过 (passed) {head}\n\n{NOTE}\n")
    if r["status"] == "manual":
        return v4.new_output("stream", name="stdout", text=f"人工评分 (graded by hand) {head}\n")
    lines = [f"✗ {r['status']} {head}"]
    if r.get("message"):
        lines.append(f"原因 (failing case and reason): {r['message']}")
    if r.get("hint"):
        lines.append(f"提示 (hint): {r['hint']}")
    lines += ["", NOTE]
    return v4.new_output(
        "error",
        ename=f"未通过 ({r['status']})",
        evalue=f"{r['points']:g} / {r['max_points']:g}",
        traceback=lines,
    )


def reviewable(
    executed: NotebookNode | None,
    release: NotebookNode,
    student: str,
    results: list[dict],
    status: str,
    message: str,
    integrity: list[str],
    checksums: dict[str, str],
) -> NotebookNode:
    """The notebook to keep in autograded/ (see the module docstring).

    results: one dict per grade cell (CellResult fields: grade_id, title, points, max_points,
    status, hint, message). `executed` None: the notebook never ran; the release is shown.
    """
    nb = copy.deepcopy(executed if executed is not None else release)
    released = {nbgrader_meta(c).get("grade_id"): c for c in release.cells if nbgrader_meta(c)}
    by_gid = {r["grade_id"]: r for r in results}
    for cell in nb.cells:
        meta = nbgrader_meta(cell)
        gid = meta.get("grade_id")
        if not gid:
            continue
        if not meta.get("solution") or executed is None:
            shown = released.get(gid)
            cell.source = shown.source if shown is not None else ""
        if gid in checksums:
            meta["checksum"] = checksums[gid]
            meta["cell_type"] = cell.cell_type
        r = by_gid.get(gid)
        if cell.cell_type != "code":
            continue
        if executed is None:
            cell.outputs, cell.execution_count = [], None
        if meta.get("grade") and r is not None:
            kept = cell.outputs if r["status"] == "manual" else []
            cell.outputs = [*kept, verdict_output(r)]
    summary = _summary(student, results, status, message, integrity, _has_figures(nb))
    nb.cells.insert(0, v4.new_markdown_cell(summary))
    return nb


def write_autograded(job, outcome, checksums: dict[str, str]) -> None:
    """Write job.autograded: the executed notebook (`outcome.executed`, if it ran) in its
    review form, else the release with the status.

    job: autograder.grade.Job; outcome: autograder.grade.Outcome.
    """
    try:
        _write(job, outcome, checksums)
    except Exception as exc:  # a review copy is a convenience: never lose the batch for it
        warnings.warn(
            f"{job.key}: no reviewable notebook: {type(exc).__name__}: {exc}", stacklevel=2
        )


def _write(job, outcome, checksums: dict[str, str]) -> None:
    path: Path = job.autograded
    executed = getattr(outcome, "executed", None)
    release = nbformat.read(job.release, as_version=4)
    results = [r if isinstance(r, dict) else vars(r) for r in outcome.results]
    nb = reviewable(
        executed,
        release,
        job.student,
        results,
        outcome.status,
        outcome.message,
        outcome.integrity,
        checksums,
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
