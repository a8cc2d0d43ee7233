"""Release: nbgrader student notebooks for every level, and the student edition.

    release_assignments(root)            source/<slug>/*.ipynb  ->  release/<slug>/*.ipynb
    build_student_edition(root, out)     release/ + an installable `course` package -> out/

The student edition is what students receive: the release notebooks, the `course` package
(helpers, tiny model, data, and a copy of the release notebooks in course/templates/ that
`course check` assembles on) and a small pyproject to install it. It never contains
`autograder`, model answers or hidden tests (tests/test_leaks.py proves it).
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import zipfile
from pathlib import Path

from nbgrader.converters import GenerateAssignment
from nbgrader.coursedir import CourseDirectory
from traitlets.config import Config

from autograder import alembic_head, student_jupyter
from autograder.overwritecells import SANITIZE_PREPROCESSORS
from course.levels import LEVELS

alembic_head.install()  # new gradebooks: no `alembic heads` subprocess

CODE_STUB = "# 在这里写你的代码 (YOUR CODE HERE)\nraise NotImplementedError()"


COURSE_ID = (
    "llm-training-course"  # nbgrader's course_id (gradebook, exchange); see nbgrader_config.py
)


def nbgrader_config(
    root: Path, release_dir: Path | None = None, db_url: str | None = None
) -> Config:
    """The settings of nbgrader_config.py, built in code so that no cwd magic is involved."""
    cfg = Config()
    cfg.CourseDirectory.root = str(root.resolve())
    cfg.CourseDirectory.source_directory = "source"
    cfg.CourseDirectory.release_directory = str((release_dir or root / "release").resolve())
    cfg.ClearSolutions.code_stub = {"python": CODE_STUB}
    # nbgrader's default course_id "" is never created as a row of the gradebook's course
    # table; SQLite does not enforce the foreign key, PostgreSQL refuses every assignment.
    cfg.CourseDirectory.course_id = COURSE_ID
    cfg.Autograde.sanitize_preprocessors = SANITIZE_PREPROCESSORS  # no false checksum alarms
    if db_url is not None:
        cfg.CourseDirectory.db_url = db_url
    return cfg


def available_levels(root: Path) -> list[str]:
    """Slugs of the levels that have at least one source notebook, in course order."""
    return [lv.slug for lv in LEVELS if any((root / "source" / lv.slug).glob("*.ipynb"))]


def generate(
    root: Path, slug: str, release_dir: Path | None = None, db_url: str | None = None
) -> None:
    """Run nbgrader's generate_assignment for one level and fill the gradebook at `db_url`.

    Without `db_url` a throwaway gradebook is used (nbgrader's SaveCells step always needs one,
    even with its `no_database` option).
    """
    if db_url is None:
        with tempfile.TemporaryDirectory() as tmp:
            generate(root, slug, release_dir, f"sqlite:///{tmp}/gradebook.db")
        return
    cfg = nbgrader_config(root, release_dir, db_url)
    coursedir = CourseDirectory(config=cfg)
    coursedir.assignment_id = slug
    app = GenerateAssignment(coursedir=coursedir, config=cfg)
    app.force = True
    app.create_assignment = True
    app.log.setLevel(logging.WARNING)
    app.start()


def release_assignments(root: Path, release_dir: Path | None = None) -> list[str]:
    """Generate release/<slug>/ for every level with a source notebook; return the slugs."""
    slugs = available_levels(root)
    for slug in slugs:
        generate(root, slug, release_dir)
    return slugs


STUDENT_PYPROJECT = """\
[build-system]
requires = ["setuptools>=68"]
build-backend = "setuptools.build_meta"

[project]
name = "llm-training-course-student"
version = "{version}"
description = "Student edition of the LLM-training course: helpers, tiny model and notebooks."
requires-python = ">=3.10"
dependencies = ["torch>=2.2", "numpy>=1.24", "matplotlib>=3.7", "ipywidgets>=8",
                "jupyterlab>=4", "nbgrader>=0.9,<0.10", "nbclient>=0.10", "nbformat>=5.9"]

[project.scripts]
course = "course.cli:main"

[tool.setuptools.packages.find]
include = ["course*"]

[tool.setuptools.package-data]
course = ["data/*", "checkpoints/*", "templates/*/*.ipynb"]

"""

STUDENT_README = """\
# LLM 训练知识体系 · 学生版 (student edition)

安装（先装 CPU 版 torch 可避免下载巨大的 CUDA 版本）：

    pip install torch==2.13.0   # or the torch build that fits your machine
    pip install .
    jupyter lab notebooks/

每个文件夹是一个作业（assignment），每个 notebook 对应知识树的一篇核心文档。
在标有 `YOUR CODE HERE` 的单元格里实现函数；运行可见测试检查自己的作业，
或在终端运行 `course check notebooks/<作业>/<notebook>.ipynb`。
可见测试只是帮助；评分使用隐藏的检查。

Install with `pip install .`, open `notebooks/` in JupyterLab, implement the functions marked
`YOUR CODE HERE`, and check your work with the visible tests or `course check NOTEBOOK`.
"""


def _ignore(_dir: str, names: list[str]) -> set[str]:
    return {n for n in names if n in {"__pycache__", ".ipynb_checkpoints"} or n.endswith(".pyc")}


def build_student_edition(
    root: Path, out: Path, release_dir: Path | None = None, archive: bool = False
) -> Path:
    """Write the student edition to `out` (replacing it); with `archive`, also `out`.zip."""
    import course

    package = (
        root / "course"
        if (root / "course" / "__init__.py").is_file()
        else Path(course.__file__).parent
    )
    release_dir = release_dir or root / "release"
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    shutil.copytree(release_dir, out / "notebooks", ignore=_ignore)
    shutil.copytree(package, out / "course", ignore=_ignore)
    # `course check` assembles on these, as the grader does (course.assembly.find_templates):
    # the release notebooks again, untouched by the student, inside the installed package.
    shutil.copytree(release_dir, out / "course" / "templates", ignore=_ignore, dirs_exist_ok=True)
    (out / "pyproject.toml").write_text(
        STUDENT_PYPROJECT.format(version=course.__version__) + student_jupyter.data_files_toml()
    )
    student_jupyter.write(out)  # nbgrader's student tools only (autograder/student_jupyter.py)
    (out / "README.md").write_text(STUDENT_README, encoding="utf-8")
    if archive:
        zip_path = out.with_suffix(".zip")
        with zipfile.ZipFile(zip_path, "w", zipfile.ZIP_DEFLATED) as zf:
            for path in sorted(out.rglob("*")):
                if path.is_file():
                    zf.write(path, Path(out.name) / path.relative_to(out))
    return out
