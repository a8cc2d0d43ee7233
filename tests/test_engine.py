"""The warm engine (autograder.engine): the grades of cold kernels, and no student reaches another.

* a polluter runs first on an engine, then a probe looks for every trace it tried to leave
  (files in every writable folder, patched modules, environment, a daemon, SysV shared memory,
  an abstract socket); the same probe run in the polluter's own kernel finds them all, so the
  probe can see what it looks for;
* a polluting submission graded just before an honest (but wrong) one on one worker leaves the
  honest one's grade as it is when graded alone;
* a class gets the same rows from the warm and the cold engine;
* a killed zygote costs the notebooks it was running, not the batch, and is replaced;
* spare kernels (booted while the notebook before ran): fresh, per configuration, a dead one
  is never handed out, and none is left once a class is graded.
"""

from __future__ import annotations

import copy
import os
import shutil
import tempfile
from pathlib import Path

import nbformat
import pytest
from conftest import ROOT
from nbformat.v4 import new_code_cell, new_notebook
from smallclass import NAME, SLUG, build_class

from autograder import engine as warm
from autograder.execute import execute
from autograder.grade import grade_class
from autograder.sandbox import Limits, support

KERNEL = {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}}
TRACE = "course-trace-7f3a"  # the name of every file the polluter leaves

POLLUTE = f"""
import builtins, ctypes, os, socket, sys, time
import numpy, torch, torch.nn.functional as F
import course.testing, course.evidence
planted = []
for top, dirs, files in os.walk('/', topdown=True):
    dirs[:] = [d for d in dirs if os.path.join(top, d) not in ('/proc', '/sys')]
    try:
        with open(os.path.join(top, '{TRACE}'), 'w') as fh:
            fh.write('left by the previous student')
        planted.append(top)
    except OSError:
        pass
F.cosine_similarity = lambda *a, **k: torch.tensor(1.0)
torch.linalg.vector_norm = lambda *a, **k: torch.tensor(1.0)
numpy.dot = lambda *a, **k: 0
course.testing.assert_close = lambda *a, **k: None
course.evidence.TRACE = True
builtins.TRACE = True
sys.modules['{TRACE}'] = sys
os.environ['{TRACE}'] = '1'
libc = ctypes.CDLL(None, use_errno=True)
shm = libc.shmget(0x7F3A, 4096, 0o1666)
server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
server.bind('\\0{TRACE}')
server.listen(1)
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        while True:
            for top in planted:
                try:
                    open(os.path.join(top, '{TRACE}'), 'a').write('.')
                except OSError:
                    pass
            time.sleep(0.2)
    os._exit(0)
time.sleep(0.5)
print('PLANTED', len(planted), shm >= 0)
"""

PROBE = f"""
import builtins, ctypes, os, socket, sys
import numpy, torch, torch.nn.functional as F
import course.testing, course.evidence
leaks = []
for top, dirs, files in os.walk('/', topdown=True):
    dirs[:] = [d for d in dirs if os.path.join(top, d) not in ('/proc', '/sys')]
    if '{TRACE}' in files:
        leaks.append('file in ' + top)
if float(F.cosine_similarity(torch.tensor([1.0, 0.0]), torch.tensor([0.0, 1.0]), dim=0)) != 0:
    leaks.append('torch.nn.functional')
if float(torch.linalg.vector_norm(torch.tensor([3.0, 4.0]))) != 5:
    leaks.append('torch.linalg')
if numpy.dot([1, 2], [3, 4]) != 11:
    leaks.append('numpy')
try:
    course.testing.assert_close(torch.tensor(1.0), torch.tensor(2.0), 'x')
    leaks.append('course.testing')
except AssertionError:
    pass
if hasattr(course.evidence, 'TRACE') or hasattr(builtins, 'TRACE'):
    leaks.append('module attributes')
if '{TRACE}' in sys.modules or '{TRACE}' in os.environ:
    leaks.append('sys.modules or environment')
others = [p for p in os.listdir('/proc') if p.isdigit() and int(p) not in (1, os.getpid())]
if others:
    leaks.append('processes ' + ' '.join(open(f'/proc/{{p}}/cmdline').read() for p in others))
if ctypes.CDLL(None).shmget(0x7F3A, 0, 0) >= 0:
    leaks.append('SysV shared memory')
try:
    socket.socket(socket.AF_UNIX, socket.SOCK_STREAM).connect('\\0{TRACE}')
    leaks.append('abstract socket')
except OSError:
    pass
print('LEAKS', leaks)
"""


