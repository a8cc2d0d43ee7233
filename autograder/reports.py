"""Grade tables (CSV, JSON) and per-student feedback HTML.

Feedback shows each grade cell's check title, points, status, the Chinese hint and message,
and the integrity findings. It never shows hidden-test source or reference code: it is built
from results only, never from the source notebook.
"""

from __future__ import annotations

import csv
import html
import json
from collections import defaultdict
from pathlib import Path

COLUMNS = (
    "student",
    "assignment",
    "notebook",
    "grade_id",
    "points",
    "max_points",
    "status",
    "hint",
    "message",
    "notebook_status",
    "notebook_message",
    "integrity",
)


def write_tables(rows: list[dict], out: Path) -> tuple[Path, Path]:
    """grades.csv and grades.json (long: one row per grade cell) and grades-wide.csv."""
    out.mkdir(parents=True, exist_ok=True)
    write_wide(rows, out / "grades-wide.csv")
    csv_path, json_path = out / "grades.csv", out / "grades.json"
    with csv_path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=COLUMNS, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    json_path.write_text(
        json.dumps([{k: r[k] for k in COLUMNS} for r in rows], ensure_ascii=False, indent=1),
        encoding="utf-8",
    )
    return csv_path, json_path


def wide_table(rows: list[dict]) -> tuple[list[str], list[list]]:
    """One row per student, one column per grade cell, then totals per notebook and level.

    Columns: student, "<assignment>/<notebook>/<grade_id>" for every grade cell (in the order
    the cells come in the rows), "<assignment>/<notebook> total", "<assignment> total", "total".
    A student who has no row for a cell gets an empty field there (not graded), not 0.
    """
    cells: dict[tuple[str, str, str], None] = {}
    notebooks: dict[tuple[str, str], None] = {}
    assignments: dict[str, None] = {}
    points: dict[str, dict] = defaultdict(dict)
    for r in rows:
        cell = (r["assignment"], r["notebook"], r["grade_id"])
        cells.setdefault(cell)
        notebooks.setdefault(cell[:2])
        assignments.setdefault(r["assignment"])
        points[r["student"]][cell] = float(r["points"])
    header = ["student", *("/".join(c) for c in cells)]
    header += [f"{a}/{n} total" for a, n in notebooks]
    header += [f"{a} total" for a in assignments] + ["total"]
    table = []
    for student in sorted(points):
        got = points[student]
        line: list = [student, *(got.get(c, "") for c in cells)]
        line += [sum(v for c, v in got.items() if c[:2] == nb) for nb in notebooks]
        line += [sum(v for c, v in got.items() if c[0] == a) for a in assignments]
        line.append(sum(got.values()))
        table.append(line)
    return header, table


def write_wide(rows: list[dict], path: Path) -> Path:
    """grades-wide.csv: `wide_table` for spreadsheets and LMS grade upload."""
    header, table = wide_table(rows)
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(
            [[f"{v:g}" if isinstance(v, float) else v for v in line] for line in table]
        )
    return path


STYLE = """body{font-family:sans-serif;max-width:60em;margin:2em auto}
table{border-collapse:collapse;width:100%}td,th{border:1px solid #ccc;padding:.3em .5em;text-align:left}
.passed{background:#e8f5e9}.failed,.error,.timeout,.crashed,.missing,.malformed{background:#ffebee}"""


def feedback_html(
    student: str, assignment: str, notebook: str, rows: list[dict], integrity: list[str]
) -> str:
    e = html.escape
    got = sum(r["points"] for r in rows)
    total = sum(r["max_points"] for r in rows)
    lines = [
        "<!DOCTYPE html><html lang='zh'><head><meta charset='utf-8'>",
        f"<title>{e(assignment)} / {e(notebook)} — {e(student)}</title><style>{STYLE}</style>",
        "</head><body>",
        f"<h1>{e(notebook)}</h1><p>学生 (student): <b>{e(student)}</b> · 作业 (assignment): "
        f"{e(assignment)}</p><p>得分 (score): <b>{got:g} / {total:g}</b> · 状态 (status): "
        f"<b>{e(rows[0].get('notebook_status', ''))}</b> {e(rows[0].get('notebook_message', ''))}"
        "</p>",
        "<table><tr><th>检查 (check)</th><th>得分</th><th>状态 (status)</th>"
        "<th>说明与提示 (message and hint)</th></tr>",
    ]
    for r in rows:
        note = e(r["message"])
        if r["hint"]:
            note += f"<br><b>提示：</b>{e(r['hint'])}"
        lines.append(
            f"<tr class='{e(r['status'])}'><td>{e(r['title'])}<br><small>{e(r['grade_id'])}"
            f"</small></td><td>{r['points']:g} / {r['max_points']:g}</td>"
            f"<td>{e(r['status'])}</td><td>{note}</td></tr>"
        )
    lines.append("</table>")
    if integrity:
        lines.append("<h2>提交完整性 (integrity)</h2><ul>")
        lines.extend(f"<li>{e(item)}</li>" for item in integrity)
        lines.append("</ul>")
    lines.append("</body></html>")
    return "\n".join(lines)


def write_feedback(
    rows: list[dict], integrity: dict[tuple[str, str, str], list[str]], out: Path
) -> list[Path]:
    """feedback/<student>/<assignment>/<notebook>.html, nbgrader's feedback layout."""
    grouped: dict[tuple[str, str, str], list[dict]] = defaultdict(list)
    for r in rows:
        grouped[(r["student"], r["assignment"], r["notebook"])].append(r)
    paths = []
    for (student, assignment, notebook), group in sorted(grouped.items()):
        path = out / "feedback" / student / assignment / f"{notebook}.html"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(
            feedback_html(
                student,
                assignment,
                notebook,
                group,
                integrity.get((student, assignment, notebook), []),
            ),
            encoding="utf-8",
        )
        paths.append(path)
    return paths


def summary_table(rows: list[dict]) -> str:
    """A per-student text table for the terminal: score, notebook status, cells not passed."""
    per: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for r in rows:
        per[(r["student"], r["assignment"])].append(r)
    width = max([len("student")] + [len(s) for s, _ in per])
    out = [
        f"{'student':<{width}}  {'assignment':<16}  {'score':>11}  {'status':<9}  "
        "cells not passed (first hint)"
    ]
    for (student, assignment), group in sorted(per.items()):
        got = sum(r["points"] for r in group)
        total = sum(r["max_points"] for r in group)
        statuses = sorted({r.get("notebook_status", "") for r in group} - {"ok"}) or ["ok"]
        bad = [f"{r['grade_id']}({r['status']})" for r in group if r["status"] != "passed"]
        shown = ", ".join(bad[:3]) + (f", +{len(bad) - 3} more" if len(bad) > 3 else "")
        hint = next((r["hint"] for r in group if r["hint"]), "")
        if hint:
            shown += f" — {hint[:40]}"
        out.append(
            f"{student:<{width}}  {assignment:<16}  {got:>5g} / {total:<3g}  "
            f"{','.join(statuses):<9}  {shown or '-'}"
        )
    return "\n".join(out)
