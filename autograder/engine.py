"""The warm engine: kernels forked from a parent that has already imported torch & co.

A cold kernel (autograder.sandbox + autograder.execute) pays, per notebook, for starting
bwrap and Python, importing torch, matplotlib and `course` (about 1.7 s of CPU), and tearing
the interpreter down. The warm engine pays those once per grading process: it starts one
zygote (autograder.zygote) in a bubblewrap sandbox, and the zygote forks each notebook's
kernel, which then enters its own namespaces, view of the file system, limits and uid before
ipykernel starts (the zygote's docstring shows the process tree and the view). One engine
serves every worker thread of a process (and each Dask worker process has its own).

    engine = warm_engine(network=False)            # None: this machine cannot run it
    sandbox = engine.checkout(limits, data, hide)   # a kernel already booted in its sandbox
    execute(notebook, sandbox, expected, limits)    # autograder.execute, as for a cold kernel
    engine.drain()                                  # after a class: end the spare kernels

Spare kernels. Booting a forked kernel (namespaces, view, ipykernel's own start) takes about
0.15 s, which would otherwise sit between two notebooks. `checkout` hands out a kernel that
was booted while the previous notebook ran, and asks the zygote for its replacement at once.
A spare is as fresh as any kernel: forked from the zygote (which never runs student code),
in a sandbox of its own, and it has run nothing but ipykernel's start when it is handed out.
Spares are kept per sandbox configuration (limits, data files, hidden folders), at most one
per core each; one that died is thrown away, never handed out.

It needs what the cold sandbox needs for its strongest form: root (for a uid per kernel) and
a working bwrap. Elsewhere `warm_engine` returns None and grading stays cold; the grades are
the same either way (tests/test_engine.py grades the same class both ways).
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import uuid
from dataclasses import asdict
from pathlib import Path

from jupyter_client.connect import write_connection_file
from jupyter_client.session import new_id_bytes

from autograder.runner import default_workers
from autograder.sandbox import (
    SANDBOX_INPUTS,
    SANDBOX_WORKDIR,
    Limits,
    Sandbox,
    _take_uid,
    hidden_paths,
    kernel_env,
    kill_all,
    python_trees,
    release,
    support,
    write_lib,
    zygote_argv,
)

# What a notebook's setup cell imports (and what ipykernel itself needs), imported once.
PRELOAD = (
    "numpy",
    "torch",
    "torch.nn.functional",
    "matplotlib",
    "matplotlib.pyplot",
    "ipywidgets",
    "IPython",
    "ipykernel.kernelapp",
    "ipykernel.ipkernel",
    "ipykernel.zmqshell",
    "ipykernel.debugger",
    "course",
    "course.audit",
    "course.evidence",
    "course.testing",
    "course.widgets",
    "course.tinygpt",
    "course.tokenizer",
    "course.wordworld",
)
START_TIMEOUT = 180  # s for the zygote's imports, on a loaded machine
KERNEL_ARGS = ["--IPKernelApp.exec_lines=__import__('course.audit').audit.baseline()"]


def _in_trees(path: str) -> bool:
    return any(path == t or path.startswith(t + "/") for t in python_trees())


class WarmProcess:
    """A forked kernel as jupyter_client's LocalProvisioner sees a process (Popen's API)."""

    def __init__(self, engine: Engine, job: str):
        self.engine, self.job = engine, job
        self.pid: int | None = None  # the keeper's pid in the zygote's namespace (not ours)
        self.returncode: int | None = None
        self.stdin = self.stdout = self.stderr = None
        self._ended = threading.Event()

    def _exited(self, status: int) -> None:
        self.returncode = status
        self._ended.set()

    def poll(self) -> int | None:
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        if not self._ended.wait(timeout):
            raise subprocess.TimeoutExpired(f"warm kernel {self.job}", timeout)
        return self.returncode

    def send_signal(self, signum: int) -> None:
        if signum in (signal.SIGKILL, signal.SIGTERM):
            self.kill()
        # SIGINT is never needed: kernels are interrupted by message (autograder.execute)

    def kill(self) -> None:
        self.engine.kill(self.job)
        # the zygote reports the exit within milliseconds; waiting here spares the caller
        # jupyter_client's 0.1 s polling sleep (the caller waits for the exit anyway)
        self._ended.wait(2)

    terminate = kill


class Engine:
    """One zygote and the bookkeeping of the kernels it forked."""

    def __init__(self, network: bool):
        sup = support()
        self.network = network
        self.root = Path(tempfile.mkdtemp(prefix="grade-engine-"))
        self.root.chmod(0o755)
        self.spool = self.root / "spool"  # one folder per notebook being graded
        self.spool.mkdir(mode=0o755)
        write_lib(self.root / "lib")
        engine_dir = self.root / "engine"
        engine_dir.mkdir()
        shutil.copy2(Path(__file__).with_name("zygote.py"), engine_dir / "zygote.py")
        self.cgroup: Path | None = None
        if sup.cgroup_pids is not None:
            self.cgroup = sup.cgroup_pids / f"course-engine-{uuid.uuid4().hex[:12]}"
            try:
                self.cgroup.mkdir()
            except OSError:
                self.cgroup = None
        argv = zygote_argv(self.root / "lib", engine_dir, self.spool, self.cgroup, network)
        argv[0] = sup.bwrap
        self.argv = [*argv, sys.executable, "/sandbox/engine/zygote.py", json.dumps(PRELOAD)]
        self.env = kernel_env("/sandbox/lib", SANDBOX_WORKDIR, SANDBOX_INPUTS)
        self.env["JPY_PARENT_PID"] = "1"  # no parent poller: the keeper's PDEATHSIG instead
        self._lock = threading.Lock()
        self._kernels: dict[str, WarmProcess] = {}
        self._pool_lock = threading.Lock()
        self._spares: dict[str, list[Sandbox]] = {}  # configuration -> booted, unused
        self.max_spares = default_workers()  # per configuration: one per worker thread
        self._ready = threading.Event()
        self._log = open(self.root / "zygote.log", "w+b")
        self.alive = False
        self.proc: subprocess.Popen | None = None
        # bwrap dies with the *thread* that started it (--die-with-parent is per thread), so
        # a thread that lives as long as the engine starts it, not a worker of some pool
        self._owner = threading.Thread(target=self._run, name="warm-engine", daemon=True)
        self._owner.start()
        if not self._ready.wait(START_TIMEOUT) or not self.alive:
            self.close()
            raise RuntimeError(f"the warm engine did not start: {self.log_tail()}")

    def log_tail(self) -> str:
        try:
            self._log.flush()
            return (self.root / "zygote.log").read_text(errors="replace").strip()[-400:]
        except OSError:
            return ""

    def _run(self) -> None:
        try:
            self.proc = subprocess.Popen(
                self.argv,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=self._log,
                env=self.env,
                close_fds=True,
            )
        except OSError as exc:
            self._log.write(f"cannot start bwrap: {exc}\n".encode())
            self._ready.set()
            return
        for line in self.proc.stdout:
            try:
                event = json.loads(line)
            except ValueError:
                continue
            if event.get("event") == "ready":
                self.alive = True
                self._ready.set()
                continue
            with self._lock:
                kernel = self._kernels.get(event.get("job"))
            if kernel is None:
                continue
            if event["event"] == "spawned":
                kernel.pid = event["pid"]
            elif event["event"] == "exited":
                with self._lock:
                    self._kernels.pop(kernel.job, None)
                kernel._exited(int(event["status"]))
        self.proc.wait()
        self.alive = False
        self._ready.set()
        with self._lock:  # the zygote is gone: so are its kernels
            orphans, self._kernels = list(self._kernels.values()), {}
        for kernel in orphans:
            kernel._exited(-signal.SIGKILL)

    def _send(self, message: dict) -> None:
        data = (json.dumps(message) + "\n").encode()
        with self._lock:
            if not self.alive or self.proc is None:
                raise RuntimeError(f"the warm engine has stopped: {self.log_tail()}")
            self.proc.stdin.write(data)
            self.proc.stdin.flush()

    def prepare(
        self, base: Path, limits: Limits, data_files: list[Path], hide: list[Path] = ()
    ) -> Sandbox:
        """The sandbox of one notebook; `base` is an empty folder inside `self.spool`.

        `hide`: folders the kernel must not see (course root, submissions, outputs). The
        zygote's view holds none of them unless one lies inside a Python tree; those are
        covered with an empty, read-only tmpfs in the notebook's view.
        """
        if base.parent != self.spool:
            raise ValueError(f"{base} is not a folder of the engine's spool {self.spool}")
        base.chmod(0o755)
        inputs, ipc, data = base / "inputs", base / "ipc", base / "data"
        for folder in (inputs, ipc, data):
            folder.mkdir(mode=0o755)
        for item in data_files:
            shutil.copy2(item, data / item.name)
        uid = _take_uid()
        os.chown(ipc, uid, uid)  # the kernel creates its sockets here; sealed after start
        cgroup = self.cgroup / base.name if self.cgroup else None
        sandbox = Sandbox(Path(SANDBOX_WORKDIR), inputs, ipc, base, [], cgroup, uid, mode="warm")
        sandbox.engine, sandbox.request = (
            self,
            {
                "op": "spawn",
                "job": base.name,
                "spool": str(self.spool),
                "dir": str(base),
                "ipc": str(ipc),
                "workdir": SANDBOX_WORKDIR,
                "data": [item.name for item in data_files],
                "uid": uid,
                "limits": asdict(limits),
                "disk_bytes": limits.disk_mb * 1024 * 1024,
                "network": limits.network,
                "cgroup": f"/sandbox/cgroup/{base.name}" if cgroup else "",
                "hide": [h for h in hidden_paths(list(hide), keep=[]) if _in_trees(h)],
                "env": self.env,
                "kernel_args": KERNEL_ARGS,
            },
        )
        return sandbox

    def spawn(self, sandbox: Sandbox, connection_file: str) -> WarmProcess:
        """Fork the notebook's kernel on `connection_file` (already written by the manager)."""
        kernel = WarmProcess(self, sandbox.request["job"])
        with self._lock:
            self._kernels[kernel.job] = kernel
        self._send({**sandbox.request, "connection_file": connection_file})
        return kernel

    def boot(self, limits: Limits, data_files: list[Path], hide: list[Path] = ()) -> Sandbox:
        """A new sandbox (in the spool) with its kernel forked now, booting in the background.

        The connection file is written here (as jupyter_client's manager would: ipc transport,
        a fresh HMAC key); the manager of autograder.execute loads it and adopts the kernel
        (`sandbox.kernel`) instead of launching one.
        """
        base = Path(tempfile.mkdtemp(prefix="grade-", dir=self.spool))
        try:
            sandbox = self.prepare(base, limits, data_files, hide)
            connection_file = str(sandbox.ipc / "kernel.json")
            write_connection_file(
                connection_file,
                transport="ipc",
                ip=str(sandbox.ipc / "kernel-ipc"),
                key=new_id_bytes(),
                signature_scheme="hmac-sha256",
            )
            sandbox.kernel = self.spawn(sandbox, connection_file)
        except BaseException:
            shutil.rmtree(base, ignore_errors=True)
            raise
        return sandbox

    def checkout(self, limits: Limits, data_files: list[Path], hide: list[Path] = ()) -> Sandbox:
        """A booted kernel's sandbox for one notebook (a spare if there is one), and a new
        spare for the next notebook of the same configuration. The caller owns the sandbox:
        execute() ends its kernel, the caller removes `sandbox.home`."""
        key = json.dumps(
            [asdict(limits), sorted(map(str, data_files)), sorted(map(str, hide))], sort_keys=True
        )
        sandbox = None
        while sandbox is None:
            with self._pool_lock:
                spares = self._spares.setdefault(key, [])
                spare = spares.pop(0) if spares else None
            if spare is None:
                sandbox = self.boot(limits, data_files, hide)
            elif spare.kernel.poll() is None:
                sandbox = spare
            else:  # it died waiting (its zygote did): never hand it out
                self.discard(spare)
        with self._pool_lock:
            wanted = len(self._spares[key]) < self.max_spares
        if wanted:
            try:
                spare = self.boot(limits, data_files, hide)
            except (RuntimeError, OSError):
                spare = None  # no spare: the next notebook boots its own (and says why)
            if spare is not None:
                with self._pool_lock:
                    self._spares[key].append(spare)
        return sandbox

    def discard(self, sandbox: Sandbox) -> None:
        """End an unused kernel and remove its sandbox."""
        self.kill(sandbox.request["job"])
        sandbox.kernel._ended.wait(2)
        kill_all(sandbox)
        release(sandbox)
        shutil.rmtree(sandbox.home, ignore_errors=True)

    def drain(self) -> None:
        """End every spare kernel (after a class is graded; the next run boots its own)."""
        with self._pool_lock:
            spares = [s for group in self._spares.values() for s in group]
            self._spares.clear()
        for sandbox in spares:
            self.discard(sandbox)

    def kill(self, job: str) -> None:
        """End a notebook's kernel and everything in its namespace (the keeper first)."""
        try:
            self._send({"op": "kill", "job": job})
        except (RuntimeError, OSError):
            pass
        if self.cgroup is not None:  # what might still run in the notebook's pids cgroup
            procs = self.cgroup / job / "cgroup.procs"
            try:
                pids = [int(p) for p in procs.read_text().split()]
            except OSError:
                pids = []
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass

    def close(self) -> None:
        self.drain()
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self._owner.join(timeout=10)
        self._log.close()
        if self.cgroup is not None:
            for leftover in sorted(self.cgroup.glob("*/"), reverse=True):
                try:
                    leftover.rmdir()
                except OSError:
                    pass
            try:
                self.cgroup.rmdir()
            except OSError:
                pass
        shutil.rmtree(self.root, ignore_errors=True)


