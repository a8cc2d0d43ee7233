"""assemble(): a submission is always graded on the original tests, whatever its copy holds."""

from __future__ import annotations

import copy

from conftest import ROOT
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from autograder.assemble import assemble, nbgrader_meta
from course.assembly import defined_names, fit, normalize

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
        new_code_cell(
            "def norm(a):\n    ### BEGIN SOLUTION\n    return dot(a, a) ** 0.5\n"
            "    ### END SOLUTION",
            metadata=_meta(grade_id="norm", solution=True),
        ),
        new_code_cell(
            "assert norm(torch.tensor([3.0, 4.0])) == 5",
            metadata=_meta(grade_id="test_norm", grade=True, locked=True, points=1),
        ),
    ]
    for i, cell in enumerate(cells):
        cell.id = f"cell-{i}"
    return new_notebook(cells=cells)


def _release(source):
    nb = copy.deepcopy(source)
    nb.cells[2].source = "def dot(a, b):\n    raise NotImplementedError()"
    nb.cells[3].source = "assert True\n"
    nb.cells[5].source = "def norm(a):\n    raise NotImplementedError()"
    return nb


def _student(release, answer="def dot(a, b):\n    return (a*b).sum(-1)"):
    nb = copy.deepcopy(release)
    nb.cells[2].source = answer
    nb.cells[5].source = NORM
    return nb


NORM = "def norm(a):\n    return dot(a, a) ** 0.5"


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
    assert [g.check_id for g in result.grade_cells] == ["L-2/dot/values", ""]  # "": manual
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


def _sources(nb):
    return [c.source for c in nb.cells]


def _code_before(nb, gid):
    """The code that runs before grade cell `gid`, in order."""
    out = []
    for cell in nb.cells:
        if nbgrader_meta(cell).get("grade_id") == gid:
            return out
        if cell.cell_type == "code":
            out.append(cell.source)
    raise AssertionError(gid)


def test_retyped_answer_in_a_plain_cell_takes_the_slot_and_no_stub_shadows_it():
    """Issue 8.2: the student deleted the answer cell and retyped the answer in a new cell."""
    source = _source()
    release = _release(source)
    student = _student(release)
    answer = student.cells[2].source
    del student.cells[2]
    student.cells.insert(2, new_code_cell(answer))  # new id, no nbgrader metadata
    result = assemble(student, source, release)
    before = _code_before(result.notebook, "test_dot")
    assert not any("NotImplementedError" in code for code in before)
    assert _by_gid(result.notebook, "dot")[0].source == answer
    assert any(f.startswith("recovered solution cell 'dot'") for f in result.integrity)
    assert not any("stub" in f for f in result.integrity)


def test_answer_cell_whose_metadata_was_emptied_is_matched_by_cell_id():
    source = _source()
    release = _release(source)
    student = _student(release)
    student.cells[2].metadata = {}
    result = assemble(student, source, release)
    assert _by_gid(result.notebook, "dot")[0].source == student.cells[2].source
    assert _by_gid(result.notebook, "dot")[0].metadata["nbgrader"]["solution"]
    assert any("nbgrader metadata lost on 1 of" in f for f in result.integrity)


def test_one_cell_defining_two_answers_keeps_both_and_no_stub_is_inserted():
    """Two exercises answered in one cell: the second slot must not get a raising stub."""
    source = _source()
    release = _release(source)
    student = _student(release)
    student.cells[2].source += "\n\n" + NORM
    del student.cells[5]  # the norm answer cell, now merged into the dot cell
    result = assemble(student, source, release)
    before = _code_before(result.notebook, "test_norm")
    assert not any("NotImplementedError" in code for code in before)
    assert any("own definition of norm is used" in f for f in result.integrity)


def test_a_definition_below_the_test_still_prevents_the_stub():
    source = _source()
    release = _release(source)
    student = _student(release)
    del student.cells[5]
    student.cells.append(new_code_cell(NORM + "  # typed at the end"))
    result = assemble(student, source, release)
    assert not any("NotImplementedError" in c.source for c in result.notebook.cells)


