"""The grading kernel's sandbox, exercised directly (prepare + execute, no grading)."""

from __future__ import annotations

import json

import pytest
from nbformat.v4 import new_code_cell, new_notebook

from autograder.execute import execute
from autograder.sandbox import Limits, hidden_paths, prepare, support

KERNEL = {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}}


def _run(tmp_path, cells, limits):
    sandbox = prepare(tmp_path, limits, hide=[])
    nb = new_notebook(cells=[new_code_cell(c) for c in cells], metadata=KERNEL)
    return sandbox, execute(nb, sandbox, {}, limits)


def _text(run):
    return "".join(o.get("text", "") for c in run.notebook.cells for o in c.get("outputs", []))


def test_kernel_env_and_imports(tmp_path, monkeypatch):
    monkeypatch.setenv("INSTRUCTOR_SECRET", "s3cret")
    sandbox, run = _run(
        tmp_path,
        [
            "import json, os, sys\nprint(json.dumps(sorted(os.environ)))",
            "try:\n    import autograder\n    print('IMPORTED')\nexcept ModuleNotFoundError:\n"
            "    print('BLOCKED')",
            "import course, os\nprint(course.__file__.startswith(os.environ['PYTHONPATH']))",
            "import os\nprint(os.getcwd() == os.environ['HOME'])",
        ],
        Limits(),
    )
    assert run.status == "ok", run.message
    lines = _text(run).splitlines()
    env = json.loads(lines[0])
    assert "INSTRUCTOR_SECRET" not in env and "COURSE_EVIDENCE_DIR" in env
    assert lines[1:] == ["BLOCKED", "True", "True"]


def test_cpu_cap_is_a_timeout_with_a_message(tmp_path):
    _, run = _run(
        tmp_path,
        ["while True:\n    pass", "print('still alive')"],
        Limits(cpu_seconds=4, cell_timeout=60),
    )
    assert run.status == "timeout" and "CPU time" in run.message
    assert "still alive" in _text(run)  # the soft limit raises; the kernel goes on


def test_memory_cap(tmp_path):
    _, run = _run(
        tmp_path,
        ["import torch\nx = torch.empty(2**33, dtype=torch.uint8)"],
        Limits(memory_mb=1536),
    )
    assert run.status == "memory" and "1536" in run.message


def test_hidden_paths_never_cover_the_sandbox_or_python(tmp_path):
    import sys

    inside = tmp_path / "course-root"
    inside.mkdir()
    hidden = hidden_paths([inside, tmp_path], keep=[tmp_path / "grade"])
    assert str(inside.resolve()) in hidden
    assert str(tmp_path.resolve()) not in hidden  # it holds the sandbox
    assert all(not sys.prefix.startswith(h) for h in hidden)


@pytest.mark.skipif(not support().namespaces, reason="no mount namespaces on this machine")
def test_hidden_folder_is_empty_in_the_kernel(tmp_path):
    secret = tmp_path / "instructor"
    secret.mkdir()
    (secret / "answers.txt").write_text("42")
    sandbox = prepare(tmp_path / "box", Limits(), hide=[secret])
    nb = new_notebook(
        cells=[new_code_cell(f"import os\nprint(os.listdir({str(secret)!r}))")], metadata=KERNEL
    )
    run = execute(nb, sandbox, {}, Limits())
    assert _text(run).strip() == "[]"
    assert (secret / "answers.txt").read_text() == "42"  # hidden from the kernel, not harmed
