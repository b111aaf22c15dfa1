"""The OpenAI engine: stages 1–5 through a language model, over the local engine's measurements.

What can be measured stays measured: word counts and facts, keyphrases, the
per-scene breakdown, and where each card starts and ends come from the local
engine, so every card still maps to exact blocks of the source. The model adds
what it is better at: summaries, voice, theme, tone and genre, who the
characters are (merging names, describing them), card titles and the written
cards themselves.

A long document is read in chunks that each fit the token budget (map), and
their digests are combined in as many rounds as it takes to fit (reduce); later
stages work from the digests. Stage 5 drafts one card per call with the
universe bible and a recap of the cards before it.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from transformations.engines.journal import EngineSession
from transformations.engines.llm import prompts
from transformations.engines.llm.budget import (
    block_line,
    document_chunks,
    fit_text,
    pack_items,
    request_tokens,
)
from transformations.engines.llm.client import CORRECTION_TOKENS, ModelClient, user_content
from transformations.engines.llm.config import ModelSettings
from transformations.engines.llm.schemas import (
    Answer,
    CardAnswer,
    DigestAnswer,
    IdentityAnswer,
    MomentTitlesAnswer,
    ReadingAnswer,
    SummaryAnswer,
    WorldAnswer,
    response_format,
)
from transformations.engines.llm.world import merge_world
from transformations.engines.local import LocalEngine
from transformations.engines.local.plan import card_blocks
from transformations.engines.local.prompts import image_prompt_text
from transformations.pipeline.errors import StageFailed
from transformations.pipeline.types import (
    CardPlan,
    Document,
    DraftedCard,
    Identity,
    ImagePrompt,
    NamedNote,
    Plan,
    Reading,
    SectionDigest,
    World,
)

# Below this many tokens for the document's own text a request is not worth making.
MIN_TEXT_TOKENS = 150


class OpenAIEngine:
    name = "openai"

    def __init__(
        self, config: ModelSettings | None = None, session: EngineSession | None = None
    ) -> None:
        self.config = config or ModelSettings.from_settings()
        self.session = session or EngineSession.detached()
        self.local = LocalEngine()

    def _client(self, stage_name: str) -> ModelClient:
        return ModelClient(self.config, self.session, stage_name)

    def _room(self, system: str, answer_type: type[Answer], payload: dict) -> int:
        """Tokens left for text in a request that already carries `payload`."""
        messages = [
            {"role": "system", "content": system},
            {"role": "user", "content": user_content(payload, [])},
        ]
        used = request_tokens(messages, response_format(answer_type))
        return self.config.input_budget - CORRECTION_TOKENS - used

    def _text_room(self, system: str, answer_type: type[Answer], payload: dict) -> int:
        room = self._room(system, answer_type, payload)
        if room < MIN_TEXT_TOKENS:
            raise StageFailed(
                "The story model's context window is too small for this request. Staff have "
                "to raise OPENAI_CONTEXT_TOKENS (or lower OPENAI_MAX_OUTPUT_TOKENS). Your "
                "upload and every finished stage are kept.",
                code="MODEL_CONTEXT_TOO_SMALL",
                dev_message=f"{room} tokens left of {self.config.input_budget}",
            )
        return room

    # Stage 1 ---------------------------------------------------------------------------

    def read(self, document: Document) -> Reading:
        measured = self.local.read(document)
        client = self._client("read")
        room = self._text_room(prompts.DIGEST, DigestAnswer, _digest_payload(document, []))
        chunks = document_chunks(document, room)
        digests = []
        for number, chunk in enumerate(chunks, start=1):
            answer = client.ask(
                DigestAnswer,
                system=prompts.DIGEST,
                payload=_digest_payload(document, chunk.sections, chunk.text),
                purpose=f"digest {number}/{len(chunks)}",
            )
            digests.append(_digest(chunk.sections, answer))
            self.session.report(number, len(chunks) + 1, f"read part {number} of {len(chunks)}")
        payload = _reading_payload(document, measured, "")
        overview = self._overview(
            client, digests, self._text_room(prompts.READING, ReadingAnswer, payload)
        )
        answer = client.ask(
            ReadingAnswer,
            system=prompts.READING,
            payload=_reading_payload(document, measured, overview),
            purpose="reading",
        )
        return Reading(
            structure_summary=answer.structure_summary,
            voice_notes=answer.voice_notes,
            logline=answer.logline,
            facts=measured.facts,
            confidence=measured.confidence,
            digests=digests,
        )

    def _overview(self, client: ModelClient, digests: list[SectionDigest], room: int) -> str:
        """The digests' summaries combined, in rounds of merges until they fit `room`."""
        summaries = [digest.summary for digest in digests]
        merge_room = self._text_room(prompts.MERGE, SummaryAnswer, {"parts": []})
        round_number = 0
        while True:
            groups = pack_items(summaries, room)
            if len(groups) <= 1:
                return fit_text("\n\n".join(summaries), room)
            round_number += 1
            groups = pack_items(summaries, merge_room)
            if len(groups) == len(summaries) and round_number > 1:
                # Merging no longer shrinks anything: keep the start of each part.
                share = max(room // len(summaries) - 4, 10)
                return "\n\n".join(fit_text(summary, share) for summary in summaries)
            summaries = [
                client.ask(
                    SummaryAnswer,
                    system=prompts.MERGE,
                    payload={"parts": [fit_text(summaries[i], merge_room) for i in group]},
                    purpose=f"merge round {round_number}, part {number}/{len(groups)}",
                ).summary
                for number, group in enumerate(groups, start=1)
            ]

    # Stage 2 ---------------------------------------------------------------------------

    def identify(self, document: Document, reading: Reading) -> Identity:
        measured = self.local.identify(document, reading)
        client = self._client("identify")
        payload = _identity_payload(document, reading, measured, "")
        overview = self._overview(
            client, reading.digests, self._text_room(prompts.IDENTITY, IdentityAnswer, payload)
        )
        answer = client.ask(
            IdentityAnswer,
            system=prompts.IDENTITY,
            payload=_identity_payload(document, reading, measured, overview),
            purpose="identity",
        )
        return Identity(
            theme=answer.theme,
            tone_tags=[tag.strip().lower() for tag in answer.tone_tags if tag.strip()],
            genre=answer.genre.strip().lower(),
            genre_confidence=answer.genre_confidence,
            keywords=[k.strip() for k in answer.keywords if k.strip()] or measured.keywords,
            confidence=round(answer.genre_confidence, 2),
            keyphrases=measured.keyphrases,
        )

    # Stage 3 ---------------------------------------------------------------------------

    def build_world(self, document: Document, reading: Reading, identity: Identity) -> World:
        measured = self.local.build_world(document, reading, identity)
        client = self._client("world")
        people = _mentions(reading.digests, "people", [c.name for c in measured.characters])
        places = _mentions(reading.digests, "places", [loc.name for loc in measured.locations])
        payload = self._fitted(
            lambda limit: {
                "title": document.title,
                "theme": identity.theme,
                "people": people[:limit],
                "places": places[:limit],
            },
            prompts.WORLD,
            WorldAnswer,
            most=max(len(people), len(places)),
        )
        answer = client.ask(WorldAnswer, system=prompts.WORLD, payload=payload, purpose="world")
        return merge_world(answer, measured, reading.digests)

    def _fitted(
        self,
        build: Callable[[int], dict],
        system: str,
        answer_type: type[Answer],
        *,
        most: int,
    ) -> dict:
        """`build(limit)` for the largest limit whose request fits the budget."""
        limit = most
        while limit > 0 and self._room(system, answer_type, build(limit)) < 0:
            limit = limit * 3 // 4
        return build(limit)

    # Stage 4 ---------------------------------------------------------------------------

    def plan_moments(
        self, document: Document, world: World, *, hook_pack_count: int
    ) -> list[CardPlan]:
        cards = self.local.plan_moments(document, world, hook_pack_count=hook_pack_count)
        if not cards:
            return cards
        client = self._client("moments")
        room = self._text_room(prompts.MOMENTS, MomentTitlesAnswer, {"cards": []})
        share = max(min(room // len(cards), 200), 40)
        items = [_moment_item(document, world, card, share) for card in cards]
        groups = pack_items([json.dumps(item, ensure_ascii=False) for item in items], room)
        titles: dict[int, str] = {}
        for number, group in enumerate(groups, start=1):
            asked = {items[i]["day_index"] for i in group}
            answer = client.ask(
                MomentTitlesAnswer,
                system=prompts.MOMENTS,
                payload={"cards": [items[i] for i in group]},
                purpose=f"titles {number}/{len(groups)}",
                check=_exact_days(asked),
            )
            titles.update((entry.day_index, entry.title.strip()) for entry in answer.cards)
            self.session.report(number, len(groups), f"titled {len(titles)} of {len(cards)}")
        for card in cards:
            card.title = titles.get(card.day_index) or card.title
        return cards

    # Stage 5 ---------------------------------------------------------------------------

    def draft_card(
        self,
        document: Document,
        reading: Reading,
        identity: Identity,
        world: World,
        plan: Plan,
        card: CardPlan,
        previous: list[DraftedCard],
    ) -> DraftedCard:
        measured = self.local.draft_card(document, reading, identity, world, plan, card, previous)
        client = self._client("craft")
        lines = [block_line(block) for block in card_blocks(document, card)]
        for level in _BIBLE_LEVELS:
            payload = _card_payload(identity, world, card, measured, previous, level, "")
            room = self._room(prompts.CARD, CardAnswer, payload)
            if room >= MIN_TEXT_TOKENS:
                break
        else:
            room = self._text_room(prompts.CARD, CardAnswer, payload)
        source_text = fit_text("\n".join(lines), room - 4)
        answer = client.ask(
            CardAnswer,
            system=prompts.CARD,
            payload=_card_payload(identity, world, card, measured, previous, level, source_text),
            purpose=f"card {card.day_index}",
        )
        parts = ImagePrompt(**answer.image.model_dump())
        return measured.model_copy(
            update={
                "captions": [c.strip() for c in answer.captions if c.strip()],
                "scene_text": answer.scene_text.strip(),
                "recap_text": answer.recap_text.strip(),
                "scene_description": answer.scene_description.strip(),
                "discussion_questions": [q.strip() for q in answer.discussion_questions],
                "image": parts,
                "image_prompt": image_prompt_text(parts),
                "image_style": parts.style,
            }
        )


# (characters, recap cards, description tokens): smaller bibles for small context windows.
_BIBLE_LEVELS = ((12, 8, 60), (6, 4, 30), (3, 2, 12), (0, 0, 0))


def _digest_payload(document: Document, sections: list[int], text: str = "") -> dict:
    return {
        "document": document.title,
        "source_type": document.source_type.value,
        "sections": sections,
        "text": text,
    }


def _digest(sections: list[int], answer: DigestAnswer) -> SectionDigest:
    wanted = set(sections)
    return SectionDigest(
        sections=sections,
        summary=answer.summary.strip(),
        section_summaries={
            note.section: note.summary.strip() for note in answer.sections if note.section in wanted
        },
        people=[
            NamedNote(name=p.name.strip(), note=p.note) for p in answer.people if p.name.strip()
        ],
        places=[
            NamedNote(name=p.name.strip(), note=p.note) for p in answer.places if p.name.strip()
        ],
    )


def _reading_payload(document: Document, measured: Reading, overview: str) -> dict:
    return {
        "title": document.title,
        "source_type": document.source_type.value,
        "measurements": measured.facts,
        "summary": overview,
    }


def _identity_payload(
    document: Document, reading: Reading, measured: Identity, overview: str
) -> dict:
    return {
        "title": document.title,
        "logline": reading.logline,
        "structure": reading.structure_summary,
        "voice": reading.voice_notes,
        "keyphrases": measured.keyphrases[:15],
        "summary": overview,
    }


def _mentions(digests: list[SectionDigest], kind: str, measured_names: list[str]) -> list[dict]:
    """Names the digests mention, most-mentioned first, with a note and the part count."""
    found: dict[str, dict] = {}
    for digest in digests:
        for entry in getattr(digest, kind):
            item = found.setdefault(
                entry.name.casefold(), {"name": entry.name, "notes": [], "parts": 0}
            )
            item["parts"] += 1
            if entry.note and entry.note not in item["notes"] and len(item["notes"]) < 2:
                item["notes"].append(fit_text(entry.note, 30))
    for name in measured_names:
        found.setdefault(name.casefold(), {"name": name, "notes": [], "parts": 0})
    return sorted(found.values(), key=lambda item: (-item["parts"], item["name"].casefold()))


def _moment_item(document: Document, world: World, card: CardPlan, share: int) -> dict:
    location = next((loc.name for loc in world.locations if loc.key == card.location_key), "")
    text = "\n".join(block_line(block) for block in card_blocks(document, card))
    return {
        "day_index": card.day_index,
        "working_title": card.title,
        "location": location,
        "text": fit_text(text, share),
    }


def _exact_days(asked: set[int]) -> Callable[[MomentTitlesAnswer], None]:
    def check(answer: MomentTitlesAnswer) -> None:
        given = [entry.day_index for entry in answer.cards]
        if sorted(given) != sorted(asked):
            raise ValueError(
                f"cards must have exactly these day_index values once each: {sorted(asked)}; "
                f"got {given}"
            )
        if any(not entry.title.strip() for entry in answer.cards):
            raise ValueError("every title must be non-empty")

    return check


def _card_payload(identity, world, card, measured, previous, level, source_text) -> dict:
    characters, recaps, description_tokens = level
    names = {c.key: c.name for c in world.characters}
    ranked = sorted(world.characters, key=lambda c: (c.tier != "main", -c.importance))
    return {
        "bible": {
            "theme": identity.theme,
            "tone": identity.tone_tags,
            "genre": identity.genre,
            "characters": [
                {"name": c.name, "about": fit_text(c.description, description_tokens)}
                for c in ranked[:characters]
            ],
            "locations": [
                {"name": loc.name, "about": fit_text(loc.description, description_tokens)}
                for loc in world.locations[:characters]
            ],
        },
        "earlier_cards": [
            {"day": p.day_index, "title": p.title, "recap": fit_text(p.recap_text, 60)}
            for p in (previous[-recaps:] if recaps else [])
        ],
        "card": {
            "day_index": card.day_index,
            "title": card.title,
            "location": next(
                (loc.name for loc in world.locations if loc.key == measured.location_key), ""
            ),
            "characters": [names[k] for k in measured.primary_character_keys if k in names],
        },
        "source_text": source_text,
    }
