"""Find a student's notebook in their submission folder, the way a patient teaching assistant would.

Students rename ("L-2-…-Copy1.ipynb"), leave an empty "Untitled.ipynb" next to their work,
upload the unzipped folder one level deeper, or send an export instead of the notebook. For
each notebook the assignment expects:

    every notebook file in the folder and its subfolders        (.ipynb, also .ipynb.json/.txt
                                                                  as browsers save them)
    -> read each (size-capped) and measure how much of the       course.assembly.fit: grade_ids,
       assignment it holds                                        locked-cell text, functions
    -> the student's notebook is the one that belongs, preferring one with answers written,
       then the exact name, then the closest fit, the shallowest, the newest
    -> the integrity column says which file was graded and why the others were ignored;
       with no match it says what was found (exports such as a jupytext .py or an .html get
       status `wrong-format` and a message naming the file).

Checkpoints (.ipynb_checkpoints/…-checkpoint.ipynb) are used only when nothing else matches.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbformat import NotebookNode

from course.assembly import Fit, fit

NOTEBOOK_SUFFIXES = (".ipynb", ".ipynb.json", ".ipynb.txt")
SKIPPED_DIRS = {"__MACOSX", "__pycache__", ".git", ".venv", "node_modules"}
EXPORTS = {  # what a student may send instead of the notebook
    ".py": "a Python script (a jupytext or 'Download as .py' export), not a notebook",
    ".html": "an HTML export, not a notebook",
    ".htm": "an HTML export, not a notebook",
    ".pdf": "a PDF export, not a notebook",
    ".md": "a Markdown export, not a notebook",
    ".tex": "a LaTeX export, not a notebook",
    ".zip": "a zip archive, not a notebook (unpack it)",
    ".docx": "a Word document, not a notebook",
}


@dataclass(frozen=True)
class Located:
    """Which file is the student's notebook, or why there is none."""

    path: Path | None
    notes: tuple[str, ...] = ()  # for the integrity column (English)
    status: str = ""  # when path is None: "missing" | "malformed" | "wrong-format"
    message: str = ""


def _rel(path: Path, folder: Path) -> str:
    return os.fsencode(str(path.relative_to(folder))).decode("utf-8", "replace")


def read_submission(
    path: Path, max_mb: float = 20, max_upload_mb: float = 100
) -> tuple[NotebookNode, list[str]]:
    """Read a student's notebook, refusing what cannot be one (raises ValueError).

    Size: a file larger than `max_upload_mb` is refused unread (parsing it would cost memory);
    otherwise outputs are discarded (they are never graded: saved figures do not count) and
    what remains must fit in `max_mb`. Returns the notebook (as nbformat 4, without outputs)
    and notes on what had to be repaired.
    """
    size = path.stat().st_size
    if size == 0:
        raise ValueError("empty file")
    if size > max_upload_mb * 2**20:
        raise ValueError(
            f"file too large ({size / 2**20:.0f} MB > {max_upload_mb:g} MB, --max-upload-mb)"
        )
    with path.open("rb") as fh:
        raw = json.loads(fh.read().decode("utf-8-sig"))
    if not isinstance(raw, dict) or not isinstance(raw.get("cells", raw.get("worksheets")), list):
        raise ValueError("not a Jupyter notebook (no cells)")
    major = raw.get("nbformat")
    if major not in (3, 4):
        raise ValueError(f"unsupported nbformat {major!r} (expected 4)")
    for sheet in [raw, *raw.get("worksheets", [])]:
        for cell in sheet.get("cells", []):
            if isinstance(cell, dict) and "outputs" in cell:
                cell["outputs"] = []
    text = json.dumps(raw)
    if len(text) > max_mb * 2**20:
        raise ValueError(
            f"notebook too large without its outputs ({len(text) / 2**20:.0f} MB > "
            f"{max_mb:g} MB, --max-notebook-mb)"
        )
    notes = []
    if major == 3:
        notes.append("nbformat 3 notebook: converted to nbformat 4")
    else:
        ids = [c.get("id") for c in raw["cells"] if isinstance(c, dict)]
        if any(i is None for i in ids):
            notes.append("cells without ids (nbformat < 4.5): matched by grade_id and text")
        elif len(ids) != len(set(ids)):
            notes.append("duplicated cell ids: matched by grade_id and text")
    return nbformat.reads(text, as_version=4), notes


def _files(folder: Path) -> list[Path]:
    found = []
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIPPED_DIRS)
        for name in sorted(filenames):
            if not name.startswith("._") and name not in ("timestamp.txt", ".DS_Store"):
                path = Path(dirpath) / name
                if path.is_file() and not path.is_symlink():
                    found.append(path)
    return found


def _is_notebook(path: Path) -> bool:
    return path.name.lower().endswith(NOTEBOOK_SUFFIXES)


