"""The grading kernel's sandbox, exercised directly (prepare + execute, no grading).

Every test that runs a kernel runs twice: on a cold kernel (autograder.sandbox.prepare) and on
one forked by the warm engine (autograder.engine), which must give the same sandbox.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import sysconfig
import tempfile
from pathlib import Path

import pytest
from conftest import ROOT
from nbformat.v4 import new_code_cell, new_notebook

from autograder.engine import warm_engine, why_cold
from autograder.execute import execute
from autograder.sandbox import Limits, hidden_paths, prepare, support

KERNEL = {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}}


@pytest.fixture(params=["cold", "warm"])
def box(request):
    """`prepare(base, limits, hide, data_files)` of a cold kernel or of the warm engine."""
    if request.param == "cold":
        return prepare
    engine = warm_engine()
    if engine is None:  # tests/test_engine.py fails where the warm engine should run
        pytest.skip(f"the warm engine cannot run here: {why_cold()}")

    def make(base, limits, hide, data_files=None):
        folder = Path(tempfile.mkdtemp(dir=engine.spool))  # `base` is the cold kernel's
        return engine.prepare(folder, limits, list(data_files or []), hide=hide)

    return make


def _run(box, cells, limits, tmp_path):
    sandbox = box(tmp_path, limits, hide=[])
    nb = new_notebook(cells=[new_code_cell(c) for c in cells], metadata=KERNEL)
    return sandbox, execute(nb, sandbox, {}, limits)


def _text(run):
    return "".join(o.get("text", "") for c in run.notebook.cells for o in c.get("outputs", []))


def test_kernel_env_and_imports(box, tmp_path, monkeypatch):
    monkeypatch.setenv("INSTRUCTOR_SECRET", "s3cret")
    sandbox, run = _run(
        box,
        [
            "import json, os, sys\nprint(json.dumps(sorted(os.environ)))",
            "try:\n    import autograder\n    print('IMPORTED')\nexcept ModuleNotFoundError:\n"
            "    print('BLOCKED')",
            "import course, os\nprint(course.__file__.startswith(os.environ['PYTHONPATH']))",
            "import os\nprint(os.getcwd() == os.environ['HOME'])",
        ],
        Limits(),
        tmp_path,
    )
    assert run.status == "ok", run.message
    lines = _text(run).splitlines()
    env = json.loads(lines[0])
    assert "INSTRUCTOR_SECRET" not in env and "COURSE_EVIDENCE_DIR" in env
    assert lines[1:] == ["BLOCKED", "True", "True"]


def test_cpu_cap_is_a_timeout_with_a_message(box, tmp_path):
    _, run = _run(
        box,
        ["while True:\n    pass", "print('still alive')"],
        Limits(cpu_seconds=4, cell_timeout=60),
        tmp_path,
    )
    assert run.status == "timeout" and "CPU time" in run.message
    assert "still alive" in _text(run)  # the soft limit raises; the kernel goes on


def test_memory_cap(box, tmp_path):
    _, run = _run(
        box,
        ["import torch\nx = torch.empty(2**33, dtype=torch.uint8)"],
        Limits(memory_mb=1536),
        tmp_path,
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
def test_hidden_folder_is_empty_in_the_kernel(box, tmp_path):
    secret = tmp_path / "instructor"
    secret.mkdir()
    (secret / "answers.txt").write_text("42")
    sandbox = box(tmp_path / "box", Limits(), hide=[secret])
    nb = new_notebook(
        cells=[
            new_code_cell(
                f"import os\nprint(os.listdir({str(secret)!r}) if os.path.isdir({str(secret)!r})"
                " else 'absent')"
            )
        ],
        metadata=KERNEL,
    )
    run = execute(nb, sandbox, {}, Limits())
    assert _text(run).strip() in ("[]", "absent")  # bwrap: not mounted at all
    assert (secret / "answers.txt").read_text() == "42"  # hidden from the kernel, not harmed


# ---- the bubblewrap sandbox: every exploit of issue 9 as a kernel cell that must fail ------

needs_bwrap = pytest.mark.skipif(
    shutil.which("bwrap") is None, reason="bubblewrap not installed (apt-get install bubblewrap)"
)
MARKER = "987.125"  # argv of the process that tries to outlive its kernel


def _lines(run) -> dict[str, str]:
    """'TAG value' lines printed by the cells -> {TAG: value}."""
    out = {}
    for line in _text(run).splitlines():
        tag, _, rest = line.partition(" ")
        out[tag] = rest
    return out


@needs_bwrap
def test_bwrap_sandbox_is_available():
    assert support().bwrap, support().notes  # installed but not working is a failure
    if os.geteuid() == 0:
        assert support().own_uid


@needs_bwrap
def test_kernel_has_no_privileges_and_no_way_out(box, tmp_path):
    """Issue 9: /proc/<ppid>/root, killing the parent, setsid double fork, pids.max, .pth,
    files outside the sandbox, a 10 GB write, the instructor's folders."""
    course_root = ROOT
    host_tmp_name = f"escaped-{os.getpid()}"
    limits = Limits(disk_mb=64, max_file_mb=1024)
    (tmp_path / "secret.txt").write_text("the grader's folder")  # only its ipc folder is bound
    sandbox = box(tmp_path / "box", limits, hide=[course_root, tmp_path])
    site_packages = sysconfig.get_paths()["purelib"]
    cells = [
        "import os, signal, sys, glob\n"
        "st = open('/proc/self/status').read()\n"
        "cap = [l.split()[1] for l in st.splitlines() if l.startswith('CapEff')][0]\n"
        "nnp = [l.split()[1] for l in st.splitlines() if l.startswith('NoNewPrivs')][0]\n"
        "print('UID', os.getuid(), os.getgid(), os.getgroups())\n"
        "print('CAPS', cap, nnp)\n"
        "print('PIDS', len([p for p in os.listdir('/proc') if p.isdigit()]))\n"
        "print('PPID', os.getppid())",
        # the parent's root: one path away from the course root in the old sandbox
        "import os\n"
        f"paths = [f'/proc/{{os.getppid()}}/root{course_root}/autograder', '{course_root}',\n"
        f"         '/proc/1/root{course_root}', '{tmp_path}/secret.txt', '/sys/fs/cgroup']\n"
        "print('SEEN', [p for p in paths if os.path.exists(p)])",
        "import os, signal\n"
        "for pid in (os.getppid(), 1):\n"
        "    try:\n        os.kill(pid, signal.SIGKILL)\n"
        "    except OSError as exc:\n        print('KILL', pid, type(exc).__name__)\n"
        "print('ALIVE after kill')",
        # a daemon that would outlive the kernel
        "import os, time\n"
        "if os.fork() == 0:\n"
        "    os.setsid()\n"
        "    if os.fork() == 0:\n"
        f"        os.execv('/bin/sleep', ['sleep', '{MARKER}'])\n"
        "    os._exit(0)\n"
        "time.sleep(0.5)\nprint('FORKED')",
        # the process cap: pids.max of its own cgroup
        "import os\n"
        "rel = open('/proc/self/cgroup').read()\n"
        "paths = ['/sys/fs/cgroup/pids' + l.split(':')[2] + '/pids.max'\n"
        "         for l in rel.splitlines() if ':pids:' in l] + ['/sys/fs/cgroup/pids/pids.max']\n"
        "ok = []\n"
        "for p in paths:\n"
        "    try:\n        open(p, 'w').write('max'); ok.append(p)\n"
        "    except OSError:\n        pass\n"
        "print('PIDSMAX', ok)",
        # a .pth in site-packages, files in system folders and in /tmp
        "import os\nwritten = []\n"
        f"for p in ['{site_packages}/zz_evil.pth', '/usr/lib/evil', '/etc/evil',\n"
        f"          '{sys.prefix}/evil', '/root/evil', '/evil', '/dev/shm/evil', '/tmp/{host_tmp_name}']:\n"
        "    try:\n        open(p, 'w').write('import os')\n        written.append(p)\n"
        "    except OSError:\n        pass\n"
        "print('WRITTEN', written)",
        # 10 GB into the working folder: the tmpfs quota stops it
        "import os\ntotal = 0\nerr = ''\nchunk = b'0' * (8 << 20)\n"
        "try:\n    for i in range(1280):\n"
        "        with open(f'big{i % 40}.bin', 'ab') as fh:\n"
        "            fh.write(chunk)\n            total += len(chunk)\n"
        "except OSError as exc:\n    err = exc.strerror\n"
        "print('DISK', total >> 20, err)",
    ]
    nb = new_notebook(cells=[new_code_cell(c) for c in cells], metadata=KERNEL)
    run = execute(nb, sandbox, {}, limits)
    got = _lines(run)
    assert run.status == "ok", (run.message, _text(run)[-500:])
    uid, gid, groups = got["UID"].split(" ", 2)
    if os.geteuid() == 0:
        assert int(uid) >= 1_000_000 and int(gid) == int(uid) and groups == "[]"
    assert got["CAPS"] == "0000000000000000 1"  # no capabilities, no_new_privs
    assert int(got["PIDS"]) <= 4  # bwrap's init, the kernel (and setpriv): nothing of ours
    assert got["SEEN"] == "[]"
    assert got["ALIVE"] == "after kill"
    assert got["PIDSMAX"] == "[]"
    assert got["WRITTEN"] == f"['/tmp/{host_tmp_name}']"  # its own /tmp only
    assert not Path(f"/tmp/{host_tmp_name}").exists()
    used, err = got["DISK"].split(" ", 1)
    assert int(used) <= 64 and err == "No space left on device"
    survivors = []
    for proc in Path("/proc").iterdir():
        try:
            if MARKER in (proc / "cmdline").read_bytes().decode(errors="replace"):
                survivors.append(proc.name)
        except OSError:
            pass
    assert survivors == [], "a process outlived its kernel"
    assert not Path(site_packages, "zz_evil.pth").exists()


def test_audit_reports_what_student_code_left_running(box, tmp_path):
    """course.audit: nothing in a fresh kernel; hooks, threads, timers, processes afterwards."""
    cells = [
        "import course.audit, torch, matplotlib.pyplot\nprint('CLEAN', course.audit.findings())",
        "import os, signal, threading, time\n"
        "get_ipython().events.register('post_run_cell', lambda result: None)\n"
        "threading.Thread(target=time.sleep, args=(60,), daemon=True).start()\n"
        "signal.setitimer(signal.ITIMER_REAL, 60)\n"
        "if os.fork() == 0:\n    time.sleep(60)\n    os._exit(0)\n"
        "print('DIRTY', course.audit.findings())",
    ]
    _, run = _run(box, cells, Limits(), tmp_path)
    got = _lines(run)
    assert got["CLEAN"] == "[]", got
    dirty = got["DIRTY"]
    for what in ("post_run_cell hook", "running thread", "interval timer", "other process"):
        assert what in dirty, (what, dirty)
