"""The judge: turn the evidence a kernel produced into points and hints.

Runs in the trusted grading process. Evidence arrives as bytes taken from the workdir right
after each grade cell (autograder.execute) and is loaded with `torch.load(weights_only=True)`
after a size check, so a crafted file cannot run code.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import torch
from nbformat import NotebookNode

from autograder import checks
from autograder.assemble import GradeCell, nbgrader_meta
from autograder.check import Verdict, link_dependencies
from autograder.sandbox import Limits
from course.evidence import file_stem


@dataclass
class CellResult:
    grade_id: str
    check_id: str
    title: str
    points: float
    max_points: float
    status: str  # passed | failed | error | missing | malformed | timeout | crashed | manual
    hint: str = ""
    message: str = ""


def write_inputs(grade_cells: list[GradeCell], workdir: Path) -> dict[str, Path]:
    """Put each check's plain inputs where the kernel's record() call will look.

    Returns grade_id -> the outputs file that record() will write.
    """
    outputs = {}
    for gc in grade_cells:
        if gc.check_id:
            stem = file_stem(gc.check_id)
            torch.save(checks.get(gc.check_id).spec(), workdir / f"{stem}.inputs.pt")
            outputs[gc.grade_id] = workdir / f"{stem}.outputs.pt"
    return outputs


def _cell_error(notebook: NotebookNode, grade_id: str) -> str:
    for cell in notebook.cells:
        if nbgrader_meta(cell).get("grade_id") == grade_id:
            for out in cell.get("outputs", []):
                if out.get("output_type") == "error":
                    return f"{out.get('ename', 'Error')}: {out.get('evalue', '')}"[:500]
    return ""


def load_record(data: bytes, max_bytes: int = Limits().max_evidence_mb * 1024 * 1024) -> dict:
    if len(data) > max_bytes:
        raise ValueError(f"evidence too large ({len(data)} bytes)")
    record = torch.load(io.BytesIO(data), weights_only=True)
    if not isinstance(record, dict):
        raise ValueError("evidence is not a dict")
    return record


def judge_cells(
    grade_cells: list[GradeCell],
    evidence: dict[str, bytes | str],
    executed: NotebookNode,
    run_status: str = "ok",
    run_message: str = "",
) -> list[CellResult]:
    """One result per grade cell; `evidence` maps grade_id -> bytes (or why there are none).

    A failed cell whose function called another graded function that fails its own checks
    gets a hint naming that function first (`link_dependencies`); its points stay 0.
    """
    results = []
    judged: list[tuple[int, Verdict]] = []  # (index in results, verdict) for dependency hints
    for gc in grade_cells:
        if not gc.check_id:
            results.append(
                CellResult(
                    gc.grade_id, "", gc.grade_id, 0.0, gc.points, "manual", message="graded by hand"
                )
            )
            continue
        check = checks.get(gc.check_id)
        data = evidence.get(gc.grade_id)
        if data is None:
            status = run_status if run_status != "ok" else "error"
            reason = _cell_error(executed, gc.grade_id) or run_message or "测试单元格没有运行完"
            results.append(
                CellResult(
                    gc.grade_id, gc.check_id, check.title, 0.0, gc.points, status, message=reason
                )
            )
            continue
        try:
            if isinstance(data, str):
                raise ValueError(data)
            record = load_record(data)
        except Exception as exc:
            results.append(
                CellResult(
                    gc.grade_id,
                    gc.check_id,
                    check.title,
                    0.0,
                    gc.points,
                    "malformed",
                    message=f"evidence unreadable: {exc}"[:300],
                )
            )
            continue
        verdict = check.judge(record)
        judged.append((len(results), verdict))
        points = gc.points if verdict.passed else 0.0
        message = "" if verdict.passed else verdict.message().splitlines()[0]
        results.append(
            CellResult(
                gc.grade_id,
                gc.check_id,
                check.title,
                points,
                gc.points,
                "passed" if verdict.passed else "failed",
                hint=verdict.feedback_hint,
                message=message,
            )
        )
    linked = link_dependencies([v for _, v in judged])
    for (index, _), verdict in zip(judged, linked, strict=True):
        results[index].hint = verdict.feedback_hint
    return results
