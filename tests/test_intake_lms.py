"""LMS zip intake: Canvas and Moodle names, roster, duplicates, lateness, and hostile zips.

Real notebooks (the L-2 model answer and the untouched release, from autograder.demo) are
packed into zips built here with zipfile; hostile entries are made by patching the headers
of an honest zip. Every test checks that the zip is unchanged and nothing was written
outside submitted/.
"""

from __future__ import annotations

import hashlib
import json
import stat
import struct
import zipfile
from datetime import datetime, timezone
from pathlib import Path

import pytest
from conftest import ROOT

from autograder.demo import build_class
from autograder.intake import IntakeError, ZipLimits, intake_zip
from autograder.release import release_assignments

A = "l2_dot_product"
NB = "L-2-dot-product-similarity"
NOTEBOOKS = [NB]
DUE = datetime(2025, 3, 1, 12, 0, tzinfo=timezone.utc)
BEFORE, AFTER = (2025, 3, 1, 10, 0, 0), (2025, 3, 2, 9, 30, 0)


@pytest.fixture(scope="module")
def notebooks(tmp_path_factory) -> dict[str, bytes]:
    """The bytes of two realistic submissions: 'answer' (model answer), 'blank' (untouched)."""
    tmp = tmp_path_factory.mktemp("class")
    release_assignments(ROOT, tmp / "release")
    build_class(ROOT / "source", tmp / "release", tmp / "submitted")
    path = f"{A}/{NB}.ipynb"
    return {
        "answer": (tmp / "submitted" / "model-answer" / path).read_bytes(),
        "blank": (tmp / "submitted" / "untouched" / path).read_bytes(),
    }


def make_zip(path: Path, entries: list[tuple]) -> Path:
    """entries: (name, data) or (name, data, date_time)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w") as zf:
        for name, data, *when in entries:
            info = zipfile.ZipInfo(name, when[0] if when else BEFORE)
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, data)
    return path


def patch_headers(
    path: Path, name: str, *, or_flags: int = 0, file_size: int | None = None
) -> None:
    """Rewrite one entry's flags / uncompressed size in its local and central headers."""
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as zf:
        local, pos = zf.getinfo(name).header_offset, zf.start_dir
    while data[pos : pos + 4] == b"PK\x01\x02":
        nlen, elen, clen = struct.unpack_from("<HHH", data, pos + 28)
        if bytes(data[pos + 46 : pos + 46 + nlen]) == name.encode():
            break
        pos += 46 + nlen + elen + clen
    for offset, flags_at, size_at in ((local, 6, 22), (pos, 8, 24)):
        flags = struct.unpack_from("<H", data, offset + flags_at)[0] | or_flags
        struct.pack_into("<H", data, offset + flags_at, flags)
        if file_size is not None:
            struct.pack_into("<I", data, offset + size_at, file_size)
    path.write_bytes(bytes(data))


def rename_bytes(path: Path, old: bytes, new: bytes) -> None:
    """Give an entry a raw (non-UTF-8) name: same length, in both headers, no UTF-8 flag."""
    assert len(old) == len(new)
    path.write_bytes(path.read_bytes().replace(old, new))


def files(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and not p.is_symlink()
    }


def links_in(root: Path) -> set[Path]:
    return {p for p in root.rglob("*") if p.is_symlink()}


@pytest.fixture
def run(tmp_path):
    """intake_zip, checking that the zip is untouched and only submitted/ was written."""
    submitted = tmp_path / "submitted"

    def _run(zip_path: Path, **kwargs):
        before_zip, before = hashlib.sha256(zip_path.read_bytes()).hexdigest(), files(tmp_path)
        links = links_in(tmp_path)
        try:
            return intake_zip(zip_path, A, NOTEBOOKS, submitted, **kwargs)
        finally:
            assert hashlib.sha256(zip_path.read_bytes()).hexdigest() == before_zip
            after = files(tmp_path)
            outside = {k: v for k, v in after.items() if not k.startswith("submitted/")}
            assert outside == {k: v for k, v in before.items() if not k.startswith("submitted/")}
            assert not list(submitted.glob(".intake-*")), "staging folder left behind"
            assert links_in(tmp_path) == links, "intake made a symlink"

    return _run


