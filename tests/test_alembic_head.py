"""autograder.alembic_head: the in-process schema head equals nbgrader's own `alembic heads`."""

import sqlite3

import nbgrader.api

from autograder import alembic_head, gradebook  # noqa: F401  (importing installs it)


def test_same_head_as_nbgraders_subprocess():
    assert alembic_head.alembic_head() == alembic_head.NBGRADER_OWN()


def test_installed_and_a_new_gradebook_is_stamped_with_it(tmp_path):
    assert nbgrader.api.get_alembic_version is alembic_head.alembic_head
    db = tmp_path / "gradebook.db"
    with nbgrader.api.Gradebook(f"sqlite:///{db}"):
        pass
    with sqlite3.connect(db) as con:
        (version,) = con.execute("SELECT version_num FROM alembic_version").fetchone()
    assert version == alembic_head.alembic_head()
