"""`intake_zip`: an LMS "download all submissions" zip -> nbgrader's submitted/ layout.

    report = intake_zip(Path("submissions.zip"), "l2_dot_product",
                        ["L-2-dot-product-similarity"], Path("submitted"),
                        roster={"12345": "jdoe"}, due=datetime(2025, 3, 1, 23, 59))

writes submitted/<student>/<assignment>/<notebook>.ipynb and .../timestamp.txt for every
entry it can attribute, and says in the report what happened to every other entry.

- Names: Canvas and Moodle formats, see autograder/intake/names.py (formats and sources).
- Students: `roster` maps an LMS id (Canvas user id or "anon_<id>", Moodle participant id)
  or a login/full name (case-insensitive) to the course's student id; an entry whose sender
  is not in the roster is unmatched. Without a roster the student id is the login/full name
  reduced to [A-Za-z0-9_.-] ("Jane Doe" -> "Jane_Doe", "Müller" -> "Muller"; "<lms>-<id>"
  such as "canvas-12345" when nothing is left, as for a Chinese name); two LMS users that
  reduce to the same id are unmatched (ambiguous), never merged.
- Times: the entry's extended timestamp (UTC) if present, else its DOS time read in `zone`
  (a naive `due` is read in `zone` too). Moodle entries carry the file's modification time:
  late = after `due`. Canvas entries carry the time Canvas built the zip (content_zipper
  writes through rubyzip's get_output_stream, whose entry time defaults to now), so for
  Canvas late = its LATE marker, and with `due` the time is moved to agree: just past `due`
  when LATE, at most `due` when not. timestamp.txt holds the newest time of the student's
  notebooks in nbgrader's format ("%Y-%m-%d %H:%M:%S.%f %Z" in UTC, as `nbgrader submit`
  writes it), so nbgrader's and our late checks read the same thing.
- Renamed files ("Untitled.ipynb", "L-2-…-Copy1.ipynb", "作业.ipynb"): with `templates`, an
  entry whose name is no notebook of the assignment is read and identified by its cells, as
  `autograder grade` does for files in submitted/ (autograder/locate.py, course.assembly.fit);
  one holding none of the assignment's cells is unmatched, with the reason.
- Duplicates (same student and notebook twice): one with answers written wins over one
  without, then the newest time, then the expected name over a renamed file, then the highest
  re-upload number ("-2" over "-1"), then the highest Canvas attachment id.
- Safety: see safezip.py. Entries are staged in submitted/.intake-* and moved into place;
  the zip is only read; an existing different file is never replaced unless force=True.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import unicodedata
import zipfile
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone, tzinfo
from pathlib import Path

from nbformat import NotebookNode

from autograder.intake.names import Origin, notebook_of, parse_entry
from autograder.intake.report import Conflict, Duplicate, IntakeReport, Matched, Skipped
from autograder.intake.safezip import (
    DEFAULT_LIMITS,
    EntryRefused,
    IntakeError,
    ZipLimits,
    entry_name,
    entry_time,
    extract_bounded,
    open_zip,
    refusal,
)
from autograder.locate import EXPORTS, NOTEBOOK_SUFFIXES, read_submission
from course.assembly import fit

SAFE_ID = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")
TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S.%f %Z"  # nbgrader's Exchange.timestamp_format


@dataclass
class _Candidate:
    entry: str
    info: zipfile.ZipInfo
    origin: Origin
    student: str
    notebook: str
    reupload: int
    when: datetime
    late: bool
    note: str = ""
    staged: Path | None = None
    work: int = 1  # answers written (course.assembly.Fit.work); 1 when not measured

    def order(self) -> tuple:
        renamed = self.notebook == ""
        return (
            self.work > 0,
            self.when,
            not renamed,
            self.reupload,
            self.origin.upload_id,
            self.entry,
        )


def safe_id(text: str) -> str:
    """`text` reduced to [A-Za-z0-9_.-] (accents dropped, other runs become "_")."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", plain).strip("._-")


def stamp(when: datetime) -> str:
    return when.astimezone(timezone.utc).strftime(TIMESTAMP_FORMAT)


