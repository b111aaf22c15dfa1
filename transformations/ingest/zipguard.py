"""Zip containers (PPTX, DOCX) opened safely: sizes are checked before anything is unpacked.

A zip declares every entry's sizes in its central directory, and a zip bomb is a
small file whose entries unpack to gigabytes. So:

1. The entry count is read from the end-of-central-directory record, before
   `zipfile` builds one object per entry.
2. The central directory is checked without decompressing anything: encryption,
   declared total size, declared size of the markup (XML) parts, compression ratios.
3. Entries are unpacked through `read_member`, which stops one byte past the
   smaller of the declared size and the remaining budget, so a header that lies
   about sizes cannot make us unpack more than was checked.
4. The Office libraries get `repack_markup`'s copy of the package: the XML parts
   as they are, every other part (images, video, fonts, embedded files) as an
   empty entry. Relationships still resolve, and media is never unpacked at all.
"""

from __future__ import annotations

import io
import re
import struct
import zipfile
import zlib
from typing import TYPE_CHECKING

from transformations.pipeline.errors import IngestError

if TYPE_CHECKING:
    from transformations.ingest.normalise import IngestLimits

# Raised into parsing code by the worker (deadline timer, shutdown, lost lease) or by
# our own checks: a parser's catch-all must let them through, they never mean "damaged".
# Real decks and documents hold hundreds of parts, a few thousand at most.
MAX_ZIP_ENTRIES = 10_000
# Small entries (XML of a few KB) legitimately compress 100x and more; the ratio
# is only meaningful once an entry is big enough to hurt.
RATIO_CHECK_MIN_BYTES = 1024 * 1024
# An XML tree takes several times its text in memory, so markup gets a quarter of
# the uncompressed budget (50 MB by default; a 400-slide deck holds about 10 MB).
MARKUP_SHARE = 0.25

_EOCD_SIGNATURE = b"PK\x05\x06"
_EOCD_SIZE = 22
_MAX_ZIP_COMMENT = 65535
_ZIP64_LOCATOR_SIGNATURE = b"PK\x06\x07"
_ZIP64_LOCATOR_SIZE = 20
_ZIP64_EOCD_SIGNATURE = b"PK\x06\x06"
_ENCRYPTED_FLAG = 0x1
# A local file header is 30 bytes and the entry's name follows it.
_OFFICE_PART_IN_LOCAL_HEADER_RE = re.compile(rb"PK\x03\x04.{26}(ppt|word|xl)/", re.DOTALL)
_OFFICE_KINDS = {b"ppt": "pptx", b"word": "docx", b"xl": "xlsx"}
_MARKUP_SUFFIXES = (".xml", ".rels")
_READ_ERRORS = (
    zipfile.BadZipFile,
    zlib.error,
    EOFError,
    OSError,
    ValueError,
    RuntimeError,  # an encrypted entry read without a password
    NotImplementedError,  # a compression method zipfile does not support
)


def declared_entry_count(data: bytes) -> int | None:
    """The entry count the end-of-central-directory record declares; None when it is missing."""
    start = data.rfind(_EOCD_SIGNATURE, max(0, len(data) - _EOCD_SIZE - _MAX_ZIP_COMMENT))
    if start < 0 or start + _EOCD_SIZE > len(data):
        return None
    (count,) = struct.unpack_from("<H", data, start + 10)
    locator = start - _ZIP64_LOCATOR_SIZE
    if count == 0xFFFF and locator >= 0 and data[locator : locator + 4] == _ZIP64_LOCATOR_SIGNATURE:
        # Zip64: the real count lives in a larger record the locator points to.
        (record,) = struct.unpack_from("<Q", data, locator + 8)
        if data[record : record + 4] == _ZIP64_EOCD_SIGNATURE and record + 40 <= len(data):
            (count,) = struct.unpack_from("<Q", data, record + 32)
    return count


def zip_entry_names(data: bytes) -> list[str] | None:
    """Entry names from the central directory, or None when the archive is damaged or
    has too many entries to list safely. Nothing is decompressed."""
    count = declared_entry_count(data)
    if count is None or count > MAX_ZIP_ENTRIES:
        return None
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return archive.namelist()
    except (zipfile.BadZipFile, ValueError, OSError, EOFError, struct.error):
        return None


def office_kind_from_local_headers(data: bytes) -> str:
    """'pptx', 'docx', 'xlsx' or '' from the part names in the local file headers.

    Those headers survive when the central directory does not (a truncated upload),
    so a damaged deck can still be told apart from any other damaged zip.
    """
    found = _OFFICE_PART_IN_LOCAL_HEADER_RE.search(data)
    return _OFFICE_KINDS[found.group(1)] if found else ""


