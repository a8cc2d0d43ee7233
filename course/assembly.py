"""Rebuild a student's notebook on its template: the one assembly `course check` and the grader share.

A submission is run on the original cells whatever happened to its copy. The template decides
which cells are locked (read-only and test cells) and where the exercises are; the student's
copy supplies the answers:

* solution cells (nbgrader `solution: true`) come from the student. A student cell takes a
  solution slot by its grade_id; failing that (the editor emptied its metadata, or the student
  deleted the cell and retyped the answer in a new one) by its cell id, and failing that by the
  function or class it defines (`def cosine_similarity` takes the `cosine_similarity` slot).
  The release stub (which raises NotImplementedError) fills an empty slot only when no cell of
  the student defines that function at all: a stub never shadows the student's definition;
* locked cells always come from the template. A student cell is recognised as one by grade_id,
  else by cell id, else by its unchanged text (notebooks whose editor dropped every cell's
  metadata or regenerated the ids); an edited one is reported "restored", a deleted one
  "missing", extra copies are dropped;
* other cells the student kept (matched by cell id, else by identical text) and cells the
  student added stay where the student put them, after the nearest preceding matched cell;
  copies of a solution cell keep their code (Python semantics: the last definition wins) but
  lose their nbgrader metadata.

Two callers, one logic (so a student sees locally what the grader will see):

* the grader: template = the instructor's source notebook, stubs = the
  release notebook; it then rewrites grade cells to collect evidence;
* `course check`: template = stubs = the release notebook shipped in the `course` package
  (`course/templates/`, no answers and no hidden tests) or the repository's `release/`.

Everything here is harmless to ship: it reads notebooks and moves cells, nothing more.
Notes are English, one short sentence each, for the instructor's integrity column;
`student_warnings` turns them into what `course check` prints.
"""

from __future__ import annotations

import ast
import copy
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path

from nbformat import NotebookNode

_PARSE_LOCK = threading.Lock()


def parse_python(code: str) -> ast.Module:
    """`ast.parse`, one thread at a time.

    CPython 3.11 before 3.11.8 keeps the AST converter's recursion depth per interpreter, not
    per thread: two threads parsing at once fail with "SystemError: AST constructor recursion
    depth mismatch" (CPython gh-106905). The grader assembles and scans notebooks in worker
    threads, so every parse of student code goes through here.
    """
    with _PARSE_LOCK:
        return ast.parse(code)


START = ("start", "")
Key = tuple[str, str]  # ("gid", grade_id) for nbgrader cells, ("id", cell id) for the others

# Prefixes of the notes that do not suggest tampering (the notebook was damaged, not cheated).
LOST_METADATA = "nbgrader metadata lost"
RECOVERED = "recovered"


@dataclass
class Assembly:
    notebook: NotebookNode
    notes: list[str] = field(default_factory=list)  # English, for the instructor
    # (where, code) of every cell the student wrote that will run: solution and added cells
    student_code: list[tuple[str, str]] = field(default_factory=list)
    lost_metadata: int = 0  # labelled template cells found in the student's copy without it


@dataclass(frozen=True)
class Fit:
    """How much of a template a notebook holds (to tell which file is the student's work)."""

    grade_ids: int  # nbgrader cells of the template found by grade_id
    locked_texts: int  # locked cells of the template found by their unchanged text
    functions: int  # solution functions of the template that the notebook defines
    work: int  # solution slots whose code differs from the release stub (answers written)
    solutions: int  # solution slots in the template

    @property
    def belongs(self) -> bool:
        return bool(self.grade_ids or self.locked_texts) or (
            self.functions >= max(1, (self.solutions + 1) // 2)
        )

    @property
    def score(self) -> tuple[int, int, int]:
        return self.grade_ids, self.locked_texts, self.functions


def nbgrader_meta(cell: NotebookNode) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {}) or {}


def _key(cell: NotebookNode) -> Key:
    gid = nbgrader_meta(cell).get("grade_id")
    return ("gid", str(gid)) if gid else ("id", str(cell.get("id", "")))


