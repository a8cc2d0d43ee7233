"""Finding the student's notebook in their folder (issue 8.1) and reading it within limits."""

from __future__ import annotations

import copy
import json
import os

import nbformat
import pytest
from conftest import ROOT, read
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from autograder.demo import model_answer
from autograder.locate import locate, read_submission

SLUG, NAME = "l2_dot_product", "L-2-dot-product-similarity"
FILE = f"{NAME}.ipynb"


@pytest.fixture(scope="module")
def nbs():
    source = read(ROOT / "source" / SLUG / FILE)
    release = read(ROOT / "release" / SLUG / FILE)
    return {"source": source, "release": release, "answer": model_answer(source, release)}


def _locate(folder, nbs, **kw):
    return locate(folder, [(FILE, nbs["source"], nbs["release"])], **kw)[FILE]


def _put(folder, rel, nb):
    path = folder / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


def test_exact_name_is_taken(tmp_path, nbs):
    _put(tmp_path, FILE, nbs["answer"])
    found = _locate(tmp_path, nbs)
    assert found.path == tmp_path / FILE and found.notes == ()


def test_renamed_copy_next_to_an_empty_untitled(tmp_path, nbs):
    """Issue 8.1: the work as '…-Copy1.ipynb' next to an empty 'Untitled.ipynb'."""
    _put(tmp_path, f"{NAME}-Copy1.ipynb", nbs["answer"])
    _put(tmp_path, "Untitled.ipynb", new_notebook(cells=[new_code_cell("")]))
    found = _locate(tmp_path, nbs)
    assert found.path == tmp_path / f"{NAME}-Copy1.ipynb"
    text = " ".join(found.notes)
    assert f"graded '{NAME}-Copy1.ipynb'" in text
    assert "'Untitled.ipynb' (not a notebook of this assignment)" in text


def test_notebook_one_folder_deeper(tmp_path, nbs):
    """Issue 8.1: an unzipped folder."""
    _put(tmp_path, f"homework/{FILE}", nbs["answer"])
    found = _locate(tmp_path, nbs)
    assert found.path == tmp_path / "homework" / FILE
    assert f"graded 'homework/{FILE}'" in found.notes[0]


def test_untouched_exact_name_loses_to_a_copy_with_answers(tmp_path, nbs):
    _put(tmp_path, FILE, nbs["release"])
    _put(tmp_path, "作业 (1).ipynb", nbs["answer"])
    found = _locate(tmp_path, nbs)
    assert found.path.name == "作业 (1).ipynb"
    assert f"'{FILE}' (no answers written)" in found.notes[-1]


def test_exact_name_wins_among_copies_with_answers(tmp_path, nbs):
    _put(tmp_path, FILE, nbs["answer"])
    _put(tmp_path, f"old/{NAME}-Copy1.ipynb", nbs["answer"])
    found = _locate(tmp_path, nbs)
    assert found.path == tmp_path / FILE
    assert "ignored" in found.notes[-1] and "Copy1" in found.notes[-1]


def test_notebook_whose_metadata_was_stripped_is_still_found(tmp_path, nbs):
    nb = copy.deepcopy(nbs["answer"])
    for cell in nb.cells:
        cell.metadata = {}
    _put(tmp_path, "mine.ipynb", nb)
    _put(tmp_path, "scratch.ipynb", new_notebook(cells=[new_code_cell("import torch")]))
    assert _locate(tmp_path, nbs).path == tmp_path / "mine.ipynb"


def test_checkpoint_only_when_nothing_else(tmp_path, nbs):
    _put(tmp_path, f".ipynb_checkpoints/{NAME}-checkpoint.ipynb", nbs["answer"])
    assert _locate(tmp_path, nbs).path.name == f"{NAME}-checkpoint.ipynb"
    _put(tmp_path, "renamed.ipynb", nbs["answer"])
    assert _locate(tmp_path, nbs).path.name == "renamed.ipynb"


def test_browser_suffix_and_macos_leftovers(tmp_path, nbs):
    (tmp_path / f"._{FILE}").write_bytes(b"\x00\x05\x16\x07 AppleDouble")
    (tmp_path / "__MACOSX").mkdir()
    (tmp_path / "__MACOSX" / FILE).write_bytes(b"\x00junk")
    _put(tmp_path, f"{FILE}.json", nbs["answer"])
    found = _locate(tmp_path, nbs)
    assert found.path.name == f"{FILE}.json" and "._" not in " ".join(found.notes)


