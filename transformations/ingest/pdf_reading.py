"""Opening a PDF safely with pypdf, and reading its text lines page by page.

pypdf (7.x) bounds what one stream may decompress to through its `Configuration`;
we set those bounds deliberately for the whole reading. pdfminer, which
pdfplumber uses for screenplays, has no such bounds, so before any text is read
every stream pdfminer could decode is measured here, one at a time and without
keeping the result: a file whose streams unpack to more than we accept is
refused before either library holds its contents.
"""

from __future__ import annotations

import io
import logging
import math
import re
from dataclasses import dataclass, field

from pypdf import PasswordType, PdfReader, apply_configuration
from pypdf.errors import DependencyError, LimitReachedError
from pypdf.filters import decode_stream_data
from pypdf.generic import IndirectObject, StreamObject

from transformations.ingest.text import collapse_spaces, readable
from transformations.pipeline.errors import NOT_ABOUT_THE_FILE, IngestError

logger = logging.getLogger(__name__)

MEGABYTE = 1024 * 1024
# One stream (a page's drawing, a font) may unpack to this much; a text page needs
# kilobytes, a complex vector drawing a few megabytes.
MAX_STREAM_BYTES = 32 * MEGABYTE
# All streams together: what either library may end up holding at once.
MAX_DECODED_BYTES = 128 * MEGABYTE
# pypdf retries damaged zlib data byte by byte in Python; keep that bounded too.
MAX_RECOVERY_INPUT_BYTES = 1 * MEGABYTE
# Some writers pad a PDF after its end marker; more than this is not padding.
END_MARKER_SEARCH_BYTES = 64 * 1024
# Streams neither text extractor decodes: measuring them would only cost time.
_UNREAD_STREAM_TYPES = {"/XRef", "/EmbeddedFile", "/Metadata"}


_MEANINGLESS_TITLES = {"untitled", "untitled document", "document", "title", "pdf", "script"}
_FILE_EXTENSION_RE = re.compile(r"\.(?:pdf|docx?|rtf|txt|indd|fdx|pages|odt|fountain)$", re.I)
_APP_PREFIX_RE = re.compile(r"^(?:Microsoft (?:Word|PowerPoint) - |untitled - )", re.I)


@dataclass(frozen=True)
class TextLine:
    """A line as pypdf printed it: text, start position (PDF points, y up) and font size."""

    text: str
    x: float
    y: float
    size: float


@dataclass
class PdfText:
    pages: list[list[TextLine]]
    page_count: int
    char_count: int
    outline: list[tuple[int, str]] = field(default_factory=list)  # (page index, title)
    title: str = ""
    author: str = ""
    opened_without_password: bool = False

    def metadata(self) -> dict[str, str | int | float]:
        return {
            "page_count": self.page_count,
            "pages_with_text": sum(1 for lines in self.pages if lines),
            "outline_entries": len(self.outline),
            "encrypted": int(self.opened_without_password),
        }


def read_pdf_text(data: bytes, limits) -> PdfText:
    if b"%%EOF" not in data[-END_MARKER_SEARCH_BYTES:]:
        # pypdf would rebuild what it can of a cut-off file; a creator would rather
        # know the upload is incomplete than get part of the story.
        raise corrupt_file(f"no %%EOF in the last {END_MARKER_SEARCH_BYTES} bytes: truncated")
    with apply_configuration(**_decoding_limits(limits.max_bytes)):
        reader = PdfReader(io.BytesIO(data))
        unlocked = _unlock(reader)
        page_count = len(reader.pages)
        if page_count > limits.max_pages:
            raise IngestError(
                f"This PDF has {page_count:,} pages; the limit is {limits.max_pages:,}. "
                "Split it into parts (for example one per act or per few chapters) and "
                "import them one by one.",
                code="TOO_MANY_PAGES",
                dev_message=f"{page_count} pages > max_pages={limits.max_pages}",
            )
        _measure_streams(reader)
        pages: list[list[TextLine]] = []
        chars = 0
        for number, page in enumerate(reader.pages, start=1):
            lines = _page_lines(page, number)
            chars += sum(len(line.text) + 1 for line in lines)
            if chars > limits.max_chars:
                raise IngestError(
                    f"This PDF has more than {limits.max_chars:,} characters of text (we "
                    f"stopped reading at page {number}). Split it into parts and import "
                    "them one by one.",
                    code="TOO_MUCH_TEXT",
                    dev_message=f"over max_chars={limits.max_chars} at page {number}",
                )
            pages.append(lines)
        title, author = _document_info(reader)
        return PdfText(
            pages=pages,
            page_count=page_count,
            char_count=chars,
            outline=_outline(reader),
            title=title,
            author=author,
            opened_without_password=unlocked,
        )