def _is_locked(meta: dict) -> bool:
    return bool(meta.get("locked") or meta.get("grade")) and not meta.get("solution")


def normalize(text: str) -> str:
    """Text as compared: line ends, trailing blanks and surrounding blank lines do not count."""
    lines = str(text).replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "\n".join(line.rstrip() for line in lines).strip("\n")


_TOP_DEF = re.compile(r"^(?:async\s+def|def|class)\s+([A-Za-z_]\w*)", re.MULTILINE)


def defined_names(code: str) -> set[str]:
    """Names a cell binds at top level: def, class, assignment, import (e.g. `from m import f`).

    A cell Python cannot parse (IPython magics, a syntax error) is read line by line for
    top-level `def` / `class`.
    """
    try:
        tree = parse_python(code)
    except (SyntaxError, ValueError, RecursionError):
        return set(_TOP_DEF.findall(code))
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names |= {t.id for t in targets if isinstance(t, ast.Name)}
        elif isinstance(node, ast.Import | ast.ImportFrom):
            names |= {(a.asname or a.name).split(".")[0] for a in node.names}
    return names


class _Template:
    """What the assembly needs to know about a template and its release stubs."""

    def __init__(self, template: NotebookNode, stubs: NotebookNode):
        self.cells = template.cells
        self.keys = [_key(c) for c in template.cells]
        self.meta = {k: nbgrader_meta(c) for k, c in zip(self.keys, template.cells, strict=True)}
        self.by_key = dict(zip(self.keys, template.cells, strict=True))
        self.stub = {_key(c): c for c in stubs.cells}
        self.by_id = {str(c.get("id")): k for k, c in zip(self.keys, template.cells, strict=True)}
        # A student's copy holds the release text of every cell they did not edit.
        self.by_text: dict[str, list[Key]] = {}
        for key, cell in zip(self.keys, template.cells, strict=True):
            text = normalize(self.stub.get(key, cell).get("source", ""))
            if text:
                self.by_text.setdefault(text, []).append(key)
        self.solutions = [k for k in self.keys if self.meta[k].get("solution")]
        self.names = {
            k: defined_names(self.by_key[k].source)
            | defined_names(self.stub.get(k, {}).get("source", ""))
            for k in self.solutions
            if self.by_key[k].cell_type == "code"
        }

    def labelled(self, key: Key) -> bool:
        return bool(self.meta.get(key))


def _match(student: NotebookNode, t: _Template) -> tuple[list[Key | None], list[str]]:
    """The template key each student cell stands for (None: a cell the student added)."""
    keys: list[Key | None] = [None] * len(student.cells)
    taken: set[Key] = set()
    notes: list[str] = []
    # 1. grade_id (the normal case)
    for i, cell in enumerate(student.cells):
        key = _key(cell)
        if key[0] == "gid" and key in t.meta and key not in taken:
            keys[i] = key
            taken.add(key)
    # 2. cells without nbgrader metadata: cell id, then unchanged text
    for by in ("id", "text"):
        for i, cell in enumerate(student.cells):
            if keys[i] is not None or nbgrader_meta(cell):
                continue
            if by == "id":
                key = t.by_id.get(str(cell.get("id", "")))
                found = [key] if key is not None else []
            else:
                found = t.by_text.get(normalize(cell.get("source", "")), [])
            key = next((k for k in found if k not in taken), None)
            if key is None:
                continue
            if t.meta[key].get("solution") and by == "id" and not _fits_solution(cell, key, t):
                continue  # the id of a deleted answer cell reused for something else
            keys[i] = key
            taken.add(key)
    # 3. solution slots still empty: a student cell without metadata defining its function
    for key in t.solutions:
        if key in taken or key not in t.names:
            continue
        found = [
            i
            for i, cell in enumerate(student.cells)
            if keys[i] is None
            and not nbgrader_meta(cell)
            and cell.get("cell_type") == "code"
            and defined_names(cell.get("source", "")) & t.names[key]
        ]
        if found:
            keys[found[-1]] = key  # the last definition is the one Python keeps
            taken.add(key)
            notes.append(
                f"{RECOVERED} solution cell {key[1]!r}: taken from a cell without nbgrader "
                f"metadata that defines {', '.join(sorted(t.names[key]))}"
            )
    return keys, notes


