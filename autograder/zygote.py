"""The warm parent of grading kernels: imports torch & co. once, forks one kernel per notebook.

This file runs *inside* a bubblewrap sandbox that autograder.engine starts (it is copied there;
the `autograder` package itself is hidden from it). It never runs student code. For each
notebook it is asked to grade, it forks this tree (pids as each process sees itself):

    zygote        root in bwrap's namespaces; has imported the preload list; only forks
      keeper      new mount, PID, IPC, UTS, cgroup (and network) namespaces; builds the
                  notebook's view of the file system (below), joins the notebook's pids
                  cgroup, then waits for init and exits with its status
        init      PID 1 of the notebook's PID namespace: mounts its /proc, reaps orphans;
                  when it exits, the kernel takes every process of the namespace with it
          kernel  PID 2: rlimits, new session, its own uid and gid, no capabilities (bounding
                  set emptied), no_new_privs; then ipykernel, in-process, on the connection file

The kernel's view is the one `autograder.sandbox` gives a cold kernel: /usr, /etc and Python
read-only; a fresh, size-capped tmpfs on /tmp (workdir /tmp/work, data files read-only in it);
the checks' inputs read-only at /sandbox/inputs; the `course` copy read-only at /sandbox/lib;
the kernel's socket folder at its host path; a fresh devpts; its own /proc. Every
other writable mount of the zygote is made read-only or detached in the keeper's namespace,
and the spool of other notebooks, this file and the cgroup folder are detached, so nothing one
notebook writes is visible to the next. Memory is copy-on-write: what a kernel changes in
modules the zygote imported stays in that kernel.

Protocol (JSON lines): the grader writes {"op": "spawn", "job": ..., ...} or
{"op": "kill", "job": ...} on our stdin; we answer {"event": "ready"} once, then
{"job": ..., "event": "spawned", "pid": ...} and {"job": ..., "event": "exited",
"status": ...} on what was our stdout (fds 0-2 are pointed elsewhere, so that a library
printing cannot corrupt the protocol).
"""

import ctypes
import errno
import fcntl
import importlib
import json
import os
import resource
import selectors
import signal
import socket
import struct
import sys

MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 32, 4096, 16384, 1 << 18
MNT_DETACH = 2
CLONE_NEWNS, CLONE_NEWCGROUP, CLONE_NEWUTS = 0x20000, 0x02000000, 0x04000000
CLONE_NEWIPC, CLONE_NEWPID, CLONE_NEWNET = 0x08000000, 0x20000000, 0x40000000
PR_SET_PDEATHSIG, PR_CAPBSET_DROP, PR_SET_NO_NEW_PRIVS = 1, 24, 38
SIOCGIFFLAGS, SIOCSIFFLAGS, IFF_UP = 0x8913, 0x8914, 0x1

_libc = ctypes.CDLL(None, use_errno=True)
_libc.mount.argtypes = [ctypes.c_char_p] * 3 + [ctypes.c_ulong, ctypes.c_char_p]
_libc.umount2.argtypes = [ctypes.c_char_p, ctypes.c_int]
_libc.prctl.argtypes = [ctypes.c_int] + [ctypes.c_ulong] * 4


def _check(result: int, what: str) -> None:
    if result != 0:
        code = ctypes.get_errno()
        raise OSError(code, f"{what}: {os.strerror(code)}")


def _bytes(text):
    return None if text is None else os.fsencode(text)


def mount(source, target, fstype, flags=0, data=None) -> None:
    result = _libc.mount(_bytes(source), _bytes(target), _bytes(fstype), flags, _bytes(data))
    _check(result, f"mount {target}")


def bind(source: str, target: str, readonly: bool) -> None:
    mount(source, target, None, MS_BIND | MS_REC)
    if readonly:  # a bind mount takes flags only on a second, remounting call
        mount(None, target, None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV)


def remount_readonly(target: str) -> None:
    mount(None, target, None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV)


def detach(target: str) -> None:
    _check(_libc.umount2(_bytes(target), MNT_DETACH), f"umount {target}")


def prctl(option: int, arg: int = 0) -> None:
    _check(_libc.prctl(option, arg, 0, 0, 0), f"prctl {option}")


