"""release/ is fresh generated output, and nothing students receive leaks an answer.

Leak checks cover release/, the student edition (folder and zip) — the feedback HTML is
checked in test_demo_e2e.py.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from conftest import ROOT, read, source_notebooks

from autograder.assemble import nbgrader_meta
from autograder.release import build_student_edition, release_assignments

FORBIDDEN_TEXT = (
    "BEGIN SOLUTION",
    "END SOLUTION",
    "BEGIN HIDDEN TESTS",
    "END HIDDEN TESTS",
    "autograder",
)


def _comparable(path: Path) -> dict:
    nb = json.loads(path.read_text(encoding="utf-8"))
    return nb


def model_answer_lines() -> set[str]:
    """Non-trivial lines of every model answer (between the solution markers)."""
    lines = set()
    for path in source_notebooks():
        for cell in read(path).cells:
            if nbgrader_meta(cell).get("solution"):
                body = cell.source.split("### BEGIN SOLUTION")[1].split("### END SOLUTION")[0]
                lines |= {
                    ln.strip()
                    for ln in body.splitlines()
                    if len(ln.strip()) >= 16 and not ln.strip().startswith("#")
                }
    return lines


def reference_lines() -> set[str]:
    lines = set()
    for path in (ROOT / "autograder" / "references").glob("*.py"):
        lines |= {
            ln.strip()
            for ln in path.read_text(encoding="utf-8").splitlines()
            if len(ln.strip()) >= 24
            and not ln.strip().startswith(("#", '"""', "def ", "from ", "import "))
        }
    return lines


@pytest.fixture(scope="module")
def fresh_release(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("release")
    release_assignments(ROOT, out)
    return out


@pytest.fixture(scope="module")
def edition(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("edition") / "student-edition"
    return build_student_edition(ROOT, out, archive=True)


def test_committed_release_equals_fresh_output(fresh_release):
    committed = sorted(
        p.relative_to(ROOT / "release") for p in (ROOT / "release").rglob("*") if p.is_file()
    )
    fresh = sorted(p.relative_to(fresh_release) for p in fresh_release.rglob("*") if p.is_file())
    assert committed == fresh, "release/ is stale: run `autograder release`"
    for rel in fresh:
        if rel.suffix == ".ipynb":
            assert _comparable(ROOT / "release" / rel) == _comparable(fresh_release / rel), rel
        else:
            assert (ROOT / "release" / rel).read_bytes() == (fresh_release / rel).read_bytes()


def test_every_source_notebook_is_released():
    for path in source_notebooks():
        assert (ROOT / "release" / path.parent.name / path.name).is_file()


def _texts(folder: Path):
    for path in sorted(folder.rglob("*")):
        if path.is_file() and path.suffix in {".ipynb", ".py", ".md", ".toml", ".txt", ".json"}:
            yield path, path.read_text(encoding="utf-8")


def _assert_clean(folder: Path, allow_autograder_word: bool = False):
    answers, refs = model_answer_lines(), reference_lines()
    assert answers, "no model-answer lines found: the leak check would be empty"
    for path, text in _texts(folder):
        for marker in FORBIDDEN_TEXT:
            if marker == "autograder" and allow_autograder_word:
                continue
            assert marker not in text, f"{marker!r} in {path}"
        code_lines = {ln.strip() for ln in text.replace("\\n", "\n").splitlines()}
        code_lines |= {ln.strip().strip('",') for ln in code_lines}
        leaked = (answers | refs) & code_lines
        assert not leaked, f"model-answer or reference code in {path}: {sorted(leaked)[:3]}"


def test_release_has_no_answers_or_hidden_tests():
    _assert_clean(ROOT / "release")


def test_release_stubs_raise_not_implemented():
    for path in (ROOT / "release").glob("*/*.ipynb"):
        for cell in read(path).cells:
            if nbgrader_meta(cell).get("solution"):
                assert "raise NotImplementedError()" in cell.source


def test_student_edition_contents(edition):
    assert (edition / "course" / "__init__.py").is_file()
    assert (edition / "pyproject.toml").is_file() and (edition / "README.md").is_file()
    assert not list(edition.rglob("autograder*")), "autograder code in the student edition"
    names = {p.name for p in edition.rglob("*.py")}
    assert not names & {"build.py", "losses.py", "train.py"}, "builder code in the edition"
    _assert_clean(edition)
    templates = sorted(
        p.relative_to(edition / "course" / "templates")
        for p in (edition / "course" / "templates").rglob("*.ipynb")
    )
    assert templates == sorted(
        p.relative_to(ROOT / "release") for p in (ROOT / "release").rglob("*.ipynb")
    )
    released = sorted(p.relative_to(ROOT / "release") for p in (ROOT / "release").rglob("*.ipynb"))
    assert released == sorted(
        p.relative_to(edition / "notebooks") for p in (edition / "notebooks").rglob("*.ipynb")
    )


def test_student_edition_zip_matches_folder(edition):
    with zipfile.ZipFile(edition.with_suffix(".zip")) as zf:
        names = {n.split("/", 1)[1] for n in zf.namelist()}
        for name in zf.namelist():
            text = zf.read(name)
            assert b"BEGIN SOLUTION" not in text and b"HIDDEN TESTS" not in text
    assert names == {str(p.relative_to(edition)) for p in edition.rglob("*") if p.is_file()}


def test_course_package_never_imports_autograder():
    for path in (ROOT / "course").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"^\s*(from|import)\s+autograder", text, re.MULTILINE), path


def test_student_edition_installs_and_imports(edition, tmp_path):
    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "--no-build-isolation",
            "--quiet",
            "--target",
            str(target),
            str(edition),
        ],
        check=True,
    )
    probe = (
        "import course, course.evidence, course.levels; print(course.__file__)\n"
        "from course.assembly import find_templates; print('templates', len(find_templates()))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin"},
        cwd=tmp_path,
        check=True,
    )
    assert str(target) in result.stdout
    assert not (target / "autograder").exists()
    released = len(list((ROOT / "release").glob("*/*.ipynb")))
    assert f"templates {released}" in result.stdout, "course check would find no template"
