"""The student edition's JupyterLab: nbgrader's student tools only, by its own configuration.

The edition is installed (pip, into a scratch prefix) and its installed files are read the way
jupyter_server, JupyterLab and nbgrader read them: instructor server extensions and lab plugins
off, assignment list and Validate on, no "No nbgrader_config.py file found" warning. No server
is started (the browser tests cover the UI).
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest
from conftest import ROOT
from jupyter_server.extension.config import ExtensionConfigManager
from jupyterlab_server.config import get_page_config

from autograder.release import build_student_edition
from autograder.student_jupyter import LAB_PLUGINS_OFF, SERVER_EXTENSIONS_OFF


@pytest.fixture(scope="module")
def prefix(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("student-jupyter")
    edition = build_student_edition(ROOT, tmp / "edition")
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--no-build-isolation", "--quiet"]
        + ["--no-compile", "--prefix", str(tmp / "prefix"), str(edition)],
        check=True,
    )
    etc = tmp / "prefix" / "etc" / "jupyter"
    # nbgrader's own file, which enables all four server extensions, in the same folder as
    # it would be when nbgrader is installed into the same environment
    nbgrader_json = _nbgrader_server_config()
    shutil.copy(nbgrader_json, etc / "jupyter_server_config.d" / nbgrader_json.name)
    return etc


def _nbgrader_server_config() -> Path:
    """nbgrader's installed jupyter_server_config.d/nbgrader.json (from its file list)."""
    return next(
        Path(f.locate()).resolve()
        for f in metadata.files("nbgrader")
        if str(f).endswith("jupyter_server_config.d/nbgrader.json")
    )


def test_instructor_server_extensions_off(prefix):
    enabled = ExtensionConfigManager(read_config_path=[str(prefix)]).get_jpserver_extensions()
    for name in SERVER_EXTENSIONS_OFF:
        assert enabled[name] is False, name
    assert enabled["nbgrader.server_extensions.assignment_list"] is True
    assert enabled["nbgrader.server_extensions.validate_assignment"] is True


def test_instructor_lab_plugins_disabled(prefix, tmp_path, monkeypatch):
    """What JupyterLab's page config (and `jupyter labextension list`) reports."""
    monkeypatch.setenv("JUPYTER_CONFIG_PATH", str(tmp_path / "nowhere"))
    before = set(get_page_config([], str(tmp_path))["disabledExtensions"])
    assert not before & set(LAB_PLUGINS_OFF), "this machine disables them already"
    monkeypatch.setenv("JUPYTER_CONFIG_PATH", str(prefix))
    disabled = set(get_page_config([], str(tmp_path))["disabledExtensions"])
    assert disabled - before == set(LAB_PLUGINS_OFF)
    assert "@jupyter/nbgrader:assignment-list" not in disabled
    assert "@jupyter/nbgrader:validate-assignment" not in disabled


def test_no_missing_nbgrader_config_warning(prefix, tmp_path, monkeypatch):
    from nbgrader.apps import NbGrader

    monkeypatch.chdir(tmp_path)
    messages = []

    def run(config_path: str) -> list[str]:
        monkeypatch.setenv("JUPYTER_CONFIG_PATH", config_path)
        app = NbGrader()
        handler = logging.Handler()
        handler.emit = lambda record: messages.append(record.getMessage())
        app.log.addHandler(handler)
        try:
            messages.clear()
            app.load_config_file()
            return [m for m in messages if "No nbgrader_config.py" in m]
        finally:
            app.log.removeHandler(handler)
            NbGrader.clear_instance()

    installed = run(str(prefix))
    assert installed == []
    if not any((Path(p) / "nbgrader_config.py").is_file() for p in _default_paths()):
        assert run(str(tmp_path / "nowhere")), "without the edition's file nbgrader warns"


def _default_paths() -> list[str]:
    from jupyter_core.paths import jupyter_config_path

    return jupyter_config_path()
