"""Writes for transformation jobs: create, retry, cancel."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Count, F, Q, Sum
from django.db.models.functions import Now
from django.utils import timezone

from core.errors import ApplicationError, ConflictError
from core.quotas import QuotaExceeded, size_display, time_display, wait_display
from jobqueue.models import QueueStatus
from jobqueue.queue import notify_enqueued
from transformations.engines import ready_engines
from transformations.models import STAGE_COUNT, ModelCall, StageStatus, TransformationJob

PASTED_TEXT_FILENAME = "pasted-text.txt"
QUOTA_DAY = timedelta(hours=24)


def job_config_build(
    *,
    hook_pack_count: int | None = None,
    release_mode: str | None = None,
    start_date: datetime | None = None,
    engine: str | None = None,
    on_duplicate: str | None = None,
) -> dict:
    if not engine:
        # The operator's default, unless it cannot run here: the local engine is the fallback.
        engine = settings.STORY_ENGINE if settings.STORY_ENGINE in ready_engines() else "local"
    if engine not in ready_engines():
        raise ApplicationError(
            f"The story engine “{engine}” is not available on this server; "
            f"choose one of: {', '.join(ready_engines())}.",
            code="ENGINE_NOT_AVAILABLE",
        )
    config = {
        "hookPackCount": hook_pack_count or 3,
        "releaseMode": release_mode or "hybrid",
        "engine": engine,
        "onDuplicate": on_duplicate or "reuse",
    }
    if start_date is not None:
        config["startDate"] = start_date.isoformat()
    return config


def source_size_check(*, size: int) -> None:
    if size > settings.UPLOAD_MAX_BYTES:
        raise ApplicationError(
            f"This file is {size / 1_048_576:.1f} MB; the limit is "
            f"{settings.UPLOAD_MAX_BYTES / 1_048_576:.0f} MB. "
            "Split it or upload a shorter version.",
            code="FILE_TOO_LARGE",
            status_code=413,
        )


@transaction.atomic
def job_create(
    *,
    user,
    data: bytes,
    filename: str = "",
    mime: str = "",
    config: dict | None = None,
) -> TransformationJob:
    """Store the source and queue a job for it; idle workers are woken on commit."""
    source_size_check(size=len(data))
    if not data.strip():
        raise ApplicationError(
            "This file is empty. Choose a document with some story in it.", code="EMPTY_FILE"
        )
    job_quota_check(user=user, size=len(data))
    job = TransformationJob(
        user=user,
        source_filename=(filename or PASTED_TEXT_FILENAME)[:255],
        source_mime=mime[:120],
        source_sha256=hashlib.sha256(data).hexdigest(),
        source_size=len(data),
        config=config or job_config_build(),
        max_attempts=settings.JOB_MAX_ATTEMPTS,
    )
    safe_name = (filename or PASTED_TEXT_FILENAME).replace("/", "_").replace("\\", "_")[-120:]
    job.source_file.save(safe_name, ContentFile(data), save=False)
    job.save()
    notify_enqueued()
    return job


def job_quota_check(*, user, size: int) -> None:
    """Refuse a new job past the creator's quotas; staff (and jobs without an owner) are exempt.

    1. Lock the user's row, inside job_create's transaction, so two uploads racing from
       one account cannot both take the last slot (SQLite's IMMEDIATE transactions already
       serialise writers; this is for PostgreSQL).
    2. One aggregate over the user's jobs (indexed by user): jobs created in the last 24
       hours, and the bytes of every stored source.
    3. Past the daily quota, say when the window frees a slot: when the oldest job still
       counting over the limit turns a day old (a rolling window, so there is no midnight
       rush). Past the storage quota, waiting does not help; say what does.
    """
    if user is None or user.is_staff:
        return
    per_day = settings.QUOTA_TRANSFORMATIONS_PER_DAY
    storage = settings.QUOTA_STORAGE_BYTES
    if not per_day and not storage:
        return
    list(get_user_model().objects.select_for_update().filter(pk=user.pk).values_list("pk"))
    now = timezone.now()
    jobs = TransformationJob.objects.filter(user=user).order_by()
    usage = jobs.aggregate(
        today=Count("pk", filter=Q(created_at__gt=now - QUOTA_DAY)),
        stored=Sum("source_size"),
    )
    if per_day and usage["today"] >= per_day:
        oldest_counting = (
            jobs.filter(created_at__gt=now - QUOTA_DAY)
            .order_by("created_at")
            .values_list("created_at", flat=True)[usage["today"] - per_day]
        )
        frees_at = oldest_counting + QUOTA_DAY
        noun = "transformation" if per_day == 1 else "transformations"
        raise QuotaExceeded(
            f"You have reached your limit of {per_day} {noun} in 24 hours. You can start "
            f"another in {wait_display((frees_at - now).total_seconds())} "
            f"(at {time_display(frees_at)}).",
            retry_after=frees_at - now,
        )
    stored = usage["stored"] or 0
    if storage and stored + size > storage:
        raise QuotaExceeded(
            f"This file ({size_display(size)}) does not fit in your upload storage: you use "
            f"{size_display(stored)} of {size_display(storage)}. Upload a smaller file, or ask "
            "an administrator to remove transformations you no longer need."
        )


def _statuses_reset_from(job: TransformationJob, stage: int) -> dict[str, str]:
    return {
        str(i): StageStatus.PENDING if i >= stage else job.stage_statuses.get(str(i))
        for i in range(STAGE_COUNT)
    }


@transaction.atomic
def job_retry(*, job: TransformationJob) -> TransformationJob:
    """Requeue a failed job so it resumes at its failed stage.

    The failed stage and the ones after it go back to pending; earlier stages
    keep their stored outputs and are not run again. The attempt counter keeps
    counting (it fences worker writes) and the job gets a fresh attempt budget.
    """
    if not _requeue_at_current_stage(
        job, Q(status=QueueStatus.FAILED), status_line="Queued for retry"
    ):
        raise ConflictError(
            f"Only failed jobs can be retried; this one is {job.status}.",
            code="JOB_NOT_RETRYABLE",
        )
    job.refresh_from_db()
    return job


def _requeue_at_current_stage(job: TransformationJob, allowed: Q, *, status_line: str) -> bool:
    """Queue the job again from its current stage if it matches `allowed`; wake workers."""
    updated = TransformationJob.objects.filter(allowed, pk=job.pk).update(
        status=QueueStatus.QUEUED,
        stage_statuses=_statuses_reset_from(job, job.current_stage),
        lease_owner="",
        lease_expires_at=None,
        error_code="",
        error_message_user="",
        error_message_dev="",
        status_line=status_line,
        cancel_requested=False,
        max_attempts=F("attempt") + settings.JOB_MAX_ATTEMPTS,
        run_after=Now(),
        finished_at=None,
        version=F("version") + 1,
        updated_at=Now(),
    )
    if updated == 1:
        notify_enqueued()
    return updated == 1


@transaction.atomic
def job_cancel(*, job: TransformationJob) -> TransformationJob:
    """Cancel a queued job at once; ask a running one to stop at its next check."""
    if TransformationJob.objects.filter(pk=job.pk, status=QueueStatus.QUEUED).update(
        status=QueueStatus.CANCELLED,
        status_line="Cancelled",
        finished_at=Now(),
        version=F("version") + 1,
        updated_at=Now(),
    ):
        job.refresh_from_db()
        return job
    if TransformationJob.objects.filter(pk=job.pk, status=QueueStatus.RUNNING).update(
        cancel_requested=True,
        status_line="Cancelling…",
        version=F("version") + 1,
        updated_at=Now(),
    ):
        job.refresh_from_db()
        return job
    job.refresh_from_db()
    raise ConflictError(
        f"This job is already {job.status} and cannot be cancelled.", code="JOB_NOT_CANCELLABLE"
    )


@transaction.atomic
def job_requeue(*, job: TransformationJob) -> TransformationJob:
    """Staff: put a failed, cancelled or stuck (lease expired) job back in the queue now.

    It resumes at its current stage with a fresh attempt budget. A running job
    whose lease is still live is left alone: its worker is alive.
    """
    requeueable = Q(status__in=[QueueStatus.FAILED, QueueStatus.CANCELLED]) | Q(
        status=QueueStatus.RUNNING, lease_expires_at__lt=Now()
    )
    if not _requeue_at_current_stage(job, requeueable, status_line="Requeued by staff"):
        raise ConflictError(
            f"Only failed, cancelled or stuck jobs can be requeued; this one is {job.status}.",
            code="JOB_NOT_REQUEUEABLE",
        )
    job.refresh_from_db()
    return job


def model_call_record(*, job: TransformationJob | None, subject: str = "", **fields) -> ModelCall:
    """Keep one model request and its answer for staff (see `ModelCall`)."""
    return ModelCall.objects.create(job=job, subject=subject, **fields)
