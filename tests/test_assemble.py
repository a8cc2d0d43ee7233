"""assemble(): a submission is always graded on the original tests, whatever its copy holds."""

from __future__ import annotations

import copy

from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from autograder.assemble import assemble, nbgrader_meta

HIDDEN = (
    "assert True\n### BEGIN HIDDEN TESTS\nfrom autograder.notebook import check\n"
    'check("L-2/dot/values", dot)\n### END HIDDEN TESTS'
)


def _meta(**kw):
    base = {"grade": False, "locked": False, "schema_version": 3, "solution": False, "task": False}
    base.update(kw)
    return {"nbgrader": base}


def _source():
    cells = [
        new_markdown_cell("# L-2 title"),
        new_code_cell("import torch", metadata=_meta(grade_id="setup", locked=True)),
        new_code_cell(
            "def dot(a, b):\n    ### BEGIN SOLUTION\n    return (a*b).sum(-1)\n"
            "    ### END SOLUTION",
            metadata=_meta(grade_id="dot", solution=True),
        ),
        new_code_cell(
            HIDDEN, metadata=_meta(grade_id="test_dot", grade=True, locked=True, points=2)
        ),
        new_code_cell("print('demo')"),
    ]
    return new_notebook(cells=cells)


def _release(source):
    nb = copy.deepcopy(source)
    nb.cells[2].source = "def dot(a, b):\n    raise NotImplementedError()"
    nb.cells[3].source = "assert True\n"
    return nb


def _student(release, answer="def dot(a, b):\n    return (a*b).sum(-1)"):
    nb = copy.deepcopy(release)
    nb.cells[2].source = answer
    return nb


def _by_gid(nb, gid):
    return [c for c in nb.cells if nbgrader_meta(c).get("grade_id") == gid]


def test_honest_submission_keeps_answer_and_gets_evidence_call():
    source = _source()
    release = _release(source)
    result = assemble(_student(release), source, release)
    assert result.integrity == []
    assert "return (a*b).sum(-1)" in _by_gid(result.notebook, "dot")[0].source
    test = _by_gid(result.notebook, "test_dot")[0].source
    assert 'record("L-2/dot/values", globals().get("dot"))' in test.replace(
        "_course_record", "record"
    )
    assert "HIDDEN" not in test and "autograder" not in test
    assert [g.check_id for g in result.grade_cells] == ["L-2/dot/values"]
    assert result.grade_cells[0].points == 2


def test_edited_locked_cells_are_restored_and_reported():
    source = _source()
    release = _release(source)
    student = _student(release)
    student.cells[3].source = "pass"
    student.cells[1].source = "import torch\ntorch.allclose = lambda *a, **k: True"
    result = assemble(student, source, release)
    assert _by_gid(result.notebook, "setup")[0].source == "import torch"
    assert any("edited locked cell 'test_dot'" in f for f in result.integrity)
    assert any("edited locked cell 'setup'" in f for f in result.integrity)


def test_deleted_grade_cell_comes_back():
    source = _source()
    release = _release(source)
    student = _student(release)
    del student.cells[3]
    result = assemble(student, source, release)
    assert len(_by_gid(result.notebook, "test_dot")) == 1
    assert any("missing locked cell 'test_dot'" in f for f in result.integrity)


def test_duplicated_cells():
    source = _source()
    release = _release(source)
    student = _student(release)
    student.cells.append(copy.deepcopy(student.cells[3]))  # a second grade cell: dropped
    fixed = copy.deepcopy(student.cells[2])
    fixed.source = "def dot(a, b):\n    return (b*a).sum(-1)  # second try"
    student.cells.append(fixed)  # a second solution cell: kept as a plain cell
    result = assemble(student, source, release)
    assert len(_by_gid(result.notebook, "test_dot")) == 1
    assert len(_by_gid(result.notebook, "dot")) == 1
    assert any("second try" in c.source for c in result.notebook.cells)
    assert any("duplicated locked cell" in f for f in result.integrity)
    assert any("duplicated solution cell" in f for f in result.integrity)


def test_missing_solution_falls_back_to_the_stub_never_the_answer():
    source = _source()
    release = _release(source)
    student = _student(release)
    del student.cells[2]
    result = assemble(student, source, release)
    cell = _by_gid(result.notebook, "dot")[0]
    assert "NotImplementedError" in cell.source and "BEGIN SOLUTION" not in cell.source


def test_added_cells_stay_after_their_neighbour():
    source = _source()
    release = _release(source)
    student = _student(release)
    student.cells.insert(3, new_code_cell("helper = 42"))
    result = assemble(student, source, release)
    sources = [c.source for c in result.notebook.cells]
    assert (
        sources.index("helper = 42") == sources.index(_by_gid(result.notebook, "dot")[0].source) + 1
    )


def test_changed_cell_type_of_solution_is_restored():
    source = _source()
    release = _release(source)
    student = _student(release)
    student.cells[2] = new_markdown_cell("def dot(a, b): ...", metadata=student.cells[2].metadata)
    result = assemble(student, source, release)
    assert _by_gid(result.notebook, "dot")[0].cell_type == "code"
    assert any("cell type" in f for f in result.integrity)
