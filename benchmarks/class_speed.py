"""Grading speed of a whole class: stock `nbgrader autograde` vs `autograder grade`, one run.

    python benchmarks/class_speed.py                  # 40 submissions per notebook, all levels
    python benchmarks/class_speed.py --sizes 10,20,40,80 --levels l2_dot_product

For each class size it builds a synthetic class (model answers, every wrong and correct mutant
of the level in turn, untouched release notebooks, broken files), then in the same run:

* grades it with stock nbgrader (`NbGraderAPI.autograde`, one submission after another, the
  hidden checks run in the kernel) — only at the first size, it is the slow baseline;
* grades it with `autograder grade` (warm engine) with 1 worker and with one worker per core,
  and at the first size also with the cold engine (a fresh kernel per notebook);
* checks that every grade cell gets the same points both ways (stock in-kernel vs judged);
* prints throughput (notebooks/s), the ratio to stock, the per-notebook overhead (wall time
  beyond executing the notebook's own cells, from nbclient's cell timings), the parallel
  efficiency (speed-up / workers) and the time against class size.

Ratios are what to read: the machine is shared and absolute times drift between runs.
"""

from __future__ import annotations

import argparse
import copy
import json
import shutil
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from autograder.assemble import nbgrader_meta  # noqa: E402
from autograder.demo import model_answer  # noqa: E402
from autograder.grade import grade_class  # noqa: E402
from autograder.mutants import all_mutants  # noqa: E402
from autograder.release import available_levels, nbgrader_config, release_assignments  # noqa: E402
from autograder.runner import default_workers  # noqa: E402


def variants(source, release) -> list[tuple[str, nbformat.NotebookNode]]:
    """The kinds of submission a class holds, in the order they are dealt out."""
    answer = model_answer(source, release)
    solutions = {
        nbgrader_meta(c).get("grade_id") for c in answer.cells if nbgrader_meta(c).get("solution")
    }
    kinds = [("model", answer), ("untouched", release)]
    for mutant in all_mutants():
        if mutant.function not in solutions:
            continue
        nb = copy.deepcopy(answer)
        for cell in nb.cells:
            if nbgrader_meta(cell).get("grade_id") == mutant.function:
                cell.source = mutant.source()
        kinds.append((mutant.name, nb))
    broken = copy.deepcopy(answer)
    first = next(c for c in broken.cells if nbgrader_meta(c).get("solution"))
    first.source = "def broken(:\n    pass"  # a syntax error in the first answer cell
    kinds.append(("syntax-error", broken))
    return kinds


def build(course: Path, levels: list[str], size: int) -> None:
    """course/submitted/s000…/<slug>/<notebook>.ipynb, `size` students."""
    for slug in levels:
        for release_path in sorted((course / "release" / slug).glob("*.ipynb")):
            source = nbformat.read(course / "source" / slug / release_path.name, as_version=4)
            release = nbformat.read(release_path, as_version=4)
            kinds = variants(source, release)
            for i in range(size):
                # model answers every third student: a class is mostly right
                _, nb = kinds[0] if i % 3 == 0 else kinds[1 + i % (len(kinds) - 1)]
                path = course / "submitted" / f"s{i:03d}" / slug / release_path.name
                path.parent.mkdir(parents=True, exist_ok=True)
                nbformat.write(nb, path)


def stock_again(course: Path, students: set[tuple[str, str]]) -> dict:
    """Stock autograde once more for (student, slug) pairs; their points per cell.

    ipykernel 7's kernels sometimes fail a request with "ZMQError: Socket operation on
    non-socket" (a race upstream, cf. ipython/ipykernel#1432), and stock nbgrader then scores
    the whole notebook 0. A disagreement that a second stock run does not repeat is stock's.
    """
    from nbgrader.api import Gradebook
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory

    db_url = f"sqlite:///{course / 'stock.db'}"
    cfg = nbgrader_config(course, db_url=db_url)
    cfg.CourseDirectory.autograded_directory = "stock-autograded"
    api = NbGraderAPI(coursedir=CourseDirectory(config=cfg), config=cfg)
    for student, slug in sorted(students):
        api.autograde(slug, student, force=True)
    points = {}
    with Gradebook(db_url) as gb:
        for student, slug in students:
            for nb in gb.find_submission(slug, student).notebooks:
                for grade in nb.grades:
                    points[(student, slug, nb.name, grade.name)] = grade.score
    return points


def stock(course: Path, levels: list[str]) -> tuple[float, dict]:
    """Stock nbgrader autograde of the whole class, sequentially; (seconds, points per cell)."""
    from nbgrader.api import Gradebook
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory

    db_url = f"sqlite:///{course / 'stock.db'}"
    cfg = nbgrader_config(course, db_url=db_url)
    cfg.CourseDirectory.autograded_directory = "stock-autograded"
    api = NbGraderAPI(coursedir=CourseDirectory(config=cfg), config=cfg)
    students = sorted(p.name for p in (course / "submitted").iterdir())
    for slug in levels:
        assert api.generate_assignment(slug)["success"]
    with Gradebook(db_url) as gb:
        for s in students:
            gb.update_or_create_student(s)
    started = time.perf_counter()
    for slug in levels:
        for s in students:
            api.autograde(slug, s)
    seconds = time.perf_counter() - started
    points = {}
    with Gradebook(db_url) as gb:
        for slug in levels:
            for sub in gb.assignment_submissions(slug):
                for nb in sub.notebooks:
                    for grade in nb.grades:
                        points[(sub.student.id, slug, nb.name, grade.name)] = grade.score
    return seconds, points


