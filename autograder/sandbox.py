"""The sandbox a submission's kernel runs in: limits, a private folder, no instructor files.

Every kernel is started through a small launcher script (written next to the sandbox, never
visible to the kernel) that applies the limits and then becomes the kernel. With bubblewrap
(`bwrap`, Debian package `bubblewrap`, what Flatpak relies on) the kernel gets:

    python launch.py config.json <connection file>   (the grader's user, on the host)
        join a pids cgroup                           process cap (where cgroups allow)
        setrlimit AS / CPU / FSIZE / NPROC / CORE    memory, CPU time, file size, processes
        exec bwrap                                   new PID, IPC, UTS, cgroup, network and
                                                     mount namespaces; dies with the grader
            /usr /etc, Python's prefix               read-only binds: nothing else is mounted
            /tmp (its workdir is /tmp/work)          a private, size-capped tmpfs
            /sandbox/lib, /sandbox/inputs            `course` copy; the checks' inputs (read-only)
            <ipc folder>                             the kernel's sockets (sealed once it runs)
            /proc                                    a new procfs: only the sandbox's processes
            setpriv (as root)                        own unprivileged uid, no capabilities,
                                                     no_new_privs
                python -m ipykernel_launcher -f <connection file>

When the kernel ends, bwrap ends and the kernel takes every process of its PID namespace with
it (double forks, setsid, daemons). Without bwrap the launcher falls back to `unshare` (root
only: empty tmpfs over the hidden folders) or to nothing but an import blocker; `support()`
says which, and `autograder grade` prints it on stderr. See the README ("Sandbox").
"""

from __future__ import annotations

import functools
import itertools
import json
import os
import shutil
import site
import subprocess
import sys
import threading
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path

from course.channel import EVIDENCE_DIR_ENV

SANDBOX_LIB = "/sandbox/lib"  # paths inside a bwrap sandbox
SANDBOX_INPUTS = "/sandbox/inputs"
SANDBOX_WORKDIR = "/tmp/work"
FIRST_UID = 1_000_000  # kernels as root get uids from here on: no account, no files, no peers


@dataclass(frozen=True)
class Limits:
    """Per-notebook limits, each an `autograder grade` option (--help)."""

    cell_timeout: int = 60  # s of wall clock per cell; the cell is interrupted, the run goes on
    notebook_timeout: int = 300  # s of wall clock per notebook; the kernel is killed
    memory_mb: int = 3072  # address space of the kernel (RLIMIT_AS); torch needs ~1 GB
    cpu_seconds: int = 240  # CPU time of the kernel (RLIMIT_CPU): then errors; +10 s: killed
    max_processes: int = 64  # tasks in the kernel's pids cgroup (or RLIMIT_NPROC as non-root)
    max_file_mb: int = 64  # largest file the kernel may write (RLIMIT_FSIZE)
    max_output_kb: int = 2048  # outputs kept per notebook; the rest is dropped with a note
    max_evidence_mb: int = 64  # evidence per grade cell; larger scores 0 (malformed)
    network: bool = False  # False: a private network namespace with no interfaces up
    disk_mb: int = 512  # size of the kernel's private tmpfs (/tmp, its workdir): bwrap only


@dataclass(frozen=True)
class Support:
    """What this machine allows; measured once per process."""

    bwrap: str | None  # a working bubblewrap: the full sandbox
    own_uid: bool  # kernels run as their own unprivileged uid (needs root and setpriv)
    namespaces: bool  # network and mount namespaces (bwrap, or `unshare` as root)
    cgroup_pids: Path | None  # a writable pids cgroup v1 folder for the process cap
    notes: tuple[str, ...] = field(default_factory=tuple)


def _system_binds() -> list[str]:
    """bwrap arguments for the read-only system: /usr, /etc, the usual top-level links."""
    args = ["--ro-bind", "/usr", "/usr", "--ro-bind", "/etc", "/etc"]
    for top in ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"):
        if os.path.islink(top):
            args += ["--symlink", os.readlink(top), top]
        elif os.path.isdir(top):
            args += ["--ro-bind", top, top]
    return args


