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
    with open(tmp_path / "nbgrader_config.py", "a", encoding="utf-8") as fh:
        fh.write("c.Execute.timeout = 23\n")  # nbgrader's own Execute preprocessor: wins
    assert course_settings(tmp_path).cell_timeout == 23
    (tmp_path / "nbgrader_config.py").write_text("this is not python", encoding="utf-8")
    assert course_settings(tmp_path) == Settings()


def test_command_line_wins_over_nbgrader_config(tmp_path, monkeypatch):
    (tmp_path / "submitted").mkdir()
    (tmp_path / "nbgrader_config.py").write_text(
        "c = get_config()\n"
        "c.Execute.timeout = 17\n"
        "c.CourseDirectory.max_file_size = 5000\n"
        'c.Exchange.timezone = "Asia/Shanghai"\n',
        encoding="utf-8",
    )
    seen = {}

    def fake_grade_class(root, submitted, out, **kwargs):
        seen.update(kwargs)
        return []

    monkeypatch.setattr("autograder.grade.grade_class", fake_grade_class)
    argv = ["--root", str(tmp_path), "grade", "--quiet"]
    assert autograder_cli.main(argv) == 0
    assert seen["limits"].cell_timeout == 17 and seen["max_upload_mb"] == 5.0
    assert seen["timezone"] == "Asia/Shanghai"
    argv += ["--timeout", "9", "--max-upload-mb", "2", "--timezone", "Europe/Berlin"]
    argv += ["--max-notebook-mb", "3", "--disk-mb", "64", "--max-evidence-mb", "8"]
    assert autograder_cli.main(argv) == 0
    assert seen["limits"].cell_timeout == 9 and seen["max_upload_mb"] == 2.0
    assert seen["timezone"] == "Europe/Berlin" and seen["max_notebook_mb"] == 3.0
    assert seen["limits"].disk_mb == 64 and seen["limits"].max_evidence_mb == 8


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
        "--disk-mb",
        "--max-evidence-mb",
    ):
        assert option in help_text, option
