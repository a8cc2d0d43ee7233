"""Read an untrusted zip safely: refuse bad archives and bad entries, bound every byte read.

    open_zip(path, limits)                  the archive, or IntakeError if it is refused as a whole
    refusal(info, limits)                   why one entry is refused, judged on its central
                                            directory record (None: it may be read)
    extract_bounded(zf, info, dest, ...)    copy one entry to `dest`, enforcing the limits on the
                                            bytes actually produced, since headers can lie
    entry_name(info)                        the entry's name, decoded sensibly
    entry_time(info, zone)                  when the entry was last modified (aware datetime)

A whole archive is refused (IntakeError) when it is not a zip, is broken, has more entries
than allowed, declares more bytes in total than allowed, or produces more bytes in total
than allowed while being read. One entry is refused (EntryRefused, a reason for the report)
for path traversal ("zip slip"), an absolute path, a symlink, encryption, a size or
compression ratio past the limits, or data that does not match its header. Nothing here ever
writes to the zip.

Headers can lie. The central directory's sizes are checked before anything is read; while
reading, zipfile never yields more than the declared size and checks the CRC at the end (a
header that under-reports the size fails there), and our own counters bound the bytes
actually written per entry and per archive.
"""

from __future__ import annotations

import re
import stat
import struct
import zipfile
import zlib
from dataclasses import dataclass
from datetime import datetime, timezone, tzinfo
from pathlib import Path

MB = 1024 * 1024
CHUNK = 1 * MB
UTF8_FLAG = 0x800
ENCRYPTED_FLAG = 0x1
EXTENDED_TIMESTAMP = 0x5455  # Info-ZIP "UT" extra field: Unix mtime in UTC


class IntakeError(Exception):
    """The archive as a whole is refused or unreadable; nothing was written."""


class EntryRefused(Exception):
    """One entry is refused; the message is the reason shown in the report."""


@dataclass(frozen=True)
class ZipLimits:
    """Zip-bomb limits. The ratio is judged only for entries larger than `ratio_floor_bytes`
    (a small file of blanks compresses extremely well and is harmless)."""

    max_entries: int = 10_000
    max_file_bytes: int = 100 * MB
    max_total_bytes: int = 1024 * MB
    max_ratio: float = 200.0
    ratio_floor_bytes: int = 1 * MB


DEFAULT_LIMITS = ZipLimits()


def open_zip(path: Path, limits: ZipLimits) -> zipfile.ZipFile:
    """Open `path` read-only; refuse it as a whole if it is broken or too big."""
    try:
        zf = zipfile.ZipFile(path, "r")
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise IntakeError(f"{path.name}: not a readable zip archive ({exc})") from exc
    infos = zf.infolist()
    if len(infos) > limits.max_entries:
        zf.close()
        raise IntakeError(
            f"{path.name}: {len(infos)} entries, more than the limit of "
            f"{limits.max_entries} (zip bomb?)"
        )
    declared = sum(i.file_size for i in infos)
    if declared > limits.max_total_bytes:
        zf.close()
        raise IntakeError(
            f"{path.name}: entries declare {declared} bytes in total, more than "
            f"the limit of {limits.max_total_bytes} (zip bomb?)"
        )
    return zf


def entry_name(info: zipfile.ZipInfo) -> str:
    """The entry's name. Without the UTF-8 flag the zip spec says cp437, but many tools write
    UTF-8 without setting the flag; such names are read as UTF-8 when they decode as UTF-8."""
    if info.flag_bits & UTF8_FLAG:
        return info.filename
    try:
        return info.filename.encode("cp437").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return info.filename


def _unsafe_path(name: str) -> str | None:
    parts = name.replace("\\", "/").split("/")
    if "\x00" in name:
        return "path contains a NUL byte"
    if name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name):
        return "absolute path"
    if ".." in parts:
        return "path traversal ('..' in the path)"
    return None


def _ratio(size: int, compressed: int) -> float:
    return size / max(compressed, 1)