def python_trees() -> list[str]:
    """Folders the kernel's Python needs (interpreter, standard library, site-packages)."""
    trees = {sys.prefix, sys.base_prefix, *site.getsitepackages()}
    trees.add(str(Path(os.path.realpath(sys.executable)).parent.parent))
    resolved = sorted({os.path.realpath(t) for t in trees if os.path.isdir(t)})
    kept: list[str] = []
    for tree in resolved:  # sorted: a parent comes before its children
        if tree in ("/", "/usr", "/etc") or any(tree.startswith(k + "/") for k in kept):
            continue
        if tree.startswith(("/usr/", "/etc/")):
            continue
        kept.append(tree)
    return kept


def _probe_bwrap(own_uid: bool) -> tuple[bool, str]:
    cmd = ["bwrap", "--unshare-pid", "--unshare-net", "--die-with-parent", *_system_binds()]
    for tree in python_trees():
        cmd += [*_mkdirs(tree, set()), "--ro-bind", tree, tree]
    cmd += ["--proc", "/proc", "--dev", "/dev", "--"]
    if own_uid:
        cmd += _setpriv(FIRST_UID)
    cmd += [sys.executable, "-c", "pass"]
    try:
        probe = subprocess.run(cmd, capture_output=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return False, str(exc)
    return probe.returncode == 0, probe.stderr.decode(errors="replace").strip()[:200]


@functools.cache
def support() -> Support:
    notes = []
    is_linux = sys.platform.startswith("linux")
    own_uid = is_linux and os.geteuid() == 0 and shutil.which("setpriv") is not None
    bwrap = None
    if is_linux and shutil.which("bwrap"):
        works, why = _probe_bwrap(own_uid)
        if works:
            bwrap = shutil.which("bwrap")
        else:
            notes.append(f"bwrap is installed but cannot start a sandbox here ({why})")
    else:
        notes.append("no bubblewrap (apt-get install bubblewrap)")
    namespaces = bwrap is not None
    if bwrap is None:
        if is_linux and shutil.which("unshare"):
            probe = subprocess.run(
                ["unshare", "--mount", "--net", "--propagation", "private", "true"],
                capture_output=True,
            )
            namespaces = probe.returncode == 0
        notes.append(
            "kernels run as the grader's user, see the host's processes and /tmp, and can "
            "write wherever that user can"
            + (
                "; instructor folders are covered by empty tmpfs and the network is cut"
                if namespaces
                else "; instructor files are hidden only by an import blocker and the network "
                "is not cut"
            )
        )
    elif not own_uid:
        notes.append(
            "not root: kernels run in a user namespace as the grader's user (no separate uid)"
        )
    cgroup = None
    base = Path("/sys/fs/cgroup/pids")  # the cgroup v1 pids hierarchy
    if (base / "cgroup.procs").exists() and os.access(base, os.W_OK):
        cgroup = base
    if cgroup is None:
        notes.append(
            "no writable pids cgroup: the process cap uses RLIMIT_NPROC"
            + (", per kernel uid" if own_uid and bwrap else ", which does not bind root")
        )
    return Support(bwrap, own_uid and bwrap is not None, namespaces, cgroup, tuple(notes))


LAUNCHER = r'''
"""Sandbox launcher for one grading kernel (generated by the grader; runs before the kernel)."""
import json, os, resource, subprocess, sys

cfg = json.load(open(sys.argv[1]))
if cfg["mode"] == "unshare":
    for path in cfg["hide"]:
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k,mode=000", "tmpfs", path],
                       check=False, capture_output=True)
if cfg["cgroup"]:
    try:
        with open(os.path.join(cfg["cgroup"], "cgroup.procs"), "w") as fh:
            fh.write(str(os.getpid()))
    except OSError:
        pass
if cfg["uid"] is not None:  # the kernel's own uid reads the connection file
    os.chown(sys.argv[2], cfg["uid"], cfg["uid"])
limits = cfg["limits"]
mb = 1024 * 1024
cpu = limits["cpu_seconds"]  # soft: SIGXCPU (an exception in the kernel); hard: killed
for name, soft, hard in (("RLIMIT_AS", limits["memory_mb"] * mb, limits["memory_mb"] * mb),
                         ("RLIMIT_CPU", cpu, cpu + 10),
                         ("RLIMIT_FSIZE", limits["max_file_mb"] * mb, limits["max_file_mb"] * mb),
                         ("RLIMIT_NPROC", limits["max_processes"], limits["max_processes"]),
                         ("RLIMIT_CORE", 0, 0)):
    try:
        resource.setrlimit(getattr(resource, name), (soft, hard))
    except (ValueError, OSError, AttributeError):
        pass
if cfg["mode"] != "bwrap":
    os.chdir(cfg["workdir"])
env = dict(cfg["env"])
if cfg["mode"] == "bwrap":  # --die-with-parent replaces ipykernel's parent poller (1: none)
    env["JPY_PARENT_PID"] = "1"
else:
    env.update({k: v for k, v in os.environ.items() if k.startswith("JPY_")})
kernel = [cfg["python"], "-m", "ipykernel_launcher", "-f", sys.argv[2],
          "--IPKernelApp.exec_lines=__import__('course.audit').audit.baseline()"]
argv = [*cfg["wrap"], *kernel]
os.execve(argv[0], argv, env)
'''

BLOCKER = r'''
"""Startup hook of a grading kernel: no instructor package here; CPU cap raises an error."""
import importlib.abc, sys

class _NoInstructorCode(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "autograder" or name.startswith("autograder."):
            raise ModuleNotFoundError(f"No module named {name!r}")
        return None

sys.meta_path.insert(0, _NoInstructorCode())

import signal

def _cpu_exhausted(signum, frame):  # RLIMIT_CPU's soft limit: say so instead of dying
    raise TimeoutError("CPU time limit exceeded (RLIMIT_CPU)")

if hasattr(signal, "SIGXCPU"):
    signal.signal(signal.SIGXCPU, _cpu_exhausted)
'''


@dataclass
class Sandbox:
    """The folders and files of one kernel's sandbox (created by `prepare`)."""

    workdir: Path  # the kernel's cwd and HOME as the kernel sees it
    inputs: Path  # host folder for the checks' inputs (read-only to the kernel under bwrap)
    ipc: Path  # host folder for the connection file and the kernel's sockets
    home: Path  # sandbox files the kernel never needs to see (launcher, config)
    argv: list[str]
    cgroup: Path | None
    uid: int | None = None  # the kernel's own uid (bwrap as root), released by `release`
    mode: str = "bwrap"  # bwrap | unshare | none | warm (forked by autograder.engine)
    engine: object = None  # warm: the autograder.engine.Engine that forks the kernel
    request: dict = field(default_factory=dict)  # warm: what the zygote is asked to build
    kernel: object = None  # warm: its WarmProcess, forked by Engine.boot before execute()

    def seal(self) -> None:
        """Once the kernel has bound its sockets: it may no longer add files to the ipc folder."""
        if self.uid is not None:
            os.chown(self.ipc, os.geteuid(), os.getegid())
            self.ipc.chmod(0o755)


_UIDS_LOCK = threading.Lock()
_UIDS_IN_USE: set[int] = set()
_UID_COUNTER = itertools.count()


def _take_uid() -> int:
    """A uid no account, file or other running kernel has: separate processes (per-uid
    RLIMIT_NPROC) and no signals between sandboxes. Grading processes differ by pid."""
    with _UIDS_LOCK:
        while True:
            uid = FIRST_UID + (os.getpid() % 100_000) * 1000 + next(_UID_COUNTER) % 1000
            if uid not in _UIDS_IN_USE:
                _UIDS_IN_USE.add(uid)
                return uid


def kernel_env(sandbox_lib: str, workdir: str, inputs: str) -> dict[str, str]:
    """The kernel's whole environment: nothing inherited but PATH and the locale."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "C.UTF-8",
        "HOME": workdir,
        "TMPDIR": f"{workdir}/tmp",
        "PYTHONPATH": sandbox_lib,
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONNOUSERSITE": "1",
        "MPLBACKEND": "Agg",
        "MPLCONFIGDIR": f"{workdir}/tmp",
        "OMP_NUM_THREADS": "1",
        "NBGRADER_EXECUTION": "autograde",  # notebooks shrink their demos while graded
        EVIDENCE_DIR_ENV: inputs,
    }


def _course_package() -> Path:
    import course

    return Path(course.__file__).parent


def write_lib(lib: Path) -> None:
    """What a kernel finds on its PYTHONPATH: a copy of `course` and the import blocker."""
    shutil.copytree(
        _course_package(),
        lib / "course",
        ignore=shutil.ignore_patterns("__pycache__", "checkpoints"),
    )
    checkpoints = _course_package() / "checkpoints"
    if checkpoints.is_dir():  # read-only data the notebooks may load
        shutil.copytree(checkpoints, lib / "course" / "checkpoints")
    (lib / "sitecustomize.py").write_text(BLOCKER)


def hidden_paths(extra: list[Path], keep: list[Path]) -> list[str]:
    """Folders to cover with an empty tmpfs: the instructor package, the course root, the
    submissions and the outputs — but never one that holds the sandbox or Python itself."""
    import autograder

    candidates = [Path(autograder.__file__).parent, *extra]
    keep_resolved = [k.resolve() for k in [*keep, Path(sys.prefix), Path(sys.base_prefix)]]
    hide = []
    for path in candidates:
        path = path.resolve()
        if not path.is_dir():
            continue
        if any(k == path or path in k.parents for k in keep_resolved):
            continue  # covering it would cover something the kernel needs
        hide.append(str(path))
    return sorted(set(hide))


def _mkdirs(path: str, made: set[str]) -> list[str]:
    """bwrap arguments creating `path`'s missing ancestors world-traversable (bwrap's own
    default is 0700, which an unprivileged kernel could not walk through)."""
    args = []
    parts = Path(path).parts
    for i in range(2, len(parts)):
        parent = str(Path(*parts[:i]))
        if parent not in made:
            made.add(parent)
            args += ["--perms", "0755", "--dir", parent]
    return args


def _setpriv(uid: int) -> list[str]:
    return [
        "setpriv",
        f"--reuid={uid}",
        f"--regid={uid}",
        "--clear-groups",
        "--inh-caps=-all",
        "--bounding-set=-all",
        "--no-new-privs",
        "--",
    ]


def _bwrap_base(network: bool, user_namespace: bool) -> tuple[list[str], set[str]]:
    """bwrap's namespaces and the read-only system and Python trees, shared by both engines."""
    args = ["bwrap", "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try"]
    if not network:
        args.append("--unshare-net")
    if user_namespace:  # not root: a user namespace, all capabilities dropped by bwrap
        args += ["--unshare-user", "--cap-drop", "ALL"]
    args += ["--die-with-parent", "--new-session", *_system_binds()]
    made = {"/usr", "/etc", "/tmp"}
    trees = python_trees()
    for tree in trees:
        args += [*_mkdirs(tree, made), "--ro-bind", tree, tree]
    return args, made