def installed(submitted: Path, student: str) -> Path:
    return submitted / student / A / f"{NB}.ipynb"


def test_canvas_names_late_and_reupload(tmp_path, run, notebooks):
    z = make_zip(
        tmp_path / "in" / "canvas.zip",
        [
            (f"doejane_12345_6789012_{NB}.ipynb", notebooks["blank"], BEFORE),
            (f"doejane_12345_6789015_{NB}-1.ipynb", notebooks["answer"], BEFORE),  # re-upload
            (f"smithbob_LATE_23456_6789020_{NB}.ipynb", notebooks["answer"], BEFORE),
            (f"LATE_anon_x7Kq2_6789030_{NB}.ipynb", notebooks["blank"], BEFORE),
        ],
    )
    report = run(z)
    sub = tmp_path / "submitted"
    got = {m.student: m for m in report.matched}
    assert set(got) == {"doejane", "smithbob", "canvas-anon_x7Kq2"}
    assert installed(sub, "doejane").read_bytes() == notebooks["answer"], "re-upload -1 wins"
    assert [d.entry for d in report.duplicates] == [f"doejane_12345_6789012_{NB}.ipynb"]
    assert report.duplicates[0].kept == f"doejane_12345_6789015_{NB}-1.ipynb"
    assert got["smithbob"].late and got["canvas-anon_x7Kq2"].late and not got["doejane"].late
    assert (sub / "doejane" / A / "timestamp.txt").read_text() == "2025-03-01 10:00:00.000000 UTC"
    assert not report.unmatched and not report.refused and not report.conflicts


def test_canvas_late_marker_decides_and_times_agree_with_it(tmp_path, run, notebooks):
    z = make_zip(
        tmp_path / "in" / "c.zip",
        [
            (f"smithbob_LATE_23456_1_{NB}.ipynb", notebooks["answer"], BEFORE),
            (f"doejane_12345_2_{NB}.ipynb", notebooks["answer"], AFTER),  # zip built after due
        ],
    )
    got = {m.student: m for m in run(z, due=DUE).matched}
    assert got["smithbob"].late and not got["doejane"].late
    assert got["smithbob"].timestamp == "2025-03-01 12:00:01.000000 UTC"
    assert got["doejane"].timestamp == "2025-03-01 12:00:00.000000 UTC"
    assert "LATE" in got["smithbob"].note and "LATE" in got["doejane"].note


def test_moodle_folders_and_late_from_zip_times(tmp_path, run, notebooks):
    z = make_zip(
        tmp_path / "in" / "moodle.zip",
        [
            ("Jane Doe_12345_assignsubmission_file_/", b"", BEFORE),  # a folder entry
            (f"Jane Doe_12345_assignsubmission_file_/{NB}.ipynb", notebooks["answer"], BEFORE),
            (f"Bob Smith_23456_assignsubmission_file/{NB}.ipynb", notebooks["blank"], AFTER),
            (f"Ann Lee_34567_assignsubmission_file_{NB}.ipynb", notebooks["answer"], BEFORE),
            ("Ann Lee_34567_assignsubmission_onlinetext_onlinetext.html", b"<p>hi</p>", BEFORE),
        ],
    )
    report = run(z, due=DUE)
    got = {m.student: m for m in report.matched}
    assert set(got) == {"Jane_Doe", "Bob_Smith", "Ann_Lee"}
    assert got["Bob_Smith"].late and not got["Jane_Doe"].late and not got["Ann_Lee"].late
    sub = tmp_path / "submitted"
    assert (sub / "Bob_Smith" / A / "timestamp.txt").read_text() == "2025-03-02 09:30:00.000000 UTC"
    assert installed(sub, "Jane_Doe").read_bytes() == notebooks["answer"]
    assert [r.reason for r in report.refused] == ["not a notebook (.ipynb)"]  # onlinetext