def refusal(info: zipfile.ZipInfo, limits: ZipLimits) -> str | None:
    """Why this entry must not be read, judged on its central directory record."""
    unsafe = _unsafe_path(entry_name(info))
    if unsafe:
        return unsafe
    if stat.S_ISLNK(info.external_attr >> 16):
        return "symlink entry"
    if info.flag_bits & ENCRYPTED_FLAG:
        return "encrypted entry"
    if info.file_size > limits.max_file_bytes:
        return (
            f"zip bomb: declares {info.file_size} bytes, more than the per-file limit of "
            f"{limits.max_file_bytes}"
        )
    if (
        info.file_size > limits.ratio_floor_bytes
        and _ratio(info.file_size, info.compress_size) > limits.max_ratio
    ):
        return (
            f"zip bomb: compression ratio {_ratio(info.file_size, info.compress_size):.0f} "
            f"exceeds {limits.max_ratio:g}"
        )
    return None


def _check_stream(n: int, info: zipfile.ZipInfo, limits: ZipLimits, spent: int) -> None:
    if n > info.file_size:
        raise EntryRefused("zip bomb: entry holds more data than its header declares")
    if n > limits.max_file_bytes:
        raise EntryRefused(f"zip bomb: more than the per-file limit of {limits.max_file_bytes}")
    if n > limits.ratio_floor_bytes and _ratio(n, info.compress_size) > limits.max_ratio:
        raise EntryRefused(f"zip bomb: compression ratio exceeds {limits.max_ratio:g}")
    if spent + n > limits.max_total_bytes:
        raise IntakeError(
            f"zip bomb: entries produce more than {limits.max_total_bytes} bytes in total"
        )


def extract_bounded(
    zf: zipfile.ZipFile, info: zipfile.ZipInfo, dest: Path, limits: ZipLimits, spent: int = 0
) -> int:
    """Copy one entry to the new file `dest`; return its size. `spent`: bytes already read
    from this archive. Raises EntryRefused (dest removed) or IntakeError (total exceeded)."""
    n = 0
    try:
        with zf.open(info) as src, dest.open("xb") as out:
            while chunk := src.read(CHUNK):
                n += len(chunk)
                _check_stream(n, info, limits, spent)
                out.write(chunk)
        if n != info.file_size:
            raise EntryRefused(
                f"data does not match its header: {n} bytes read, {info.file_size} declared"
            )
    except zipfile.BadZipFile as exc:  # zipfile's CRC check: forged sizes end up here
        dest.unlink(missing_ok=True)
        raise EntryRefused(f"data does not match its header: {exc}"[:300]) from exc
    except (zlib.error, struct.error, EOFError, NotImplementedError, RuntimeError, OSError) as exc:
        dest.unlink(missing_ok=True)
        raise EntryRefused(f"unreadable entry: {exc}"[:300]) from exc
    except (EntryRefused, IntakeError):
        dest.unlink(missing_ok=True)
        raise
    return n


def _unix_mtime(extra: bytes) -> int | None:
    """The modification time from an Info-ZIP extended timestamp field, if there is one."""
    i = 0
    while i + 4 <= len(extra):
        tag, size = struct.unpack_from("<HH", extra, i)
        body = extra[i + 4 : i + 4 + size]
        if tag == EXTENDED_TIMESTAMP and len(body) >= 5 and body[0] & 1:
            return struct.unpack_from("<i", body, 1)[0]
        i += 4 + size
    return None


def entry_time(info: zipfile.ZipInfo, zone: tzinfo = timezone.utc) -> datetime | None:
    """When the entry was last modified: the extended timestamp (UTC) if present, else the
    DOS date and time, which carry no time zone and are read in `zone`; None if invalid."""
    try:
        mtime = _unix_mtime(info.extra)
        if mtime is not None:
            return datetime.fromtimestamp(mtime, timezone.utc)
        return datetime(*info.date_time, tzinfo=zone)
    except (ValueError, OverflowError, OSError, struct.error):
        return None
