"""PDF parsing (being written for Step 3)."""

from __future__ import annotations

from transformations.pipeline.errors import IngestError


def parse_pdf(data: bytes, limits):
    raise IngestError(
        "PDF files can be detected but not read yet. Paste the text instead.",
        code="FORMAT_NOT_SUPPORTED_YET",
    )