def zygote_argv(
    sandbox_lib: Path, engine_dir: Path, spool: Path, cgroup: Path | None, network: bool
) -> list[str]:
    """bwrap's command line for the warm engine's parent (autograder.zygote), run as root.

    Root keeps its capabilities inside (the zygote builds each kernel's namespaces and then
    drops them for good); the spool, where each notebook's inputs and sockets live, is bound
    at its host path; /sandbox/inputs, /sandbox/ipc and /sandbox/data are empty mount points.
    """
    args, made = _bwrap_base(network, user_namespace=False)
    trees = python_trees()
    for hidden in hidden_paths([], keep=[]):  # `autograder` itself, if inside a Python tree
        if any(hidden == t or hidden.startswith(t + "/") for t in trees):
            args += ["--tmpfs", hidden, "--remount-ro", hidden]
    args += ["--proc", "/proc", "--dev", "/dev", "--perms", "1777", "--tmpfs", "/tmp"]
    args += [*_mkdirs(SANDBOX_LIB, made), "--ro-bind", str(sandbox_lib), SANDBOX_LIB]
    args += ["--ro-bind", str(engine_dir), "/sandbox/engine"]
    for point in (SANDBOX_INPUTS, "/sandbox/ipc", "/sandbox/data"):
        args += ["--dir", point]
    if cgroup is not None:
        args += ["--bind", str(cgroup), "/sandbox/cgroup"]
    args += [*_mkdirs(str(spool), made), "--bind", str(spool), str(spool)]
    return [*args, "--chdir", "/", "--"]


