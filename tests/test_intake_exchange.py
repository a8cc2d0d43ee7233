"""nbgrader's exchange end to end, with a local exchange folder and two students in tmp folders.

release_to_exchange -> each student fetches (alice pastes the model answer, bob leaves the
notebook untouched and submits twice) -> submit -> collect -> grade_class -> return_feedback
-> each student fetches feedback and finds a page with their own score (a student graded
from an LMS zip, without an exchange submission, is skipped). The exchange's inbound
submissions are never modified. Budget: 60 s (a SIGALRM deadline enforces it).
"""

from __future__ import annotations

import hashlib
import signal
import time
from collections import defaultdict
from contextlib import contextmanager

import nbformat
from conftest import ROOT

from autograder.demo import model_answer
from autograder.grade import grade_class
from autograder.intake.exchange import (
    collect,
    fetch,
    fetch_feedback,
    release_to_exchange,
    return_feedback,
    submit,
)
from autograder.release import release_assignments

A = "l2_dot_product"
NB = "L-2-dot-product-similarity.ipynb"
COURSE = "llm101"
BUDGET_S = 60


@contextmanager
def deadline(seconds: int):
    def expired(signum, frame):
        raise TimeoutError(f"the exchange round trip took more than {seconds} s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def _hashes(folder):
    return {
        p: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _work(home) -> None:
    """The student's work: the model answer pasted into the fetched notebook."""
    path = home / A / NB
    source = nbformat.read(ROOT / "source" / A / NB, as_version=4)
    nbformat.write(model_answer(source, nbformat.read(path, as_version=4)), path)


def _scores(rows) -> dict[str, tuple[float, float]]:
    got, total = defaultdict(float), defaultdict(float)
    for r in rows:
        got[r["student"]] += r["points"]
        total[r["student"]] += r["max_points"]
    return {s: (got[s], total[s]) for s in got}


def test_exchange_round_trip(tmp_path):
    start = time.monotonic()
    with deadline(BUDGET_S):
        release_dir, exchange = tmp_path / "release", tmp_path / "exchange"
        release_assignments(ROOT, release_dir)
        outbound = release_to_exchange(ROOT, A, exchange, COURSE, release_dir=release_dir)
        assert (outbound / NB).is_file()

        homes = {s: tmp_path / "home" / s for s in ("alice", "bob")}
        for student, home in homes.items():
            assert (fetch(home, A, exchange, COURSE, student) / NB).is_file()
        _work(homes["alice"])
        submit(homes["alice"], A, exchange, COURSE, "alice")
        submit(homes["bob"], A, exchange, COURSE, "bob")
        bob_last = submit(homes["bob"], A, exchange, COURSE, "bob")  # the newest one counts
        inbound = _hashes(exchange / COURSE / "inbound")
        assert len({p.parent for p in inbound}) == 3

        submitted = collect(
            ROOT, A, exchange, COURSE, submitted=tmp_path / "submitted", check_owner=False
        )
        for student in homes:
            folder = submitted / student / A
            assert {p.name for p in folder.iterdir()} == {
                NB,
                "timestamp.txt",
                "submission_secret.txt",
            }
        assert (submitted / "bob" / A / "timestamp.txt").read_text() == bob_last

        out = tmp_path / "grading"
        rows = grade_class(ROOT, submitted, out, workers=1, release_dir=release_dir)
        scores = _scores(rows)
        assert scores["alice"][0] == scores["alice"][1] > 0
        assert scores["bob"][0] == 0

        carol = out / "feedback" / "carol" / A  # graded from an LMS zip: no exchange secret
        carol.mkdir(parents=True)
        (carol / NB.replace(".ipynb", ".html")).write_text("<p>carol</p>", encoding="utf-8")
        released = return_feedback(ROOT, out, A, exchange, COURSE, submitted=submitted)
        assert len(released) == 2 and all(p.is_file() for p in released), "carol skipped"

        for student, home in homes.items():
            pages = fetch_feedback(home, A, exchange, COURSE, student)
            assert [p.name for p in pages] == [NB.replace(".ipynb", ".html")], student
            html = pages[0].read_text(encoding="utf-8")
            got, total = scores[student]
            assert f"{got:g} / {total:g}" in html
            other = ({"alice", "bob"} - {student}).pop()
            assert student in html and other not in html
        assert pages[0].parent.name == bob_last, "feedback of bob's newest submission"
        assert _hashes(exchange / COURSE / "inbound") == inbound, "submissions modified"
    assert time.monotonic() - start < BUDGET_S