def _decoding_limits(max_file_bytes: int) -> dict[str, int]:
    return {
        "zlib_maximum_output_length": MAX_STREAM_BYTES,
        "lzw_maximum_output_length": MAX_STREAM_BYTES,
        "run_length_maximum_output_length": MAX_STREAM_BYTES,
        "brotli_maximum_output_length": MAX_STREAM_BYTES,
        "jbig2_maximum_output_length": MAX_STREAM_BYTES,
        "array_based_stream_maximum_output_length": MAX_STREAM_BYTES,
        "image_maximum_buffer_size": MAX_STREAM_BYTES,
        "stream_decoding_work_maximum_length": 2 * MAX_STREAM_BYTES,
        "zlib_maximum_recovery_input_length": MAX_RECOVERY_INPUT_BYTES,
        # No stream can honestly be longer than the file that holds it.
        "maximum_declared_stream_length": max_file_bytes,
    }


def _unlock(reader: PdfReader) -> bool:
    """Open a PDF encrypted with an empty user password; refuse one that needs a password."""
    if not reader.is_encrypted:
        return False
    try:
        result = reader.decrypt("")
    except (NotImplementedError, DependencyError) as exc:
        raise encrypted_file(f"unsupported encryption: {exc!r}") from exc
    if result == PasswordType.NOT_DECRYPTED:
        raise encrypted_file("a user password is required")
    return True


def _measure_streams(reader: PdfReader) -> None:
    """Decode every stream a text extractor may read, one at a time, keeping only sizes."""
    total = 0
    for generation, numbers in list(reader.xref.items()):
        for number in list(numbers):
            try:
                stream = reader.get_object(IndirectObject(number, generation, reader))
            except (LimitReachedError, *NOT_ABOUT_THE_FILE):
                raise
            except Exception:
                continue  # a damaged object: the page that needs it will report it
            if not isinstance(stream, StreamObject) or "/Filter" not in stream:
                continue
            if stream.get("/Subtype") == "/Image" or stream.get("/Type") in _UNREAD_STREAM_TYPES:
                continue
            try:
                total += len(decode_stream_data(stream))
            except (LimitReachedError, *NOT_ABOUT_THE_FILE):
                raise
            except Exception:
                continue
            if total > MAX_DECODED_BYTES:
                raise LimitReachedError(f"streams decode to over {MAX_DECODED_BYTES} bytes")


def _page_lines(page, number: int) -> list[TextLine]:
    collector = _LineCollector()
    try:
        page.extract_text(visitor_text=collector.visit)
    except (LimitReachedError, *NOT_ABOUT_THE_FILE):
        raise
    except Exception as exc:
        raise IngestError(
            f"Page {number} of this PDF is damaged and can't be read. Export the PDF again "
            "(or use “Print to PDF”), then upload the new file.",
            code="CORRUPT_FILE",
            dev_message=f"page {number}: {exc!r}",
        ) from exc
    return collector.finish()


class _LineCollector:
    """Assembles pypdf's text runs into lines, noting where each starts and its largest font."""

    def __init__(self) -> None:
        self.lines: list[TextLine] = []
        self._parts: list[str] = []
        self._start: tuple[float, float] | None = None
        self._size = 0.0

    def visit(self, text: str, cm, tm, font_dict, font_size) -> None:
        for position, piece in enumerate(text.split("\n")):
            if position:
                self._end_line()
            if not piece:
                continue
            self._parts.append(piece)
            if piece.strip():
                x, y, scale = _placement(cm, tm)
                self._start = self._start or (x, y)
                self._size = max(self._size, abs(float(font_size or 0)) * scale)

    def finish(self) -> list[TextLine]:
        self._end_line()
        return self.lines

    def _end_line(self) -> None:
        text = collapse_spaces("".join(self._parts))
        if text:
            x, y = self._start or (0.0, 0.0)
            self.lines.append(TextLine(text, round(x, 2), round(y, 2), round(self._size, 2)))
        self._parts, self._start, self._size = [], None, 0.0


