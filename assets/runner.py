"""Runs one claimed asset job: generate, store the files, then point the row at them.

The files are written before the row changes, and the row changes in one fenced
transaction with the universe's status, so a reader sees either the old asset or
the new one, never a half-written file; a worker killed at any point leaves at
most an unreferenced file, which the next successful run deletes.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from assets.context import request_for
from assets.faults import apply_asset_faults
from assets.generators import generator_for
from assets.generators.base import AssetSkipped
from assets.models import AssetJob, AssetStatus, AssetType, history_entry
from assets.services import pending_images, universe_asset_status_sync
from assets.storage import file_store, files_delete_unreferenced
from jobqueue import queue
from jobqueue.context import JobContext
from jobqueue.errors import DeadlineExceeded, TransientJobError
from jobqueue.models import QueueStatus
from transformations.engines.journal import EngineSession
from transformations.journal import DatabaseCallJournal

logger = logging.getLogger("assets.runner")

LABELS = {
    AssetType.COVER: "the cover",
    AssetType.CARD_IMAGE: "the card's image",
    AssetType.PORTRAIT: "the portraits",
    AssetType.NARRATION: "the narration",
    AssetType.PDF: "the storybook PDF",
    AssetType.ACTIVITIES: "the activities",
}


def run_asset(job: AssetJob, ctx: JobContext) -> None:
    if job.asset_type == AssetType.PDF and _wait_for_images(job, ctx):
        return
    label = LABELS[job.asset_type]
    job.history = [*job.history, history_entry(AssetStatus.GENERATING)]
    ctx.write(
        asset_status=AssetStatus.GENERATING,
        history=job.history,
        progress=0,
        status_line=f"Making {label}…",
    )
    universe_asset_status_sync(universe_id=job.universe_id)
    # Leftovers of attempts killed after writing a file (a PDF's bytes differ each time).
    files_delete_unreferenced(job)

    started = time.monotonic()
    deadline = settings.ASSET_DEADLINES[job.asset_type]
    try:
        with ctx.stage_scope(deadline):
            apply_asset_faults(job.key, ctx.lease.attempt)
            result = generator_for(job.asset_type, job.engine)(
                request_for(job), _session(job, ctx, label)
            )
    except AssetSkipped as skipped:
        _finish(job, ctx, AssetStatus.SKIPPED, skipped_reason=skipped.reason)
        return
    except DeadlineExceeded as exc:
        raise TransientJobError(
            f"Making {label} took longer than {deadline:.0f} seconds, so it was stopped. "
            "It will be tried again; the rest of the universe is not affected.",
            code="ASSET_TIMEOUT",
            dev_message=f"{job.key}: deadline {deadline}s exceeded",
        ) from exc
    # No shutdown check here: work finished inside the grace period is kept. The fenced
    # finish below still refuses a worker that lost its lease.
    files = {role: file_store(job, role, generated) for role, generated in result.files.items()}
    _finish(
        job,
        ctx,
        AssetStatus.READY,
        files=files,
        data=result.data,
        metadata={**result.metadata, "engine": job.engine},
    )
    files_delete_unreferenced(job)
    logger.info(
        "asset=%s key=%s universe=%s attempt=%s duration_ms=%d",
        job.pk,
        job.key,
        job.universe_id,
        ctx.lease.attempt,
        (time.monotonic() - started) * 1000,
    )


def _session(job: AssetJob, ctx: JobContext, label: str) -> EngineSession:
    def report(done: int, total: int, what: str) -> None:
        ctx.check_during_stage(cancel=True)
        ctx.progress(int(done * 100 / max(total, 1)), f"Making {label}: {what}")

    return EngineSession(
        job_key=str(job.pk),
        stage=0,
        attempt=ctx.lease.attempt,
        journal=DatabaseCallJournal(subject=f"asset:{job.pk}"),
        progress=report,
    )


def _finish(job: AssetJob, ctx: JobContext, status: str, **changes) -> None:
    job.history = [*job.history, history_entry(status)]
    for field, value in changes.items():
        setattr(job, field, value)
    with transaction.atomic():
        queue.finish(
            ctx.lease,
            status=QueueStatus.COMPLETED,
            asset_status=status,
            history=job.history,
            progress=100,
            status_line="Ready" if status == AssetStatus.READY else "Skipped",
            error_code="",
            error_message_user="",
            **changes,
        )
        universe_asset_status_sync(universe_id=job.universe_id)


def _wait_for_images(job: AssetJob, ctx: JobContext) -> bool:
    """The storybook waits (off the worker) for images still being made, up to a limit,
    then goes without them rather than fail."""
    if not pending_images(job.universe_id):
        return False
    now = timezone.now()
    since = job.metadata.get("waitingSince")
    waited = (now - datetime.fromisoformat(since)).total_seconds() if since else 0
    if waited >= settings.ASSET_PDF_IMAGE_WAIT:
        return False
    queue.requeue(
        ctx.lease,
        delay_seconds=min(2.0, settings.ASSET_PDF_IMAGE_WAIT),
        count_attempt=False,
        metadata={**job.metadata, "waitingSince": since or now.isoformat()},
        status_line="Waiting for the images",
    )
    return True