def test_an_untouched_stub_copy_without_metadata_still_counts_as_the_slot():
    source = _source()
    release = _release(source)
    student = copy.deepcopy(release)
    for cell in student.cells:
        cell.metadata = {}
        cell.id = "x" + cell.id  # ids regenerated too
    result = assemble(student, source, release)
    assert "NotImplementedError" in _by_gid(result.notebook, "dot")[0].source


def test_notebook_whose_editor_dropped_all_metadata_and_ids_is_recovered_by_text():
    """Issue 8.2: every cell's metadata replaced and every id regenerated."""
    source = _source()
    release = _release(source)
    student = _student(release)
    for i, cell in enumerate(student.cells):
        cell.metadata = {"vscode": {"languageId": "python"}}
        cell.id = f"new-{i}"
        cell.source += "\n"  # editors often add a final newline
    result = assemble(student, source, release)
    assert _by_gid(result.notebook, "dot")[0].source.startswith("def dot(a, b):\n    return")
    assert _by_gid(result.notebook, "norm")[0].source.startswith(NORM)
    assert not any(f.startswith(("missing", "edited", "unknown")) for f in result.integrity)
    assert any("nbgrader metadata lost on 5 of 5" in f for f in result.integrity)
    # one copy of every template cell, none of the student's cells duplicated
    assert len(result.notebook.cells) == len(source.cells)
    assert "HIDDEN" not in "".join(_sources(result.notebook))


def test_lost_metadata_and_an_edited_test_cell_is_still_restored_and_reported():
    source = _source()
    release = _release(source)
    student = _student(release)
    for cell in student.cells:
        cell.metadata = {}
        cell.id = "y" + cell.id
    student.cells[6].source = "pass  # the test was in my way"
    result = assemble(student, source, release)
    assert any(f.startswith("missing locked cell 'test_norm'") for f in result.integrity)
    assert len(_by_gid(result.notebook, "test_norm")) == 1


def test_student_code_lists_exactly_what_the_student_wrote():
    source = _source()
    release = _release(source)
    student = _student(release)
    student.cells.insert(3, new_code_cell("helper = 42"))
    result = assemble(student, source, release)
    wheres = [w for w, _ in result.student_code]
    assert wheres[:2] == ["dot", "cell " + student.cells[3].id[:12]]
    assert "norm" in wheres and "setup" not in wheres and "test_dot" not in wheres


def test_defined_names_and_normalize():
    assert defined_names("def f(x):\n    pass\nclass C: pass\ng = f\nfrom m import h as k") == {
        "f",
        "C",
        "g",
        "k",
    }
    assert defined_names("%%time\ndef f(x):\n    return x") == {"f"}
    assert normalize("a  \r\nb\n\n") == normalize("a\nb")


def test_fit_tells_the_assignment_notebook_from_others():
    source = _source()
    release = _release(source)
    assert fit(_student(release), source, release).belongs
    assert fit(_student(release), source, release).work == 2
    assert fit(copy.deepcopy(release), source, release).work == 0
    empty = new_notebook(cells=[new_code_cell("x = 1"), new_markdown_cell("# notes")])
    assert not fit(empty, source, release).belongs
    stripped = _student(release)
    for cell in stripped.cells:
        cell.metadata = {}
        cell.id = "z" + cell.id
    f = fit(stripped, source, release)
    assert f.belongs and f.grade_ids == 0 and f.locked_texts == 3 and f.work == 2


def test_student_code_is_parsed_one_thread_at_a_time():
    """Worker threads assemble and scan notebooks at once, and on CPython 3.11 < 3.11.8 two
    concurrent ast.parse calls can fail with "AST constructor recursion depth mismatch" (seen
    as notebooks graded `malformed` or `crashed` at random in a class, CPython gh-106905).
    Every parse in the packages goes through course.assembly.parse_python, which holds a lock."""
    import ast
    import inspect

    from course.assembly import parse_python

    lines, first = inspect.getsourcelines(parse_python)
    allowed = {f"course/assembly.py:{n}" for n in range(first, first + len(lines))}
    offenders = []
    for path in sorted([*(ROOT / "course").rglob("*.py"), *(ROOT / "autograder").rglob("*.py")]):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "parse"
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id == "ast"
            ):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert len(offenders) == 1 and set(offenders) <= allowed, offenders
