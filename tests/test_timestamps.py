"""timestamp.txt in every spelling nbgrader's exchange and the LMS intake write (issue 8.3)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from autograder.intake.lms import stamp
from autograder.timestamps import as_utc, course_zone, parse_timestamp

SHANGHAI, CHICAGO, UTC = ZoneInfo("Asia/Shanghai"), ZoneInfo("America/Chicago"), timezone.utc
# 23:30 in Shanghai on 1 Dec 2026 is 15:30 UTC
AT_1530 = datetime(2026, 12, 1, 15, 30, tzinfo=UTC)

TABLE = [
    # (timestamp.txt, course zone, the moment in UTC)
    # nbgrader's exchange, Exchange.timezone = "Asia/Shanghai": %Z prints CST (issue 8.3)
    ("2026-12-01 23:30:00.000000 CST", SHANGHAI, AT_1530),
    # the same abbreviation with a US course: US Central Standard Time, UTC-6
    ("2026-12-01 23:30:00.000000 CST", CHICAGO, datetime(2026, 12, 2, 5, 30, tzinfo=UTC)),
    # nbgrader's default (UTC) and our LMS intake
    ("2026-12-01 15:30:00.000000 UTC", SHANGHAI, AT_1530),
    ("2026-12-01 15:30:00 GMT", SHANGHAI, AT_1530),
    ("2026-12-01T15:30:00Z", SHANGHAI, AT_1530),
    ("2026-12-01T15:30:00.123Z", UTC, AT_1530 + timedelta(milliseconds=123)),
    # numeric offsets in every spelling, ISO signs (east of Greenwich is +)
    ("2026-12-01 23:30:00.000000 +0800", UTC, AT_1530),
    ("2026-12-01 23:30:00+08:00", UTC, AT_1530),
    ("2026-12-01T23:30:00+08:00", CHICAGO, AT_1530),
    ("2026-12-01 23:30:00 +08", UTC, AT_1530),
    ("2026-12-01 23:30:00 UTC+08:00", UTC, AT_1530),  # %Z of a fixed-offset datetime
    ("2026-12-01 23:30:00 UTC+8", UTC, AT_1530),  # dateutil alone reads this as UTC-8
    ("2026-12-01 23:30:00 GMT+0800", UTC, AT_1530),
    ("2026-12-01 23:30:00.000000 CST+0800", UTC, AT_1530),  # %Z%z
    ("2026-12-01 10:00:00 -05:30", UTC, datetime(2026, 12, 1, 15, 30, tzinfo=UTC)),
    # unambiguous abbreviations, any course zone; daylight saving names
    ("2026-12-01 10:30:00 EST", SHANGHAI, AT_1530),
    ("2026-12-02 00:30:00 JST", CHICAGO, AT_1530),
    ("2026-07-01 12:00:00 CEST", SHANGHAI, datetime(2026, 7, 1, 10, 0, tzinfo=UTC)),
    ("2026-07-01 12:00:00 CDT", CHICAGO, datetime(2026, 7, 1, 17, 0, tzinfo=UTC)),  # Cuba too
    # an ambiguous abbreviation the course zone uses: IST in India
    ("2026-07-01 12:00:00 IST", ZoneInfo("Asia/Kolkata"), datetime(2026, 7, 1, 6, 30, tzinfo=UTC)),
    # IANA names
    ("2026-12-01 23:30:00 Asia/Shanghai", UTC, AT_1530),
    # naive times are in the course time zone
    ("2026-12-01 23:30:00.000000", SHANGHAI, AT_1530),
    ("2026-12-01 23:30:00", UTC, datetime(2026, 12, 1, 23, 30, tzinfo=UTC)),
    ("2026-07-01 12:00:00", CHICAGO, datetime(2026, 7, 1, 17, 0, tzinfo=UTC)),  # CDT
    ("12/01/2026 11:30 PM CST", SHANGHAI, AT_1530),
    ("\ufeff2026-12-01 15:30:00 UTC\n", UTC, AT_1530),  # BOM and newline from an editor
]


@pytest.mark.parametrize("text,zone,expected", TABLE, ids=[f"{t!r}@{z}" for t, z, _ in TABLE])
def test_timestamp_table(text, zone, expected):
    got = parse_timestamp(text, zone)
    assert got.tzinfo is not None
    assert as_utc(got) == expected


@pytest.mark.parametrize(
    "text,reason",
    [
        ("2026-12-01 23:30:00 CST", "ambiguous time zone abbreviation 'CST'"),  # course zone UTC
        ("2026-07-01 12:00:00 IST", "ambiguous"),  # India, Ireland, Israel
        ("2026-12-01 23:30:00 XYZ", "unknown time zone abbreviation"),
        ("yesterday-ish", "not a date and time"),
        ("", "empty"),
    ],
)
def test_unreadable_timestamps_say_why(text, reason):
    with pytest.raises(ValueError, match=reason):
        parse_timestamp(text, UTC)


def test_course_zone():
    assert course_zone(None) is timezone.utc and course_zone("") is timezone.utc
    assert course_zone("Asia/Shanghai") == SHANGHAI
    with pytest.raises(ValueError, match="unknown time zone"):
        course_zone("Mars/Olympus")


@given(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2037, 12, 31)))
def test_what_nbgrader_and_our_intake_write_reads_back(moment):
    """Exchange.timestamp_format with each zone, and the intake's stamp(), round-trip."""
    for zone in (SHANGHAI, CHICAGO, UTC):
        aware = moment.replace(tzinfo=zone)
        if aware.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != moment:
            continue  # a wall time skipped or repeated by daylight saving
        written = aware.strftime("%Y-%m-%d %H:%M:%S.%f %Z")
        assert as_utc(parse_timestamp(written, zone)) == aware.astimezone(UTC), written
    assert as_utc(parse_timestamp(stamp(moment.replace(tzinfo=UTC)), SHANGHAI)) == moment.replace(
        tzinfo=UTC
    )


