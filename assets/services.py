"""Writes for assets: queue a universe's media, regenerate them, portraits and favourites."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.db.models.functions import Now

from assets.models import (
    ASSET_PRIORITY,
    PENDING_ASSET_STATUSES,
    AssetJob,
    AssetStatus,
    AssetType,
    history_entry,
)
from assets.selectors import asset_generation_status
from core.errors import ApplicationError, ConflictError
from jobqueue.models import QueueStatus
from jobqueue.queue import notify_enqueued
from transformations.engines import engine_ready
from universes.models import Universe

PORTRAIT_STYLES = ("watercolor", "storybook", "anime", "flat", "colored-pencil")
PER_CARD_TYPES = (AssetType.CARD_IMAGE, AssetType.NARRATION, AssetType.ACTIVITIES)
REGENERABLE_TYPES = tuple(t.value for t in AssetType)


def asset_engine_for(universe: Universe) -> str:
    """ASSET_ENGINE, else the engine the universe's transformation used; local if not ready."""
    engine = settings.ASSET_ENGINE
    if not engine:
        job = universe.source_job
        engine = (job.config.get("engine") if job else "") or settings.STORY_ENGINE
    return engine if engine_ready(engine) else "local"


def _asset_job(universe, asset_type, key, *, engine, card=None, character=None, options=None):
    return AssetJob(
        universe=universe,
        asset_type=asset_type,
        key=key,
        card=card,
        character=character,
        engine=engine,
        options=options or {},
        priority=ASSET_PRIORITY[asset_type],
        max_attempts=settings.ASSET_MAX_ATTEMPTS[asset_type],
        history=[history_entry(AssetStatus.QUEUED)],
    )


def _wanted_jobs(universe: Universe, engine: str, types) -> list[AssetJob]:
    jobs = []
    if AssetType.COVER in types:
        jobs.append(_asset_job(universe, AssetType.COVER, "cover", engine=engine))
    for card in universe.cards.order_by("day_index"):
        for asset_type in PER_CARD_TYPES:
            if asset_type in types:
                key = f"{asset_type}:{card.day_index}"
                jobs.append(_asset_job(universe, asset_type, key, engine=engine, card=card))
    if AssetType.PDF in types:
        jobs.append(_asset_job(universe, AssetType.PDF, "pdf", engine=engine))
    return jobs


def _after_commit_wake_workers() -> None:
    transaction.on_commit(notify_enqueued)


@transaction.atomic
def assets_enqueue_for_universe(
    *,
    universe: Universe,
    types=(AssetType.COVER, *PER_CARD_TYPES, AssetType.PDF),
    refresh_whole_universe: bool = False,
) -> list[AssetJob]:
    """Queue the universe's media that have no job yet (idempotent).

    `refresh_whole_universe` (a universe whose story was replaced) also queues the cover
    and the storybook again, which depend on every card; the per-card media of new cards
    are new jobs anyway.
    """
    existing = set(universe.asset_jobs.values_list("key", flat=True))
    engine = asset_engine_for(universe)
    new = [job for job in _wanted_jobs(universe, engine, types) if job.key not in existing]
    AssetJob.objects.bulk_create(new)
    if refresh_whole_universe:
        for job in universe.asset_jobs.filter(
            asset_type__in=(AssetType.COVER, AssetType.PDF)
        ).exclude(status__in=(QueueStatus.QUEUED, QueueStatus.RUNNING)):
            _requeue(job)
    universe_asset_status_sync(universe_id=universe.pk)
    _after_commit_wake_workers()
    return new


@transaction.atomic
def asset_regenerate(
    *, universe: Universe, asset_types: list[str], card_ids: list[int] | None = None
) -> list[AssetJob]:
    """Make the named media again. Their current files stay readable until the new ones
    replace them; a medium being generated right now is a conflict."""
    unknown = sorted(set(asset_types) - set(REGENERABLE_TYPES))
    if unknown or not asset_types:
        raise ApplicationError(
            f"Unknown asset types: {', '.join(unknown) or 'none given'}. "
            f"Choose from: {', '.join(REGENERABLE_TYPES)}.",
            code="UNKNOWN_ASSET_TYPE",
        )
    if card_ids is not None:
        known = set(universe.cards.filter(pk__in=card_ids).values_list("pk", flat=True))
        if missing := sorted(set(card_ids) - known):
            raise ApplicationError(
                f"These cards are not in this universe: {missing}.", code="UNKNOWN_CARD"
            )
    assets_enqueue_for_universe(
        universe=universe, types=[t for t in asset_types if t != AssetType.PORTRAIT]
    )
    jobs = list(
        AssetJob.objects.select_for_update().filter(universe=universe, asset_type__in=asset_types)
    )
    if card_ids is not None:
        chosen = set(card_ids)
        jobs = [j for j in jobs if j.asset_type not in PER_CARD_TYPES or j.card_id in chosen]
    busy = [job.key for job in jobs if job.status == QueueStatus.RUNNING]
    if busy:
        raise ConflictError(
            f"These assets are being generated right now: {', '.join(busy)}. "
            "Try again when they finish.",
            code="ASSET_BUSY",
        )
    requeued = []
    for job in jobs:
        if job.status == QueueStatus.QUEUED:
            continue
        _requeue(job)
        requeued.append(job)
    universe_asset_status_sync(universe_id=universe.pk)
    _after_commit_wake_workers()
    return requeued


