"""Run an assembled notebook in a fresh kernel, in its own working folder.

The kernel starts in `workdir` with COURSE_EVIDENCE_DIR pointing there, so each rewritten
grade cell writes its evidence next to the inputs the judge put there. Errors in student cells
do not stop the run (later grade cells still produce evidence); a cell that runs past
`cell_timeout` is interrupted and the run goes on.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from jupyter_client.manager import KernelManager
from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbformat import NotebookNode

from course.evidence import EVIDENCE_DIR_ENV


@dataclass
class Execution:
    notebook: NotebookNode
    status: str  # "ok" | "timeout" | "crashed"
    message: str = ""


def kernel_env(workdir: Path) -> dict[str, str]:
    env = dict(os.environ)
    env[EVIDENCE_DIR_ENV] = str(workdir)
    env["NBGRADER_EXECUTION"] = "autograde"  # notebooks shrink their demos while graded
    env["MPLBACKEND"] = "Agg"
    return env


def execute(notebook: NotebookNode, workdir: Path, cell_timeout: int = 60) -> Execution:
    # IPC transport: the kernel talks over unix sockets in its workdir, not open TCP ports.
    km = KernelManager(kernel_name="python3", transport="ipc",
                       connection_file=str(workdir / "kernel.json"))
    client = NotebookClient(
        notebook,
        km=km,
        timeout=cell_timeout,
        interrupt_on_timeout=True,
        allow_errors=True,
        kernel_name="python3",
        resources={"metadata": {"path": str(workdir)}},
    )
    try:
        client.execute(env=kernel_env(workdir), cwd=str(workdir))
    except CellTimeoutError as exc:
        return Execution(notebook, "timeout", f"cell timed out after {cell_timeout}s: {exc}"[:500])
    except DeadKernelError as exc:
        return Execution(notebook, "crashed", f"kernel died: {exc}"[:500])
    except Exception as exc:  # a broken kernel must not stop the batch
        return Execution(notebook, "crashed", f"{type(exc).__name__}: {exc}"[:500])
    finally:  # nbclient leaves a kernel manager it was given running
        if km.has_kernel:
            km.shutdown_kernel(now=True)
        km.cleanup_resources()
    return Execution(notebook, "ok")