def _loopback_up() -> None:
    """A new network namespace starts with `lo` down; bwrap brings it up, so do we."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        request = struct.pack("16sH14x", b"lo", 0)
        flags = struct.unpack("16sH14x", fcntl.ioctl(sock, SIOCGIFFLAGS, request))[1]
        fcntl.ioctl(sock, SIOCSIFFLAGS, struct.pack("16sH14x", b"lo", flags | IFF_UP))


def _writable_mounts() -> list[str]:
    """Mount points of this namespace that are writable, deepest last."""
    points = []
    with open("/proc/self/mountinfo", encoding="utf-8") as fh:
        for line in fh:
            fields = line.split()
            target, options = fields[4], fields[5].split(",")
            if "ro" not in options:
                points.append(target.encode().decode("unicode_escape"))
    return points


def build_view(req: dict) -> None:
    """In the keeper, as root in a new mount namespace: the notebook's file system."""
    spool, job_dir = req["spool"], req["dir"]
    mount(None, "/", None, MS_REC | MS_PRIVATE)  # nothing we do here reaches the zygote
    bind(f"{job_dir}/inputs", "/sandbox/inputs", readonly=True)
    bind(f"{job_dir}/ipc", "/sandbox/ipc", readonly=False)
    bind(f"{job_dir}/data", "/sandbox/data", readonly=True)
    for private in ("/sandbox/engine", "/sandbox/cgroup", spool):
        if os.path.ismount(private):
            detach(private)  # this file, the cgroups, the other notebooks' folders
    mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, f"size={req['disk_bytes']},mode=1777")
    for folder in (req["workdir"], f"{req['workdir']}/tmp"):
        os.mkdir(folder)
        os.chmod(folder, 0o1777)
    for name in req["data"]:  # read-only files in the workdir, as bwrap's --ro-bind
        target = f"{req['workdir']}/{name}"
        open(target, "w").close()
        bind(f"/sandbox/data/{name}", target, readonly=True)
    ipc = req["ipc"]
    if not ipc.startswith("/tmp/"):  # the spool lives elsewhere: a fresh tmpfs there
        mount("tmpfs", spool, "tmpfs", MS_NOSUID | MS_NODEV, "size=1m,mode=0755")
    os.makedirs(ipc, mode=0o755, exist_ok=True)
    bind("/sandbox/ipc", ipc, readonly=False)  # sockets at the path the grader connects to
    detach("/sandbox/ipc")
    detach("/sandbox/data")
    for hidden in req["hide"]:  # instructor folders inside a Python tree: covered
        if os.path.isdir(hidden):
            mount("tmpfs", hidden, "tmpfs", MS_NOSUID | MS_NODEV, "size=4k,mode=000")
    if os.path.isdir("/dev/pts"):
        mount("devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666")
    fresh = {"/tmp", "/dev/pts", "/proc", ipc, "/sandbox/inputs"}
    fresh |= {f"{req['workdir']}/{name}" for name in req["data"]}
    for point in _writable_mounts():  # whatever else the zygote could write: read-only here
        if point not in fresh and not point.startswith(("/proc/", "/dev/")):
            remount_readonly(point)
    remount_readonly("/dev")  # with its empty /dev/shm: not writable, as in a cold sandbox


def _limit(limits: dict) -> None:
    mb = 1024 * 1024
    cpu = limits["cpu_seconds"]  # soft: SIGXCPU (an exception in the kernel); hard: killed
    for name, soft, hard in (
        ("RLIMIT_AS", limits["memory_mb"] * mb, limits["memory_mb"] * mb),
        ("RLIMIT_CPU", cpu, cpu + 10),
        ("RLIMIT_FSIZE", limits["max_file_mb"] * mb, limits["max_file_mb"] * mb),
        ("RLIMIT_NPROC", limits["max_processes"], limits["max_processes"]),
        ("RLIMIT_CORE", 0, 0),
    ):
        resource.setrlimit(getattr(resource, name), (soft, hard))


def _drop_privileges(uid: int) -> None:
    """Own uid and gid, no supplementary groups, no capabilities now or after any exec."""
    with open("/proc/sys/kernel/cap_last_cap", encoding="ascii") as fh:
        last = int(fh.read())
    for cap in range(last + 1):
        prctl(PR_CAPBSET_DROP, cap)
    os.setgroups([])
    os.setresgid(uid, uid, uid)
    os.setresuid(uid, uid, uid)  # from root to non-root: permitted and effective caps cleared
    prctl(PR_SET_NO_NEW_PRIVS, 1)
    with open("/proc/self/status", encoding="ascii") as fh:
        caps = [line.split()[1] for line in fh if line.startswith("Cap")]
    if any(int(c, 16) for c in caps) or os.getuid() != uid:
        raise OSError(errno.EPERM, "privileges were not dropped")


def run_kernel(req: dict, log: int) -> None:
    """In the kernel process (PID 2): limits, credentials, environment, then ipykernel."""
    os.setsid()
    os.chown(req["connection_file"], req["uid"], req["uid"])  # the kernel reads it as itself
    _limit(req["limits"])
    os.chdir(req["workdir"])
    _drop_privileges(req["uid"])
    prctl(PR_SET_PDEATHSIG, signal.SIGKILL)  # cleared by the uid change: set it afterwards
    os.environ.clear()
    os.environ.update(req["env"])
    sys.path[0] = req["workdir"]  # as `python -m ipykernel_launcher` started in the workdir
    if "numpy" in sys.modules:  # a cold kernel's global NumPy RNG is seeded from the OS
        sys.modules["numpy"].random.seed()
    from ipykernel.kernelapp import IPKernelApp

    os.close(log)  # nothing of the grader's reaches student code
    sys.argv = ["ipykernel_launcher", "-f", req["connection_file"], *req["kernel_args"]]
    IPKernelApp.launch_instance(argv=sys.argv[1:])


