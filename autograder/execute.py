"""Run an assembled notebook in a fresh, sandboxed kernel inside its own working folder.

The kernel starts in the sandbox's workdir with COURSE_EVIDENCE_DIR pointing there, so each
rewritten grade cell writes its evidence next to the inputs the judge put there. Errors in
student cells do not stop the run (later grade cells still produce evidence); a cell that runs
past the cell timeout is interrupted; a notebook past the notebook timeout loses its kernel;
outputs past the output cap are dropped. See autograder/sandbox.py for the limits.
"""

from __future__ import annotations

import json
import os
import signal
import threading
from dataclasses import dataclass, field
from pathlib import Path

from jupyter_client.kernelspec import KernelSpec
from jupyter_client.manager import AsyncKernelManager
from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbformat import NotebookNode, v4

from autograder.sandbox import Limits, Sandbox, kill_all

MEMORY_ERRORS = ("MemoryError", "can't allocate memory", "DefaultCPUAllocator")
CPU_ERRORS = ("CPU time limit exceeded",)


@dataclass
class Execution:
    notebook: NotebookNode
    status: str  # "ok" | "timeout" | "memory" | "crashed"
    message: str = ""
    evidence: dict[str, bytes | str] = field(default_factory=dict)  # see _GradingClient


class _GradingClient(NotebookClient):
    """nbclient that takes each grade cell's evidence away as soon as that cell finishes.

    Before a grade cell runs, a stale evidence file (say, one a student cell crafted) is
    deleted; right after it, the file is read into this process and deleted, so no later
    cell can replace it. Also caps the output bytes kept and counts interrupted cells.
    """

    def __init__(
        self,
        *args,
        evidence_files: dict[str, Path],
        max_output_bytes: int,
        max_evidence_bytes: int,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self._evidence_files = evidence_files  # grade_id -> outputs file in the workdir
        self._max_evidence = max_evidence_bytes
        self.evidence: dict[str, bytes | str] = {}  # grade_id -> bytes, or why there are none
        self._budget = max_output_bytes
        self.truncated = False
        self.timed_out = 0  # cells interrupted at the cell timeout

    async def async_execute_cell(self, cell, cell_index, execution_count=None, store_history=True):
        gid = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        path = self._evidence_files.get(gid)
        if path is not None:
            path.unlink(missing_ok=True)
        try:
            return await super().async_execute_cell(
                cell, cell_index, execution_count, store_history
            )
        finally:
            if path is not None and path.is_file():
                if path.stat().st_size > self._max_evidence:
                    self.evidence[gid] = f"evidence larger than {self._max_evidence} bytes"
                else:
                    self.evidence[gid] = path.read_bytes()
                path.unlink(missing_ok=True)

    async def _async_handle_timeout(self, timeout, cell=None):
        self.timed_out += 1
        return await super()._async_handle_timeout(timeout, cell)

    def output(self, outs, msg, display_id, cell_index):
        size = len(json.dumps(msg.get("content", {}), default=str))
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


def _manager_class(sandbox: Sandbox) -> type[AsyncKernelManager]:
    """nbclient's own (asynchronous) kernel manager, started through the sandbox launcher.

    IPC transport: unix sockets in the workdir, so it works inside a namespace without network.
    """

    class SandboxKernelManager(AsyncKernelManager):
        def __init__(self, **kwargs):
            kwargs.update(transport="ipc", connection_file=str(sandbox.workdir / "kernel.json"))
            super().__init__(**kwargs)
            self._kernel_spec = KernelSpec(
                argv=sandbox.argv, display_name="sandboxed python", language="python"
            )

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
    evidence_files: dict[str, Path],
    limits: Limits = Limits(),
) -> Execution:
    """Run `notebook` in `sandbox`; evidence_files maps grade_id -> expected outputs file."""
    client = _GradingClient(
        notebook,
        kernel_manager_class=_manager_class(sandbox),
        timeout=limits.cell_timeout,
        interrupt_on_timeout=True,
        allow_errors=True,
        resources={"metadata": {"path": str(sandbox.workdir)}},
        max_output_bytes=limits.max_output_kb * 1024,
        evidence_files=evidence_files,
        max_evidence_bytes=limits.max_evidence_mb * 1024 * 1024,
    )
    expired = threading.Event()

    def _expire() -> None:  # the notebook's wall clock ran out: end its kernel
        expired.set()
        pid = _kernel_pid(client)
        if pid:
            try:
                os.killpg(pid, signal.SIGKILL)  # the kernel leads its own process group
            except OSError:
                pass
        kill_all(sandbox)

    watchdog = threading.Timer(limits.notebook_timeout, _expire)
    watchdog.start()
    status, message = "ok", ""
    try:
        client.execute(cwd=str(sandbox.workdir))  # nbclient owns the kernel and shuts it down
    except CellTimeoutError as exc:
        status, message = "timeout", f"a cell ran past {limits.cell_timeout}s: {exc}"[:300]
    except DeadKernelError as exc:
        status, message = "crashed", f"the kernel died: {exc}"[:300]
    except Exception as exc:  # a broken kernel must not stop the batch
        status, message = "crashed", f"{type(exc).__name__}: {exc}"[:300]
    finally:
        watchdog.cancel()
        kill_all(sandbox)  # whatever the kernel left running (forks, sleepers)
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
    return Execution(client.nb, status, message, client.evidence)
