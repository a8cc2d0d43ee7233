"""Structure of every source notebook: clean, nbgrader metadata intact, wired to real checks."""

from __future__ import annotations

import ast
import re

import pytest
from conftest import ROOT, read, source_notebooks

from autograder import checks
from autograder.assemble import grade_cells_of, nbgrader_meta
from autograder.notebook import HIDDEN_CALL
from course.levels import LEVELS

NOTEBOOKS = source_notebooks()
IDS = [p.stem for p in NOTEBOOKS]


def test_there_is_at_least_one_notebook():
    assert NOTEBOOKS, "no source notebooks found"


def test_notebooks_sit_in_their_level_folder():
    planned = {(lv.slug, nb) for lv in LEVELS for nb in lv.notebooks}
    for path in NOTEBOOKS:
        assert (path.parent.name, path.stem) in planned, f"{path} is not in course/levels.py"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_committed_without_outputs(path):
    for cell in read(path).cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, cell.source[:60]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_nbgrader_metadata(path):
    nb = read(path)
    seen = set()
    for cell in nb.cells:
        meta = nbgrader_meta(cell)
        if not meta:
            continue
        assert meta.get("schema_version") == 3
        gid = meta["grade_id"]
        assert gid not in seen, f"duplicate grade_id {gid}"
        seen.add(gid)
        if meta.get("solution"):
            assert not meta.get("locked") and cell.cell_type == "code"
            assert "### BEGIN SOLUTION" in cell.source and "### END SOLUTION" in cell.source
            tree = ast.parse(cell.source)
            defs = [n for n in tree.body if isinstance(n, ast.FunctionDef | ast.ClassDef)]
            assert len(defs) == 1 and defs[0].name == gid, "one graded function per cell"
            assert ast.get_docstring(defs[0]), f"{gid} needs a docstring"
            head = cell.source.split("### BEGIN SOLUTION")[0]
            signature = f"def {gid}(" in head or f"class {gid}(" in head  # a function or a class
            assert signature and '"""' in head, "signature and docstring stay visible"
        if meta.get("grade"):
            assert meta.get("locked") and meta.get("points", 0) > 0


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_grade_cells_call_registered_checks_with_matching_points(path):
    nb = read(path)
    used = []
    for gc in grade_cells_of(nb):
        assert gc.check_id, f"{gc.grade_id} has no hidden check call"
        check = checks.get(gc.check_id)
        assert gc.function == check.function
        assert gc.points == check.points, f"{gc.grade_id}: points differ from the check"
        used.append(gc.check_id)
    label = nb.cells and path.parent.name
    level = next(lv for lv in LEVELS if lv.slug == label)
    registered = [cid for cid in checks.all_checks() if cid.startswith(f"{level.label}/")]
    assert sorted(used) == sorted(registered), "every check of the level used exactly once"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_hidden_part_is_one_call_at_the_end(path):
    for cell in read(path).cells:
        if nbgrader_meta(cell).get("grade"):
            hidden = cell.source.split("### BEGIN HIDDEN TESTS")[1]
            assert cell.source.rstrip().endswith("### END HIDDEN TESTS")
            body = [ln for ln in hidden.splitlines()[1:-1] if ln.strip()]
            assert body[0] == "from autograder.notebook import check"
            assert len(body) == 2 and HIDDEN_CALL.fullmatch(body[1])


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_setup_cell_defines_the_mutant_globals(path):
    setup = next(c for c in read(path).cells if c.cell_type == "code")
    for line in (
        "import math",
        "import torch",
        "import torch.nn.functional as F",
        "from torch import Tensor",
    ):
        assert line in setup.source.splitlines()
    assert nbgrader_meta(setup).get("locked"), "the setup cell is read-only"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_title_shows_the_seed_label(path):
    level = next(lv for lv in LEVELS if lv.slug == path.parent.name)
    first = read(path).cells[0]
    assert first.cell_type == "markdown" and first.source.startswith(f"# {level.label} ")


NOTEBOOK_LINK = re.compile(r"\]\((\.\./[^)\s]+\.ipynb)\)")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_links_to_other_notebooks_resolve_or_say_not_yet_released(path):
    """A link to a notebook that does not exist yet says so (issue 7)."""
    for cell in read(path).cells:
        if cell.cell_type != "markdown":
            continue
        for line in cell.source.splitlines():
            for target in NOTEBOOK_LINK.findall(line):
                if not (path.parent / target).resolve().is_file():
                    assert "尚未发布" in line, f"{path.name}: dead link {target} not marked"


PLANNED = re.compile(r"(L[+-]?\d)[^|；;（(]*?（计划中")  # "L0（计划中）", "L0、L+3（计划中）"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_released_notebooks_are_not_called_planned(path):
    """The other way round: a level that has its notebook is not "计划中，尚未发布" (planned)."""
    written = {
        lv.label
        for lv in LEVELS
        if all((ROOT / "source" / lv.slug / f"{nb}.ipynb").is_file() for nb in lv.notebooks)
    }
    for cell in read(path).cells:
        if cell.cell_type != "markdown":
            continue
        for line in cell.source.splitlines():
            for target in NOTEBOOK_LINK.findall(line):
                if (path.parent / target).resolve().is_file():
                    after = line.split(f"]({target})", 1)[1][:12]
                    assert "尚未发布" not in after and "计划中" not in after, (path.name, target)
            for label in PLANNED.findall(line):
                assert label not in written, f"{path.name}: {label} is released: {line[:120]}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_references_before_2023_are_marked_historical(path):
    """The seed's rule: work from 2022 or earlier is 历史背景 in the reference list."""
    cells = [c for c in read(path).cells if "## 参考资料" in c.source]
    assert cells, f"{path.name} has no reference list"
    refs = cells[-1].source.split("## 参考资料", 1)[1]
    for line in refs.splitlines():
        if not re.match(r"\s*\d+\. ", line):
            continue
        years = [int(y) for y in re.findall(r"(?<![\d.:])(19\d\d|20\d\d)(?![\d.])", line)]
        first = min(years, default=9999)
        if first <= 2022 and "知识体系" not in line:
            assert "历史背景" in line, f"{path.name}: {line[:80]}"


def test_root_is_repo():
    assert (ROOT / "pyproject.toml").is_file()
