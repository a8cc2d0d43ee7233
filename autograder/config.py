"""Defaults of `autograder grade` / `intake` taken from the course root's nbgrader_config.py.

Where nbgrader has a setting for one of our limits, the instructor sets it once in
nbgrader_config.py and both stock nbgrader and our commands follow it; a command-line option
still wins. The settings read:

    c.Execute.timeout                 seconds per cell          -> --timeout
    c.ExecutePreprocessor.timeout     (the same, on the class nbgrader's Execute extends;
                                      c.Execute wins, as in traitlets)
    c.CourseDirectory.max_file_size   KB, files larger ignored  -> --max-upload-mb
    c.Exchange.timezone               zone of the exchange's    -> --timezone
                                      timestamps (default UTC)
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from traitlets.config.loader import PyFileConfigLoader

from autograder.sandbox import Limits
from autograder.timestamps import DEFAULT_ZONE


@dataclass(frozen=True)
class Settings:
    cell_timeout: int = Limits.cell_timeout
    max_upload_mb: float = 100.0  # nbgrader's CourseDirectory.max_file_size default: 100000 KB
    timezone: str = DEFAULT_ZONE


def course_settings(root: Path) -> Settings:
    """The settings above from ROOT/nbgrader_config.py (defaults when absent or unreadable)."""
    path = root / "nbgrader_config.py"
    if not path.is_file():
        return Settings()
    try:
        cfg = PyFileConfigLoader(path.name, path=str(root)).load_config()
    except Exception:  # a broken config must not stop grading; stock nbgrader will say why
        return Settings()
    default = Settings()
    coursedir, exchange = cfg.CourseDirectory, cfg.Exchange
    timeout = cfg.Execute.get("timeout", cfg.ExecutePreprocessor.get("timeout"))
    return Settings(
        cell_timeout=int(default.cell_timeout if timeout is None else timeout),
        max_upload_mb=float(coursedir.get("max_file_size", default.max_upload_mb * 1000)) / 1000,
        timezone=str(exchange.get("timezone", default.timezone)),
    )
