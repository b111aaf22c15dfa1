"""The local story engine: deterministic analysis of the real text, no network.

Same document in, same output out: no randomness, no clock, no model. Each
method delegates to a module that owns one stage:

- `reading`: stage 1 (measurements, structure, voice, logline) and stage 2
  (keywords, theme, tone and genre from lexicons);
- `characters` / `cast`, `places` (with `headings`) and `scenes`: stage 3, with a
  per-scene breakdown (where, when, who speaks, who is present);
- `segments` and `plan`: stage 4; `draft` and `prompts`: stage 5;
- `confidence`: how far each stage's output can be trusted, from its evidence.
"""

from __future__ import annotations

from transformations.engines.local.characters import sketch_characters
from transformations.engines.local.confidence import world_confidence
from transformations.engines.local.draft import draft_card
from transformations.engines.local.memo import locations_for
from transformations.engines.local.plan import plan_cards
from transformations.engines.local.reading import identify_document, read_document
from transformations.engines.local.scenes import scene_breakdown
from transformations.pipeline.types import (
    CardPlan,
    Document,
    DraftedCard,
    Identity,
    Plan,
    Reading,
    World,
)


class LocalEngine:
    name = "local"

    def read(self, document: Document) -> Reading:
        return read_document(document)

    def identify(self, document: Document, reading: Reading) -> Identity:
        return identify_document(document, reading)

    def build_world(self, document: Document, reading: Reading, identity: Identity) -> World:
        characters = sketch_characters(document, identity)
        forms = [form for c in characters for form in (c.name, *c.aliases)]
        world = World(characters=characters, locations=locations_for(document, forms))
        world.scenes = scene_breakdown(document, world)
        world.confidence = world_confidence(document, world)
        return world

    def plan_moments(
        self, document: Document, world: World, *, hook_pack_count: int
    ) -> list[CardPlan]:
        return plan_cards(document, world, hook_pack_count=hook_pack_count)

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
        return draft_card(document, reading, identity, world, plan, card, previous)
