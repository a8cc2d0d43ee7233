"""Limits and the course time zone from nbgrader_config.py, overridden on the command line."""

from __future__ import annotations

from autograder import cli as autograder_cli
from autograder.config import Settings, course_settings


def test_settings_from_nbgrader_config(tmp_path):
    assert course_settings(tmp_path) == Settings()  # no config: nbgrader's defaults
    (tmp_path / "nbgrader_config.py").write_text(
        "c = get_config()\n"
        "c.ExecutePreprocessor.timeout = 17\n"
        "c.CourseDirectory.max_file_size = 5000\n"
        'c.Exchange.timezone = "Asia/Shanghai"\n',
        encoding="utf-8",
    )
    assert course_settings(tmp_path) == Settings(17, 5.0, "Asia/Shanghai")
    (tmp_path / "nbgrader_config.py").write_text("this is not python", encoding="utf-8")
    assert course_settings(tmp_path) == Settings()


def test_unknown_time_zone_is_a_clear_error(tmp_path, capsys):
    (tmp_path / "submitted").mkdir()
    code = autograder_cli.main(
        [
            "--root",
            str(tmp_path),
            "grade",
            "--submitted",
            str(tmp_path / "submitted"),
            "--timezone",
            "Mars/Olympus",
        ]
    )
    assert code == 2 and "unknown time zone 'Mars/Olympus'" in capsys.readouterr().err


def test_every_limit_is_an_option():
    help_text = autograder_cli.parser()._subparsers._group_actions[0].choices["grade"].format_help()
    for option in (
        "--timeout",
        "--notebook-timeout",
        "--memory-mb",
        "--cpu-seconds",
        "--max-processes",
        "--max-file-mb",
        "--max-output-kb",
        "--max-notebook-mb",
        "--max-upload-mb",
        "--timezone",
    ):
        assert option in help_text, option
