"""Runs a claimed transformation job through stages 0–5 and finalises its universe.

The runner is the only pipeline code that persists. After each stage, one
fenced transaction stores the stage's private output, its public artifact,
its status and the next `current_stage`, so a retry or a rescued job resumes
at the first unfinished stage from the stored outputs of the earlier ones.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from assets.services import assets_enqueue_for_universe
from jobqueue import queue
from jobqueue.context import JobContext
from jobqueue.errors import DeadlineExceeded, LeaseLost
from jobqueue.models import QueueStatus
from transformations.engines import get_engine
from transformations.engines.journal import EngineSession
from transformations.ingest import IngestLimits
from transformations.journal import DatabaseCallJournal
from transformations.models import STAGE_COUNT, StageStatus, TransformationJob
from transformations.pipeline import stages
from transformations.pipeline.errors import IngestError
from transformations.pipeline.faults import apply_faults
from transformations.pipeline.stages import STAGES, PlanOptions, SourceInput
from universes.publishing import DEFAULT_HOOK_PACK_COUNT
from universes.services import universe_create_from_story

logger = logging.getLogger("transformations.runner")


def run_transformation(job: TransformationJob, ctx: JobContext) -> None:
    engine_name = job.config.get("engine") or settings.STORY_ENGINE
    journal = DatabaseCallJournal(job)
    outputs = {
        stage.index: stage.output_type.model_validate(job.stage_outputs[str(stage.index)])
        for stage in STAGES[: job.current_stage]
    }
    for stage in STAGES[job.current_stage :]:
        ctx.check()
        _mark_stage_running(job, ctx, stage)
        started = time.monotonic()
        engine = get_engine(engine_name, _engine_session(job, ctx, stage, journal))
        output, artifact = _run_stage_within_deadline(stage, job, outputs, engine, ctx)
        duration_ms = int((time.monotonic() - started) * 1000)
        outputs[stage.index] = output
        _commit_stage(job, ctx, stage, output, artifact, duration_ms)
        logger.info(
            "job=%s stage=%s name=%s attempt=%s duration_ms=%d",
            job.pk,
            stage.index,
            stage.name,
            ctx.lease.attempt,
            duration_ms,
        )
    ctx.check()
    _finalise(job, ctx, outputs)


def _engine_session(job, ctx: JobContext, stage: stages.Stage, journal) -> EngineSession:
    def report(done: int, total: int, what: str) -> None:
        ctx.check_during_stage(cancel=True)
        ctx.progress(
            _stage_percent(stage.index, done / max(total, 1)),
            f"{stage.label}: {what}",
            force=done == total,
        )

    return EngineSession(
        job_key=str(job.pk),
        stage=stage.index,
        attempt=ctx.lease.attempt,
        journal=journal,
        progress=report,
    )


def _run_stage_within_deadline(stage, job, outputs, engine, ctx: JobContext):
    """Run one stage under its deadline; reading the file has its own, shorter one.

    A file that takes too long to read will take as long next time, so that
    deadline fails the job for good instead of retrying.
    """
    reading_the_file = stage.index == 0
    deadline = settings.WORKER_STAGE_DEADLINE
    if reading_the_file:
        deadline = min(settings.INGEST_PARSE_SECONDS, deadline)
    try:
        with ctx.stage_scope(deadline):
            apply_faults(stage.index)
            return _run_stage(stage.index, job, outputs, engine, ctx)
    except DeadlineExceeded as exc:
        if not reading_the_file:
            raise
        raise IngestError(
            "This file took too long to read (over "
            f"{settings.INGEST_PARSE_SECONDS:.0f} seconds). Try a shorter part of it, or "
            "export it again as plain text or a simpler PDF.",
            code="PARSE_TIMEOUT",
            dev_message=f"stage 0 exceeded INGEST_PARSE_SECONDS={settings.INGEST_PARSE_SECONDS}",
        ) from exc


def ingest_limits_from_settings() -> IngestLimits:
    return IngestLimits(
        max_bytes=settings.UPLOAD_MAX_BYTES,
        max_chars=settings.INGEST_MAX_CHARS,
        max_sections=settings.INGEST_MAX_SECTIONS,
        max_pages=settings.INGEST_MAX_PAGES,
        max_slides=settings.INGEST_MAX_SLIDES,
        max_uncompressed_bytes=settings.INGEST_MAX_UNCOMPRESSED_BYTES,
        max_compression_ratio=settings.INGEST_MAX_COMPRESSION_RATIO,
    )


def _run_stage(index: int, job: TransformationJob, outputs: dict, engine, ctx: JobContext):
    if index == 0:
        with job.source_file.open("rb") as handle:
            data = handle.read()
        return stages.stage_normalise(
            SourceInput(
                data=data,
                filename=job.source_filename,
                mime=job.source_mime,
                limits=ingest_limits_from_settings(),
            )
        )
    if index == 1:
        return stages.stage_read(outputs[0], engine)
    if index == 2:
        return stages.stage_identify(outputs[0], outputs[1], engine)
    if index == 3:
        return stages.stage_world(outputs[0], outputs[1], outputs[2], engine)
    if index == 4:
        return stages.stage_moments(outputs[0], outputs[3], engine, _plan_options(job))
    return stages.stage_craft(
        outputs[0],
        outputs[1],
        outputs[2],
        outputs[3],
        outputs[4],
        engine,
        progress=_card_progress(ctx),
    )


def _plan_options(job: TransformationJob) -> PlanOptions:
    config = job.config
    start = config.get("startDate")
    return PlanOptions(
        hook_pack_count=int(config.get("hookPackCount") or DEFAULT_HOOK_PACK_COUNT),
        release_mode=config.get("releaseMode") or "hybrid",
        start=datetime.fromisoformat(start) if start else job.created_at,
    )


def _stage_percent(index: int, fraction: float = 0.0) -> int:
    return int((index + fraction) * 100 / STAGE_COUNT)


def _card_progress(ctx: JobContext):
    def report(done: int, total: int) -> None:
        ctx.check_during_stage(cancel=True)
        ctx.progress(
            _stage_percent(5, done / max(total, 1)),
            f"Drafting the cards: {done} of {total}",
            force=done == total,
        )

    return report


def _mark_stage_running(job: TransformationJob, ctx: JobContext, stage: stages.Stage) -> None:
    job.stage_statuses = {**job.stage_statuses, str(stage.index): StageStatus.RUNNING}
    job.stage_timings = {
        **job.stage_timings,
        str(stage.index): {
            "attempt": ctx.lease.attempt,
            "startedAt": timezone.now().isoformat(),
        },
    }
    ctx.write(
        stage_statuses=job.stage_statuses,
        stage_timings=job.stage_timings,
        progress=_stage_percent(stage.index),
        status_line=f"{stage.label}…",
    )


def _commit_stage(job, ctx: JobContext, stage: stages.Stage, output, artifact, duration_ms):
    key = str(stage.index)
    job.stage_outputs = {**job.stage_outputs, key: output.model_dump(mode="json")}
    job.artifacts = {**job.artifacts, key: artifact}
    job.stage_statuses = {**job.stage_statuses, key: StageStatus.DONE}
    timing = dict(job.stage_timings.get(key, {}))
    timing.update(finishedAt=timezone.now().isoformat(), durationMs=duration_ms)
    job.stage_timings = {**job.stage_timings, key: timing}
    job.current_stage = stage.index + 1
    changes = {
        "stage_outputs": job.stage_outputs,
        "artifacts": job.artifacts,
        "stage_statuses": job.stage_statuses,
        "stage_timings": job.stage_timings,
        "current_stage": job.current_stage,
        "progress": _stage_percent(stage.index + 1),
        "status_line": f"{stage.label}: done",
    }
    if stage.index == 0:
        job.source_type = output.source_type.value
        changes["source_type"] = job.source_type
    ctx.write(**changes)


def _finalise(job: TransformationJob, ctx: JobContext, outputs: dict) -> None:
    """Create the universe and complete the job in one transaction (idempotent).

    The row lock (PostgreSQL) or the IMMEDIATE write transaction (SQLite)
    serialises finalisation; a job that already has its universe only completes.
    """
    with transaction.atomic():
        locked = ctx.lease.rows().select_for_update().first()
        if locked is None:
            raise LeaseLost(f"lease on {job.pk} lost before finalisation")
        universe = locked.output_universe
        if universe is None:
            document, reading, identity, world, plan, drafts = (outputs[i] for i in range(6))
            universe = universe_create_from_story(
                owner=job.user,
                source_job=job,
                source_sha256=job.source_sha256,
                source_type=document.source_type.value,
                title=(document.pack.title if document.pack else "") or document.title,
                fallback_title=job.source_filename,
                logline=(document.pack.logline if document.pack else "") or reading.logline,
                theme=identity.theme,
                tone_tags=identity.tone_tags,
                genre=identity.genre,
                structure_summary=reading.structure_summary,
                voice_notes=reading.voice_notes,
                release_mode=plan.release_mode,
                hook_pack_count=plan.hook_pack_count,
                start_date=datetime.fromisoformat(plan.start_date),
                characters=[c.model_dump() for c in world.characters],
                locations=[loc.model_dump() for loc in world.locations],
                cards=[card.model_dump() for card in drafts.cards],
                on_duplicate=job.config.get("onDuplicate", "reuse"),
            )
            if settings.ASSETS_AUTO_GENERATE:
                # In the same transaction: a universe never exists without its asset jobs.
                assets_enqueue_for_universe(
                    universe=universe,
                    refresh_whole_universe=job.config.get("onDuplicate") == "replace",
                )
        queue.finish(
            ctx.lease,
            status=QueueStatus.COMPLETED,
            output_universe=universe,
            progress=100,
            status_line="Your universe is ready",
            # A retried job that finished carries no error from an earlier attempt.
            error_code="",
            error_message_user="",
        )
