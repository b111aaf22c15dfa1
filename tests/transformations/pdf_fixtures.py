"""PDF fixtures for the stage-0 tests, written with fpdf2 or by hand.

Every PDF is built from known text at known positions, so a test can say exactly
which blocks and sections must come out of it.
"""

from __future__ import annotations

import io
import textwrap
import zlib

from fpdf import FPDF
from fpdf.enums import EncryptionMethod
from PIL import Image

from transformations.ingest.screenplay import screenplay_elements
from transformations.pipeline.types import BlockKind

INCH = 72
LINE = 12  # Courier 12 sets six lines to the inch
# Where each element starts, in inches from the page's left edge, and how wide it may run.
SCREENPLAY_COLUMNS = {
    BlockKind.SCENE_HEADING: (1.5, 6.0),
    BlockKind.ACTION: (1.5, 6.0),
    BlockKind.CHARACTER_CUE: (3.7, 3.0),
    BlockKind.DIALOGUE: (2.5, 3.5),
    BlockKind.PARENTHETICAL: (3.1, 2.0),
}
TRANSITION_RIGHT_EDGE = 7.5

SHORT_SCRIPT = """Title: The Night Ferry
Credit: Written by
Author: Ana Lindqvist

INT. FERRY TERMINAL - NIGHT

Rain hammers the glass roof. RUTH (60s) waits by the ticket desk, a paper cup in both hands.

RUTH
You're late.

DANIEL (O.S.)
The train stopped outside the tunnel.

Daniel comes in, soaked, and sits beside her.

RUTH
(not turning)
It always stops outside the tunnel.

CUT TO:

EXT. HARBOUR WALL - CONTINUOUS

The ferry's lights swing across the black water.

DANIEL
She never asks why.
"""

CHAPTERS = [
    (
        "The Lighthouse Keeper",
        [
            "Mara had kept the light on the northern point for eleven winters, and in all "
            "that time no ship had come closer than the reef.",
            "On the first night of the storm she climbed the stairs twice, counting the "
            "steps the way her father had taught her, and found the lamp already burning.",
        ],
    ),
    (
        "The Letter",
        [
            "The letter came with the supply boat, wrapped in oilcloth and addressed in a "
            "hand she had not seen for twenty years.",
            "She did not open it until the boat had gone, and then she read it standing up, "
            "with the wind pulling at the pages.",
        ],
    ),
    (
        "The Return",
        [
            "Her brother arrived on the spring tide with nothing but a canvas bag and the "
            "same crooked smile.",
            "They ate in silence, and when the lamp came on above them he finally asked "
            "whether she had ever forgiven him.",
        ],
    ),
]


def render_prose(
    chapters=CHAPTERS,
    *,
    bookmarks: bool = True,
    headings: bool = True,
    title: str = "",
    page_numbers: bool = True,
    encrypt_with: str | None = None,
) -> bytes:
    """One chapter per page: a large heading, then Times paragraphs, and a page-number footer."""

    class Book(FPDF):
        def footer(self) -> None:
            if page_numbers:
                self.set_y(-15)
                self.set_font("Helvetica", size=9)
                self.cell(0, 10, f"Page {self.page_no()}", align="C")

    pdf = Book(format="A4")
    if title:
        pdf.set_title(title)
    for heading, paragraphs in chapters:
        pdf.add_page()
        if bookmarks:
            pdf.start_section(heading)
        if headings:
            pdf.set_font("Helvetica", "B", 18)
            pdf.multi_cell(0, 10, heading, new_x="LMARGIN", new_y="NEXT")
            pdf.ln(4)
        pdf.set_font("Times", size=11)
        for paragraph in paragraphs:
            pdf.multi_cell(0, 5.5, paragraph, new_x="LMARGIN", new_y="NEXT")
            pdf.ln(4)
    if encrypt_with is not None:
        pdf.set_encryption(
            owner_password="owner-secret",
            user_password=encrypt_with,
            encryption_method=EncryptionMethod.AES_128,
        )
    return bytes(pdf.output())