def test_naive_due_and_zip_times_read_in_a_zone(tmp_path, run, notebooks):
    from zoneinfo import ZoneInfo

    z = make_zip(
        tmp_path / "in" / "m.zip",
        [
            (
                f"Jane Doe_1_assignsubmission_file_/{NB}.ipynb",
                notebooks["answer"],
                (2025, 3, 1, 20, 0, 0),
            )
        ],
    )
    report = run(z, due=datetime(2025, 3, 1, 21, 0), zone=ZoneInfo("Asia/Shanghai"))
    assert not report.matched[0].late
    assert report.matched[0].timestamp == "2025-03-01 12:00:00.000000 UTC"


def test_duplicates_newest_time_wins(tmp_path, run, notebooks):
    z = make_zip(
        tmp_path / "in" / "m.zip",
        [
            (f"Jane Doe_12345_assignsubmission_file_/{NB} (1).ipynb", notebooks["blank"], BEFORE),
            (f"Jane Doe_12345_assignsubmission_file_/{NB}.ipynb", notebooks["answer"], AFTER),
        ],
    )
    report = run(z)
    assert installed(tmp_path / "submitted", "Jane_Doe").read_bytes() == notebooks["answer"]
    assert len(report.matched) == 1 and len(report.duplicates) == 1
    assert report.duplicates[0].entry.endswith("(1).ipynb")


def test_roster_maps_ids_and_logins(tmp_path, run, notebooks):
    z = make_zip(
        tmp_path / "in" / "c.zip",
        [
            (f"doejane_12345_1_{NB}.ipynb", notebooks["answer"]),
            (f"smithbob_23456_2_{NB}.ipynb", notebooks["answer"]),
            (f"stranger_99999_3_{NB}.ipynb", notebooks["answer"]),
        ],
    )
    report = run(z, roster={"12345": "s001", "SmithBob": "s002"})
    assert {m.student for m in report.matched} == {"s001", "s002"}
    assert [u.entry for u in report.unmatched] == [f"stranger_99999_3_{NB}.ipynb"]
    assert "roster" in report.unmatched[0].reason
    assert not (tmp_path / "submitted" / "stranger").exists()
    with pytest.raises(IntakeError, match="unusable student ids"):
        run(z, roster={"12345": "../evil"})


def test_unmatched_names_and_ambiguous_students(tmp_path, run, notebooks):
    z = make_zip(
        tmp_path / "in" / "m.zip",
        [
            ("doejane_12345_1_homework.ipynb", notebooks["answer"]),  # unknown notebook
            (f"{NB}.ipynb", notebooks["answer"]),  # no student in the name
            (f"Jane Doe_1_assignsubmission_file_/{NB}.ipynb", notebooks["answer"]),
            (f"Jane Doe_2_assignsubmission_file_/{NB}.ipynb", notebooks["blank"]),
        ],
    )
    report = run(z)
    reasons = {u.entry: u.reason for u in report.unmatched}
    assert "not a notebook of l2_dot_product" in reasons["doejane_12345_1_homework.ipynb"]
    assert "no student" in reasons[f"{NB}.ipynb"]
    assert sum("ambiguous" in r for r in reasons.values()) == 2
    assert not report.matched and not (tmp_path / "submitted" / "Jane_Doe").exists()


