"""The judge: turn the evidence a kernel produced into points and hints.

Runs in the trusted grading process. Evidence arrives as bytes taken from the kernel's
messages while each grade cell runs (autograder.execute) and is loaded with
`torch.load(weights_only=True)` after a size check, so crafted bytes cannot run code; what
is not plain data (a sparse or quantized tensor, say) makes that one cell `malformed`.
"""

from __future__ import annotations

import functools
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


def write_inputs(grade_cells: list[GradeCell], folder: Path) -> dict[str, str]:
    """Put each check's plain inputs where the kernel's record() call will look.

    Returns grade_id -> the check id whose evidence that grade cell must send.
    """
    expected = {}
    for gc in grade_cells:
        if gc.check_id:
            path = folder / f"{file_stem(gc.check_id)}.inputs.pt"
            path.write_bytes(spec_bytes(gc.check_id))
            path.chmod(0o644)  # readable by the kernel's own uid
            expected[gc.grade_id] = gc.check_id
    return expected


@functools.lru_cache(maxsize=256)
def spec_bytes(check_id: str) -> bytes:
    """A check's spec as torch.save bytes. The spec is a pure function of the check (seeded
    cases, the same for every student; tests/test_check.py holds every check to that), so it
    is built once per grading process, not once per notebook."""
    buffer = io.BytesIO()
    torch.save(checks.get(check_id).spec(), buffer)
    return buffer.getvalue()


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
    _require_plain(record)
    return record


def _require_plain(value, depth: int = 0) -> None:
    """Evidence holds dense CPU tensors, numbers, strings, lists and dicts: nothing else."""
    if depth > 20:
        raise ValueError("evidence nested too deeply")
    if isinstance(value, torch.Tensor):
        if value.layout != torch.strided or value.is_quantized or value.is_nested:
            raise ValueError(f"evidence holds a {value.layout} tensor (dense tensors only)")
        if type(value) is not torch.Tensor or value.device.type != "cpu":
            raise ValueError("evidence holds a tensor subclass or a non-CPU tensor")
    elif isinstance(value, dict):
        for key, item in value.items():
            _require_plain(key, depth + 1)
            _require_plain(item, depth + 1)
    elif isinstance(value, list | tuple):
        for item in value:
            _require_plain(item, depth + 1)
    elif value is not None and type(value) not in (bool, int, float, str):
        raise ValueError(f"evidence holds a {type(value).__name__}")


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
        try:
            verdict = check.judge(record)
        except Exception as exc:  # evidence the check cannot read: this cell, not the notebook
            results.append(
                CellResult(
                    gc.grade_id,
                    gc.check_id,
                    check.title,
                    0.0,
                    gc.points,
                    "malformed",
                    message=f"evidence unreadable: {type(exc).__name__}: {exc}"[:300],
                )
            )
            continue
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
