"""Who sent a file in an LMS download: Canvas and Moodle entry names, parsed.

Canvas, "Download Submissions" (instructure/canvas-lms, lib/content_zipper.rb: get_filename,
add_upload_submission, sanitize_user_name), a flat zip of

    <login>_[LATE_]<user id>_<attachment id>_<file name>
    [LATE_]anon_<anonymous id>_<attachment id>_<file name>        anonymous grading

  <login> is the student's sortable name lower-cased with everything but word characters
  removed ("Doe, Jane" -> "doejane"); LATE marks a submission after the due date (older
  Canvas lower-cased the whole prefix, so "late" is accepted too); <file name> is the
  uploaded file's display name, which Canvas suffixes "-1", "-2", ... when a student uploads
  a file of the same name again ("L-2-dot-product-similarity-1.ipynb").

Moodle, "Download all submissions" (moodle mod/assign: locallib.php download_submissions up
to 3.11, classes/downloader.php from 4.0):

    <Full Name>_<participant id>_assignsubmission_file_/<path>/<file>  folders, Moodle 3.1-3.11
    <Full Name>_<participant id>_assignsubmission_file/<path>/<file>   folders, Moodle >= 4.0
    <Full Name>_<participant id>_assignsubmission_file_<file>          "download as folders" off

  <Full Name> has "_" replaced by " " ("Participant" under blind marking; a group name for
  team submissions); the participant id is the assignment's per-user id, not the user id.

Assumed, not seen in the sources: a zip re-packed by hand may put all of this under one more
top folder, so Canvas names are read from the last path component and Moodle folders
anywhere in the path.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

CANVAS = re.compile(
    r"^(?P<login>.+?)_(?:(?P<late>(?i:late))_)?(?P<uid>\d+)_(?P<fid>\d+)_(?P<file>.+)$"
)
CANVAS_ANON = re.compile(
    r"^(?:(?P<late>(?i:late))_)?(?P<uid>anon_[A-Za-z0-9]+)_(?P<fid>\d+)_(?P<file>.+)$"
)
MOODLE_FOLDER = re.compile(r"^(?P<name>[^_]+?)(?:_(?P<uid>\d+))?_assignsubmission_file_?$")
MOODLE_FLAT = re.compile(r"^(?P<name>[^_]+?)(?:_(?P<uid>\d+))?_assignsubmission_file_(?P<file>.+)$")
REUPLOAD = re.compile(r"^(?P<stem>.+?)(?:-(?P<n>\d+)| \((?P<m>\d+)\))$")


@dataclass(frozen=True)
class Origin:
    """What an entry's name says about its sender."""

    lms: str  # "canvas" | "moodle"
    lms_id: str  # Canvas user id or "anon_<id>"; Moodle participant id ("" for a team)
    login: str  # Canvas login (sortable name); Moodle full name; "" when anonymous
    filename: str  # the uploaded file's own name
    late: bool = False  # Canvas marked it LATE
    upload_id: int = 0  # Canvas attachment id: later uploads have larger ids


def _canvas(path: str) -> Origin | None:
    base = path.rsplit("/", 1)[-1]
    m = CANVAS_ANON.match(base) or CANVAS.match(base)
    if m is None:
        return None
    login = m.groupdict().get("login") or ""
    return Origin("canvas", m["uid"], login, m["file"], bool(m["late"]), int(m["fid"]))


def _moodle(path: str) -> Origin | None:
    parts = path.split("/")
    for part in parts[:-1]:
        m = MOODLE_FOLDER.match(part)
        if m:
            return Origin("moodle", m["uid"] or "", m["name"], parts[-1])
    m = MOODLE_FLAT.match(parts[-1])
    if m:
        return Origin("moodle", m["uid"] or "", m["name"], m["file"])
    return None


def parse_entry(path: str) -> Origin | None:
    """The sender of the zip entry at `path` ("/"-separated), or None if the name says none."""
    path = path.replace("\\", "/").strip("/")
    return _moodle(path) or _canvas(path)


def notebook_of(filename: str, notebooks: list[str]) -> tuple[str, int] | None:
    """(notebook stem, re-upload number) for an uploaded file name, or None.

    "X.ipynb" is notebook X with re-upload 0; "X-2.ipynb" (Canvas) and "X (2).ipynb" (a
    browser's second download) are X with re-upload 2, unless "X-2" is itself a notebook.
    """
    if not filename.lower().endswith(".ipynb"):
        return None
    stem = filename[: -len(".ipynb")]
    if stem in notebooks:
        return stem, 0
    m = REUPLOAD.match(stem)
    if m and m["stem"] in notebooks:
        return m["stem"], int(m["n"] or m["m"])
    return None
