"""Run an assembled notebook in a fresh, sandboxed kernel inside its own working folder.

Each rewritten grade cell sends its evidence as a display message on the kernel's IOPub
channel (course.evidence.publish_evidence); this process takes it out of the message stream
while that very cell runs, so nothing the student runs afterwards can replace it. Evidence
sent twice in a grade cell, or from any other cell, is refused and reported; so is what the
kernel's audit (course.audit) found left running when a grade cell started. Errors in
student cells do not stop the run (later grade cells still produce evidence); a cell that
runs past the cell timeout is interrupted; a notebook past the notebook timeout loses its
kernel; outputs past the output cap are dropped. See autograder/sandbox.py for the limits.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import signal
import threading
import time
from dataclasses import dataclass, field
from queue import Empty

from jupyter_client.kernelspec import KernelSpec
from jupyter_client.manager import AsyncKernelManager
from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbclient.util import ensure_async, run_hook
from nbformat import NotebookNode, v4

from autograder.sandbox import Limits, Sandbox, kill_all, release
from course.channel import EVIDENCE_MIME

MEMORY_ERRORS = ("MemoryError", "can't allocate memory", "DefaultCPUAllocator")
CPU_ERRORS = ("CPU time limit exceeded",)
LEFT_RUNNING = "suspicious code left running when grade cell"  # an integrity finding


@dataclass
class Execution:
    notebook: NotebookNode
    status: str  # "ok" | "timeout" | "memory" | "crashed"
    message: str = ""
    evidence: dict[str, bytes | str] = field(default_factory=dict)  # see _GradingClient
    findings: list[str] = field(default_factory=list)  # integrity findings (English)


class _GradingClient(NotebookClient):
    """nbclient that takes each grade cell's evidence out of the kernel's messages.

    Evidence is accepted once per grade cell, while that cell runs, for the check that cell
    calls; everything else (a second copy, one from another cell or for another check) is
    refused and becomes an integrity finding. Also caps the output bytes kept, counts
    interrupted cells, and seals the sandbox's socket folder once the kernel is up.
    """

    def __init__(
        self,
        *args,
        sandbox: Sandbox,
        expected: dict[str, str],
        max_output_bytes: int,
        max_evidence_bytes: int,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self._sandbox = sandbox
        self._expected = expected  # grade_id -> check_id
        self._max_evidence = max_evidence_bytes
        self.evidence: dict[str, bytes | str] = {}  # grade_id -> bytes, or why there are none
        self.findings: list[str] = []
        self._cell: str | None = None  # grade_id of the grade cell running now
        self._where = ""
        self._received = 0
        self._budget = max_output_bytes
        self.truncated = False
        self.timed_out = 0  # cells interrupted at the cell timeout

    async def async_start_new_kernel_client(self):
        """nbclient's, with a readiness wait that ends as soon as the kernel is ready.

        jupyter_client's wait_for_ready always ends with 0.2 s of silence on IOPub (and often
        waits 0.2 s more for a status message sent before the subscription was connected).
        Here: ask for kernel_info until the reply has come on shell *and* the idle status of
        that same request on IOPub, which proves IOPub is connected and drained.
        """
        self.kc = self.km.client()
        try:
            await ensure_async(self.kc.start_channels())
            await self._wait_ready(self.startup_timeout)
        except Exception:
            await self._async_cleanup_kernel()
            raise
        self.kc.allow_stdin = False
        await run_hook(self.on_notebook_start, notebook=self.nb)
        self._sandbox.seal()  # the kernel's sockets exist: no more files in that folder
        return self.kc

    async def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while True:
            request = self.kc.kernel_info()
            reply = None
            try:
                reply = await ensure_async(self.kc.shell_channel.get_msg(timeout=1))
            except Empty:
                pass
            if reply is not None and reply["msg_type"] == "kernel_info_reply":
                if await self._idle_seen(request, time.monotonic() + 1):
                    self.kc._handle_kernel_info_reply(reply)
                    return
            if not await ensure_async(self.kc.is_alive()):
                raise RuntimeError("Kernel died before replying to kernel_info")
            if time.monotonic() > deadline:
                raise RuntimeError(f"Kernel didn't respond in {timeout} seconds")

    async def _idle_seen(self, request: str, until: float) -> bool:
        while (left := until - time.monotonic()) > 0:
            try:
                msg = await ensure_async(self.kc.iopub_channel.get_msg(timeout=min(left, 0.5)))
            except Empty:
                return False
            parent = msg.get("parent_header", {}).get("msg_id")
            if parent == request and msg["content"].get("execution_state") == "idle":
                return True
        return False

    async def async_execute_cell(self, cell, cell_index, execution_count=None, store_history=True):
        gid = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        self._cell = gid if gid in self._expected else None
        self._where = f"cell {gid!r}" if gid else f"cell {cell_index}"
        self._received = 0
        try:
            return await super().async_execute_cell(
                cell, cell_index, execution_count, store_history
            )
        finally:
            self._cell = None

    def _finding(self, text: str) -> None:
        if text not in self.findings and len(self.findings) < 50:  # a spamming thread: once
            self.findings.append(text)

    def _take_evidence(self, content: dict) -> None:
        gid = self._cell
        meta = content.get("metadata", {}).get(EVIDENCE_MIME, {}) or {}
        if gid is None:
            self._finding(f"suspicious code in {self._where}: sent grading evidence")
            return
        for item in meta.get("audit", [])[:20]:  # from every copy: more findings, never fewer
            self._finding(f"{LEFT_RUNNING} {gid} started: {str(item)[:200]}")
        self._received += 1
        if self._received > 1:
            self.evidence[gid] = "evidence sent more than once in this cell: none is trusted"
            self._finding(f"suspicious code in {gid}: sent grading evidence again")
            return
        if meta.get("check") != self._expected[gid]:
            self.evidence[gid] = f"evidence for another check ({str(meta.get('check'))[:80]})"
            self._finding(f"suspicious code in {gid}: evidence for another check")
            return
        text = content.get("data", {}).get(EVIDENCE_MIME, "")
        if not isinstance(text, str) or len(text) * 3 // 4 > self._max_evidence:
            self.evidence[gid] = f"evidence larger than {self._max_evidence} bytes"
            return
        try:
            self.evidence[gid] = base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            self.evidence[gid] = "evidence is not base64"

    def output(self, outs, msg, display_id, cell_index):
        content = msg.get("content", {})
        if EVIDENCE_MIME in (content.get("data") or {}):
            self._take_evidence(content)
            return None  # evidence is for the grader, not for the notebook
        size = len(json.dumps(content, default=str))
        if size > self._budget:
            if not self.truncated:
                self.truncated = True
                outs.append(
                    v4.new_output(
                        "stream", name="stdout", text="\n[output truncated by the grader]\n"
                    )
                )
            self._budget = 0
            return None
        self._budget -= size
        return super().output(outs, msg, display_id, cell_index)

    async def _async_handle_timeout(self, timeout, cell=None):
        self.timed_out += 1
        return await super()._async_handle_timeout(timeout, cell)


def _manager_class(sandbox: Sandbox) -> type[AsyncKernelManager]:
    """nbclient's own (asynchronous) kernel manager, started through the sandbox launcher,
    or, for a warm sandbox, forked by the engine's zygote (autograder.engine).

    IPC transport: unix sockets in the sandbox's ipc folder (bound into the sandbox), so it
    works in a namespace without network.
    """

    class SandboxKernelManager(AsyncKernelManager):
        def __init__(self, **kwargs):
            kwargs.update(transport="ipc", connection_file=str(sandbox.ipc / "kernel.json"))
            super().__init__(**kwargs)
            if sandbox.kernel is not None:  # booted already (Engine.boot): its key and sockets
                self.load_connection_file()
                self._connection_file_written = True  # so the provisioner keeps this file
            self._kernel_spec = KernelSpec(
                argv=sandbox.argv or ["warm-kernel", "-f", "{connection_file}"],
                display_name="sandboxed python",
                language="python",
                interrupt_mode="message",  # the kernel is not our child under bwrap
            )

        async def _async_launch_kernel(self, kernel_cmd, **kw):
            if sandbox.mode != "warm":
                return await super()._async_launch_kernel(kernel_cmd, **kw)
            # a kernel booted on this connection file (or, without one, fork it now)
            process = sandbox.kernel or sandbox.engine.spawn(sandbox, self.connection_file)
            provisioner = self.provisioner
            provisioner.process, provisioner.pid, provisioner.pgid = process, None, None
            self._reconcile_connection_info(provisioner.connection_info)

    return SandboxKernelManager


def _kernel_pid(client: NotebookClient) -> int | None:
    try:
        return client.km.provisioner.process.pid
    except AttributeError:
        return None


def _errors_mention(notebook: NotebookNode, markers: tuple[str, ...]) -> bool:
    for cell in notebook.cells:
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                text = f"{out.get('ename', '')} {out.get('evalue', '')}"
                if any(marker in text for marker in markers):
                    return True
    return False


def execute(
    notebook: NotebookNode,
    sandbox: Sandbox,
    expected: dict[str, str],
    limits: Limits = Limits(),
) -> Execution:
    """Run `notebook` in `sandbox`; `expected` maps grade_id -> the check its cell records."""
    client = _GradingClient(
        notebook,
        kernel_manager_class=_manager_class(sandbox),
        timeout=limits.cell_timeout,
        interrupt_on_timeout=True,
        # the evidence has left the kernel by the time the last cell ends, so the kernel is
        # killed rather than asked to shut down (interpreter teardown after torch is ~0.9 s)
        shutdown_kernel="immediate",
        allow_errors=True,
        resources={"metadata": {"path": str(sandbox.home)}},
        max_output_bytes=limits.max_output_kb * 1024,
        sandbox=sandbox,
        expected=expected,
        max_evidence_bytes=limits.max_evidence_mb * 1024 * 1024,
    )
    expired = threading.Event()

    def _expire() -> None:  # the notebook's wall clock ran out: end its kernel
        expired.set()
        pid = _kernel_pid(client)
        if sandbox.mode == "warm":  # its pid is the zygote's, not ours: the engine kills it
            sandbox.engine.kill(sandbox.request["job"])
        elif pid:
            try:
                os.killpg(pid, signal.SIGKILL)  # the kernel leads its own process group
            except OSError:
                pass
        kill_all(sandbox)

    watchdog = threading.Timer(limits.notebook_timeout, _expire)
    watchdog.start()
    status, message = "ok", ""
    try:
        # the launcher enters the workdir; nbclient owns the kernel and shuts it down
        client.execute(cwd=str(sandbox.home))
    except CellTimeoutError as exc:
        status, message = "timeout", f"a cell ran past {limits.cell_timeout}s: {exc}"[:300]
    except DeadKernelError as exc:
        status, message = "crashed", f"the kernel died: {exc}"[:300]
    except Exception as exc:  # a broken kernel must not stop the batch
        status, message = "crashed", f"{type(exc).__name__}: {exc}"[:300]
    finally:
        watchdog.cancel()
        kill_all(sandbox)  # whatever the kernel left running (forks, sleepers)
        release(sandbox)
    if expired.is_set():
        status, message = "timeout", f"the notebook ran past {limits.notebook_timeout}s"
    elif _errors_mention(client.nb, CPU_ERRORS):
        status, message = "timeout", f"used up its CPU time ({limits.cpu_seconds} s)"
    elif _errors_mention(client.nb, MEMORY_ERRORS):
        status, message = "memory", f"ran out of memory (cap {limits.memory_mb} MB)"
    elif status == "ok" and client.timed_out:
        status, message = "timeout", f"a cell ran past {limits.cell_timeout}s and was interrupted"
    if client.truncated:
        message = (message + "; " if message else "") + "output truncated"
    return Execution(client.nb, status, message, client.evidence, client.findings)