def _bwrap_argv(
    sandbox_lib: Path,
    inputs: Path,
    ipc: Path,
    data_files: list[Path],
    hide: list[Path],
    limits: Limits,
    uid: int | None,
) -> list[str]:
    """bwrap's command line: what the kernel sees and which namespaces it gets."""
    args, made = _bwrap_base(limits.network, user_namespace=uid is None)
    trees = python_trees()
    # an `autograder` installed into site-packages (or a course root inside a Python tree)
    for hidden in hidden_paths(hide, keep=[]):
        if any(hidden == t or hidden.startswith(t + "/") for t in trees):
            args += ["--tmpfs", hidden, "--remount-ro", hidden]
    args += ["--proc", "/proc", "--dev", "/dev"]
    args += ["--size", str(limits.disk_mb * 1024 * 1024), "--perms", "1777", "--tmpfs", "/tmp"]
    args += ["--perms", "1777", "--dir", SANDBOX_WORKDIR]
    args += ["--perms", "1777", "--dir", f"{SANDBOX_WORKDIR}/tmp"]
    args += [*_mkdirs(SANDBOX_LIB, made), "--ro-bind", str(sandbox_lib), SANDBOX_LIB]
    args += ["--ro-bind", str(inputs), SANDBOX_INPUTS]
    args += [*_mkdirs(str(ipc), made), "--bind", str(ipc), str(ipc)]
    for data in data_files:  # the assignment's data files, read-only in the workdir
        args += ["--ro-bind", str(data), f"{SANDBOX_WORKDIR}/{data.name}"]
    args += ["--chdir", SANDBOX_WORKDIR, "--"]
    if uid is not None:
        args += _setpriv(uid)
    return args