def _placement(cm, tm) -> tuple[float, float, float]:
    """Page position of a run's start and its vertical scale: the text matrix times the CTM."""
    _, _, c, d, e, f = (float(value) for value in tm)
    ca, cb, cc, cd, ce, cf = (float(value) for value in cm)
    x = e * ca + f * cc + ce
    y = e * cb + f * cd + cf
    scale = math.hypot(c * ca + d * cc, c * cb + d * cd)
    return x, y, scale


def _outline(reader: PdfReader) -> list[tuple[int, str]]:
    """Top-level bookmarks as (page index, title), in page order.

    A single top-level bookmark holding the others (the book's own title) is
    looked through: its children are the chapters.
    """
    try:
        outline = reader.outline
        entries = [item for item in outline if not isinstance(item, list)]
        if len(entries) == 1 and len(outline) == 2 and isinstance(outline[1], list):
            entries = [item for item in outline[1] if not isinstance(item, list)]
        found = []
        for entry in entries:
            page = reader.get_destination_page_number(entry)
            title = collapse_spaces(str(entry.title or ""))
            if page is not None and page >= 0 and title:
                found.append((page, title))
    except (LimitReachedError, *NOT_ABOUT_THE_FILE):
        raise
    except Exception:
        # A broken outline is a lost convenience, not a lost story.
        logger.info("unreadable PDF outline; sectioning without it", exc_info=True)
        return []
    return sorted(found, key=lambda pair: pair[0])


def _document_info(reader: PdfReader) -> tuple[str, str]:
    try:
        info = reader.metadata
        title = str(info.title or "") if info else ""
        author = str(info.author or "") if info else ""
    except (LimitReachedError, *NOT_ABOUT_THE_FILE):
        raise
    except Exception:
        return "", ""
    return sensible_title(title), collapse_spaces(author)[:120]


def sensible_title(title: str) -> str:
    """A metadata title worth showing, or "" for file names and placeholders."""
    title = collapse_spaces(_FILE_EXTENSION_RE.sub("", _APP_PREFIX_RE.sub("", title.strip())))
    letters = sum(char.isalpha() for char in title)
    if letters < 2 or len(title) > 150 or "/" in title or "\\" in title:
        return ""
    if title.casefold() in _MEANINGLESS_TITLES:
        return ""
    return readable(title) if title.isupper() else title


def encrypted_file(dev_message: str) -> IngestError:
    return IngestError(
        "This PDF is password-protected, so we can't read it. Open it with its password, "
        "save or print it as a new PDF without a password (or export it again from the "
        "app that made it), and upload that file.",
        code="ENCRYPTED_FILE",
        dev_message=dev_message,
    )


def too_complex(exc: BaseException) -> IngestError:
    return IngestError(
        "This PDF unpacks to far more data than its text needs (over "
        f"{MAX_STREAM_BYTES // MEGABYTE} MB in one part, or {MAX_DECODED_BYTES // MEGABYTE} "
        "MB in all), so we stopped reading it. Export it again with a smaller file size "
        "(for example “Reduce file size” or “Optimise for web”), or save just the text as a "
        "new PDF, and upload that.",
        code="PDF_TOO_COMPLEX",
        dev_message=f"decompression limit: {exc!r}",
    )


def corrupt_file(dev_message: str) -> IngestError:
    return IngestError(
        "This PDF is damaged or incomplete, so it can't be opened. If it was downloaded or "
        "copied, fetch it again; otherwise export it again from the app that made it, and "
        "upload the new file.",
        code="CORRUPT_FILE",
        dev_message=dev_message[:2000],
    )
