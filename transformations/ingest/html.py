"""HTML parsing (being written for Step 3)."""

from __future__ import annotations

from transformations.pipeline.errors import IngestError


def parse_html(text: str):
    raise IngestError(
        "HTML files can be detected but not read yet. Paste the text instead.",
        code="FORMAT_NOT_SUPPORTED_YET",
    )
