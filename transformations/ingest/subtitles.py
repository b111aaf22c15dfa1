"""SRT and WebVTT parsing (being written for Step 3)."""

from __future__ import annotations

from transformations.pipeline.errors import IngestError


def parse_srt(text: str):
    raise IngestError(
        "Subtitle files can be detected but not read yet. Paste the text instead.",
        code="FORMAT_NOT_SUPPORTED_YET",
    )


def parse_webvtt(text: str):
    return parse_srt(text)
