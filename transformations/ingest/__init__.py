"""Stage 0 front end: recognise a source by its content and turn it into a `Document`.

`detect()` says what a file is and how sure we are; `normalise()` parses the
formats we can read (Fountain and plain-text screenplays, `Speaker: line`
transcripts, Markdown, plain prose, story packs) and raises `IngestError` with a
specific code and a friendly message for everything else.
"""

from transformations.ingest.detection import Detection, detect
from transformations.ingest.normalise import IngestLimits, normalise

__all__ = ["Detection", "IngestLimits", "detect", "normalise"]
