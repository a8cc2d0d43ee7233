"""Time every source notebook against the budgets in authoring.md.

Each notebook under source/ is executed twice with nbclient, each time in a fresh kernel:

* graded  -- NBGRADER_EXECUTION=autograde, as nbgrader sets it while validating/autograding
             (demos shrink); budget: at most 5 s of kernel CPU time;
* learner -- NBGRADER_EXECUTION unset, top to bottom as a learner runs it;
             budget: at most 60 s of wall time.

Kernel CPU time is user + sys of the kernel process, read with
resource.getrusage(RUSAGE_SELF) in an extra final cell; it includes the kernel's start-up and
imports (torch, matplotlib), which every real run pays too. Wall time is measured around the
whole execution, kernel start included. Outputs are kept in memory only: no file is written.

Machines are noisy, so this script reports and never fails on time (exit status 1 only when a
notebook raises). Usage:

    python benchmarks/notebook_budget.py                 # every notebook under source/
    python benchmarks/notebook_budget.py source/l2_dot_product/L-2-dot-product-similarity.ipynb
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

ROOT = Path(__file__).resolve().parents[1]
GRADING_ENV = "NBGRADER_EXECUTION"
GRADED_CPU_BUDGET_S = 5.0
LEARNER_WALL_BUDGET_S = 60.0
MARKER = "__notebook_budget__"
PROBE = (
    "import json as _json, resource as _resource\n"
    "_usage = _resource.getrusage(_resource.RUSAGE_SELF)\n"
    f"print({MARKER!r}, _json.dumps({{'cpu': _usage.ru_utime + _usage.ru_stime}}))"
)


@dataclass
class Run:
    notebook: str
    mode: str  # "graded" or "learner"
    cpu_s: float | None
    wall_s: float
    error: str = ""

    @property
    def verdict(self) -> str:
        if self.error:
            return "ERROR"
        if self.mode == "graded":
            assert self.cpu_s is not None
            return "ok" if self.cpu_s <= GRADED_CPU_BUDGET_S else "OVER"
        return "ok" if self.wall_s <= LEARNER_WALL_BUDGET_S else "OVER"


def kernel_env(graded: bool) -> dict[str, str]:
    env = dict(os.environ)
    env.pop(GRADING_ENV, None)
    if graded:
        env[GRADING_ENV] = "autograde"
    return env


def read_cpu(nb: nbformat.NotebookNode) -> float | None:
    for output in nb.cells[-1].get("outputs", []):
        text = output.get("text", "")
        if output.get("output_type") == "stream" and MARKER in text:
            return float(json.loads(text.split(MARKER, 1)[1])["cpu"])
    return None


def run_once(path: Path, graded: bool, timeout: int) -> Run:
    nb = nbformat.read(path, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(PROBE))
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )
    mode = "graded" if graded else "learner"
    name = str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)
    start = time.perf_counter()
    try:
        client.execute(env=kernel_env(graded))
    except CellExecutionError as exc:
        first_line = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
        return Run(name, mode, None, time.perf_counter() - start, first_line[:120])
    wall = time.perf_counter() - start
    cpu = read_cpu(nb)
    return Run(name, mode, cpu, wall, "" if cpu is not None else "no CPU reading")


def print_table(runs: list[Run]) -> None:
    width = max([len("notebook")] + [len(r.notebook) for r in runs])
    header = (
        f"{'notebook':<{width}}  {'mode':<7}  {'kernel CPU s':>12}  {'wall s':>7}  "
        f"{'budget':<14}  status"
    )
    print(header)
    print("-" * len(header))
    for r in runs:
        budget = (
            f"CPU <= {GRADED_CPU_BUDGET_S:g} s"
            if r.mode == "graded"
            else f"wall <= {LEARNER_WALL_BUDGET_S:g} s"
        )
        cpu = f"{r.cpu_s:12.2f}" if r.cpu_s is not None else f"{'-':>12}"
        status = r.verdict + (f" ({r.error})" if r.error else "")
        print(f"{r.notebook:<{width}}  {r.mode:<7}  {cpu}  {r.wall_s:7.2f}  {budget:<14}  {status}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "notebooks",
        nargs="*",
        type=Path,
        help="notebooks to time (default: every .ipynb under source/)",
    )
    parser.add_argument("--timeout", type=int, default=600, help="seconds per cell")
    args = parser.parse_args(argv)

    paths = [p.resolve() for p in args.notebooks] or sorted(
        p for p in (ROOT / "source").rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts
    )
    if not paths:
        print("no notebooks found under source/")
        return 0
    runs = []
    for path in paths:
        for graded in (True, False):
            print(f"running {path.name} ({'graded' if graded else 'learner'}) ...", flush=True)
            runs.append(run_once(path, graded, args.timeout))
    print()
    print_table(runs)
    print(
        f"\nbudgets (authoring.md): graded <= {GRADED_CPU_BUDGET_S:g} s kernel CPU; "
        f"learner <= {LEARNER_WALL_BUDGET_S:g} s top to bottom. "
        "Kernel CPU includes kernel start-up and imports; timings are noisy, nothing is asserted."
    )
    return 1 if any(r.error for r in runs) else 0


if __name__ == "__main__":
    sys.exit(main())