def test_zip_slip_absolute_symlink_and_encrypted_entries_refused(tmp_path, run, notebooks):
    link = zipfile.ZipInfo(f"linkuser_4_4_{NB}.ipynb", BEFORE)
    link.create_system = 3
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    z = tmp_path / "in" / "evil.zip"
    make_zip(
        z,
        [
            (f"../../etc/doejane_12345_1_{NB}.ipynb", notebooks["answer"]),
            ("../../etc/x.ipynb", notebooks["answer"]),
            ("/tmp/x.ipynb", notebooks["answer"]),
            (f"C:\\Users\\doejane_12345_2_{NB}.ipynb", notebooks["answer"]),
            (f"lockeduser_5_5_{NB}.ipynb", notebooks["answer"]),
            (f"gooduser_6_6_{NB}.ipynb", notebooks["answer"]),
        ],
    )
    with zipfile.ZipFile(z, "a") as zf:
        zf.writestr(link, "/etc/passwd")
    patch_headers(z, f"lockeduser_5_5_{NB}.ipynb", or_flags=0x1)
    report = run(z)
    reasons = {r.entry: r.reason for r in report.refused}
    assert "traversal" in reasons[f"../../etc/doejane_12345_1_{NB}.ipynb"]
    assert "traversal" in reasons["../../etc/x.ipynb"]
    assert reasons["/tmp/x.ipynb"] == "absolute path"
    assert reasons[f"C:\\Users\\doejane_12345_2_{NB}.ipynb"] == "absolute path"
    assert reasons[f"linkuser_4_4_{NB}.ipynb"] == "symlink entry"
    assert reasons[f"lockeduser_5_5_{NB}.ipynb"] == "encrypted entry"
    assert [m.student for m in report.matched] == ["gooduser"], "a bad entry stops nothing"
    assert sorted(p.name for p in (tmp_path / "submitted").iterdir()) == ["gooduser"]


def _zeros_entry(zf: zipfile.ZipFile, name: str, megabytes: int) -> None:
    info = zipfile.ZipInfo(name, BEFORE)
    info.compress_type = zipfile.ZIP_DEFLATED
    chunk = bytes(1024 * 1024)
    with zf.open(info, "w") as fh:
        for _ in range(megabytes):
            fh.write(chunk)


def test_zip_bomb_declared_size_and_ratio(tmp_path, run, notebooks):
    z = tmp_path / "in" / "bomb.zip"
    make_zip(z, [(f"gooduser_6_6_{NB}.ipynb", notebooks["answer"])])
    with zipfile.ZipFile(z, "a") as zf:
        _zeros_entry(zf, f"bomber_7_7_{NB}.ipynb", 200)
    assert z.stat().st_size < 1024 * 1024
    report = run(z)
    assert [r.entry for r in report.refused] == [f"bomber_7_7_{NB}.ipynb"]
    assert "zip bomb" in report.refused[0].reason
    assert [m.student for m in report.matched] == ["gooduser"]
    report = run(z, limits=ZipLimits(max_file_bytes=10**9))  # the ratio alone catches it
    assert "compression ratio" in report.refused[0].reason


def test_zip_bomb_header_under_reports_size(tmp_path, run, notebooks):
    z = tmp_path / "in" / "liar.zip"
    make_zip(z, [(f"gooduser_6_6_{NB}.ipynb", notebooks["answer"])])
    with zipfile.ZipFile(z, "a") as zf:
        _zeros_entry(zf, f"liar_8_8_{NB}.ipynb", 200)
    patch_headers(z, f"liar_8_8_{NB}.ipynb", file_size=5000)
    report = run(z)
    assert [r.entry for r in report.refused] == [f"liar_8_8_{NB}.ipynb"]
    assert "does not match its header" in report.refused[0].reason
    assert not (tmp_path / "submitted" / "liar").exists()
    assert [m.student for m in report.matched] == ["gooduser"]


