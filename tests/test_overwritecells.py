"""The hidden-test-aware OverwriteCells: no false "checksum has changed" alarm on an untouched
submission (stock nbgrader raises one per grade cell with hidden tests, nbgrader#1961), the
alarm still raised for a really edited locked cell, hidden tests restored either way.
"""

from __future__ import annotations

import copy
import logging

import pytest
from conftest import ROOT, read
from nbgrader.preprocessors import OverwriteCells as StockOverwriteCells

from autograder.assemble import nbgrader_meta
from autograder.overwritecells import OverwriteCells
from autograder.release import generate

SLUG, NAME = "l2_dot_product", "L-2-dot-product-similarity"
pytestmark = pytest.mark.filterwarnings("ignore::sqlalchemy.exc.SAWarning")


@pytest.fixture(scope="module")
def db_url(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("overwrite")
    url = f"sqlite:///{tmp / 'gradebook.db'}"
    generate(ROOT, SLUG, release_dir=tmp / "release", db_url=url)
    return url


def _sanitize(cls, nb, db_url, caplog):
    logger = logging.getLogger(f"test-{cls.__module__}")
    resources = {"nbgrader": {"notebook": NAME, "assignment": SLUG, "db_url": db_url}}
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger=logger.name):
        out, _ = cls(log=logger).preprocess(copy.deepcopy(nb), resources)
    return out, [r.getMessage() for r in caplog.records if "checksum" in r.getMessage()]


def _grade_sources(nb):
    return {
        nbgrader_meta(c)["grade_id"]: c.source for c in nb.cells if nbgrader_meta(c).get("grade")
    }


def test_untouched_release_no_alarm_hidden_tests_restored(db_url, caplog):
    release = read(ROOT / "release" / SLUG / f"{NAME}.ipynb")
    source = _grade_sources(read(ROOT / "source" / SLUG / f"{NAME}.ipynb"))
    _, stock_alarms = _sanitize(StockOverwriteCells, release, db_url, caplog)
    assert len(stock_alarms) == len(source), "stock nbgrader: one false alarm per grade cell"
    out, alarms = _sanitize(OverwriteCells, release, db_url, caplog)
    assert alarms == []
    assert _grade_sources(out) == source, "hidden tests are back for stock autograde"


def test_edited_locked_cell_still_raises_the_alarm(db_url, caplog):
    release = read(ROOT / "release" / SLUG / f"{NAME}.ipynb")
    edited = next(c for c in release.cells if nbgrader_meta(c).get("grade"))
    edited.source = "pass  # tests edited away"
    out, alarms = _sanitize(OverwriteCells, release, db_url, caplog)
    gid = nbgrader_meta(edited)["grade_id"]
    assert len(alarms) == 1 and gid in alarms[0]
    source = _grade_sources(read(ROOT / "source" / SLUG / f"{NAME}.ipynb"))
    assert _grade_sources(out)[gid] == source[gid]


def test_course_root_config_uses_it():
    from traitlets.config.loader import PyFileConfigLoader

    from autograder.overwritecells import SANITIZE_PREPROCESSORS

    cfg = PyFileConfigLoader("nbgrader_config.py", path=str(ROOT)).load_config()
    assert list(cfg.Autograde.sanitize_preprocessors) == SANITIZE_PREPROCESSORS
