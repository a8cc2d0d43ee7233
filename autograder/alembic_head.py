"""nbgrader's gradebook schema version, looked up in-process instead of by a subprocess.

`nbgrader.api.Gradebook` stamps every new database with the head revision of its alembic
migrations. nbgrader 0.9 finds it by running the `alembic heads` command (a new Python that
imports alembic and nbgrader: about 3 s on the course machine, paid once per new gradebook,
so by every grading run into a fresh folder). The same answer comes from alembic's
`ScriptDirectory` on nbgrader's own migration folder in about 0.1 s.

`install()` swaps nbgrader's function for ours; every module that opens a gradebook imports
this one. The value is the same by construction (tests/test_alembic_head.py compares it with
nbgrader's own subprocess once).
"""

from __future__ import annotations

import functools

import nbgrader.api
from alembic.script import ScriptDirectory
from nbgrader.dbutil import ALEMBIC_DIR

NBGRADER_OWN = nbgrader.api.get_alembic_version  # the subprocess version, kept for the test


@functools.cache
def alembic_head() -> str:
    """The head revision of nbgrader's migrations, e.g. "e43177bfe90b".

    Raises RuntimeError if the migrations have several heads (nbgrader's own function would
    silently take the first line of `alembic heads`; a branched history is a broken install).
    """
    heads = ScriptDirectory(ALEMBIC_DIR).get_heads()
    if len(heads) != 1:
        raise RuntimeError(f"nbgrader's alembic migrations have {len(heads)} heads: {heads}")
    return heads[0]


def install() -> None:
    """Make nbgrader.api use `alembic_head` (idempotent)."""
    nbgrader.api.get_alembic_version = alembic_head