def check_zip_container(
    data: bytes, limits: IngestLimits, *, label: str = "file"
) -> zipfile.ZipFile:
    """Open a zip after checking its central directory; the caller closes it.

    `label` names the file the way a creator knows it ("PowerPoint file").
    """
    count = declared_entry_count(data)
    if count is None:
        raise corrupt_file(label, "no end-of-central-directory record")
    if count > MAX_ZIP_ENTRIES:
        raise _too_many_entries(label, count)
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, OSError, EOFError, struct.error) as exc:
        raise corrupt_file(label, f"zipfile refused the archive: {exc!r}") from exc
    try:
        _check_entries(archive.infolist(), limits, label)
    except IngestError:
        archive.close()
        raise
    return archive


def _check_entries(infos: list[zipfile.ZipInfo], limits: IngestLimits, label: str) -> None:
    if len(infos) > MAX_ZIP_ENTRIES:  # the end record may understate the count
        raise _too_many_entries(label, len(infos))
    if any(info.flag_bits & _ENCRYPTED_FLAG for info in infos):
        raise IngestError(
            f"This {label} is password-protected, so it can't be read. Remove the password "
            "(or save an unprotected copy) and upload that.",
            code="ENCRYPTED_FILE",
            dev_message="zip entries with the encryption flag set",
        )
    for info in infos:
        if info.file_size > RATIO_CHECK_MIN_BYTES:
            ratio = info.file_size / max(1, info.compress_size)
            if ratio > limits.max_compression_ratio:
                raise _zip_bomb(
                    f"{info.filename!r}: ratio {ratio:.0f} > {limits.max_compression_ratio}"
                )
    total = sum(info.file_size for info in infos)
    overall = total / max(1, sum(info.compress_size for info in infos))
    # Many small entries can add up to a bomb that no single entry reveals.
    if total > RATIO_CHECK_MIN_BYTES and overall > limits.max_compression_ratio:
        raise _zip_bomb(f"whole archive: ratio {overall:.0f} > {limits.max_compression_ratio}")
    if total > limits.max_uncompressed_bytes:
        raise _too_large(label, total, limits.max_uncompressed_bytes, "")
    markup = sum(info.file_size for info in infos if is_markup(info.filename))
    if markup > markup_budget(limits):
        raise _too_large(label, markup, markup_budget(limits), " of text and layout")


def is_markup(name: str) -> bool:
    return name.lower().endswith(_MARKUP_SUFFIXES)


def markup_budget(limits: IngestLimits) -> int:
    return int(limits.max_uncompressed_bytes * MARKUP_SHARE)


def read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, budget: int, label: str) -> bytes:
    """Unpack one entry, never more than its declared size or the remaining budget."""
    cap = max(0, min(info.file_size, budget))
    try:
        with archive.open(info) as stream:
            content = stream.read(cap + 1)
    except _READ_ERRORS as exc:
        raise corrupt_file(label, f"reading {info.filename!r}: {exc!r}") from exc
    if len(content) > cap:
        # zipfile already stops at the declared size; this guards the budget and
        # any future reader that trusts the data instead of the directory.
        raise _zip_bomb(f"{info.filename!r} unpacks past {cap} bytes")
    return content


def repack_markup(archive: zipfile.ZipFile, limits: IngestLimits, *, label: str) -> io.BytesIO:
    """A stored (uncompressed) copy of the package with only its XML parts filled in."""
    budget = markup_budget(limits)
    seen: set[str] = set()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as repacked:
        for info in archive.infolist():
            if info.is_dir() or info.filename in seen:
                continue
            seen.add(info.filename)
            content = b""
            if is_markup(info.filename):
                content = read_member(archive, info, budget, label)
                budget -= len(content)
            repacked.writestr(info.filename, content)
    out.seek(0)
    return out


def corrupt_file(label: str, detail: str) -> IngestError:
    return IngestError(
        f"This {label} is damaged or incomplete, so it can't be opened (an upload that was "
        "cut short does this). Open it in the app that made it, save a new copy and upload "
        "that.",
        code="CORRUPT_FILE",
        dev_message=detail,
    )


def _too_many_entries(label: str, count: int) -> IngestError:
    return IngestError(
        f"This {label} holds {count:,} files inside it; real decks and documents hold a few "
        "thousand at most. Export it again from the app that made it.",
        code="ZIP_TOO_MANY_ENTRIES",
        dev_message=f"{count} entries > MAX_ZIP_ENTRIES={MAX_ZIP_ENTRIES}",
    )


def _zip_bomb(detail: str) -> IngestError:
    return IngestError(
        "This file unpacks to far more data than a real deck or document, so we did not "
        "open it (files built this way are used to crash servers). If you made it "
        "yourself, open it in PowerPoint or Word, save a new copy and upload that.",
        code="ZIP_BOMB",
        dev_message=detail,
    )


def _too_large(label: str, size: int, limit: int, part: str) -> IngestError:
    return IngestError(
        f"This {label} unpacks to {size / 2**20:.0f} MB{part}; the limit is "
        f"{limit / 2**20:.0f} MB. Remove large images, videos or embedded files, or split "
        "it into smaller files and import them one by one.",
        code="ZIP_TOO_LARGE",
        dev_message=f"declared {size} bytes{part} > {limit}",
    )
