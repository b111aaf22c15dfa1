"""Reads for transformation jobs, always scoped to what the user may see."""

from __future__ import annotations

from django.db.models import QuerySet

from transformations.models import TransformationJob


def job_list_visible(*, user) -> QuerySet[TransformationJob]:
    """Staff see every job; creators see their own."""
    jobs = TransformationJob.objects.defer("stage_outputs")
    if user.is_staff:
        return jobs
    return jobs.filter(user=user)


def job_etag(job: TransformationJob) -> str:
    return f'"{job.pk.hex}-{job.version}"'
