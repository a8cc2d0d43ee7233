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


@pytest.mark.parametrize("path", source_notebooks()[:1], ids=lambda p: p.stem)
def test_course_check_reports_visible_tests(path, tmp_path, capsys):
    release = read(ROOT / "release" / path.parent.name / path.name)
    stub = tmp_path / "stub.ipynb"
    nbformat.write(release, stub)
    assert course_cli.main(["check", str(stub)]) == 1  # every exercise is still a stub
    assert "failed" in capsys.readouterr().out
    answer = tmp_path / "answer.ipynb"
    nbformat.write(model_answer(read(path), release), answer)
    before = answer.read_bytes()
    assert course_cli.main(["check", str(answer)]) == 0
    assert answer.read_bytes() == before, "course check must not modify the notebook"