def _fits_solution(cell: NotebookNode, key: Key, t: _Template) -> bool:
    return cell.get("cell_type") == "code" or t.by_key[key].cell_type != "code"


def _where(cell: NotebookNode, key: Key | None) -> str:
    if key is not None and key[0] == "gid":
        return key[1]
    return f"cell {str(cell.get('id', '?'))[:12]}"


def assemble(student: NotebookNode, template: NotebookNode, stubs: NotebookNode) -> Assembly:
    """Rebuild `student` on `template`; `stubs` is the release notebook (the cells students got).

    The result is a copy: template cells in template order, the student's answers in the
    solution slots, the student's own cells after the nearest preceding matched cell.
    Outputs and execution counts are cleared.
    """
    t = _Template(template, stubs)
    keys, notes = _match(student, t)
    matched: dict[Key, NotebookNode] = {}
    extras: dict[Key, list[NotebookNode]] = {START: []}
    student_code: dict[int, tuple[str, str]] = {}
    anchor: Key = START
    for cell, key in zip(student.cells, keys, strict=True):
        if key is not None:
            matched[key] = cell
            anchor = key
            extras.setdefault(key, [])
            continue
        own = _key(cell)
        meta = nbgrader_meta(cell)
        if own in t.meta and own[0] == "gid":  # a second copy of a labelled cell
            if t.meta[own].get("solution"):
                notes.append(f"duplicated solution cell {own[1]!r}: copies kept as plain cells")
            else:
                notes.append(f"duplicated locked cell {own[1]!r}: copy dropped")
                continue
        elif meta:
            notes.append(f"unknown nbgrader cell {own[1]!r}: kept as a plain cell")
        extra = copy.deepcopy(cell)
        extra.metadata.pop("nbgrader", None)  # an unknown or copied grade_id earns nothing
        extras[anchor].append(extra)
        if extra.get("cell_type") == "code":
            student_code[id(extra)] = (_where(cell, None), extra.get("source", ""))

    # names the student defines anywhere: a stub must not shadow any of them
    defined: set[str] = set()
    for cell in student.cells:
        if cell.get("cell_type") == "code":
            defined |= defined_names(cell.get("source", ""))

    cells: list[NotebookNode] = list(extras[START])
    for key, src in zip(t.keys, t.cells, strict=True):
        meta = t.meta[key]
        mine = matched.get(key)
        if meta.get("solution"):
            if mine is None:
                names = t.names.get(key, set())
                if names & defined:
                    notes.append(
                        f"missing solution cell {key[1]!r}: the student's own definition of "
                        f"{', '.join(sorted(names & defined))} is used (no stub)"
                    )
                    cells.extend(extras.get(key, []))
                    continue
                notes.append(f"missing solution cell {key[1]!r}: release stub used")
                chosen = copy.deepcopy(t.stub.get(key, src))
            else:
                chosen = copy.deepcopy(src)
                chosen.source = mine.get("source", "")
                if mine.get("cell_type") != src.cell_type:
                    notes.append(
                        f"cell type of {key[1]!r} changed to {mine.get('cell_type')}: "
                        f"restored to {src.cell_type} and graded"
                    )
                if chosen.cell_type == "code":
                    student_code[id(chosen)] = (key[1], chosen.source)
        elif _is_locked(meta):
            chosen = copy.deepcopy(src)
            released = t.stub.get(key)
            if mine is None:
                notes.append(f"missing locked cell {key[1]!r}: restored")
            elif released is not None and (
                normalize(mine.get("source", "")) != normalize(released.source)
                or mine.get("cell_type") != released.cell_type
            ):
                notes.append(f"edited locked cell {key[1]!r}: restored")
        else:
            chosen = copy.deepcopy(mine if mine is not None else src)
            if mine is not None and chosen.get("cell_type") == "code":
                student_code[id(chosen)] = (_where(mine, None), chosen.get("source", ""))
        if chosen.cell_type == "code":
            chosen.outputs = []
            chosen.execution_count = None
        cells.append(chosen)
        cells.extend(extras.get(key, []))

    lost = sum(1 for key in t.keys if t.labelled(key) and key in matched) - sum(
        1 for key, cell in matched.items() if nbgrader_meta(cell)
    )
    if lost:
        labelled = sum(1 for key in t.keys if t.labelled(key))
        notes.insert(
            0,
            f"{LOST_METADATA} on {lost} of {labelled} exercise/test cells (an editor or "
            "converter dropped it): recognised by cell id, unchanged text or the function "
            "they define",
        )
    notebook = copy.deepcopy(template)
    notebook.cells = cells
    code = [student_code[id(c)] for c in cells if id(c) in student_code]
    for cell in notebook.cells:
        if cell.get("cell_type") == "code":  # outputs are never graded: drop them early
            cell.outputs = []
            cell.execution_count = None
    return Assembly(notebook, notes, code, max(lost, 0))


