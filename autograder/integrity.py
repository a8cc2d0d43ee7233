"""Integrity findings: what an instructor should look at before trusting a grade.

Two sources: the assembly (locked cells restored, grade cells missing or duplicated — see
course.assembly) and a static scan of the code the student wrote (solution cells and added
cells, transformed as IPython transforms them) for tricks that have no place in an honest
answer. Findings never change points by
themselves: the judge already ignores everything but evidence. They explain, so a human can
review rather than guess.
"""

from __future__ import annotations

import ast
import functools
import re

from nbformat import NotebookNode

from autograder.assemble import nbgrader_meta
from course.assembly import parse_python

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
    r"input_transformers|ast_transformers|events\.register|set_custom_exc|register_magic": (
        "changes how IPython runs cells"
    ),
}


def _dotted(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return f"{base}.{node.attr}" if base else ""
    return ""


# IPython syntax (see IPython.core.inputtransformer2): cells are transformed the way the
# kernel transforms them before they are parsed, so `%%time` or `!cmd` cannot hide code.
PYTHON_CELL_MAGICS = {"time", "timeit", "capture", "prun", "debug"}  # body runs here, as Python
SUBPROCESS_CELL_MAGICS = {"python", "python2", "python3", "pypy"}  # body is Python, run apart
SHELL_CELL_MAGICS = {"bash", "sh", "script", "system", "sx", "perl", "ruby"}
DISPLAY_CELL_MAGICS = {"html", "HTML", "markdown", "latex", "svg", "javascript", "js", "md"}
RISKY_LINE_MAGICS = {
    "run": "runs another file (%run)",
    "system": "runs shell commands (%system)",
    "sx": "runs shell commands (%sx)",
    "alias": "defines shell aliases (%alias)",
    "load_ext": "loads an IPython extension (%load_ext)",
    "reload_ext": "loads an IPython extension (%reload_ext)",
    "macro": "replays other input (%macro)",
    "rerun": "replays other input (%rerun)",
    "recall": "replays other input (%recall)",
}
PYTHON_LINE_MAGICS = {"time", "timeit", "prun", "debug", "capture"}  # the argument is Python
INSTALLS = re.compile(r"^\s*(?:python3? -m )?(?:pip3?|conda|mamba) install [\w\s.=<>~\[\],-]*$")
UNPARSABLE = "cannot be parsed"
MAX_DEPTH = 4  # magics inside magic bodies


def _ipython_to_python(code: str) -> str:
    from IPython.core.inputtransformer2 import TransformerManager

    return TransformerManager().transform_cell(code)


def _magic_call(node: ast.Call) -> tuple[str, list[str]] | None:
    """("run_cell_magic", ["time", "", body]) for a get_ipython().<method>(...) call."""
    func = node.func
    if not (isinstance(func, ast.Attribute) and isinstance(func.value, ast.Call)):
        return None
    if _dotted(func.value.func) != "get_ipython":
        return None
    args = [
        a.value if isinstance(a, ast.Constant) and isinstance(a.value, str) else ""
        for a in node.args
    ]
    return func.attr, args


def _ipython_findings(call: tuple[str, list[str]], depth: int) -> list[str]:
    method, args = call
    if method in ("system", "getoutput"):
        command = args[0] if args else ""
        return [] if INSTALLS.match(command) else [f"runs shell commands (!{command[:40]})"]
    if method == "run_line_magic" and args:
        name, line = args[0], args[1] if len(args) > 1 else ""
        if name in RISKY_LINE_MAGICS:
            return [RISKY_LINE_MAGICS[name]]
        return _scan(line, depth + 1) if name in PYTHON_LINE_MAGICS else []
    if method == "run_cell_magic" and args:
        name, body = args[0], args[2] if len(args) > 2 else ""
        if name in PYTHON_CELL_MAGICS:
            return _scan(body, depth + 1)
        if name in SUBPROCESS_CELL_MAGICS:
            return [f"runs Python in another process (%%{name})", *_scan(body, depth + 1)]
        if name in ("writefile", "file"):
            return [f"writes a file (%%{name})", *_scan(body, depth + 1)]
        if name in SHELL_CELL_MAGICS:
            return [f"runs shell commands (%%{name})"]
        if name in DISPLAY_CELL_MAGICS:
            return []
        return [f"unknown cell magic %%{name}: its body is not scanned"]
    return []


def _scan(code: str, depth: int) -> list[str]:
    found: list[str] = []
    try:
        python = _ipython_to_python(code) if depth < MAX_DEPTH else code
        tree = parse_python(python)
    except (SyntaxError, ValueError, SystemError, RecursionError) as exc:
        where = f", line {exc.lineno}" if getattr(exc, "lineno", None) else ""
        return [f"{UNPARSABLE} ({type(exc).__name__}{where}): not scanned"]
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
            call = _magic_call(node)
            if call is not None:
                found.extend(_ipython_findings(call, depth))
    return found


def scan_code(code: str) -> list[str]:
    """Suspicious constructs in one cell's code (English, one short phrase each).

    The cell is first transformed as IPython does (magics, `!` shell escapes, `?` help), so
    code behind `%%time` is scanned like any other; the bodies of Python cell magics are
    scanned in turn. A cell that still cannot be parsed yields a "cannot be parsed" phrase:
    it was not scanned (see unparsable_that_ran for when that is suspicious).
    """
    return list(_scan_code(code))


@functools.lru_cache(maxsize=512)  # a pure function of the text: grading scans each cell twice
def _scan_code(code: str) -> tuple[str, ...]:
    found = _scan(code, 0)
    for pattern, what in RISKY_TEXT.items():
        if re.search(pattern, code):
            found.append(what)
    found += scan_escape_hatches(code)
    return tuple(dict.fromkeys(found))


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


def scan_cells(student_code: list[tuple[str, str]]) -> list[str]:
    """Findings for every (where, code) the student wrote; see scan_code."""
    findings = []
    for where, code in student_code:
        for item in scan_code(code):
            prefix = "unparsable cell in" if item.startswith(UNPARSABLE) else "suspicious code in"
            findings.append(f"{prefix} {where}: {item}")
    return findings


def scan_notebook(student: NotebookNode) -> list[str]:
    """Findings for every code cell the student could write (solutions and added cells)."""
    code = []
    for cell in student.cells:
        meta = nbgrader_meta(cell)
        if cell.get("cell_type") != "code" or (meta and not meta.get("solution")):
            continue  # locked cells are restored from the source anyway
        where = meta.get("grade_id") or f"cell {str(cell.get('id', '?'))[:12]}"
        code.append((where, cell.get("source", "")))
    return scan_cells(code)


SYNTAX_ERRORS = ("SyntaxError", "IndentationError", "TabError")


def unparsable_that_ran(student_code: list[tuple[str, str]], executed: NotebookNode) -> list[str]:
    """Cells we could not parse that the kernel ran without a SyntaxError: then the kernel
    read them differently (say, an earlier cell installed an input transformer), so what
    ran was never scanned. An honest syntax error fails in the kernel too and is not listed."""
    found = []
    for where, code in student_code:
        if not any(item.startswith(UNPARSABLE) for item in scan_code(code)):
            continue
        runs = [c for c in executed.cells if c.get("cell_type") == "code" and c.source == code]
        failed = any(
            out.get("output_type") == "error" and out.get("ename") in SYNTAX_ERRORS
            for cell in runs
            for out in cell.get("outputs", [])
        )
        ran = any(cell.get("execution_count") is not None for cell in runs)
        if ran and not failed:
            found.append(f"suspicious code in {where}: {UNPARSABLE} here, yet ran in the kernel")
    return found


TAMPERING = (
    "edited locked cell",
    "missing locked cell",
    "duplicated locked cell",
    "unknown nbgrader cell",
)  # not tampering: a solution cell whose type changed (restored, graded), lost metadata


def is_tampered(findings: list[str]) -> bool:
    return any(f.startswith(TAMPERING) or f.startswith("suspicious code") for f in findings)