def prepare(
    base: Path, limits: Limits, hide: list[Path], data_files: list[Path] | None = None
) -> Sandbox:
    """Create the sandbox's host folders under `base` and the launcher's command line.

    `hide`: folders the kernel must not see (course root, submissions, outputs). `data_files`:
    files the kernel finds in its working folder (read-only under bwrap).
    """
    sup = support()
    data_files = list(data_files or [])
    home, inputs, ipc = base / "sandbox", base / "inputs", base / "ipc"
    for folder in (home, inputs, ipc):
        folder.mkdir(parents=True)
    inputs.chmod(0o755)
    lib = home / "lib"
    write_lib(lib)
    cgroup = None
    if sup.cgroup_pids is not None:
        cgroup = sup.cgroup_pids / f"course-grade-{uuid.uuid4().hex[:12]}"
        try:
            cgroup.mkdir()
            (cgroup / "pids.max").write_text(str(limits.max_processes))
        except OSError:
            cgroup = None
    uid = None
    if sup.bwrap:
        mode = "bwrap"
        if sup.own_uid:
            uid = _take_uid()
            os.chown(ipc, uid, uid)  # the kernel creates its sockets here; sealed after start
        workdir = Path(SANDBOX_WORKDIR)
        env = kernel_env(SANDBOX_LIB, SANDBOX_WORKDIR, SANDBOX_INPUTS)
        wrap = _bwrap_argv(lib, inputs, ipc, data_files, hide, limits, uid)
        wrap[0] = sup.bwrap
    else:
        mode = "unshare" if sup.namespaces else "none"
        workdir = base / "work"
        (workdir / "tmp").mkdir(parents=True)
        for data in data_files:
            shutil.copy2(data, workdir / data.name)
        env = kernel_env(str(lib), str(workdir), str(inputs))
        wrap = []
    config = {
        "mode": mode,
        "hide": hidden_paths(hide, keep=[base, lib]) if mode == "unshare" else [],
        "cgroup": str(cgroup) if cgroup else "",
        "uid": uid,
        "limits": asdict(limits),
        "workdir": str(workdir),
        "python": sys.executable,
        "env": env,
        "wrap": wrap,
    }
    (home / "config.json").write_text(json.dumps(config))
    (home / "launch.py").write_text(LAUNCHER)
    argv = [sys.executable, str(home / "launch.py"), str(home / "config.json"), "{connection_file}"]
    if mode == "unshare":
        unshare = ["unshare", "--mount", "--propagation", "private"]
        if not limits.network:
            unshare.append("--net")
        argv = [*unshare, "--", *argv]
    return Sandbox(workdir, inputs, ipc, home, argv, cgroup, uid, mode)


def kill_all(sandbox: Sandbox) -> None:
    """Kill every process left in the sandbox's cgroup, then remove the cgroup.

    Under bwrap the PID namespace already ends with the kernel; the cgroup catches the rest.
    """
    if sandbox.cgroup is None:
        return
    import signal

    for _ in range(5):
        try:
            pids = [int(p) for p in (sandbox.cgroup / "cgroup.procs").read_text().split()]
        except OSError:
            break
        if not pids:
            break
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
    try:
        sandbox.cgroup.rmdir()
    except OSError:
        pass


def release(sandbox: Sandbox) -> None:
    """After kill_all: the sandbox's uid may be given to another kernel."""
    if sandbox.uid is not None:
        with _UIDS_LOCK:
            _UIDS_IN_USE.discard(sandbox.uid)
