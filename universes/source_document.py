"""What the source says about each card and scene: the job's stored Document, World and Plan.

Cast edits and the scene breakdown both ask "who speaks or is named here?". The answer
comes from the transformation job's private stage outputs (stage 0 Document, stage 3
World, stage 4 Plan), read as plain data; when the job is gone, callers fall back to
what the cards themselves hold.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from pydantic import ValidationError

from transformations.models import TransformationJob
from transformations.pipeline.types import Block, BlockKind, Document, Plan, World

# Where a name counts as "in the scene" for a breakdown: stage directions and prose,
# not dialogue ("Tell Marcus I said so" does not put Marcus in the room).
NARRATIVE_KINDS = frozenset({BlockKind.ACTION, BlockKind.PARAGRAPH, BlockKind.SLIDE_TITLE})
# Any block that carries the story's words: what "mentioned in the card's text" means.
TEXT_KINDS = NARRATIVE_KINDS | {BlockKind.DIALOGUE, BlockKind.SPEAKER_TURN}
SPOKEN_KINDS = frozenset({BlockKind.CHARACTER_CUE, BlockKind.DIALOGUE, BlockKind.SPEAKER_TURN})


@dataclass(frozen=True)
class SourceStory:
    document: Document
    world: World | None
    plan: Plan | None

    def blocks_by_section(self) -> dict[int, list[Block]]:
        by_section: dict[int, list[Block]] = {s.index: [] for s in self.document.sections}
        for block in self.document.blocks:
            by_section.setdefault(block.section, []).append(block)
        return by_section

    def card_blocks(self) -> dict[int, list[Block]]:
        """Blocks of each planned card by day_index (a block span narrows long sections)."""
        if self.plan is None:
            return {}
        blocks = self.document.blocks
        by_card: dict[int, list[Block]] = {}
        for card in self.plan.cards:
            sections = set(card.sections)
            if len(card.block_span) == 2:
                start, end = card.block_span
                candidates: Iterable[Block] = blocks[start:end]
            else:
                candidates = blocks
            by_card[card.day_index] = [b for b in candidates if b.section in sections]
        return by_card

    def card_by_section(self) -> dict[int, int]:
        """The first card (day_index) that tells each section."""
        if self.plan is None:
            return {}
        first: dict[int, int] = {}
        for card in sorted(self.plan.cards, key=lambda c: c.day_index):
            for section in card.sections:
                first.setdefault(section, card.day_index)
        return first


def source_story_for(*, universe) -> SourceStory | None:
    """The universe's source job outputs, or None when the job (or its Document) is gone."""
    if universe.source_job_id is None:
        return None
    outputs = (
        TransformationJob.objects.filter(pk=universe.source_job_id)
        .values_list("stage_outputs", flat=True)
        .first()
    )
    if not outputs or "0" not in outputs:
        return None
    try:
        document = Document.model_validate(outputs["0"])
    except ValidationError:
        # Stored by an older pipeline version: better no report detail than a 500.
        return None
    return SourceStory(
        document=document,
        world=_optional(World, outputs.get("3")),
        plan=_optional(Plan, outputs.get("4")),
    )


def _optional(model, data):
    if data is None:
        return None
    try:
        return model.model_validate(data)
    except ValidationError:
        return None


def speaker_identity(name: str) -> str:
    """Cues are written in capitals and with odd spacing; compare names the same way."""
    return " ".join(name.split()).upper()


class NameMatcher:
    """Finds which of several owners (characters, or one alias) a text speaks or names.

    Each owner has name forms; a form matches as written, in Title Case or in capitals
    (screenplays introduce people in capitals), on word boundaries, so "Eli" does not
    match inside "Elias".
    """

    def __init__(self, owners: Sequence[tuple[object, Iterable[str]]]) -> None:
        self._owners_by_form: dict[str, list[object]] = {}
        variants: set[str] = set()
        for owner, forms in owners:
            for written in forms:
                form = " ".join(written.split())
                if not form:
                    continue
                owners_of_form = self._owners_by_form.setdefault(form.upper(), [])
                if owner not in owners_of_form:
                    owners_of_form.append(owner)
                variants |= {form, form.title(), form.upper()}
        ordered = sorted(variants, key=lambda form: (-len(form), form))
        self._pattern = (
            re.compile(r"(?<![\w'])(?:" + "|".join(re.escape(v) for v in ordered) + r")(?!\w)")
            if ordered
            else None
        )

    def speakers(self, blocks: Iterable[Block]) -> list[object]:
        """Owners who speak in the blocks, in order of their first line."""
        found: list[object] = []
        for block in blocks:
            if block.speaker and block.kind in SPOKEN_KINDS:
                for owner in self._owners_by_form.get(speaker_identity(block.speaker), []):
                    if owner not in found:
                        found.append(owner)
        return found

    def named(self, texts: Iterable[str]) -> list[object]:
        """Owners named in the texts, in order of first mention."""
        found: list[object] = []
        if self._pattern is None:
            return found
        for text in texts:
            for match in self._pattern.finditer(text):
                for owner in self._owners_by_form.get(" ".join(match.group(0).split()).upper(), []):
                    if owner not in found:
                        found.append(owner)
        return found

    def present(self, blocks: Sequence[Block], *, kinds=NARRATIVE_KINDS) -> list[object]:
        """Owners who speak or are named (in blocks of `kinds`), in order of appearance."""
        found: list[object] = []
        for block in blocks:
            hits = self.speakers([block])
            if block.kind in kinds:
                hits += self.named([block.text])
            for owner in hits:
                if owner not in found:
                    found.append(owner)
        return found