def _roster(roster: dict[str, str] | None) -> dict[str, str] | None:
    if roster is None:
        return None
    bad = sorted(v for v in roster.values() if not SAFE_ID.match(v))
    if bad:
        raise IntakeError(
            f"roster maps to unusable student ids (allowed: A-Z a-z 0-9 _ . -): {bad[:5]}"
        )
    return {str(k).casefold(): v for k, v in roster.items()}


def _student(origin: Origin, roster: dict[str, str] | None) -> str | None:
    if roster is not None:
        keys = (origin.lms_id, origin.login)
        return next((roster[k.casefold()] for k in keys if k and k.casefold() in roster), None)
    return safe_id(origin.login) or safe_id(f"{origin.lms}-{origin.lms_id}") or None


@dataclass(frozen=True)
class _Rules:
    """What decides the fate of an entry."""

    assignment: str
    notebooks: list[str]
    roster: dict[str, str] | None
    due: datetime | None
    zone: tzinfo
    fallback: datetime  # when an entry has no valid date: the zip file's own time
    limits: ZipLimits
    templates: dict[str, tuple[NotebookNode, NotebookNode]]  # stem -> (source, release)


def _timing(info: zipfile.ZipInfo, origin: Origin, rules: _Rules) -> tuple[datetime, bool, str]:
    """(time for timestamp.txt, late, note). Canvas's LATE marker decides for Canvas entries,
    whose zip times are only when the zip was built; the time is made to agree with it."""
    when, note, due = entry_time(info, rules.zone), "", rules.due
    if when is None:
        when, note = rules.fallback, "the entry has no valid date; the zip file's time is used"
    if origin.lms != "canvas":
        return when, due is not None and when > due, note
    if due is not None and origin.late and when <= due:
        when, note = due + timedelta(seconds=1), "Canvas marked it LATE: time set past the due date"
    elif due is not None and not origin.late and when > due:
        when, note = due, "Canvas did not mark it LATE: time set to the due date"
    return when, origin.late, note


def _refusal(info: zipfile.ZipInfo, name: str, rules: _Rules) -> str | None:
    reason = refusal(info, rules.limits)
    if reason is None and not info.is_dir() and not name.lower().endswith(NOTEBOOK_SUFFIXES):
        kind = EXPORTS.get(Path(name).suffix.lower(), "")
        reason = "not a notebook (.ipynb)" + (
            f": {kind}" if kind and "onlinetext" not in name else ""
        )
    return reason


def _attribute(info: zipfile.ZipInfo, name: str, rules: _Rules) -> _Candidate | str:
    """The entry as a candidate submission, or why it cannot be attributed."""
    origin = parse_entry(name)
    if origin is None:
        return "no student in the name (neither the Canvas nor the Moodle format)"
    filename = origin.filename
    for suffix in NOTEBOOK_SUFFIXES[1:]:  # "x.ipynb.json" as some browsers save it
        if filename.lower().endswith(suffix):
            filename = filename[: -len(suffix)] + ".ipynb"
    notebook = notebook_of(filename, rules.notebooks)
    if notebook is None and rules.templates:
        notebook = ("", 0)  # renamed: identified by its cells once extracted (_identify)
    if notebook is None:
        return f"not a notebook of {rules.assignment} (expected {', '.join(rules.notebooks)})"
    student = _student(origin, rules.roster)
    if student is None:
        return (
            f"{origin.lms} user {origin.lms_id or '-'} ({origin.login or 'anonymous'}) "
            "is not in the roster"
        )
    when, late, note = _timing(info, origin, rules)
    return _Candidate(name, info, origin, student, notebook[0], notebook[1], when, late, note)


def _screen(zf: zipfile.ZipFile, rules: _Rules, report: IntakeReport) -> list[_Candidate]:
    """Judge every entry by its central directory record and its name; nothing is read yet."""
    found = []
    for info in zf.infolist():
        name = entry_name(info)
        reason = _refusal(info, name, rules)
        if reason:
            report.refused.append(Skipped(name, reason))
            continue
        if info.is_dir():
            continue
        got = _attribute(info, name, rules)
        if isinstance(got, str):
            report.unmatched.append(Skipped(name, got))
        else:
            found.append(got)
    return found


