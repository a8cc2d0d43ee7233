"""Where notebooks are graded: local worker threads, or the workers of a Dask cluster.

Both run the same function, `autograder.grade.grade_notebook`, on the same `Job`s, so a class
graded on a cluster gets exactly the scores it gets locally. Each call starts its own sandboxed
kernel (see autograder.sandbox); threads suffice locally because the work happens in those
kernel processes. On a Dask cluster every worker machine needs this package, the course root
and the submissions at the same paths (a shared file system), as `dask worker` processes
started from the instructor's environment have.

Results come back to the caller's thread one at a time, as they finish, so that a single
writer records them (state journal, gradebook).
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed


def default_workers() -> int:
    """One notebook per core this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def grade_timed(job):
    """grade_notebook that never raises and says how long it took (runs on any worker)."""
    from autograder.grade import _all_cells, grade_notebook

    started = time.perf_counter()
    try:
        outcome = grade_notebook(job)
    except Exception as exc:  # a grader bug costs this notebook, never the batch
        outcome = _all_cells(job, "crashed", f"grader error: {type(exc).__name__}: {exc}"[:300])
    outcome.seconds = round(time.perf_counter() - started, 3)
    return outcome


def run_jobs(jobs: Iterable, workers: int | None = None, dask: str | None = None) -> Iterator:
    """Yield (job, outcome) for every job, in the order they finish."""
    jobs = list(jobs)
    if not jobs:
        return
    if dask:
        yield from _run_dask(jobs, dask)
        return
    with ThreadPoolExecutor(max_workers=workers or default_workers()) as pool:
        futures = {pool.submit(grade_timed, job): job for job in jobs}
        for future in as_completed(futures):
            yield futures[future], future.result()


def _run_dask(jobs: list, address: str) -> Iterator:
    from distributed import Client
    from distributed import as_completed as dask_completed

    with Client(address, timeout="30s") as client:
        # pure=False: two identical jobs (a regrade) must both run
        futures = {client.submit(grade_timed, job, pure=False): job for job in jobs}
        for future in dask_completed(list(futures)):
            job = futures[future]
            try:
                outcome = future.result()
            except Exception as exc:  # the worker died (not the notebook): say so
                from autograder.grade import _all_cells

                outcome = _all_cells(
                    job, "crashed", f"cluster error: {type(exc).__name__}: {exc}"[:300]
                )
            yield job, outcome
