"""`autograder demo`: release the course, build a small synthetic class, grade it, report.

The class (one folder per student under <out>/submitted/<student>/<assignment>/):

    model-answer      the instructor's solutions pasted into the release notebook
    untouched         the release notebook as handed out (every exercise still a stub)
    noisy-correct     model answers that also print to stderr and emit a warning, handed in
                      after the due date (status late, graded normally)
    tampered          a wrong cosine_similarity and its grade cell "edited" to `pass`
    mistake-<name>    model answers with one function replaced by a mutant (a real mistake)
    alternative-...   model answers with one function replaced by a correct alternative

Expected outcome: full marks for model-answer, noisy-correct and the alternative; zero for
untouched; partial marks with a Chinese hint for the mistakes and the tampered notebook.
"""

from __future__ import annotations

import copy
import shutil
from datetime import datetime, timedelta, timezone
from pathlib import Path

import nbformat

from autograder import reports
from autograder.assemble import nbgrader_meta
from autograder.grade import grade_class
from autograder.mutants import Mutant, all_mutants
from autograder.release import release_assignments

# (student name, mutant function name); the mutant decides right or wrong.
DEMO_MUTANTS = (
    "cosine_similarity__one_sided",
    "scaled_dot_product_attention__no_scale",
    "top_k_retrieve__ascending",
    "scaled_dot_product_attention__fill_minus_1e9_manual_softmax",
    "dot__sum_over_rank_of_a",  # one bug, several cells: the later hints name `dot` first
    "kl_divergence__reversed",  # L-1: KL(q‖p) instead of KL(p‖q)
    # L-3
    "sgns_loss__negatives_sign",
    "analogy__no_exclusion",
    "glove_loss__masked_fill_log",
    # L+1
    "next_token_loss__per_sequence_mean",
    # L0: heads split without a transpose; the TransformerBlock that calls it fails too
    "multi_head_attention__view_without_transpose",
)

# The demo's due date and submission times (nbgrader's timestamp.txt format, UTC).
DEMO_DUE = datetime(2026, 12, 1, 23, 59, tzinfo=timezone(timedelta(hours=8)))
DEMO_STAMP = "2026-12-01 10:00:00.000000 UTC"
DEMO_LATE_STAMP = "2026-12-01 17:30:00.000000 UTC"  # 1 h 31 min after the due date

NOISE = (
    "import sys as _sys\nimport warnings as _warnings\n"
    'print("debug: still working on it", file=_sys.stderr)\n'
    '_warnings.warn("a harmless warning from a correct answer")\n'
)


def strip_markers(code: str) -> str:
    return "\n".join(
        line
        for line in code.splitlines()
        if line.strip() not in ("### BEGIN SOLUTION", "### END SOLUTION")
    )


def model_answer(
    source: nbformat.NotebookNode, release: nbformat.NotebookNode
) -> nbformat.NotebookNode:
    """The release notebook with each solution cell filled from the source notebook."""
    answers = {
        nbgrader_meta(c).get("grade_id"): strip_markers(c.source)
        for c in source.cells
        if nbgrader_meta(c).get("solution")
    }
    nb = copy.deepcopy(release)
    for cell in nb.cells:
        gid = nbgrader_meta(cell).get("grade_id")
        if nbgrader_meta(cell).get("solution") and gid in answers:
            cell.source = answers[gid]
    return nb


def _replace_solution(nb: nbformat.NotebookNode, function: str, code: str) -> None:
    for cell in nb.cells:
        if nbgrader_meta(cell).get("solution") and nbgrader_meta(cell).get("grade_id") == function:
            cell.source = code
            return
    raise KeyError(f"no solution cell for {function}")


def _find_mutant(name: str) -> Mutant:
    found = next((m for m in all_mutants() if m.name == name), None)
    if found is None:
        raise KeyError(f"demo mutant {name!r} is not in autograder/mutants")
    return found


def build_class(source_dir: Path, release_dir: Path, submitted: Path) -> list[str]:
    """Write the synthetic class for every level in release_dir; return the student names."""
    students: dict[str, dict[str, nbformat.NotebookNode]] = {}
    for release_path in sorted(release_dir.glob("*/*.ipynb")):
        slug, name = release_path.parent.name, release_path.name
        release = nbformat.read(release_path, as_version=4)
        source = nbformat.read(source_dir / slug / name, as_version=4)
        answer = model_answer(source, release)
        functions = {
            nbgrader_meta(c).get("grade_id")
            for c in answer.cells
            if nbgrader_meta(c).get("solution")
        }
        key = f"{slug}/{name}"
        students.setdefault("model-answer", {})[key] = answer
        students.setdefault("untouched", {})[key] = release

        noisy = copy.deepcopy(answer)
        for cell in noisy.cells:
            if nbgrader_meta(cell).get("solution"):
                cell.source = NOISE + cell.source
        students.setdefault("noisy-correct", {})[key] = noisy

        for mutant_name in DEMO_MUTANTS:
            mutant = _find_mutant(mutant_name)
            if mutant.function not in functions:
                continue
            nb = copy.deepcopy(answer)
            _replace_solution(nb, mutant.function, mutant.source())
            kind = "alternative" if mutant.correct else "mistake"
            students.setdefault(f"{kind}-{mutant_name.split('__')[1]}", {})[key] = nb

        wrong = _find_mutant("cosine_similarity__one_sided")
        if wrong.function in functions:
            tampered = copy.deepcopy(answer)
            _replace_solution(tampered, wrong.function, wrong.source())
            for cell in tampered.cells:
                if nbgrader_meta(cell).get("grade") and wrong.function in nbgrader_meta(cell).get(
                    "grade_id", ""
                ):
                    cell.source = "pass  # tests edited away by the student"
            students.setdefault("tampered", {})[key] = tampered

    for student, notebooks in students.items():
        for key, nb in notebooks.items():
            path = submitted / student / key
            path.parent.mkdir(parents=True, exist_ok=True)
            nbformat.write(nb, path)
            # what `nbgrader collect` leaves beside each submission
            stamp = DEMO_LATE_STAMP if student == "noisy-correct" else DEMO_STAMP
            (path.parent / "timestamp.txt").write_text(stamp, encoding="utf-8")
    return sorted(students)


def run_demo(root: Path, out: Path, workers: int = 2, engine: str = "warm") -> list[dict]:
    """Release into out/release, build out/submitted, grade into out/. Returns the grade rows."""
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    release_dir = out / "release"
    release_assignments(root, release_dir)
    build_class(root / "source", release_dir, out / "submitted")
    rows = grade_class(
        root,
        out / "submitted",
        out,
        workers=workers,
        release_dir=release_dir,
        due=DEMO_DUE,
        engine=engine,
    )
    return rows


def main(root: Path, out: Path, workers: int = 2, engine: str = "warm") -> int:
    rows = run_demo(root, out, workers, engine)
    print(reports.summary_table(rows))
    print(
        f"\ngradebook: {out / 'gradebook.db'}\ntables:    {out / 'grades.csv'}, "
        f"{out / 'grades.json'}\nfeedback:  {out / 'feedback'}/<student>/<assignment>/"
    )
    return 0