@pytest.fixture(scope="module")
def engine():
    found = warm.warm_engine()
    if found is None:
        pytest.skip(f"the warm engine cannot run here: {warm.why_cold()}")
    return found


def _text(run) -> str:
    return "".join(o.get("text", "") for c in run.notebook.cells for o in c.get("outputs", []))


def _run(engine, cells: list[str]):
    base = Path(tempfile.mkdtemp(dir=engine.spool))
    sandbox = engine.prepare(base, Limits(), [])
    nb = new_notebook(cells=[new_code_cell(c) for c in cells], metadata=KERNEL)
    return execute(nb, sandbox, {}, Limits())


def _run_spare(engine, cells: list[str]):
    """As _run, on a kernel handed out by checkout (a spare where one is booted)."""
    sandbox = engine.checkout(Limits(), [])
    nb = new_notebook(cells=[new_code_cell(c) for c in cells], metadata=KERNEL)
    try:
        return execute(nb, sandbox, {}, Limits())
    finally:
        shutil.rmtree(sandbox.home, ignore_errors=True)


def _leaks(run) -> str:
    return next(line for line in _text(run).splitlines() if line.startswith("LEAKS"))


def test_warm_engine_runs_where_the_full_sandbox_does():
    """Where bwrap works and we are root (CI), the engine must start, not fall back quietly."""
    if support().bwrap and support().own_uid:
        assert warm.available() == ""
        assert warm.warm_engine() is not None, warm.why_cold()
    else:
        assert warm.available() and warm.warm_engine() is None


def test_the_probe_sees_pollution_in_the_same_kernel(engine):
    run = _run(engine, [POLLUTE, PROBE])
    assert run.status == "ok", (run.message, _text(run)[-800:])
    leaks = _leaks(run)
    for what in (
        "file in /tmp/work",
        "torch.nn.functional",
        "torch.linalg",
        "numpy",
        "course.testing",
        "module attributes",
        "sys.modules or environment",
        "processes",
        "SysV shared memory",
        "abstract socket",
    ):
        assert what in leaks, (what, leaks)


def test_nothing_of_one_kernel_reaches_the_next(engine):
    polluted = _run(engine, [POLLUTE])
    assert "PLANTED" in _text(polluted), _text(polluted)[-800:]
    probe = _run(engine, [PROBE])
    assert probe.status == "ok", probe.message
    assert _leaks(probe) == "LEAKS []"


def test_spare_kernels_booted_before_and_after_a_polluter_are_clean(engine):
    engine.drain()
    polluted = _run_spare(engine, [POLLUTE])  # its checkout boots spare B
    assert "PLANTED" in _text(polluted), _text(polluted)[-800:]
    for _ in range(2):  # B (booted before the pollution), then C (booted after it)
        probe = _run_spare(engine, [PROBE])
        assert probe.status == "ok", probe.message
        assert _leaks(probe) == "LEAKS []"
    engine.drain()


