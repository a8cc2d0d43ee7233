"""Shared fixtures: the repository root and the source/release notebooks."""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]

# nbval's kernels inherit this process's environment: the source notebooks' long training
# demos (L+1) run in their short form under the test suite, as when nbgrader sets
# NBGRADER_EXECUTION. benchmarks/notebook_budget.py times the full learner runs instead.
os.environ.setdefault("COURSE_FAST_DEMOS", "1")


def source_notebooks() -> list[Path]:
    return sorted((ROOT / "source").glob("*/*.ipynb"))


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="module")
def one_thread():
    """Hundreds of tiny ops: intra-op threads only add contention on a shared machine."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="session")
def graded_demo(tmp_path_factory) -> tuple[Path, list[dict]]:
    """One `autograder demo` run for the whole session: (class folder, grade rows)."""
    from autograder.demo import run_demo

    out = tmp_path_factory.mktemp("demo") / "class"
    return out, run_demo(ROOT, out, workers=2)


def read(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)