def _is_checkpoint(path: Path) -> bool:
    return ".ipynb_checkpoints" in path.parts


def _export_kind(path: Path) -> str:
    kind = EXPORTS.get(path.suffix.lower(), "")
    if kind and path.suffix.lower() == ".py":
        try:
            head = path.open("rb").read(4096).decode("utf-8", "replace")
        except OSError:
            head = ""
        if "jupytext" in head or "# %%" in head:
            kind = "a jupytext script (.py), not a notebook"
    return kind


@dataclass
class _Candidate:
    path: Path
    notebook: NotebookNode | None
    error: str
    fits: list[Fit]


def locate(
    folder: Path,
    expected: list[tuple[str, NotebookNode, NotebookNode]],
    max_mb: float = 20,
    max_upload_mb: float = 100,
) -> dict[str, Located]:
    """expected: (file name, template, release stubs) per notebook of the assignment.

    Returns file name -> Located. Only reads; nothing in `folder` changes.
    """
    files = _files(folder)
    candidates = []
    for path in files:
        if not _is_notebook(path):
            continue
        try:
            nb, _ = read_submission(path, max_mb, max_upload_mb)
            fits = [fit(nb, template, stubs) for _, template, stubs in expected]
            candidates.append(_Candidate(path, nb, "", fits))
        except Exception as exc:
            candidates.append(_Candidate(path, None, f"{exc}"[:120], []))
    readable = [c for c in candidates if c.notebook is not None]
    best_of = {
        id(c): max(range(len(expected)), key=lambda i, c=c: c.fits[i].score) for c in readable
    }
    located = {}
    for index, (name, _, _) in enumerate(expected):
        mine = [c for c in readable if c.fits[index].belongs and best_of[id(c)] == index]
        located[name] = (
            _choose(folder, name, index, mine, candidates)
            if mine
            else _nothing(folder, name, index, files, candidates)
        )
    return located


def _rank(folder: Path, name: str, index: int):
    def key(c: _Candidate) -> tuple:
        f = c.fits[index]
        exact = c.path.name == name
        return (
            not _is_checkpoint(c.path),
            f.work > 0,
            exact,
            f.score,
            -len(c.path.relative_to(folder).parts),
            c.path.stat().st_mtime,
        )

    return key


def _why_not(c: _Candidate, index: int, chosen: _Candidate) -> str:
    if c.notebook is None:
        return f"unreadable: {c.error}"
    f = c.fits[index] if c.fits else None
    if f is None or not f.belongs:
        return "not a notebook of this assignment"
    if _is_checkpoint(c.path):
        return "an autosave checkpoint"
    if f.work == 0:
        return "no answers written"
    if f.work < chosen.fits[index].work:
        return "fewer answers written"
    return "another copy (the graded one is preferred by name or date)"


def _choose(
    folder: Path, name: str, index: int, mine: list[_Candidate], everything: list[_Candidate]
) -> Located:
    chosen = max(mine, key=_rank(folder, name, index))
    notes = []
    if chosen.path != folder / name:
        notes.append(f"graded {_rel(chosen.path, folder)!r} (expected {name!r})")
    others = [c for c in everything if c is not chosen]
    if others:
        notes.append(
            "ignored "
            + "; ".join(f"{_rel(c.path, folder)!r} ({_why_not(c, index, chosen)})" for c in others)
        )
    return Located(chosen.path, tuple(notes))


def _nothing(
    folder: Path, name: str, index: int, files: list[Path], candidates: list[_Candidate]
) -> Located:
    exact = folder / name
    if exact.is_file():  # read again by the grader, which names the precise problem
        return Located(exact)
    unreadable = [c for c in candidates if c.notebook is None]
    if len(candidates) == 1 and unreadable:
        return Located(unreadable[0].path)
    if candidates:
        found = "; ".join(
            f"{_rel(c.path, folder)!r} ({c.error and 'unreadable: ' + c.error or 'not a notebook of this assignment'})"
            for c in candidates
        )
        return Located(
            None,
            (f"found {found}",),
            "malformed",
            f"no notebook of this assignment among the files found: {found}"[:300],
        )
    exports = [(p, _export_kind(p)) for p in files if _export_kind(p)]
    if exports:
        what = "; ".join(f"{_rel(p, folder)!r} is {kind}" for p, kind in exports)
        return Located(
            None,
            (f"found {what}",),
            "wrong-format",
            f"{what}: submit the .ipynb notebook ({name})"[:300],
        )
    if files:
        listed = ", ".join(repr(_rel(p, folder)) for p in files[:10])
        return Located(
            None, (f"found {listed}",), "missing", f"no notebook submitted; found {listed}"[:300]
        )
    return Located(None, (), "missing", "notebook not submitted")
