"""The six stages as pure functions: earlier outputs in, `(output, artifact)` out.

They never touch the ORM; the runner persists what they return.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from pydantic import BaseModel

from transformations.engines.base import ProgressCallback, StoryEngine
from transformations.ingest import IngestLimits, normalise
from transformations.models import STAGE_LABELS, STAGE_NAMES
from transformations.pipeline import artifacts
from transformations.pipeline.types import (
    Document,
    Drafts,
    Identity,
    Plan,
    Reading,
    World,
)
from universes.publishing import publish_schedule


@dataclass(frozen=True)
class SourceInput:
    data: bytes
    filename: str = ""
    mime: str = ""
    limits: IngestLimits = field(default_factory=IngestLimits)


@dataclass(frozen=True)
class PlanOptions:
    hook_pack_count: int
    release_mode: str
    start: datetime


def stage_normalise(source: SourceInput) -> tuple[Document, dict]:
    document = normalise(
        source.data, filename=source.filename, mime=source.mime, limits=source.limits
    )
    return document, artifacts.normalise_artifact(document)


def stage_read(document: Document, engine: StoryEngine) -> tuple[Reading, dict]:
    reading = engine.read(document)
    return reading, artifacts.read_artifact(reading)


def stage_identify(
    document: Document, reading: Reading, engine: StoryEngine
) -> tuple[Identity, dict]:
    identity = engine.identify(document, reading)
    return identity, artifacts.identify_artifact(identity)


def stage_world(
    document: Document, reading: Reading, identity: Identity, engine: StoryEngine
) -> tuple[World, dict]:
    world = engine.build_world(document, reading, identity)
    return world, artifacts.world_artifact(world)


def stage_moments(
    document: Document, world: World, engine: StoryEngine, options: PlanOptions
) -> tuple[Plan, dict]:
    cards = engine.plan_moments(document, world, hook_pack_count=options.hook_pack_count)
    schedule = publish_schedule(
        len(cards),
        release_mode=options.release_mode,
        start=options.start,
        hook_pack_count=options.hook_pack_count,
    )
    for card, publish_at in zip(cards, schedule, strict=True):
        card.publish_at = publish_at.isoformat()
    plan = Plan(
        cards=cards,
        hook_pack_count=min(options.hook_pack_count, len(cards)),
        release_mode=options.release_mode,
        start_date=options.start.isoformat(),
    )
    return plan, artifacts.moments_artifact(plan)


def stage_craft(
    document: Document,
    reading: Reading,
    identity: Identity,
    world: World,
    plan: Plan,
    engine: StoryEngine,
    progress: ProgressCallback,
) -> tuple[Drafts, dict]:
    drafted = []
    total = len(plan.cards)
    for done, card in enumerate(plan.cards, start=1):
        draft = engine.draft_card(document, reading, identity, world, plan, card, drafted)
        draft.publish_at = card.publish_at
        drafted.append(draft)
        progress(done, total)
    drafts = Drafts(cards=drafted)
    return drafts, artifacts.craft_artifact(drafts)


@dataclass(frozen=True)
class Stage:
    index: int
    output_type: type[BaseModel]

    @property
    def name(self) -> str:
        return STAGE_NAMES[self.index]

    @property
    def label(self) -> str:
        """Shown to creators while the stage runs."""
        return STAGE_LABELS[self.index][0]


STAGES: tuple[Stage, ...] = tuple(
    Stage(index, output_type)
    for index, output_type in enumerate((Document, Reading, Identity, World, Plan, Drafts))
)
