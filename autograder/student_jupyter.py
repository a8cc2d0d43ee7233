"""The student edition's Jupyter configuration: nbgrader's student tools only.

nbgrader installs and enables all its JupyterLab parts, instructor ones included (its
installation docs, "nbgrader extensions in Jupyter Lab"). The student edition ships three
configuration files that its pyproject installs into <prefix>/etc/jupyter, the folder that
`jupyter labextension disable --level=sys_prefix` and `jupyter server extension disable
--sys-prefix` write to:

    jupyter_server_config.d/zz-llm-course-student.json
        server extensions formgrader and course_list off (assignment_list and
        validate_assignment stay on). Same folder as nbgrader's own nbgrader.json, which
        enables all four; jupyter_server merges that folder's files in name order, so the
        "zz-" name makes ours win.
    labconfig/page_config.d/zz-llm-course-student.json
        JupyterLab plugins @jupyter/nbgrader:formgrader, :create-assignment and :course-list
        disabled; the Nbgrader menu then shows only "Assignment List" (a menu item whose
        command no plugin registered is hidden), and the Validate button stays.
    nbgrader_config.py
        a student-side nbgrader config, so nbgrader's server extensions stop logging "No
        nbgrader_config.py file found"; the course's exchange settings go here.

Install the student edition in its own environment: an instructor's environment with the
edition installed loses formgrader too.
"""

from __future__ import annotations

import json
from pathlib import Path

NAME = "zz-llm-course-student.json"

SERVER_EXTENSIONS_OFF = (
    "nbgrader.server_extensions.formgrader",
    "nbgrader.server_extensions.course_list",
)
LAB_PLUGINS_OFF = (
    "@jupyter/nbgrader:formgrader",
    "@jupyter/nbgrader:create-assignment",
    "@jupyter/nbgrader:course-list",
)

NBGRADER_CONFIG = '''\
"""nbgrader settings for students of the LLM-training course (student edition).

Students only fetch, validate and submit. If your course hands out assignments through
nbgrader's exchange, set the same values the instructor uses, for example:

    c.CourseDirectory.course_id = "llm-training"
    c.Exchange.root = "/srv/nbgrader/exchange"
"""

c = get_config()  # noqa: F821  (nbgrader injects get_config)
'''

# path inside <prefix>/etc/jupyter -> file content
FILES = {
    f"jupyter_server_config.d/{NAME}": json.dumps(
        {"ServerApp": {"jpserver_extensions": dict.fromkeys(SERVER_EXTENSIONS_OFF, False)}},
        indent=2,
    )
    + "\n",
    f"labconfig/page_config.d/{NAME}": json.dumps(
        {"disabledExtensions": dict.fromkeys(LAB_PLUGINS_OFF, True)}, indent=2
    )
    + "\n",
    "nbgrader_config.py": NBGRADER_CONFIG,
}

FOLDER = "jupyter-config"  # where the files sit in the edition, before installation


def data_files_toml() -> str:
    """The pyproject table that installs FILES into <prefix>/etc/jupyter."""
    by_dir: dict[str, list[str]] = {}
    for rel in FILES:
        target = str(Path("etc/jupyter", rel).parent)
        by_dir.setdefault(target, []).append(f"{FOLDER}/{rel}")
    lines = ["[tool.setuptools.data-files]"]
    lines += [f'"{target}" = {json.dumps(files)}' for target, files in sorted(by_dir.items())]
    return "\n".join(lines) + "\n"


def write(edition: Path) -> list[Path]:
    """Write FILES under edition/jupyter-config/ (the pyproject installs them)."""
    paths = []
    for rel, text in FILES.items():
        path = edition / FOLDER / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths
