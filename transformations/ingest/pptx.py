"""PPTX parsing (being written for Step 3)."""

from __future__ import annotations

from transformations.pipeline.errors import IngestError


def parse_pptx(data: bytes, limits):
    raise IngestError(
        "PPTX files can be detected but not read yet. Paste the text instead.",
        code="FORMAT_NOT_SUPPORTED_YET",
    )
