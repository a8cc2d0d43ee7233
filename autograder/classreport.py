"""`autograder report`: one HTML page about a graded class, with PNG plots.

Reads what `autograder grade` wrote into its output folder (grades.json, grading-state.json)
and writes OUT/report/index.html with, per level: the score distribution, the pass rate of
every check, the most frequent hints (the mistakes this class makes most, by check), the
submissions that were late, failed to run or were tampered with, and grading time.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from pathlib import Path

import jinja2

PROBLEM_STATUSES = ("late", "tampered", "timeout", "memory", "crashed", "malformed", "missing")

TEMPLATE = jinja2.Template(
    """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Class report</title>
<style>body{font-family:sans-serif;max-width:70em;margin:2em auto}
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.25em .5em;text-align:left}
img{max-width:100%}</style></head><body>
<h1>Class report</h1>
<p>{{ n_students }} students · {{ n_notebooks }} graded notebooks ·
grading time {{ "%.1f"|format(seconds_total) }} s in all,
{{ "%.2f"|format(seconds_mean) }} s per notebook (mean; notebooks kept from an earlier run
count 0).</p>
{% for level in levels %}
<h2>{{ level.assignment }}</h2>
<p>{{ level.students }} students · mean {{ "%.1f"|format(level.mean) }} /
{{ "%g"|format(level.max) }} · median {{ "%g"|format(level.median) }}</p>
<img src="{{ level.hist }}" alt="score distribution of {{ level.assignment }}">
<img src="{{ level.rates }}" alt="pass rate per check of {{ level.assignment }}">
<h3>Most frequent mistakes (hints shown to students)</h3>
{% if level.hints %}<table><tr><th>check</th><th>students</th><th>hint</th></tr>
{% for h in level.hints %}<tr><td>{{ h.grade_id }}</td><td>{{ h.count }}</td>
<td>{{ h.hint }}</td></tr>{% endfor %}</table>{% else %}<p>none</p>{% endif %}
{% endfor %}
<h2>Submissions to look at</h2>
{% if problems %}<table><tr><th>student</th><th>assignment</th><th>notebook</th>
<th>status</th><th>message</th></tr>
{% for p in problems %}<tr><td>{{ p.student }}</td><td>{{ p.assignment }}</td>
<td>{{ p.notebook }}</td><td>{{ p.status }}</td><td>{{ p.message }}</td></tr>{% endfor %}
</table>{% else %}<p>none</p>{% endif %}
<h2>Grading time</h2><img src="times.png" alt="grading time per notebook">
</body></html>""",
    autoescape=True,
)


def _plots():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def build(out: Path) -> Path:
    """Write out/report/index.html (and its PNGs) from a graded class in `out`."""
    rows = json.loads((out / "grades.json").read_text(encoding="utf-8"))
    try:
        state = json.loads((out / "grading-state.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        state = {"entries": {}}
    seconds = [float(e["outcome"].get("seconds", 0.0)) for e in state.get("entries", {}).values()]
    folder = out / "report"
    folder.mkdir(parents=True, exist_ok=True)
    plt = _plots()

    by_level: dict[str, list[dict]] = defaultdict(list)
    for r in rows:
        by_level[r["assignment"]].append(r)
    levels = []
    for assignment, group in sorted(by_level.items()):
        totals: dict[str, float] = defaultdict(float)
        maxima: dict[str, float] = defaultdict(float)
        for r in group:
            totals[r["student"]] += r["points"]
            maxima[r["student"]] += r["max_points"]
        scores = sorted(totals.values())
        top = max(maxima.values())
        fig, ax = plt.subplots(figsize=(6, 3))
        ax.hist(scores, bins=min(20, max(5, int(top))), range=(0, top), color="#4c72b0")
        ax.set(xlabel="score", ylabel="students", title=f"Score distribution: {assignment}")
        fig.tight_layout()
        hist = f"{assignment}-scores.png"
        fig.savefig(folder / hist, dpi=90)
        plt.close(fig)

        passed: dict[str, list[bool]] = defaultdict(list)
        for r in group:
            passed[r["grade_id"]].append(r["status"] == "passed")
        names = list(passed)
        rates = [100 * sum(v) / len(v) for v in passed.values()]
        fig, ax = plt.subplots(figsize=(6, 0.3 * len(names) + 1))
        ax.barh(names[::-1], rates[::-1], color="#55a868")
        ax.set(xlim=(0, 100), xlabel="% of students passing", title=f"Checks: {assignment}")
        fig.tight_layout()
        rates_png = f"{assignment}-checks.png"
        fig.savefig(folder / rates_png, dpi=90)
        plt.close(fig)

        hints = Counter((r["grade_id"], r["hint"]) for r in group if r["hint"])
        levels.append(
            {
                "assignment": assignment,
                "students": len(scores),
                "mean": sum(scores) / len(scores),
                "median": scores[len(scores) // 2],
                "max": top,
                "hist": hist,
                "rates": rates_png,
                "hints": [
                    {"grade_id": g, "hint": h, "count": n} for (g, h), n in hints.most_common(10)
                ],
            }
        )

    seen = set()
    problems = []
    for r in rows:
        key = (r["student"], r["assignment"], r["notebook"])
        if r["notebook_status"] in PROBLEM_STATUSES and key not in seen:
            seen.add(key)
            problems.append(
                {
                    **dict(zip(("student", "assignment", "notebook"), key, strict=True)),
                    "status": r["notebook_status"],
                    "message": r["notebook_message"],
                }
            )

    fig, ax = plt.subplots(figsize=(6, 3))
    ax.hist([s for s in seconds if s > 0] or [0], bins=20, color="#c44e52")
    ax.set(xlabel="seconds per notebook", ylabel="notebooks", title="Grading time")
    fig.tight_layout()
    fig.savefig(folder / "times.png", dpi=90)
    plt.close(fig)

    graded = [s for s in seconds if s > 0]
    page = TEMPLATE.render(
        n_students=len({r["student"] for r in rows}),
        n_notebooks=len({(r["student"], r["assignment"], r["notebook"]) for r in rows}),
        seconds_total=sum(graded),
        seconds_mean=sum(graded) / len(graded) if graded else 0.0,
        levels=levels,
        problems=problems,
    )
    index = folder / "index.html"
    index.write_text(page, encoding="utf-8")
    return index