@pytest.mark.parametrize(
    "name,text,says",
    [
        (f"{NAME}.py", "# ---\n# jupyter:\n#   jupytext:\n# %%\nimport torch\n", "jupytext script"),
        (f"{NAME}.py", "import torch\n", "Python script"),
        (f"{NAME}.html", "<html><body>exported</body></html>", "HTML export"),
        (f"{NAME}.pdf", "%PDF-1.7", "PDF export"),
    ],
)
def test_an_export_instead_of_the_notebook_is_named(tmp_path, nbs, name, text, says):
    (tmp_path / name).write_text(text, encoding="utf-8")
    found = _locate(tmp_path, nbs)
    assert found.path is None and found.status == "wrong-format"
    assert name in found.message and says in found.message and ".ipynb" in found.message


def test_nothing_matching_says_what_was_found(tmp_path, nbs):
    _put(tmp_path, "Untitled.ipynb", new_notebook(cells=[new_markdown_cell("# notes")]))
    (tmp_path / "broken.ipynb").write_text("{not json", encoding="utf-8")
    found = _locate(tmp_path, nbs)
    assert found.path is None and found.status == "malformed"
    assert "'Untitled.ipynb' (not a notebook of this assignment)" in found.message
    assert "'broken.ipynb' (unreadable" in found.message


def test_only_other_files_and_an_empty_folder(tmp_path, nbs):
    assert _locate(tmp_path, nbs).status == "missing"
    assert _locate(tmp_path, nbs).message == "notebook not submitted"
    (tmp_path / "notes.txt").write_text("hi", encoding="utf-8")
    found = _locate(tmp_path, nbs)
    assert found.status == "missing" and "'notes.txt'" in found.message


def test_a_lone_unreadable_file_is_handed_on_for_its_precise_error(tmp_path, nbs):
    (tmp_path / "whatever.ipynb").write_text("{not json", encoding="utf-8")
    assert _locate(tmp_path, nbs).path == tmp_path / "whatever.ipynb"


def test_two_notebooks_of_one_assignment_each_find_their_file(tmp_path, nbs):
    """A multi-notebook assignment: each expected notebook takes the file that fits it."""
    other_source = copy.deepcopy(nbs["source"])
    other_release = copy.deepcopy(nbs["release"])
    for nb in (other_source, other_release):
        nb.cells = [
            c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") != "setup"
        ]
        for cell in nb.cells:
            if "nbgrader" in cell.metadata:
                cell.metadata.nbgrader.grade_id = "b_" + cell.metadata.nbgrader.grade_id
                cell.source = "# B\n" + cell.source
            cell.id = "b-" + cell.id
    _put(tmp_path, "first-renamed.ipynb", nbs["answer"])
    _put(tmp_path, "second-renamed.ipynb", other_release)
    found = locate(
        tmp_path,
        [(FILE, nbs["source"], nbs["release"]), ("B.ipynb", other_source, other_release)],
    )
    assert found[FILE].path.name == "first-renamed.ipynb"
    assert found["B.ipynb"].path.name == "second-renamed.ipynb"


def test_outputs_do_not_count_against_the_notebook_limit(tmp_path, nbs):
    """Issue 8.5: a notebook made large by saved figures is graded (outputs are dropped)."""
    nb = copy.deepcopy(nbs["answer"])
    blob = "iVBORw0KGgo" + "A" * (3 * 2**20)
    for cell in nb.cells[-12:]:
        if cell.cell_type == "code":
            cell.outputs = [nbformat.v4.new_output("display_data", data={"image/png": blob})]
    path = _put(tmp_path, FILE, nb)
    assert path.stat().st_size > 8 * 2**20
    read_back, _ = read_submission(path, max_mb=2, max_upload_mb=100)
    assert all(not c.get("outputs") for c in read_back.cells if c.cell_type == "code")
    with pytest.raises(ValueError, match="--max-upload-mb"):
        read_submission(path, max_mb=2, max_upload_mb=4)


def test_code_past_the_notebook_limit_is_refused(tmp_path, nbs):
    nb = copy.deepcopy(nbs["answer"])
    nb.cells.append(new_code_cell("x = '" + "y" * (3 * 2**20) + "'"))
    path = _put(tmp_path, FILE, nb)
    with pytest.raises(ValueError, match="too large without its outputs .*--max-notebook-mb"):
        read_submission(path, max_mb=2)


def test_reading_never_changes_the_file(tmp_path, nbs):
    path = _put(tmp_path, FILE, nbs["answer"])
    data = json.loads(path.read_text(encoding="utf-8"))
    data["cells"][1]["outputs"] = [{"output_type": "stream", "name": "stdout", "text": "hi"}]
    path.write_text(json.dumps(data), encoding="utf-8")
    before = path.read_bytes()
    read_submission(path)
    locate(tmp_path, [(FILE, nbs["source"], nbs["release"])])
    assert path.read_bytes() == before and os.listdir(tmp_path) == [FILE]