def _init(kernel: int) -> int:
    """PID 1: reap every process until the kernel has ended; return its exit code."""
    while True:
        try:
            pid, status = os.wait()
        except ChildProcessError:
            return 1
        if pid == kernel:
            return os.waitstatus_to_exitcode(status)


def keeper(req: dict) -> None:
    """The forked child of the zygote: namespaces and view, then init and kernel."""
    code = 1
    try:
        devnull = os.open("/dev/null", os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(devnull, fd)
        os.closerange(3, 65536)  # the zygote's protocol pipes and selector stay with it
        prctl(PR_SET_PDEATHSIG, signal.SIGKILL)  # the zygote (and so the grader) ended
        log = os.open(f"{req['dir']}/keeper.log", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        if req["cgroup"]:
            os.mkdir(req["cgroup"])
            with open(f"{req['cgroup']}/pids.max", "w") as fh:
                fh.write(str(req["limits"]["max_processes"]))
            with open(f"{req['cgroup']}/cgroup.procs", "w") as fh:
                fh.write(str(os.getpid()))
        flags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWCGROUP
        if not req["network"]:
            flags |= CLONE_NEWNET
        _check(_libc.unshare(flags), "unshare")
        if not req["network"]:
            _loopback_up()
        build_view(req)
        init = os.fork()
        if init == 0:  # PID 1 of the new namespace
            prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
            detach("/proc")
            mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
            for part in ("/proc/sys", "/proc/sysrq-trigger", "/proc/irq", "/proc/bus"):
                if os.path.exists(part):
                    bind(part, part, readonly=True)
            kernel = os.fork()
            if kernel == 0:
                try:
                    run_kernel(req, log)
                except BaseException as exc:
                    os.write(log, f"kernel: {type(exc).__name__}: {exc}\n".encode())
                    os._exit(1)
                os._exit(0)
            os.close(log)
            os._exit(_init(kernel))
        code = os.waitstatus_to_exitcode(os.waitpid(init, 0)[1])
    except BaseException as exc:  # say why on the job's log, which the grader reads
        try:
            os.write(log, f"{type(exc).__name__}: {exc}\n".encode())
        except (OSError, NameError):
            pass
    finally:
        os._exit(code if code >= 0 else 128 - code)


def main() -> None:
    ctl_in, ctl_out = os.dup(0), os.dup(1)
    os.dup2(2, 1)  # a library printing on stdout writes to our log, not to the protocol
    devnull = os.open("/dev/null", os.O_RDONLY)
    os.dup2(devnull, 0)
    for name in json.loads(sys.argv[1]):  # what every notebook's setup cell imports
        importlib.import_module(name)
    wake_r, wake_w = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    signal.set_wakeup_fd(wake_w)
    jobs: dict[int, str] = {}  # keeper pid -> job
    pids: dict[str, int] = {}

    def say(message: dict) -> None:
        os.write(ctl_out, (json.dumps(message) + "\n").encode())

    def spawn(req: dict) -> None:
        pid = os.fork()
        if pid == 0:
            signal.set_wakeup_fd(-1)
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            keeper(req)
        jobs[pid], pids[req["job"]] = req["job"], pid
        say({"job": req["job"], "event": "spawned", "pid": pid})

    selector = selectors.DefaultSelector()
    selector.register(ctl_in, selectors.EVENT_READ)
    selector.register(wake_r, selectors.EVENT_READ)
    say({"event": "ready", "pid": os.getpid()})
    pending = b""
    while True:
        for key, _ in selector.select():
            if key.fd == wake_r:
                while True:
                    try:
                        if not os.read(wake_r, 4096):
                            break
                    except BlockingIOError:
                        break
                while True:
                    try:
                        pid, status = os.waitpid(-1, os.WNOHANG)
                    except ChildProcessError:
                        break
                    if pid == 0:
                        break
                    job = jobs.pop(pid, None)
                    if job is not None:
                        pids.pop(job, None)
                        code = os.waitstatus_to_exitcode(status)
                        say({"job": job, "event": "exited", "status": code})
                continue
            chunk = os.read(ctl_in, 65536)
            if not chunk:  # the grader is gone: so are we (and, by PDEATHSIG, our kernels)
                os._exit(0)
            pending += chunk
            *lines, pending = pending.split(b"\n")
            for line in lines:
                req = json.loads(line)
                if req["op"] == "spawn":
                    spawn(req)
                elif req["op"] == "kill" and req["job"] in pids:
                    try:
                        os.kill(pids[req["job"]], signal.SIGKILL)
                    except ProcessLookupError:
                        pass


if __name__ == "__main__":
    main()