def _drop_ambiguous(found: list[_Candidate], report: IntakeReport) -> list[_Candidate]:
    """Without a roster: two LMS users whose names reduce to one student id are not guessed."""
    who: dict[str, set] = defaultdict(set)
    for c in found:
        who[c.student].add((c.origin.lms, c.origin.lms_id or c.origin.login))
    keep = []
    for c in found:
        if len(who[c.student]) > 1:
            report.unmatched.append(
                Skipped(
                    c.entry,
                    f"ambiguous: several LMS users map to student id {c.student!r}; pass a roster",
                )
            )
        else:
            keep.append(c)
    return keep


def _extract(
    zf: zipfile.ZipFile,
    found: list[_Candidate],
    staging: Path,
    limits: ZipLimits,
    report: IntakeReport,
) -> list[_Candidate]:
    spent, ok = 0, []
    for i, c in enumerate(found):
        dest = staging / f"{i}.ipynb"
        try:
            spent += extract_bounded(zf, c.info, dest, limits, spent)
        except EntryRefused as exc:
            report.refused.append(Skipped(c.entry, str(exc)))
            continue
        c.staged = dest
        ok.append(c)
    return ok


def _identify(found: list[_Candidate], rules: _Rules, report: IntakeReport) -> list[_Candidate]:
    """Which notebook each extracted entry is, by its cells (course.assembly.fit); renamed
    entries that hold none of the assignment's cells are unmatched. Also measures answers
    written, which ranks duplicates."""
    if not rules.templates:
        return found
    kept = []
    max_mb = rules.limits.max_file_bytes / 2**20
    for c in found:
        try:
            nb, _ = read_submission(c.staged, max_mb, max_mb)
            fits = {stem: fit(nb, *pair) for stem, pair in rules.templates.items()}
        except Exception as exc:
            nb, fits = None, {}
            reason = f"unreadable notebook: {exc}"[:200]
        if c.notebook:  # named as expected: installed whatever it holds (grading says why)
            if c.notebook in fits:
                c.work = fits[c.notebook].work
            kept.append(c)
            continue
        belongs = {stem: f for stem, f in fits.items() if f.belongs}
        if not belongs:
            report.unmatched.append(
                Skipped(
                    c.entry,
                    reason
                    if nb is None
                    else f"{c.origin.filename!r} holds none of the cells of "
                    f"{', '.join(rules.notebooks)}",
                )
            )
            continue
        c.notebook = max(belongs, key=lambda stem: belongs[stem].score)
        c.work = belongs[c.notebook].work
        c.note = f"renamed file {c.origin.filename!r} identified by its cells as {c.notebook}" + (
            f"; {c.note}" if c.note else ""
        )
        kept.append(c)
    return kept


def _dedupe(found: list[_Candidate], report: IntakeReport) -> list[_Candidate]:
    groups: dict[tuple[str, str], list[_Candidate]] = defaultdict(list)
    for c in found:
        groups[(c.student, c.notebook)].append(c)
    kept = []
    for group in groups.values():
        best = max(group, key=_Candidate.order)
        kept.append(best)
        report.duplicates.extend(
            Duplicate(c.entry, c.student, c.notebook, best.entry) for c in group if c is not best
        )
    return kept


def _same(path: Path, data: bytes) -> bool:
    return path.is_file() and not path.is_symlink() and path.read_bytes() == data


def _target(folder: Path, c: _Candidate) -> Path:
    return folder / f"{c.notebook}.ipynb"


def _plan(group: list[_Candidate], folder: Path) -> tuple[list[_Candidate], str | None, list[str]]:
    """(notebooks to write, timestamp to write or None, existing files that would change)."""
    writes = [c for c in group if not _same(_target(folder, c), c.staged.read_bytes())]
    ts_path = folder / "timestamp.txt"
    new_stamp = stamp(max(c.when for c in group))
    write_stamp = new_stamp if writes or not os.path.lexists(ts_path) else None
    changed = [_target(folder, c).name for c in writes if os.path.lexists(_target(folder, c))]
    if write_stamp and os.path.lexists(ts_path) and not _same(ts_path, write_stamp.encode()):
        changed.append(ts_path.name)
    return writes, write_stamp, changed


