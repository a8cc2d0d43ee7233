"""Submissions as they really arrive (issue 8): `course check` and `autograder grade` agree.

A class of odd but honest submissions — renamed, nested, answers retyped in new cells,
metadata lost to an editor, IPython magics, a changed cell type, time zones — is graded once
(module fixture), and `course check` runs on each student's own file. Both assemble with
course.assembly, so the points of the visible test cells that pass locally equal the points
the grader gives (each odd file is either fully right or wrong in a way both catch).
"""

from __future__ import annotations

import copy
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

import nbformat
import pytest
from conftest import ROOT, read
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook
from nbgrader.api import Gradebook

from autograder.assemble import nbgrader_meta
from autograder.demo import model_answer
from autograder.grade import grade_class
from autograder.release import release_assignments
from autograder.sandbox import Limits
from course import cli as course_cli

SLUG, NAME = "l2_dot_product", "L-2-dot-product-similarity"
FILE = f"{NAME}.ipynb"
ZONE = "Asia/Shanghai"
DUE = datetime(2026, 12, 1, 23, 59)  # naive: in the course time zone
LIMITS = Limits(cell_timeout=30, notebook_timeout=150, cpu_seconds=120, max_output_kb=512)


def _cell(nb, gid):
    return next(c for c in nb.cells if nbgrader_meta(c).get("grade_id") == gid)


def renamed_with_magic(nb):
    """Work saved as '…-Copy1.ipynb' next to an empty Untitled.ipynb; `%%time` on an answer."""
    _cell(nb, "pairwise_cosine").source = "%%time\n" + _cell(nb, "pairwise_cosine").source
    return {f"{NAME}-Copy1.ipynb": nb, "Untitled.ipynb": new_notebook(cells=[new_code_cell()])}


def nested_on_time_in_cst(nb):
    """One folder deeper (an unzipped folder); nbgrader's exchange in Asia/Shanghai wrote CST."""
    return {f"homework/{FILE}": nb, "timestamp.txt": "2026-12-01 23:30:00.000000 CST"}


def retyped_cosine(nb):
    """Issue 8.2: the answer cell deleted and the same correct code typed in a new cell."""
    cell = _cell(nb, "cosine_similarity")
    nb.cells[nb.cells.index(cell)] = new_code_cell(cell.source)
    return {FILE: nb}


def editor_dropped_metadata(nb):
    """Every cell's metadata replaced and every id regenerated (an editor, a converter)."""
    for i, cell in enumerate(nb.cells):
        cell.metadata = {"vscode": {"languageId": "python"}} if cell.cell_type == "code" else {}
        cell.id = f"vscode-{i:03d}"
    return {FILE: nb}


def merged_cells(nb):
    """dot and angle_between answered in one cell; pairwise_cosine's metadata emptied."""
    angle = _cell(nb, "angle_between")
    _cell(nb, "dot").source += "\n\n\n" + angle.source
    nb.cells.remove(angle)
    _cell(nb, "pairwise_cosine").metadata = {}
    return {FILE: nb}


def cell_type_changed(nb):
    """The dot answer cell turned into markdown (restored to code and graded)."""
    cell = _cell(nb, "dot")
    nb.cells[nb.cells.index(cell)] = new_markdown_cell(cell.source, metadata=cell.metadata)
    return {FILE: nb}


def ctypes_behind_time(nb):
    """Issue 8.4: `import ctypes` hidden behind `%%time`: flagged, points unchanged."""
    cell = _cell(nb, "cosine_similarity")
    cell.source = "%%time\nimport ctypes\n" + cell.source
    return {FILE: nb}


def stub_left_and_late(nb, release):
    """top_k_retrieve left as handed out; submitted after the deadline (CST)."""
    _cell(nb, "top_k_retrieve").source = _cell(release, "top_k_retrieve").source
    return {FILE: nb, "timestamp.txt": "2026-12-02 00:30:00.000000 CST"}


