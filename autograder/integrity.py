"""Integrity findings: what an instructor should look at before trusting a grade.

Two sources: the assembly (locked cells restored, grade cells missing or duplicated — see
autograder.assemble) and a static scan of the code the student wrote (solution cells and added
cells) for tricks that have no place in an honest answer. Findings never change points by
themselves: the judge already ignores everything but evidence. They explain, so a human can
review rather than guess.
"""

from __future__ import annotations

import ast
import re
import threading

from nbformat import NotebookNode

from autograder.assemble import nbgrader_meta

_PARSE_LOCK = threading.Lock()
PATCHED_MODULES = {"torch", "np", "numpy", "F", "nn", "sys", "builtins", "os", "math", "course"}
RISKY_IMPORTS = {
    "autograder": "imports the instructor package",
    "ctypes": "uses ctypes",
    "gc": "uses gc (object-graph tricks)",
    "inspect": "uses inspect (frame tricks)",
    "subprocess": "starts processes",
    "socket": "opens sockets",
    "importlib": "uses importlib",
}
RISKY_CALLS = {
    "os._exit": "calls os._exit",
    "sys.exit": "calls sys.exit",
    "os.fork": "forks",
    "os.kill": "sends signals",
    "exec": "uses exec",
    "eval": "uses eval",
    "setattr": "uses setattr",
    "__import__": "uses __import__",
}
RISKY_TEXT = {
    r"sys\.modules": "touches sys.modules",
    r"showtraceback|excepthook": "overrides error reporting",
    r"outputs\.pt|inputs\.pt|COURSE_EVIDENCE_DIR|course\.evidence|_course_record": "touches the grading evidence",
    r"_VariableFunctions|torch\._C\b": "reaches into torch internals",
    r"__builtins__": "touches builtins",
}


def _dotted(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return f"{base}.{node.attr}" if base else ""
    return ""


def scan_code(code: str) -> list[str]:
    """Suspicious constructs in one cell's code (English, one short phrase each)."""
    found: list[str] = []
    try:
        with _PARSE_LOCK:  # CPython 3.11 < 3.11.8: parsing in two threads at once can fail
            tree = ast.parse(code)
    except (SyntaxError, ValueError, SystemError, RecursionError):
        tree = None
    if tree is not None:
        for node in ast.walk(tree):
            if isinstance(node, ast.Import | ast.ImportFrom):
                names = (
                    [a.name for a in node.names]
                    if isinstance(node, ast.Import)
                    else [node.module or ""]
                )
                for name in names:
                    top = name.split(".")[0]
                    if top in RISKY_IMPORTS:
                        found.append(RISKY_IMPORTS[top])
            elif isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for target in targets:
                    name = _dotted(target)
                    if "." in name and name.split(".")[0] in PATCHED_MODULES:
                        found.append(f"monkeypatches {name}")
            elif isinstance(node, ast.Call):
                name = _dotted(node.func)
                if name in RISKY_CALLS:
                    found.append(RISKY_CALLS[name])
    for pattern, what in RISKY_TEXT.items():
        if re.search(pattern, code):
            found.append(what)
    found += scan_escape_hatches(code)
    return list(dict.fromkeys(found))


# Routes below the Python names a forbidden built-in is blocked by, and ways to act after a
# grade cell's check: no honest answer needs them (the dispatcher also refuses the operator).
ESCAPE_HATCHES = {
    r"\btorch\s*\.\s*ops\b|from\s+torch\s+import[^\n]*\bops\b": "calls torch.ops",
    r"\btorch\s*\.\s*_C\b|from\s+torch\s+import[^\n]*\b_C\b": "reaches into torch._C",
    r"\btorch\s*\.\s*overrides\b|from\s+torch\s+import[^\n]*\boverrides\b": "uses torch.overrides",
    r"__torch_function__|__torch_dispatch__": "defines __torch_function__/__torch_dispatch__",
    r"\btorch\s*\.\s*library\b|TorchFunctionMode|TorchDispatchMode|_python_dispatch": (
        "registers torch operators or modes"
    ),
    r"\bevents\s*\.\s*register\b|\b(post|pre)_(run_cell|execute)\b": "registers an IPython hook",
    r"\bcourse\s*\.\s*(evidence|audit)\b|from\s+course\s+import[^\n]*\b(evidence|audit)\b": (
        "touches the grading evidence"
    ),
    r"\bthreading\b|\bsetitimer\b|\bsignal\s*\.\s*alarm\b": "starts threads or timers",
}


def scan_escape_hatches(code: str) -> list[str]:
    """Escape hatches in one cell's code (torch internals, hooks, threads, the evidence)."""
    return [what for pattern, what in ESCAPE_HATCHES.items() if re.search(pattern, code)]


def scan_notebook(student: NotebookNode) -> list[str]:
    """Findings for every code cell the student could write (solutions and added cells)."""
    findings = []
    for cell in student.cells:
        meta = nbgrader_meta(cell)
        if cell.get("cell_type") != "code" or (meta and not meta.get("solution")):
            continue  # locked cells are restored from the source anyway
        where = meta.get("grade_id") or f"cell {str(cell.get('id', '?'))[:12]}"
        for item in scan_code(cell.get("source", "")):
            findings.append(f"suspicious code in {where}: {item}")
    return findings


TAMPERING = (
    "edited locked cell",
    "missing locked cell",
    "duplicated locked cell",
    "cell type of",
    "unknown nbgrader cell",
)


def is_tampered(findings: list[str]) -> bool:
    return any(f.startswith(TAMPERING) or f.startswith("suspicious code") for f in findings)