def test_timestamp_file_next_to_the_notebook_or_up_to_the_assignment_folder(tmp_path):
    from pathlib import Path

    from autograder.grade import Job, submission_time

    folder = tmp_path / "student" / "l2_dot_product"
    notebook = folder / "unzipped" / "inner" / "x.ipynb"
    notebook.parent.mkdir(parents=True)
    notebook.write_text("{}", encoding="utf-8")
    job = Job(
        "s",
        "l2_dot_product",
        "x",
        notebook,
        Path("-"),
        Path("-"),
        Path("-"),
        folder=folder,
        timezone="Asia/Shanghai",
    )
    (tmp_path / "student" / "timestamp.txt").write_text("2026-01-01 00:00:00 UTC")
    assert submission_time(job) == (None, "")  # above the assignment folder: not this one's
    (folder / "timestamp.txt").write_text("2026-12-01 23:30:00.000000 CST")
    assert submission_time(job) == (AT_1530, "")
    (folder / "unzipped" / "timestamp.txt").write_text("soon")  # the nearest one counts
    stamp, note = submission_time(job)
    assert stamp is None and note.startswith("timestamp.txt unreadable (not a date and time")


@pytest.mark.parametrize(
    "zone, late, note",
    [
        ("UTC", "", "lateness not decided"),  # CST is not UTC's: the grader says so, never guesses
        ("Asia/Shanghai", "", ""),  # 10:00 CST = 02:00 UTC, before the 03:00 UTC deadline
        ("America/Chicago", "late by 13:00:00", ""),  # 10:00 CST = 16:00 UTC
    ],
)
def test_grading_decides_lateness_of_an_ambiguous_stamp_by_the_course_zone(
    tmp_path, zone, late, note
):
    from autograder.grade import Job, _late, submission_time

    (tmp_path / "nb.ipynb").write_text("{}", encoding="utf-8")
    (tmp_path / "timestamp.txt").write_text("2026-12-01 10:00:00 CST", encoding="utf-8")
    job = Job(
        "s",
        "a",
        "nb",
        tmp_path / "nb.ipynb",
        tmp_path / "src",
        tmp_path / "rel",
        tmp_path / "ag",
        due=datetime(2026, 12, 1, 3, 0, tzinfo=timezone.utc),
        timezone=zone,
        folder=tmp_path,
    )
    stamp, stamp_note = submission_time(job)
    assert (stamp is None) == bool(note)
    assert note in stamp_note if note else stamp_note == ""
    assert _late(job, stamp) == late
