"""Where the course root is: the folder holding source/ (the repository itself by default)."""

from __future__ import annotations

from pathlib import Path


def default_root() -> Path:
    """The repository of an editable install, else the current folder."""
    here = Path(__file__).resolve().parents[1]
    return here if (here / "source").is_dir() else Path.cwd()
