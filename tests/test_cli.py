"""The two command lines: `autograder` (instructors) and `course` (students)."""

from __future__ import annotations

import nbformat
import pytest
from conftest import ROOT, read, source_notebooks

from autograder import cli as autograder_cli
from autograder.demo import model_answer
from course import cli as course_cli


def test_autograder_help_lists_commands(capsys):
    with pytest.raises(SystemExit) as exc:
        autograder_cli.main(["--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    for command in ("release", "grade", "demo", "build-checkpoints"):
        assert command in out


def test_grade_without_submissions_is_a_clear_error(tmp_path, capsys):
    code = autograder_cli.main(
        ["--root", str(ROOT), "grade", "--submitted", str(tmp_path / "nothing")]
    )
    assert code == 2
    assert "no submissions folder" in capsys.readouterr().err


def test_course_levels(capsys):
    assert course_cli.main(["levels"]) == 0
    out = capsys.readouterr().out
    assert "L-2" in out and "l2_dot_product" in out and "L+1" in out


def test_course_check_missing_file(tmp_path, capsys):
    assert course_cli.main(["check", str(tmp_path / "nope.ipynb")]) == 2


def test_course_check_on_an_export_is_a_clear_error(tmp_path, capsys):
    script = tmp_path / "L-2-dot-product-similarity.py"
    script.write_text("# %%\nimport torch\n", encoding="utf-8")
    assert course_cli.main(["check", str(script)]) == 2
    err = capsys.readouterr().err
    assert "cannot read this notebook" in err and ".ipynb" in err


@pytest.mark.parametrize(
    "path",
    [p for p in source_notebooks() if p.parent.name == "l2_dot_product"],
    ids=lambda p: p.stem,
)
def test_course_check_reports_visible_tests(path, tmp_path, capfd):
    release = read(ROOT / "release" / path.parent.name / path.name)
    stub = tmp_path / "stub.ipynb"
    nbformat.write(release, stub)
    assert course_cli.main(["check", str(stub)]) == 1  # every exercise is still a stub
    out, err = capfd.readouterr()
    assert "failed" in out and "还没有实现 `dot`" in out
    assert "without encryption" not in out + err  # the kernel runs over IPC, not TCP
    answer = tmp_path / "answer.ipynb"
    nbformat.write(model_answer(read(path), release), answer)
    before = answer.read_bytes()
    assert course_cli.main(["check", str(answer)]) == 0
    assert answer.read_bytes() == before, "course check must not modify the notebook"


@pytest.mark.parametrize(
    "path",
    [p for p in source_notebooks() if p.parent.name == "l2_dot_product"],
    ids=lambda p: p.stem,
)
def test_course_check_reports_a_demo_cell_the_student_function_crashes(path, tmp_path, capsys):
    """Issue 7: a student function that passes every visible test but crashes a later demo
    cell must not get "12/12 passed": a `pairwise_cosine` that squeezes its (1, m) output to
    (m,) crashes the retrieval demo (`pairwise_cosine(q[None], corpus)[0]` is a 0-dim tensor)."""
    from autograder.demo import _replace_solution
    from autograder.mutants.dot_product import MUTANTS

    release = read(ROOT / "release" / path.parent.name / path.name)
    nb = model_answer(read(path), release)
    mutant = next(m for m in MUTANTS if m.name == "pairwise_cosine__squeezed")
    _replace_solution(nb, "pairwise_cosine", mutant.source())
    broken = tmp_path / "broken.ipynb"
    nbformat.write(nb, broken)
    assert course_cli.main(["check", str(broken)]) == 1
    out = capsys.readouterr().out
    assert "12/12 个可见测试通过" in out  # every visible test passes ...
    assert "其他出错的单元格" in out and "另有 1 个其他单元格出错" in out  # ... the demo does not
    assert "`sentences = [`" in out and "IndexError: invalid index" in out


# ---- course check's report (issue 7), on executed notebooks built by hand: no kernel ----------


def _solution(name: str, body: str) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_code_cell(f"def {name}(a, b):\n{body}")
    cell.metadata["nbgrader"] = {"solution": True, "grade_id": name}
    cell.execution_count = 1
    return cell


def _ran(source: str, grade_id: str = "", error: tuple[str, str, str] | None = None):
    cell = nbformat.v4.new_code_cell(source)
    if grade_id:
        cell.metadata["nbgrader"] = {"grade": True, "grade_id": grade_id, "points": 1}
    cell.execution_count = 2
    if error:
        ename, evalue, where = error
        cell.outputs = [
            nbformat.v4.new_output(
                "error",
                ename=ename,
                evalue=evalue,
                traceback=[f"\x1b[0;31mCell In[4], line 2, in {where}(a, b)\x1b[0m"],
            )
        ]
    return cell


def _executed(*cells) -> nbformat.NotebookNode:
    return nbformat.v4.new_notebook(
        cells=[
            _solution("dot", "    return (a * b).sum(dim=a.dim() - 1)"),
            _solution("angle_between", "    return torch.arccos(dot(a, b))"),
            _solution("top_k_retrieve", "    raise NotImplementedError()"),
            *cells,
        ]
    )


def test_report_counts_a_crashing_demo_cell():
    nb = _executed(
        _ran("dot(a, b)", "test_dot_values"),
        _ran("# demo\nscores = dot(q, keys)", error=("ValueError", "shape mismatch\nmore", "")),
    )
    report = course_cli.report_notebook(nb)
    assert [c.status for c in report.grade_cells] == ["ok"]
    (other,) = report.other_errors
    assert (
        other.first_line == "scores = dot(q, keys)"
        and other.message == "ValueError: shape mismatch"
    )
    assert not report.ok


def test_report_says_a_function_is_not_implemented_yet():
    nb = _executed(
        _ran(
            "top_k_retrieve(q, c, 2)",
            "test_top_k_retrieve_values",
            ("NotImplementedError", "", "top_k_retrieve"),
        )
    )
    (cell,) = course_cli.report_notebook(nb).grade_cells
    assert cell.status == "failed" and cell.hint.startswith("还没有实现 `top_k_retrieve`")


def test_report_names_the_failing_helper_first():
    nb = _executed(
        _ran(
            "assert_close(dot(a, b), 12)",
            "test_dot_values",
            ("AssertionError", "dot: 数值不对", ""),
        ),
        _ran(
            "angle_between(a, b)",
            "test_angle_between_values",
            ("RuntimeError", "The size of tensor a (3) must match the size of tensor b (2)", "dot"),
        ),
    )
    dot_cell, angle_cell = course_cli.report_notebook(nb).grade_cells
    assert dot_cell.hint == ""
    want = "你的 `angle_between` 调用了 `dot`，而 `dot` 未通过它自己的检查：先修好 `dot`。"
    assert angle_cell.hint.startswith(want) and "广播" in angle_cell.hint
