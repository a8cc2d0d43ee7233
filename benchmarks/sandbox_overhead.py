"""What the grading sandbox costs per notebook: bubblewrap vs the launcher without it.

Runs a one-cell notebook (`x = 1`) through `prepare` + `execute`, so the time is the
sandbox's and the kernel's own start-up and shutdown: nothing of a student's. Two modes,
interleaved in one run (these machines are shared and noisy; compare the ratio):

* bwrap    -- the full sandbox (own uid, namespaces, read-only system, tmpfs);
* fallback -- what a machine without bubblewrap gets (`unshare` as root, else nothing).

Reports median and minimum wall time per notebook and the ratio; never fails on time.

    python benchmarks/sandbox_overhead.py --runs 7
"""

from __future__ import annotations

import argparse
import dataclasses
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from nbformat.v4 import new_code_cell, new_notebook

from autograder import sandbox
from autograder.execute import execute
from autograder.sandbox import Limits, prepare

KERNEL = {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}}


def one_notebook() -> float:
    base = Path(tempfile.mkdtemp(prefix="bench-sandbox-"))
    try:
        start = time.perf_counter()
        box = prepare(base / "b", Limits(), hide=[])
        run = execute(new_notebook(cells=[new_code_cell("x = 1")], metadata=KERNEL), box, {})
        elapsed = time.perf_counter() - start
        if run.status != "ok":
            raise RuntimeError(f"{run.status}: {run.message}")
        return elapsed
    finally:
        shutil.rmtree(base, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="notebooks per mode")
    args = parser.parse_args()
    full = sandbox.support()
    if not full.bwrap:
        print("no working bubblewrap here: nothing to compare", full.notes)
        return 0
    without = dataclasses.replace(full, bwrap=None, own_uid=False)
    modes = {"bwrap": lambda: full, "fallback": lambda: without}
    times: dict[str, list[float]] = {mode: [] for mode in modes}
    one_notebook()  # warm the page cache
    for _ in range(args.runs):
        for mode, chooser in modes.items():
            sandbox.support = chooser  # prepare() asks support() which sandbox to build
            times[mode].append(one_notebook())
    for mode, values in times.items():
        print(
            f"{mode:9s} median {statistics.median(values):.2f} s  min {min(values):.2f} s  "
            f"({len(values)} notebooks)"
        )
    ratio = statistics.median(times["bwrap"]) / statistics.median(times["fallback"])
    print(f"bwrap / fallback (median): {ratio:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