def test_spares_are_bounded_dead_ones_are_never_handed_out_and_drain_ends_them(engine):
    engine.drain()
    first = engine.checkout(Limits(), [])
    (key,) = engine._spares
    spares = engine._spares[key]
    assert len(spares) == 1 and spares[0] is not first
    other = engine.checkout(Limits(cell_timeout=7), [])  # another configuration: its own
    assert len(engine._spares) == 2
    dead = spares[0]
    engine.kill(dead.request["job"])
    assert dead.kernel.wait(5) is not None
    second = engine.checkout(Limits(), [])
    assert second is not dead and second.kernel.poll() is None
    assert not dead.home.exists()  # thrown away with its sandbox
    assert all(len(group) <= engine.max_spares for group in engine._spares.values())
    booted = [s for group in engine._spares.values() for s in group]
    engine.drain()
    assert engine._spares == {}
    for sandbox in booted:
        assert sandbox.kernel.poll() is not None and not sandbox.home.exists()
    for sandbox in (first, other, second):  # checked out: the caller's to end
        engine.discard(sandbox)
    assert list(engine.spool.glob("grade-*")) == []  # spares and checked-out sandboxes


def _pollute_answer(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A correct submission that also poisons everything it can before the next student."""
    nb = copy.deepcopy(nb)
    nb.cells.append(new_code_cell(POLLUTE))
    return nb


def test_a_polluter_does_not_change_the_next_students_grade(engine, tmp_path):
    submitted, release_dir = build_class(tmp_path, students=("ann", "bob"))
    bob = submitted / "bob" / SLUG / f"{NAME}.ipynb"  # the wrong one (one-sided cosine)
    alone = grade_class(ROOT, submitted, tmp_path / "alone", workers=1, release_dir=release_dir)
    # same class, but ann's correct answer now also pollutes; graded first, on one worker
    ann = submitted / "ann" / SLUG / f"{NAME}.ipynb"
    nbformat.write(_pollute_answer(nbformat.read(ann, as_version=4)), ann)
    after = grade_class(ROOT, submitted, tmp_path / "after", workers=1, release_dir=release_dir)
    keys = ("grade_id", "points", "max_points", "status", "notebook_status")

    def of(rows, student):
        return [tuple(r[k] for k in keys) for r in rows if r["student"] == student]

    assert of(after, "bob") == of(alone, "bob")
    bob_rows = [r for r in alone if r["student"] == "bob"]
    assert bob_rows and sum(r["points"] for r in bob_rows) < sum(
        r["max_points"] for r in bob_rows
    )  # bob's mistake costs him: the leaked patches would have hidden it
    ann_rows = [r for r in after if r["student"] == "ann"]
    assert ann_rows[0]["notebook_status"] == "tampered"  # the polluter's daemon is reported
    assert bob.is_file()


def test_warm_and_cold_engines_grade_a_class_alike(engine, tmp_path):
    submitted, release_dir = build_class(tmp_path)
    keys = ("student", "grade_id", "points", "status", "notebook_status", "message")
    rows = {}
    for kind in ("warm", "cold"):
        got = grade_class(
            ROOT, submitted, tmp_path / kind, workers=2, release_dir=release_dir, engine=kind
        )
        rows[kind] = sorted(tuple(r[k] for k in keys) for r in got)
        assert engine._spares == {}  # grade_class ends its spare kernels
    assert rows["warm"] == rows["cold"]
    assert {r[4] for r in rows["warm"]} == {"ok"}


def test_a_killed_zygote_costs_its_notebooks_not_the_batch(engine):
    sleeper = _run_async_kill(engine)
    assert sleeper.status == "crashed", sleeper.message
    replacement = warm.warm_engine()
    assert replacement is not None and replacement is not engine and replacement.alive
    run = _run(replacement, ["print('RAN', 1 + 1)"])
    assert run.status == "ok" and "RAN 2" in _text(run)


def _run_async_kill(engine):
    """Run a sleeping notebook and kill the zygote under it after a second."""
    import threading

    timer = threading.Timer(3.0, lambda: os.kill(engine.proc.pid, 9))
    timer.start()
    try:
        return _run(engine, ["import time\ntime.sleep(30)", "print('never')"])
    finally:
        timer.cancel()