def test_archive_refused_as_a_whole(tmp_path, run, notebooks):
    entries = [(f"user{i}_{i}_{i}_{NB}.ipynb", notebooks["answer"]) for i in range(4)]
    z = make_zip(tmp_path / "in" / "many.zip", entries)
    with pytest.raises(IntakeError, match="entries, more than the limit"):
        run(z, limits=ZipLimits(max_entries=3))
    with pytest.raises(IntakeError, match="in total"):
        run(z, limits=ZipLimits(max_total_bytes=3 * len(notebooks["answer"])))
    not_zip = tmp_path / "in" / "notes.zip"
    not_zip.write_bytes(b"this is not a zip archive")
    with pytest.raises(IntakeError, match="not a readable zip"):
        run(not_zip)
    cut = tmp_path / "in" / "cut.zip"
    cut.write_bytes(z.read_bytes()[: z.stat().st_size // 2])
    with pytest.raises(IntakeError):
        run(cut)
    assert not any((tmp_path / "submitted").glob("*/*")), "nothing installed"


def test_non_utf8_names(tmp_path, run, notebooks):
    z = make_zip(
        tmp_path / "in" / "legacy.zip",
        [
            (f"mXller_12345_1_{NB}.ipynb", notebooks["answer"]),
            (f"ZZZZZZ_23456_2_{NB}.ipynb", notebooks["answer"]),
        ],
    )
    rename_bytes(z, b"mXller_12345", "müller_12345".encode("cp437"))  # cp437, no UTF-8 flag
    rename_bytes(z, b"ZZZZZZ_23456", "张三_23456".encode())  # UTF-8 without the flag
    report = run(z)
    got = {m.student: m.entry for m in report.matched}
    assert got == {
        "muller": f"müller_12345_1_{NB}.ipynb",
        "canvas-23456": f"张三_23456_2_{NB}.ipynb",
    }
    json.dumps(report.to_dict(), ensure_ascii=False)


def test_existing_submissions_are_never_overwritten_without_force(tmp_path, run, notebooks):
    first = make_zip(tmp_path / "in" / "1.zip", [(f"doejane_1_1_{NB}.ipynb", notebooks["answer"])])
    run(first)
    again = run(first)
    assert "identical" in again.matched[0].note and not again.conflicts
    target = installed(tmp_path / "submitted", "doejane")
    second = make_zip(
        tmp_path / "in" / "2.zip", [(f"doejane_1_2_{NB}.ipynb", notebooks["blank"], AFTER)]
    )
    report = run(second)
    assert not report.matched and len(report.conflicts) == 1
    assert target.read_bytes() == notebooks["answer"]
    report = run(second, force=True)
    assert target.read_bytes() == notebooks["blank"] and report.matched
    assert (target.parent / "timestamp.txt").read_text() == "2025-03-02 09:30:00.000000 UTC"


def test_report_is_json(tmp_path, run, notebooks):
    z = make_zip(
        tmp_path / "in" / "c.zip",
        [(f"doejane_1_1_{NB}.ipynb", notebooks["answer"]), ("README.txt", b"hello")],
    )
    report = run(z)
    data = json.loads(report.to_json())
    assert data["matched"][0]["student"] == "doejane"
    assert data["refused"][0]["entry"] == "README.txt"
    assert "1 matched" in report.summary()


def test_planted_symlinks_and_folders_in_submitted_are_not_followed(tmp_path, run, notebooks):
    outside = tmp_path / "outside"
    outside.mkdir()
    sub = tmp_path / "submitted"
    sub.mkdir()
    (sub / "evil").symlink_to(outside, target_is_directory=True)
    (sub / "blocked" / A / f"{NB}.ipynb").mkdir(parents=True)  # a folder where a file goes
    z = make_zip(
        tmp_path / "in" / "c.zip",
        [
            (f"evil_1_1_{NB}.ipynb", notebooks["answer"]),
            (f"blocked_2_2_{NB}.ipynb", notebooks["answer"]),
            (f"fine_3_3_{NB}.ipynb", notebooks["answer"]),
        ],
    )
    report = run(z, force=True)
    reasons = {c.student: c.reason for c in report.conflicts}
    assert "outside submitted" in reasons["evil"] and not any(outside.iterdir())
    assert "cannot install" in reasons["blocked"]
    assert [m.student for m in report.matched] == ["fine"]


def test_missing_timestamp_is_restored(tmp_path, run, notebooks):
    z = make_zip(tmp_path / "in" / "c.zip", [(f"doejane_1_1_{NB}.ipynb", notebooks["answer"])])
    run(z)
    stamp_file = tmp_path / "submitted" / "doejane" / A / "timestamp.txt"
    stamp_file.unlink()
    report = run(z)
    assert not report.conflicts and stamp_file.read_text() == "2025-03-01 10:00:00.000000 UTC"


def test_extended_timestamp_wins_over_dos_time(tmp_path, run, notebooks):
    z = tmp_path / "in" / "m.zip"
    z.parent.mkdir(parents=True)
    info = zipfile.ZipInfo(f"Jane Doe_1_assignsubmission_file/{NB}.ipynb", BEFORE)
    after = int(datetime(2025, 3, 2, 9, 30, tzinfo=timezone.utc).timestamp())
    info.extra = struct.pack("<HHBi", 0x5455, 5, 1, after)  # Info-ZIP "UT": mtime, UTC
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr(info, notebooks["answer"])
    report = run(z, due=DUE)
    assert report.matched[0].late
    assert report.matched[0].timestamp == "2025-03-02 09:30:00.000000 UTC"


def test_renamed_notebooks_are_identified_by_their_cells(tmp_path, run, notebooks):
    """Issue 8.1 for LMS zips: 'Untitled.ipynb' next to '…-Copy1.ipynb', a Chinese file name,
    an export instead of the notebook."""
    from nbformat import read as nb_read
    from nbformat import reads, v4, writes

    source = nb_read(ROOT / "source" / A / f"{NB}.ipynb", as_version=4)
    release = reads(notebooks["blank"].decode(), as_version=4)
    empty = writes(v4.new_notebook(cells=[v4.new_code_cell("")])).encode()
    z = make_zip(
        tmp_path / "in" / "renamed.zip",
        [
            ("doejane_12345_1_Untitled.ipynb", empty, BEFORE),
            (f"doejane_12345_2_{NB}-Copy1.ipynb", notebooks["answer"], BEFORE),
            ("Ann Lee_34567_assignsubmission_file_/作业.ipynb", notebooks["answer"], BEFORE),
            (f"smithbob_23456_3_{NB}.py", b"# %%\nimport torch\n", BEFORE),
        ],
    )
    report = run(z, templates={NB: (source, release)})
    sub = tmp_path / "submitted"
    got = {m.student: m for m in report.matched}
    assert set(got) == {"doejane", "Ann_Lee"}
    assert installed(sub, "doejane").read_bytes() == notebooks["answer"]
    assert installed(sub, "Ann_Lee").read_bytes() == notebooks["answer"]
    assert "identified by its cells" in got["doejane"].note
    assert [u.entry for u in report.unmatched] == ["doejane_12345_1_Untitled.ipynb"]
    assert "holds none of the cells" in report.unmatched[0].reason
    assert report.refused[0].reason.startswith("not a notebook (.ipynb): a Python script")


def test_an_answered_copy_beats_an_untouched_notebook_of_the_right_name(tmp_path, run, notebooks):
    from nbformat import read as nb_read
    from nbformat import reads

    source = nb_read(ROOT / "source" / A / f"{NB}.ipynb", as_version=4)
    release = reads(notebooks["blank"].decode(), as_version=4)
    z = make_zip(
        tmp_path / "in" / "two.zip",
        [
            (f"Jane Doe_1_assignsubmission_file_/{NB}.ipynb", notebooks["blank"], AFTER),
            (f"Jane Doe_1_assignsubmission_file_/{NB}-Copy1.ipynb", notebooks["answer"], BEFORE),
        ],
    )
    report = run(z, templates={NB: (source, release)})
    assert installed(tmp_path / "submitted", "Jane_Doe").read_bytes() == notebooks["answer"]
    assert report.duplicates[0].entry.endswith(f"/{NB}.ipynb")
