"""Read a submission's timestamp.txt in every spelling nbgrader's exchange and our intake write.

nbgrader's exchange writes `datetime.now(gettz(Exchange.timezone)).strftime(timestamp_format)`,
by default "%Y-%m-%d %H:%M:%S.%f %Z" (nbgrader/exchange/abc/exchange.py): "… UTC" with the
default zone, but "2026-12-01 23:30:00.000000 CST" with `timezone = "Asia/Shanghai"`, an
abbreviation nbgrader's own `parse_utc` cannot place and reads as UTC. Accepted here:

    zone abbreviations    "CST", "EST", "CET", "IST" … resolved with the IANA database
                          (zoneinfo/tzdata): the abbreviation is whatever zones use it at that
                          date; several offsets (CST: China +8, US Central −6, Cuba −5) are
                          decided by the course time zone if it uses the abbreviation then,
                          otherwise the timestamp is refused as ambiguous
    numeric offsets       "+0800", "+08:00", "+08", "-05:30", "UTC+8", "GMT+08:00",
                          "UTC+08:00" (what %Z prints for a fixed offset), "CST+0800":
                          the offset is read with ISO signs (east of Greenwich is +; dateutil
                          alone would read "UTC+8" the POSIX way, as UTC−8)
    UTC                   "UTC", "GMT", "Z", ISO 8601 "…T15:30:00Z"
    IANA names            "2026-12-01 23:30:00 Asia/Shanghai"
    naive times           "2026-12-01 23:30:00": in the course time zone

The course time zone is `autograder grade --timezone` / `autograder intake --timezone`, by
default nbgrader_config.py's `c.Exchange.timezone` (the zone nbgrader's exchange writes
timestamps in), else UTC (nbgrader's default).
"""

from __future__ import annotations

import functools
import re
from datetime import datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from dateutil import parser as date_parser

DEFAULT_ZONE = "UTC"  # nbgrader's Exchange.timezone default
# a zone name followed by a numeric offset: the offset decides, with ISO signs
NAMED_OFFSET = re.compile(
    r"(?:\b[A-Za-z]{1,5}\s*)?(?P<sign>[+-])(?P<h>\d{1,2})(?::?(?P<m>\d{2}))?\s*$"
)
IANA_NAME = re.compile(r"\s+(?P<zone>[A-Za-z][A-Za-z0-9_+-]*(?:/[A-Za-z0-9_+-]+)+)\s*$")


def course_zone(name: str | None) -> tzinfo:
    """The IANA zone called `name` ("Asia/Shanghai"); UTC for None or "". ValueError if unknown."""
    if not name:
        return timezone.utc
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(
            f"unknown time zone {name!r} (use an IANA name such as Asia/Shanghai)"
        ) from exc


@functools.cache
def _zones() -> tuple[ZoneInfo, ...]:
    return tuple(ZoneInfo(name) for name in sorted(available_timezones()))


@functools.lru_cache(maxsize=256)
def _offsets(abbreviation: str, naive: datetime) -> frozenset[timedelta]:
    """UTC offsets of the IANA zones that call themselves `abbreviation` at `naive`."""
    found = set()
    for zone in _zones():
        aware = naive.replace(tzinfo=zone)
        if aware.tzname() == abbreviation:
            found.add(aware.utcoffset())
    return frozenset(found)


def _resolve(abbreviation: str, naive: datetime, zone: tzinfo) -> tzinfo:
    if naive.replace(tzinfo=zone).tzname() == abbreviation:
        return zone  # the course zone uses it then: also gets daylight saving right
    offsets = _offsets(abbreviation, naive.replace(minute=0, second=0, microsecond=0))
    if len(offsets) == 1:
        return timezone(next(iter(offsets)))
    if not offsets:
        raise ValueError(f"unknown time zone abbreviation {abbreviation!r}")
    spelled = ", ".join(sorted(f"UTC{_hours(o)}" for o in offsets))
    raise ValueError(
        f"ambiguous time zone abbreviation {abbreviation!r} ({spelled}) and the course time "
        f"zone ({naive.replace(tzinfo=zone).tzname()}) does not use it: set --timezone "
        "(or c.Exchange.timezone in nbgrader_config.py)"
    )


def _hours(offset: timedelta) -> str:
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def parse_timestamp(text: str, zone: tzinfo = timezone.utc) -> datetime:
    """The moment `text` names, as an aware datetime. ValueError with the reason if none.

    `zone` is the course time zone: it reads naive times and decides ambiguous abbreviations.
    """
    text = text.strip().lstrip("\ufeff")
    if not text:
        raise ValueError("empty timestamp")
    iana = IANA_NAME.search(text)
    if iana:
        naive = date_parser.parse(text[: iana.start()], ignoretz=True)
        return naive.replace(tzinfo=course_zone(iana["zone"]))
    offset = NAMED_OFFSET.search(text)
    # a date's own "-" (as in "2026-12-01") is not an offset: an offset follows a time
    if offset and re.search(
        r"\d:\d{2}(?::\d{2}(?:\.\d+)?)?\s*(?:[A-Za-z]{1,5}\s*)?$", text[: offset.start("sign")]
    ):
        minutes = int(offset["h"]) * 60 + int(offset["m"] or 0)
        delta = timedelta(minutes=minutes if offset["sign"] == "+" else -minutes)
        naive = date_parser.parse(text[: offset.start()], ignoretz=True)
        return naive.replace(tzinfo=timezone(delta))
    seen: list[tuple[str | None, int | None]] = []

    def remember(name, seconds):
        seen.append((name, seconds))
        return seconds if seconds is not None else 0

    try:
        parsed = date_parser.parse(text, tzinfos=remember)
    except (ValueError, OverflowError) as exc:
        raise ValueError(f"not a date and time: {text[:60]!r}") from exc
    naive = parsed.replace(tzinfo=None)
    name, seconds = seen[-1] if seen else (None, None)
    if seconds is not None:
        return naive.replace(tzinfo=timezone(timedelta(seconds=seconds)))
    if name:
        return naive.replace(tzinfo=_resolve(name, naive, zone))
    return naive.replace(tzinfo=zone)


def as_utc(moment: datetime, zone: tzinfo = timezone.utc) -> datetime:
    """`moment` in UTC; a naive one is read in `zone` (the course time zone)."""
    return (moment if moment.tzinfo else moment.replace(tzinfo=zone)).astimezone(timezone.utc)
