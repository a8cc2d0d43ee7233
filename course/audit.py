"""What student code left running in a grading kernel: hooks, threads, processes, timers.

Runs inside the grading kernel (judged mode). `baseline()` is called once when the kernel
starts, before any notebook cell (the grader passes it as IPython `exec_lines`); `findings()`
is called by `course.evidence.record` when a grade cell starts, and lists what appeared since:
an IPython event callback (e.g. a `post_run_cell` hook that could rewrite results after the
check), an input or AST transformer, a trace/profile function, a Python thread, another
process in the kernel's sandbox, an armed interval timer or a changed signal handler, an
import hook. Each is English text for the instructor; the grader treats any as an integrity
finding. Libraries the course uses (matplotlib's inline backend, ipykernel, tqdm) are allowed.
"""

from __future__ import annotations

import os
import signal
import sys
import threading

BENIGN_MODULES = ("ipykernel", "IPython", "matplotlib", "matplotlib_inline", "tqdm", "comm", "zmq")
_SIGNALS = [
    s
    for s in (signal.SIGINT, signal.SIGTERM, signal.SIGALRM, signal.SIGUSR1, signal.SIGUSR2)
    if hasattr(signal, s.name)
]
_BASE: dict = {}


def _shell():
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    return get_ipython()


def _callbacks(shell) -> dict[str, list]:
    if shell is None:
        return {}
    return {event: list(funcs) for event, funcs in shell.events.callbacks.items()}


def _transformers(shell) -> list:
    if shell is None:
        return []
    manager = shell.input_transformer_manager
    return [
        *shell.input_transformers_post,
        *getattr(manager, "cleanup_transforms", []),
        *getattr(manager, "line_transforms", []),
        *shell.ast_transformers,
    ]


def _processes() -> set[int]:
    """Live processes the kernel can see: all of its sandbox in a PID namespace."""
    pids = set()
    try:
        names = os.listdir("/proc")
    except OSError:
        return pids
    for name in names:
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", encoding="ascii", errors="replace") as fh:
                state = fh.read().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue
        if state not in ("Z", "X"):
            pids.add(int(name))
    return pids


def _children() -> set[int]:
    """Live children of the kernel (without a PID namespace, a double fork escapes this)."""
    pids = set()
    try:
        tasks = os.listdir("/proc/self/task")
    except OSError:
        return pids
    for task in tasks:
        try:
            with open(f"/proc/self/task/{task}/children", encoding="ascii") as fh:
                pids |= {int(p) for p in fh.read().split()}
        except OSError:
            continue
    return pids & _processes()


def _in_own_pid_namespace() -> bool:
    return os.getpid() < 10 and os.path.isdir("/proc/1")  # bwrap: init 1, the kernel 2 or 3


def baseline() -> None:
    """Remember the kernel's state before any notebook cell runs."""
    shell = _shell()
    _BASE.update(
        threads={t.ident for t in threading.enumerate()},
        callbacks={e: {id(f) for f in fs} for e, fs in _callbacks(shell).items()},
        transformers={id(t) for t in _transformers(shell)},
        processes=_processes() if _in_own_pid_namespace() else set(),
        signals={s: signal.getsignal(s) for s in _SIGNALS},
        meta_path={id(f) for f in sys.meta_path},
        path_hooks={id(f) for f in sys.path_hooks},
        displayhook=sys.displayhook,
    )


def _module_of(obj) -> str:
    return getattr(obj, "__module__", None) or getattr(type(obj), "__module__", "") or ""


def _benign(obj) -> bool:
    """A thread of a library the course uses (an explicit list: threads are rare)."""
    return _module_of(obj).split(".")[0] in BENIGN_MODULES


def _library(obj) -> bool:
    """Defined in an installed module (read-only in the sandbox), not in a notebook cell."""
    if isinstance(obj, int | type(None)) or obj in (signal.SIG_DFL, signal.SIG_IGN):
        return True
    name = _module_of(obj)
    if name in sys.builtin_module_names:  # e.g. signal.default_int_handler
        return True
    path = getattr(sys.modules.get(name), "__file__", None) or ""
    roots = [sys.prefix, sys.base_prefix, "/usr/", os.path.dirname(os.path.dirname(__file__))]
    return bool(path) and any(path.startswith(root) for root in roots)


def findings() -> list[str]:
    """What student code left behind since `baseline()` (empty when nothing did)."""
    if not _BASE:
        return ["the kernel's starting state was not recorded"]
    found = []
    shell = _shell()
    for event, funcs in _callbacks(shell).items():
        for func in funcs:
            if id(func) not in _BASE["callbacks"].get(event, set()) and not _library(func):
                found.append(f"an IPython {event} hook ({getattr(func, '__name__', func)!r})")
    for item in _transformers(shell):
        if id(item) not in _BASE["transformers"] and not _library(item):
            found.append(f"an input/AST transformer ({type(item).__name__})")
    if sys.gettrace() is not None or sys.getprofile() is not None:
        found.append("a trace or profile function (sys.settrace/setprofile)")
    if getattr(threading, "_trace_hook", None) or getattr(threading, "_profile_hook", None):
        found.append("a thread trace or profile function")
    for thread in threading.enumerate():
        if thread.ident not in _BASE["threads"] and thread.is_alive():
            target = getattr(thread, "_target", None)
            if not (_benign(thread) or (target is not None and _benign(target))):
                found.append(f"a running thread ({thread.name!r})")
    if _BASE["processes"]:
        extra = _processes() - _BASE["processes"] - {os.getpid()}
    else:
        extra = _children()
    if extra:
        found.append(f"{len(extra)} other process(es) in the sandbox (pids {sorted(extra)})")
    if hasattr(signal, "getitimer") and any(
        signal.getitimer(t)[0] > 0
        for t in (signal.ITIMER_REAL, signal.ITIMER_VIRTUAL, signal.ITIMER_PROF)
    ):
        found.append("an armed interval timer (signal.setitimer/alarm)")
    for sig, handler in _BASE["signals"].items():
        now = signal.getsignal(sig)
        if now is not handler and not _library(now):
            found.append(f"a changed {sig.name} handler")
    if any(id(f) not in _BASE["meta_path"] for f in sys.meta_path if not _library(f)):
        found.append("an import hook (sys.meta_path)")
    if any(id(f) not in _BASE["path_hooks"] for f in sys.path_hooks if not _library(f)):
        found.append("an import hook (sys.path_hooks)")
    if sys.displayhook is not _BASE["displayhook"]:
        found.append("a replaced sys.displayhook")
    return list(dict.fromkeys(found))