def _requeue(job: AssetJob) -> None:
    """Queue a finished asset again; its current files stay linked until replaced."""
    AssetJob.objects.filter(pk=job.pk).update(
        status=QueueStatus.QUEUED,
        asset_status=AssetStatus.QUEUED,
        run_after=Now(),
        max_attempts=F("attempt") + settings.ASSET_MAX_ATTEMPTS[job.asset_type],
        cancel_requested=False,
        progress=0,
        status_line="Queued again",
        error_code="",
        error_message_user="",
        error_message_dev="",
        skipped_reason="",
        finished_at=None,
        history=[*job.history, history_entry(AssetStatus.QUEUED)],
        version=F("version") + 1,
    )


@transaction.atomic
def portrait_request(
    *, character, style: str, variants: int | None = None, run_token: str = ""
) -> AssetJob:
    """Queue portraits of a character in a style. The same run token never makes a second
    job, so a client that retries its request gets the job it already started."""
    if style not in PORTRAIT_STYLES:
        raise ApplicationError(
            f"Unknown portrait style “{style}”; choose from: {', '.join(PORTRAIT_STYLES)}.",
            code="UNKNOWN_STYLE",
        )
    variants = variants or settings.PORTRAIT_VARIANTS
    if not 1 <= variants <= 6:
        raise ApplicationError("Ask for 1 to 6 variants.", code="INVALID_VARIANTS")
    run_token = (run_token or uuid.uuid4().hex[:12])[:40]
    universe = character.universe
    key = f"portrait:{character.key}:{style}:{run_token}"
    job, created = AssetJob.objects.get_or_create(
        universe=universe,
        key=key,
        defaults={
            field: getattr(candidate, field)
            for candidate in [
                _asset_job(
                    universe,
                    AssetType.PORTRAIT,
                    key,
                    engine=asset_engine_for(universe),
                    character=character,
                    options={"style": style, "variants": variants, "runToken": run_token},
                )
            ]
            for field in (
                "asset_type",
                "character",
                "engine",
                "options",
                "priority",
                "max_attempts",
                "history",
            )
        },
    )
    if created:
        universe_asset_status_sync(universe_id=universe.pk)
        _after_commit_wake_workers()
    return job


@transaction.atomic
def portrait_favourite_set(*, job: AssetJob, variant: str) -> AssetJob:
    if job.asset_type != AssetType.PORTRAIT or job.asset_status != AssetStatus.READY:
        raise ConflictError("Only a finished portrait can be chosen.", code="PORTRAIT_NOT_READY")
    if variant not in job.files:
        raise ApplicationError(
            f"This portrait has no “{variant}”; choose from: {', '.join(sorted(job.files))}.",
            code="UNKNOWN_VARIANT",
        )
    AssetJob.objects.filter(character_id=job.character_id, asset_type=AssetType.PORTRAIT).exclude(
        pk=job.pk
    ).update(favourite_variant="")
    AssetJob.objects.filter(pk=job.pk).update(favourite_variant=variant)
    job.favourite_variant = variant
    universe_asset_status_sync(universe_id=job.universe_id)
    return job


def universe_asset_status_sync(*, universe_id) -> dict:
    """Rebuild the universe's `asset_generation_status` from its asset jobs.

    The universe row is locked first, so two workers finishing assets of one
    universe at once write one after the other, each from the rows as they are.
    """
    with transaction.atomic():
        universe = Universe.objects.select_for_update().filter(pk=universe_id).first()
        if universe is None:
            return {}
        status = asset_generation_status(universe)
        if status != universe.asset_generation_status:
            Universe.objects.filter(pk=universe_id).update(asset_generation_status=status)
        return status


def pending_images(universe_id) -> int:
    return AssetJob.objects.filter(
        universe_id=universe_id,
        asset_type__in=(AssetType.COVER, AssetType.CARD_IMAGE),
        asset_status__in=PENDING_ASSET_STATUSES,
    ).count()
