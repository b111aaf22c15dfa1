"""How far a stage's output can be trusted, from the evidence it rests on (0–1).

The UI shows these numbers next to what the engine found, so each one is a plain
rule over measured facts, not a guess:

- reading: stage 0's parse confidence, lowered for very short texts;
- world: the characters' evidence (screenplay cues and speaker labels are solid,
  prose names less so, subtitles with no speaker labels least) blended with the
  locations' own confidences (scene headings high, place phrases lower);
- plan and drafts: the mean of their cards (scene headings high, guessed
  transcript segments and split sections lower).
"""

from __future__ import annotations

from statistics import fmean

from transformations.pipeline.types import BlockKind, Document, SourceType, World

# Below this many words of story, measurements (sentence length, tone) are thin.
FULL_EVIDENCE_WORDS = 400


def text_confidence(document: Document, words: int) -> float:
    """Stage 0's confidence, scaled down for texts too short to measure well."""
    size = min(1.0, 0.4 + 0.6 * words / FULL_EVIDENCE_WORDS)
    return round(max(0.05, min(1.0, document.parse_confidence * size)), 2)


def cast_evidence(document: Document) -> float:
    """How the characters were found: labelled speech is solid, inference is not."""
    if document.pack is not None:
        return 1.0
    speakers = sum(1 for b in document.blocks if b.speaker)
    spoken = sum(
        1 for b in document.blocks if b.kind in (BlockKind.DIALOGUE, BlockKind.SPEAKER_TURN)
    )
    if document.source_type == SourceType.SCRIPT and speakers:
        return 0.95
    if document.source_type == SourceType.TRANSCRIPT:
        if spoken and speakers * 2 >= spoken:
            return 0.9
        return 0.35  # subtitles without speaker labels: names only from vocatives
    return 0.7  # prose, articles, decks: names from the text's own evidence


def world_confidence(document: Document, world: World) -> float:
    characters = [getattr(c, "confidence", None) for c in world.characters]
    measured = [c for c in characters if isinstance(c, int | float)]
    evidence = cast_evidence(document)
    cast = min(fmean(measured), evidence) if measured else evidence
    if not world.characters:
        cast = min(cast, 0.3)
    places = fmean(loc.confidence for loc in world.locations) if world.locations else 0.3
    return round(max(0.05, min(1.0, 0.6 * cast + 0.4 * places)), 2)
