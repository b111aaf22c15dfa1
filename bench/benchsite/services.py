"""Enqueue no-op jobs the way `job_create` enqueues a transformation: insert, then NOTIFY."""

from django.db import transaction

from benchsite.models import NoopJob
from jobqueue.queue import notify_enqueued


@transaction.atomic
def noop_enqueue() -> NoopJob:
    job = NoopJob.objects.create()
    notify_enqueued()
    return job


@transaction.atomic
def noop_enqueue_many(count: int) -> list[int]:
    jobs = NoopJob.objects.bulk_create([NoopJob() for _ in range(count)], batch_size=1000)
    notify_enqueued()
    return [job.pk for job in jobs]