_ENGINES: dict[bool, Engine] = {}
_ENGINES_LOCK = threading.Lock()
_FAILED: dict[bool, str] = {}


def available() -> str:
    """Empty if this machine can run the warm engine, else why not (English)."""
    sup = support()
    if not sup.bwrap:
        return "no working bubblewrap"
    if not sup.own_uid:
        return "not root: the warm engine gives each kernel its own uid, which needs root"
    return ""


def warm_engine(network: bool = False) -> Engine | None:
    """This process's engine (started on first use, kept until exit), or None if it cannot run.

    `why_cold()` says why it is None.
    """
    if available():
        return None
    with _ENGINES_LOCK:
        engine = _ENGINES.get(network)
        if engine is not None and engine.alive:
            return engine
        if engine is not None:  # its zygote died (killed, out of memory): start another
            engine.close()
        if network in _FAILED:
            return None
        try:
            engine = Engine(network)
        except (RuntimeError, OSError) as exc:
            _FAILED[network] = str(exc)
            return None
        _ENGINES[network] = engine
        return engine


def prestart(network: bool = False) -> threading.Thread:
    """Start this process's engine in the background (its ~4 s of imports overlap the caller's
    own set-up, e.g. the gradebook); the first `warm_engine` call then waits for it."""
    thread = threading.Thread(target=warm_engine, args=(network,), name="engine-start", daemon=True)
    thread.start()
    return thread


def drain() -> None:
    """End the spare kernels of this process's engines (grade_class calls it at the end)."""
    with _ENGINES_LOCK:
        engines = list(_ENGINES.values())
    for engine in engines:
        engine.drain()


def why_cold() -> str:
    return available() or "; ".join(_FAILED.values())


@atexit.register
def shutdown() -> None:
    """Stop every engine of this process (tests call it; exit does too)."""
    with _ENGINES_LOCK:
        engines = list(_ENGINES.values())
        _ENGINES.clear()
        _FAILED.clear()
    for engine in engines:
        engine.close()