def fit(student: NotebookNode, template: NotebookNode, stubs: NotebookNode) -> Fit:
    """How well `student` matches `template` (see Fit); cheap, nothing is copied."""
    t = _Template(template, stubs)
    keys, _ = _match(student, t)
    gids = sum(
        1 for c, k in zip(student.cells, keys, strict=True) if k is not None and nbgrader_meta(c)
    )
    locked = sum(
        1
        for c, k in zip(student.cells, keys, strict=True)
        if k is not None and not nbgrader_meta(c) and _is_locked(t.meta[k])
    )
    names = set().union(*t.names.values()) if t.names else set()
    defined: set[str] = set()
    for cell in student.cells:
        if cell.get("cell_type") == "code":
            defined |= defined_names(cell.get("source", ""))
    functions = sum(1 for n in t.names.values() if n & defined)
    work = 0
    for c, k in zip(student.cells, keys, strict=True):
        if k is not None and k in t.names:
            stub = t.stub.get(k)
            if stub is None or normalize(c.get("source", "")) != normalize(stub.source):
                work += 1
    work += sum(
        1
        for c, k in zip(student.cells, keys, strict=True)
        if k is None and c.get("cell_type") == "code" and defined_names(c.get("source", "")) & names
    )
    return Fit(gids, locked, functions, work, len(t.solutions))


def student_warnings(assembly: Assembly) -> list[str]:
    """What `course check` tells the student about the assembly (Chinese, then English)."""
    out = []
    if assembly.lost_metadata:
        out.append(
            "你的 notebook 丢失了 nbgrader 元数据（可能是编辑器或格式转换造成的）；评分时按单元格"
            "内容找回了练习和测试单元格。请尽量在 JupyterLab 中作答并提交原 notebook。"
            f" (your notebook lost its nbgrader metadata on {assembly.lost_metadata} cells; "
            "they were recognised by their text or the function they define)"
        )
    for note in assembly.notes:
        if note.startswith(("edited locked cell", "missing locked cell")):
            out.append(f"只读单元格被修改或删除，检查和评分都使用原版 (restored): {note}")
        elif note.startswith("missing solution cell") and "stub" in note:
            out.append(f"找不到这个练习的答案单元格，按未作答处理: {note}")
        elif note.startswith("cell type of"):
            out.append(f"单元格类型被改动，已恢复后运行: {note}")
    return out


def find_templates(package_dir: Path | None = None) -> list[Path]:
    """Release notebooks `course check` can assemble on.

    The student edition ships them inside the package (`course/templates/<slug>/*.ipynb`);
    in the course repository they are `release/<slug>/*.ipynb`.
    """
    here = package_dir or Path(__file__).resolve().parent
    for folder in (here / "templates", here.parent / "release"):
        found = sorted(folder.glob("*/*.ipynb"))
        if found:
            return found
    return []