# student -> (builder, expected points, expected notebook status, a phrase in integrity)
ODD = {
    "o-renamed-with-magic": (
        renamed_with_magic,
        20,
        "ok",
        "graded 'L-2-dot-product-similarity-Copy1.ipynb'",
    ),
    "o-nested-on-time-cst": (nested_on_time_in_cst, 20, "ok", "graded 'homework/"),
    "o-retyped-cosine": (retyped_cosine, 20, "ok", "recovered solution cell 'cosine_similarity'"),
    "o-editor-dropped-metadata": (editor_dropped_metadata, 20, "ok", "nbgrader metadata lost"),
    "o-merged-cells": (merged_cells, 20, "ok", "own definition of angle_between is used"),
    "o-cell-type-changed": (cell_type_changed, 20, "ok", "restored to code and graded"),
    "o-ctypes-behind-time": (ctypes_behind_time, 20, "tampered", "uses ctypes"),
    "o-stub-left-late": (stub_left_and_late, 17, "late", "late by 0:31:00"),
    "o-untouched": (None, 0, "ok", ""),
}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("odd")
    release_dir = tmp / "release"
    release_assignments(ROOT, release_dir)
    source = read(ROOT / "source" / SLUG / FILE)
    release = read(release_dir / SLUG / FILE)
    answer = model_answer(source, release)
    submitted = tmp / "submitted"
    own_file = {}
    for student, (build, *_) in ODD.items():
        if build is None:
            files = {FILE: copy.deepcopy(release)}
        elif build is stub_left_and_late:
            files = build(copy.deepcopy(answer), release)
        else:
            files = build(copy.deepcopy(answer))
        folder = submitted / student / SLUG
        for rel, content in files.items():
            path = folder / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, str):
                path.write_text(content, encoding="utf-8")
            else:
                nbformat.write(content, path)
                own_file.setdefault(student, path)  # the first notebook is the student's
    export = submitted / "o-jupytext-export" / SLUG
    export.mkdir(parents=True)
    (export / f"{NAME}.py").write_text("# ---\n# jupyter:\n#   jupytext: {}\n# ---\n# %%\n")
    rows = grade_class(
        ROOT,
        submitted,
        tmp / "out",
        workers=2,
        limits=LIMITS,
        release_dir=release_dir,
        due=DUE,
        timezone=ZONE,
    )
    return {"rows": rows, "files": own_file, "out": tmp / "out", "release": release_dir}


def _per_student(rows):
    got, status, integrity = defaultdict(float), {}, {}
    for r in rows:
        got[r["student"]] += r["points"]
        status[r["student"]] = r["notebook_status"]
        integrity[r["student"]] = r["integrity"]
    return got, status, integrity


@pytest.mark.parametrize("student", sorted(ODD))
def test_odd_submission_is_graded_fairly(graded, student):
    _, points, status, phrase = ODD[student]
    got, statuses, integrity = _per_student(graded["rows"])
    assert got[student] == points, (student, integrity[student])
    assert statuses[student] == status, (student, integrity[student])
    assert phrase in integrity[student]


def test_export_instead_of_notebook_gets_a_clear_status(graded):
    rows = [r for r in graded["rows"] if r["student"] == "o-jupytext-export"]
    assert rows and {r["notebook_status"] for r in rows} == {"wrong-format"}
    assert f"'{NAME}.py' is a jupytext script" in rows[0]["notebook_message"]
    assert sum(r["points"] for r in rows) == 0


def test_gradebook_holds_the_submission_time_and_lateness(graded):
    with Gradebook(f"sqlite:///{graded['out'] / 'gradebook.db'}") as gb:
        on_time = gb.find_submission(SLUG, "o-nested-on-time-cst")
        late = gb.find_submission(SLUG, "o-stub-left-late")
        assert str(on_time.timestamp) == "2026-12-01 15:30:00"  # 23:30 CST = 15:30 UTC
        assert on_time.total_seconds_late == 0
        assert late.total_seconds_late == 31 * 60
        assert gb.find_assignment(SLUG).duedate == datetime(2026, 12, 1, 15, 59)


def test_course_check_and_grade_agree_on_every_odd_file(graded):
    """Issue 8.2 (b): the same points locally and at grading, file by file."""
    got, _, _ = _per_student(graded["rows"])
    template = graded["release"] / SLUG / FILE

    def check(student):
        path = graded["files"][student]
        prepared = course_cli.prepare_check(path, template)
        report = course_cli.check_notebook(path, timeout=60, template=template)
        return student, course_cli.visible_points(report, prepared.points)[0]

    with ThreadPoolExecutor(max_workers=2) as pool:
        local = dict(pool.map(check, sorted(graded["files"])))
    assert local == {s: got[s] for s in local}


def test_course_check_warns_about_lost_metadata(graded, capsys):
    path = graded["files"]["o-editor-dropped-metadata"]
    prepared = course_cli.prepare_check(path, graded["release"] / SLUG / FILE)
    assert any(
        "nbgrader 元数据" in w and "lost its nbgrader metadata" in w for w in prepared.warnings
    )
