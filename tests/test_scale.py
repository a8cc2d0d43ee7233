"""The grading engine at class scale, against real processes and servers.

* a run killed (SIGKILL to its process group) halfway and restarted ends with the same
  gradebook as an uninterrupted run;
* grading on a Dask cluster (a real `dask scheduler` and two `dask worker`s on loopback)
  gives exactly the local scores;
* the gradebook on a real PostgreSQL server (started by .ci/services, which exports
  COURSE_TEST_POSTGRES_URL) holds the same scores as the SQLite one;
* `autograder report` writes the class page with its plots.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid

import pytest
from conftest import ROOT
from smallclass import build_class, scores

from autograder.grade import grade_class
from autograder.state import JOURNAL_FILE, STATE_FILE


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """The class graded once, locally, uninterrupted: the reference for every other run."""
    tmp = tmp_path_factory.mktemp("scale")
    submitted, release_dir = build_class(tmp)
    out = tmp / "reference"
    rows = grade_class(ROOT, submitted, out, workers=2, release_dir=release_dir)
    return tmp, submitted, release_dir, out, rows


def _cells(rows):
    return sorted((r["student"], r["grade_id"], r["points"], r["status"], r["hint"]) for r in rows)


def _env():
    return {**os.environ, "PYTHONPATH": str(ROOT)}


def test_killed_run_resumes_to_the_same_gradebook(graded):
    tmp, submitted, release_dir, reference, _ = graded
    out = tmp / "killed"
    cmd = [
        sys.executable,
        "-m",
        "autograder.cli",
        "--root",
        str(ROOT),
        "grade",
        "--submitted",
        str(submitted),
        "--out",
        str(out),
        "--workers",
        "1",
        "--quiet",
    ]
    # release_dir: the CLI grades against ROOT/release, which the release tests keep fresh
    proc = subprocess.Popen(
        cmd,
        env=_env(),
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    journal = out / JOURNAL_FILE
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and proc.poll() is None:
        if journal.is_file() and journal.read_text().count("\n") >= 1:
            break
        time.sleep(0.2)
    assert proc.poll() is None, "the run finished before it could be killed"
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    done_before = journal.read_text().count("\n")
    assert 1 <= done_before < 4  # (the gradebook already knows the cells: registered first)

    result = subprocess.run(cmd, env=_env(), capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    assert (out / STATE_FILE).is_file() and not journal.exists()
    assert scores(f"sqlite:///{out / 'gradebook.db'}") == scores(
        f"sqlite:///{reference / 'gradebook.db'}"
    )


def test_dask_cluster_gives_the_local_scores(graded, tmp_path):
    pytest.importorskip("distributed")
    tmp, submitted, release_dir, _, local_rows = graded
    sched_file = tmp_path / "scheduler.json"
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "distributed.cli.dask_scheduler",
                "--host",
                "127.0.0.1",
                "--port",
                "0",
                "--dashboard-address",
                ":0",
                "--scheduler-file",
                str(sched_file),
            ],
            env=_env(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    ]
    try:
        deadline = time.monotonic() + 60
        while not sched_file.is_file() and time.monotonic() < deadline:
            time.sleep(0.2)
        import json

        address = json.loads(sched_file.read_text())["address"]
        for _ in range(2):
            procs.append(
                subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "distributed.cli.dask_worker",
                        address,
                        "--nthreads",
                        "1",
                        "--no-dashboard",
                        "--host",
                        "127.0.0.1",
                    ],
                    env=_env(),
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
        from distributed import Client

        with Client(address, timeout="60s") as client:
            client.wait_for_workers(2, timeout=120)
        rows = grade_class(ROOT, submitted, tmp_path / "out", release_dir=release_dir, dask=address)
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(timeout=30)
    assert _cells(rows) == _cells(local_rows)


def test_postgresql_gradebook_matches_sqlite(graded):
    url = os.environ.get("COURSE_TEST_POSTGRES_URL")
    if not url:
        if os.environ.get("COURSE_REQUIRE_SERVICES"):
            pytest.fail("COURSE_REQUIRE_SERVICES is set but COURSE_TEST_POSTGRES_URL is not")
        pytest.skip("no PostgreSQL server (run `source .ci/services` to start one)")
    import psycopg2

    tmp, submitted, release_dir, reference, _ = graded
    name = f"course_{uuid.uuid4().hex[:8]}"
    admin = psycopg2.connect(url)
    admin.autocommit = True
    admin.cursor().execute(f"CREATE DATABASE {name}")
    db_url = url.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg2://") + "/" + name
    try:
        out = tmp / "pg"
        # a second output folder with the reference's state: nothing is re-run, only written
        out.mkdir()
        (out / STATE_FILE).write_bytes((reference / STATE_FILE).read_bytes())
        grade_class(ROOT, submitted, out, db_url=db_url, release_dir=release_dir)
        got = scores(db_url)
        assert got and got == scores(f"sqlite:///{reference / 'gradebook.db'}")
    finally:
        from sqlalchemy import create_engine

        create_engine(db_url).dispose()
        admin.cursor().execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.close()


def test_class_report_has_its_plots(graded):
    from autograder.cli import main

    *_, reference, rows = graded
    assert main(["--root", str(ROOT), "report", "--out", str(reference)]) == 0
    page = (reference / "report" / "index.html").read_text(encoding="utf-8")
    pngs = sorted(p.name for p in (reference / "report").glob("*.png"))
    assert pngs == ["l2_dot_product-checks.png", "l2_dot_product-scores.png", "times.png"]
    for png in pngs:
        assert png in page and (reference / "report" / png).read_bytes()[:4] == b"\x89PNG"
    hint = next(r["hint"] for r in rows if r["hint"])
    assert "&lt;" not in hint and hint.split("：")[0][:10] in page  # the class's mistake is listed
    assert "4 students" in page