def cell_seconds(path: Path) -> float:
    """Time the kernel spent executing the notebook's own cells (nbclient's timings)."""
    nb = nbformat.read(path, as_version=4)
    total = 0.0
    for cell in nb.cells:
        t = cell.get("metadata", {}).get("execution", {})
        if "iopub.execute_input" in t and "shell.execute_reply" in t:
            a = datetime.fromisoformat(t["iopub.execute_input"].replace("Z", "+00:00"))
            b = datetime.fromisoformat(t["shell.execute_reply"].replace("Z", "+00:00"))
            total += (b - a).total_seconds()
    return total


def ours(course: Path, out: Path, workers: int, engine: str = "warm") -> tuple[float, dict, tuple]:
    """autograder grade; (seconds, points per cell, (overhead per notebook, per run) in s/nb)."""
    started = time.perf_counter()
    rows = grade_class(
        ROOT,
        course / "submitted",
        out,
        workers=workers,
        release_dir=course / "release",
        force=True,
        engine=engine,
    )
    seconds = time.perf_counter() - started
    points = {
        (r["student"], r["assignment"], r["notebook"], r["grade_id"]): r["points"] for r in rows
    }
    state = json.loads((out / "grading-state.json").read_text())["entries"]
    overheads = []
    cells = 0.0
    for key, entry in state.items():
        student, slug, notebook = key.split("/")
        executed = out / "autograded" / student / slug / f"{notebook}.ipynb"
        if executed.is_file():
            spent = cell_seconds(executed)
            cells += spent
            overheads.append(entry["outcome"]["seconds"] - spent)
    # per notebook: its own wall clock beyond its cells; per run: the whole run's wall clock
    # beyond all cells (fixed costs and this process's work between notebooks included)
    per_run = (seconds - cells) / max(1, len(state))
    return seconds, points, (sum(overheads) / max(1, len(overheads)), per_run)


def main() -> int:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--sizes", default="40", help="class sizes, comma-separated (default 40)")
    p.add_argument("--levels", help="assignment slugs, comma-separated (default: all released)")
    p.add_argument("--no-stock", action="store_true", help="skip the stock nbgrader baseline")
    p.add_argument(
        "--no-cold",
        action="store_true",
        help="skip our cold engine (a fresh kernel per notebook) at the first size",
    )
    args = p.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    levels = args.levels.split(",") if args.levels else available_levels(ROOT)
    cores = default_workers()
    tmp = Path(tempfile.mkdtemp(prefix="class-speed-"))
    try:
        course = tmp / "course"
        for slug in levels:
            shutil.copytree(ROOT / "source" / slug, course / "source" / slug)
        release_assignments(course)
        print(f"levels: {', '.join(levels)}; cores: {cores}")
        stock_rate = None
        scaling: list[tuple[int, float]] = []  # (class size, seconds per notebook, N workers)
        for n, size in enumerate(sizes):
            shutil.rmtree(course / "submitted", ignore_errors=True)
            build(course, levels, size)
            notebooks = size * sum(
                len(list((course / "release" / s).glob("*.ipynb"))) for s in levels
            )
            t1, p1, over1 = ours(course, tmp / f"ours1-{size}", 1)
            tn, pn, _ = ours(course, tmp / f"oursN-{size}", cores)
            assert p1 == pn, "1 worker and N workers disagree"
            scaling.append((size, tn / notebooks))
            line = (
                f"size {size:>3}: {notebooks} notebooks; ours 1 worker {t1:7.1f} s "
                f"({notebooks / t1:5.2f} nb/s), {cores} workers {tn:7.1f} s "
                f"({notebooks / tn:5.2f} nb/s); overhead {over1[0]:.2f} s/nb "
                f"({over1[1]:.2f} s/nb counting the whole 1-worker run); "
                f"parallel efficiency {100 * t1 / tn / cores:.0f}%"
            )
            if n == 0 and not args.no_cold:
                tc, pc, overc = ours(course, tmp / f"oursC-{size}", cores, engine="cold")
                assert pc == pn, "the cold and the warm engine disagree"
                line += (
                    f"\n          ours cold, {cores} workers {tc:7.1f} s "
                    f"({notebooks / tc:5.2f} nb/s); warm/cold throughput {tc / tn:.1f}x"
                )
            if n == 0 and not args.no_stock:
                ts, ps = stock(course, levels)
                stock_rate = notebooks / ts
                shared = set(ps) & set(pn)
                differ = sorted(k for k in shared if abs(ps[k] - pn[k]) > 1e-9)
                if differ:  # stock once more where it disagreed: is the difference stock's?
                    again = stock_again(course, {(k[0], k[1]) for k in differ})
                    flaky = [k for k in differ if abs(again[k] - pn[k]) <= 1e-9]
                    line += (
                        f"\n          stock disagreed on {len(differ)} cells; a second stock "
                        f"run agreed with ours on {len(flaky)} of them (stock kernel failures)"
                    )
                    differ = [k for k in differ if k not in flaky]
                line += (
                    f"\n          stock nbgrader {ts:7.1f} s ({stock_rate:5.2f} nb/s); "
                    f"ours/stock throughput {notebooks / tn / stock_rate:.1f}x; "
                    f"{len(shared)} grade cells compared, {len(differ)} differ"
                )
                for k in differ[:10]:
                    line += f"\n            differs: {k}: stock {ps[k]} ours {pn[k]}"
            print(line, flush=True)
        if len(scaling) > 1:  # linear in class size: the same time per notebook at every size
            per = ", ".join(f"{size}: {spn:.3f}" for size, spn in scaling)
            spread = max(spn for _, spn in scaling) / min(spn for _, spn in scaling)
            print(
                f"time per notebook by class size ({cores} workers, s): {per}; "
                f"largest/smallest {spread:.2f}"
            )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