class ScreenplayRenderer:
    """Lays a Fountain script out as a screenplay PDF: Courier 12, industry indents,
    a title page, page numbers, and (MORE)/(CONT'D) where a speech crosses a page."""

    TOP = 1 * INCH
    BOTTOM = 10 * INCH

    def __init__(self, *, scene_numbers: bool = False) -> None:
        self.pdf = FPDF(format="letter", unit="pt")
        self.pdf.set_auto_page_break(False)
        self.scene_numbers = scene_numbers
        self.scene = 0
        self.y = 0.0

    def render(self, fountain: str) -> bytes:
        stream = screenplay_elements(fountain)
        if stream.title_page:
            self._title_page(stream.title_page)
        self._new_page()
        elements = stream.elements
        for position, element in enumerate(elements):
            if element.kind == BlockKind.CHARACTER_CUE:
                speech = [element]
                for follower in elements[position + 1 :]:
                    if follower.kind not in (BlockKind.DIALOGUE, BlockKind.PARENTHETICAL):
                        break
                    speech.append(follower)
                self._speech(speech)
            elif element.kind in (BlockKind.DIALOGUE, BlockKind.PARENTHETICAL):
                continue  # printed with their cue
            elif element.kind == BlockKind.TRANSITION:
                self._space(2)
                width = self.pdf.get_string_width(element.text)
                self._print(element.text, TRANSITION_RIGHT_EDGE * INCH - width)
            else:
                lines = self._wrap(element)
                self._space(1 + min(len(lines), 2))
                if element.kind == BlockKind.SCENE_HEADING:
                    self._scene_number()
                for line in lines:
                    self._print(line, SCREENPLAY_COLUMNS[element.kind][0] * INCH)
        return bytes(self.pdf.output())

    def _title_page(self, values: dict[str, str]) -> None:
        self.pdf.add_page()
        self.pdf.set_font("Courier", size=12)
        lines = [values.get("title", "").upper(), "", values.get("credit", "Written by")]
        lines.append(values.get("author", ""))
        for number, text in enumerate(lines):
            width = self.pdf.get_string_width(text)
            self.pdf.text((8.5 * INCH - width) / 2, 3.5 * INCH + number * LINE, text)
        self.pdf.text(1.5 * INCH, 9.5 * INCH, values.get("draft date", ""))

    def _new_page(self) -> None:
        self.pdf.add_page()
        self.pdf.set_font("Courier", size=12)
        if self.pdf.page_no() > 2:
            self.pdf.text(7.0 * INCH, 0.5 * INCH + LINE, f"{self.pdf.page_no() - 1}.")
        self.y = self.TOP - LINE

    def _space(self, lines_needed: int) -> None:
        """A blank line before the next element, or a new page when it would not fit."""
        if self.y + (lines_needed + 1) * LINE > self.BOTTOM:
            self._new_page()
        else:
            self.y += LINE

    def _print(self, text: str, x: float) -> None:
        self.y += LINE
        self.pdf.text(x, self.y, text)

    def _wrap(self, element) -> list[str]:
        width = SCREENPLAY_COLUMNS[element.kind][1]
        return textwrap.wrap(element.text, int(width * 10)) or [element.text]

    def _scene_number(self) -> None:
        if self.scene_numbers:
            self.scene += 1
            self.pdf.text(0.9 * INCH, self.y + LINE, str(self.scene))
            self.pdf.text(7.4 * INCH, self.y + LINE, str(self.scene))

    def _speech(self, speech) -> None:
        cue, lines = speech[0], []
        for element in speech[1:]:
            kind = element.kind
            lines.extend((kind, line) for line in self._wrap(element))
        self._space(2)  # never leave a cue alone at the foot of a page
        self._print(cue.text, SCREENPLAY_COLUMNS[BlockKind.CHARACTER_CUE][0] * INCH)
        for kind, line in lines:
            if self.y + 2 * LINE > self.BOTTOM:
                self._print("(MORE)", SCREENPLAY_COLUMNS[BlockKind.CHARACTER_CUE][0] * INCH)
                self._new_page()
                continued = f"{cue.speaker} (CONT'D)"
                self._print(continued, SCREENPLAY_COLUMNS[BlockKind.CHARACTER_CUE][0] * INCH)
            self._print(line, SCREENPLAY_COLUMNS[kind][0] * INCH)


def render_screenplay(fountain: str, **options) -> bytes:
    return ScreenplayRenderer(**options).render(fountain)


def render_flush_left(fountain: str) -> bytes:
    """A script typed in a word processor: every line at the margin, blank lines between."""
    pdf = FPDF(format="letter", unit="pt")
    pdf.add_page()
    pdf.set_font("Courier", size=12)
    for line in fountain.split("\n"):
        pdf.multi_cell(0, LINE, line or " ", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def render_image_only_pages(pages: int = 2) -> bytes:
    """What a scanner produces: pictures of pages, no text."""
    pdf = FPDF()
    scan = Image.new("L", (200, 280), color=235)
    for _ in range(pages):
        pdf.add_page()
        pdf.image(scan, x=10, y=10, w=190)
        pdf.set_fill_color(40, 40, 40)
        for row in range(12):
            pdf.rect(20, 30 + row * 12, 150, 3, style="F")
    return bytes(pdf.output())


def handwritten_pdf(*content_streams: bytes) -> bytes:
    """A one-page PDF written object by object, so its (Flate) content can be anything."""
    first_stream = 5
    contents = b" ".join(b"%d 0 R" % (first_stream + n) for n in range(len(content_streams)))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents [%s]"
        b" /Resources << /Font << /F1 4 0 R >> >> >>" % contents,
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    objects.extend(
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream" % (len(stream), stream)
        for stream in content_streams
    )
    out = io.BytesIO()
    out.write(b"%PDF-1.7\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n%s\nendobj\n" % (number, body))
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    out.writelines(b"%010d 00000 n \n" % offset for offset in offsets)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\n" % (len(objects) + 1))
    out.write(b"startxref\n%d\n%%%%EOF\n" % xref)
    return out.getvalue()


def inflating_stream(unpacked_megabytes: int) -> bytes:
    """A content stream that inflates to this many MB of spaces after one line of text.

    Compressed a megabyte at a time, so building it never holds the unpacked bytes.
    """
    compressor = zlib.compressobj(9)
    chunks = [compressor.compress(b"BT /F1 12 Tf 72 700 Td (The tide came in.) Tj ET\n")]
    block = b" " * (1024 * 1024)
    chunks.extend(compressor.compress(block) for _ in range(unpacked_megabytes))
    chunks.append(compressor.flush())
    return b"".join(chunks)