def _write(writes: list[_Candidate], write_stamp: str | None, folder: Path, staging: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for c in writes:
        os.replace(c.staged, _target(folder, c))
    if write_stamp:
        tmp = staging / f"timestamp-{folder.parent.name}.txt"
        tmp.write_text(write_stamp, encoding="utf-8")
        os.replace(tmp, folder / "timestamp.txt")


def _install_student(
    group: list[_Candidate], folder: Path, staging: Path, force: bool, report: IntakeReport
) -> None:
    """Move one student's notebooks into `folder` and write timestamp.txt, or report why not."""
    writes, write_stamp, changed = _plan(group, folder)
    if changed and not force:
        report.conflicts.extend(
            Conflict(
                c.entry,
                c.student,
                str(folder),
                "would replace "
                f"different existing {', '.join(changed)}; pass "
                "force=True to replace",
            )
            for c in group
        )
        return
    try:
        _write(writes, write_stamp, folder, staging)
    except OSError as exc:
        report.conflicts.extend(
            Conflict(c.entry, c.student, str(folder), f"cannot install: {exc}") for c in group
        )
        return
    written = {id(c) for c in writes}
    for c in group:
        note = c.note or (
            "" if id(c) in written else "already in submitted/, identical; left as is"
        )
        report.matched.append(
            Matched(
                c.student, c.notebook, str(_target(folder, c)), stamp(c.when), c.late, c.entry, note
            )
        )


def _install(
    kept: list[_Candidate],
    submitted: Path,
    assignment: str,
    staging: Path,
    force: bool,
    report: IntakeReport,
) -> None:
    by_student: dict[str, list[_Candidate]] = defaultdict(list)
    for c in kept:
        by_student[c.student].append(c)
    base = submitted.resolve()
    for student, group in sorted(by_student.items()):
        folder = submitted / student / assignment
        if not folder.resolve().is_relative_to(base):
            report.conflicts.extend(
                Conflict(c.entry, student, str(folder), "folder resolves outside submitted/")
                for c in group
            )
            continue
        _install_student(group, folder, staging, force, report)


def _aware(due: datetime | None, zone: tzinfo) -> datetime | None:
    return due if due is None or due.tzinfo else due.replace(tzinfo=zone)


def intake_zip(
    zip_path: Path,
    assignment: str,
    notebooks: list[str],
    submitted: Path,
    *,
    roster: dict[str, str] | None = None,
    due: datetime | None = None,
    limits: ZipLimits = DEFAULT_LIMITS,
    zone: tzinfo = timezone.utc,
    force: bool = False,
    templates: dict[str, tuple[NotebookNode, NotebookNode]] | None = None,
) -> IntakeReport:
    """Install the notebooks of an LMS zip into `submitted`; report every entry's fate.

    `notebooks`: the assignment's notebook names (stems or file names). `templates`: stem ->
    (source, release) notebooks, to identify renamed files by their cells (without it, only
    names count). `zone`: the course time zone (DOS entry times, a naive `due`). Raises IntakeError
    when the zip as a whole is refused (nothing is installed then); a bad entry is reported
    and the rest goes on.
    """
    if not SAFE_ID.match(assignment):
        raise IntakeError(f"unusable assignment name {assignment!r}")
    stems = [n[: -len(".ipynb")] if n.endswith(".ipynb") else n for n in notebooks]
    table = _roster(roster)
    report = IntakeReport(zip=str(zip_path), assignment=assignment)
    with open_zip(zip_path, limits) as zf:
        fallback = datetime.fromtimestamp(zip_path.stat().st_mtime, timezone.utc)
        rules = _Rules(
            assignment, stems, table, _aware(due, zone), zone, fallback, limits, templates or {}
        )
        found = _screen(zf, rules, report)
        if table is None:
            found = _drop_ambiguous(found, report)
        submitted.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".intake-", dir=submitted))
        try:
            extracted = _extract(zf, found, staging, limits, report)
            kept = _dedupe(_identify(extracted, rules, report), report)
            _install(kept, submitted, assignment, staging, force, report)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return report
