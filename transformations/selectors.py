"""Reads for transformation jobs, always scoped to what the user may see."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, QuerySet, Sum

from transformations.models import (
    STAGE_COUNT,
    STAGE_LABELS,
    STAGE_NAMES,
    ModelCall,
    ModelCallStatus,
    TransformationJob,
)

# How many recent jobs the queue health page averages stage durations over.
STAGE_DURATION_SAMPLE_LIMIT = 500


def job_list_visible(*, user) -> QuerySet[TransformationJob]:
    """Staff see every job; creators see their own."""
    jobs = TransformationJob.objects.defer("stage_outputs")
    if user.is_staff:
        return jobs
    return jobs.filter(user=user)


def job_can_operate(*, job: TransformationJob, user) -> bool:
    """Retry and cancel: the job's owner, or staff who may change jobs.

    Reading is not operating: staff read every job, but retrying or cancelling another
    creator's job takes the permission the admin's actions require as well.
    """
    return job.user_id == user.pk or user.has_perm("transformations.change_transformationjob")


def job_etag(job: TransformationJob) -> str:
    return f'"{job.pk.hex}-{job.version}"'


def job_timeline(job: TransformationJob) -> list[dict]:
    """One entry per stage for the timeline page: name, description, state, artifact."""
    return [
        {
            "index": index,
            "name": name,
            "description": description,
            "state": job.stage_statuses.get(str(index), "pending"),
            "artifact": job.artifacts.get(str(index)),
            "duration_ms": job.stage_timings.get(str(index), {}).get("durationMs"),
        }
        for index, (name, description) in enumerate(STAGE_LABELS)
    ]


@dataclass(frozen=True)
class StageDurationSummary:
    index: int
    name: str
    samples: int
    average_ms: float | None
    max_ms: int | None


def job_stage_duration_summary(
    *, limit: int = STAGE_DURATION_SAMPLE_LIMIT
) -> list[StageDurationSummary]:
    """Average and longest duration of each stage over the most recently started jobs.

    Only finished stages carry `durationMs`; a stage that ran again on retry
    keeps its latest timing, so each job counts once per stage.
    """
    timings = (
        TransformationJob.objects.filter(started_at__isnull=False)
        .order_by("-started_at")
        .values_list("stage_timings", flat=True)[:limit]
    )
    durations: dict[int, list[int]] = {index: [] for index in range(STAGE_COUNT)}
    for job_timings in timings:
        for index in range(STAGE_COUNT):
            duration = (job_timings or {}).get(str(index), {}).get("durationMs")
            if isinstance(duration, int | float):
                durations[index].append(int(duration))
    return [
        StageDurationSummary(
            index=index,
            name=STAGE_NAMES[index],
            samples=len(values),
            average_ms=sum(values) / len(values) if values else None,
            max_ms=max(values) if values else None,
        )
        for index, values in durations.items()
    ]


def model_call_answer(
    *, job: TransformationJob | None, subject: str = "", request_hash: str
) -> dict | None:
    """The stored answer to an identical earlier request that succeeded, if any."""
    scope = {"job": job} if job is not None else {"job": None, "subject": subject}
    return (
        ModelCall.objects.filter(**scope, request_hash=request_hash, status=ModelCallStatus.OK)
        .order_by("-created_at", "-id")
        .values_list("answer", flat=True)
        .first()
    )


@dataclass(frozen=True)
class ModelUsage:
    stage: int | None  # None: the whole job
    label: str
    calls: int
    prompt_tokens: int
    completion_tokens: int
    cost_usd: object  # Decimal, or None when no call had a known price

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


def job_model_usage(job: TransformationJob) -> list[ModelUsage]:
    """Model calls, tokens and estimated cost per stage, then the job's total (staff only)."""
    rows = (
        ModelCall.objects.filter(job=job)
        .order_by("stage")
        .values("stage")
        .annotate(
            calls=Count("id"),
            prompt=Sum("prompt_tokens"),
            completion=Sum("completion_tokens"),
            cost=Sum("cost_usd"),
        )
    )
    usage = [
        ModelUsage(
            stage=row["stage"],
            label=STAGE_LABELS[row["stage"]][0] if row["stage"] < STAGE_COUNT else "",
            calls=row["calls"],
            prompt_tokens=row["prompt"] or 0,
            completion_tokens=row["completion"] or 0,
            cost_usd=row["cost"],
        )
        for row in rows
    ]
    if usage:
        costs = [u.cost_usd for u in usage if u.cost_usd is not None]
        usage.append(
            ModelUsage(
                stage=None,
                label="Total",
                calls=sum(u.calls for u in usage),
                prompt_tokens=sum(u.prompt_tokens for u in usage),
                completion_tokens=sum(u.completion_tokens for u in usage),
                cost_usd=sum(costs) if costs else None,
            )
        )
    return usage
