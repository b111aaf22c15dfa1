"""DOCX parsing (being written for Step 3)."""

from __future__ import annotations

from transformations.pipeline.errors import IngestError


def parse_docx(data: bytes, limits):
    raise IngestError(
        "DOCX files can be detected but not read yet. Paste the text instead.",
        code="FORMAT_NOT_SUPPORTED_YET",
    )
