"""Reads about the queue itself: depth, latency, failures, stuck jobs and live workers.

Generic over the registered job kinds, so every job type that registers with
`jobqueue.registry` shows up on the health page without changes here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count, Q, Sum
from django.db.models.functions import Now
from django.utils import timezone

from jobqueue.models import QueueJob, QueueStatus, WorkerHeartbeat
from jobqueue.registry import job_kinds

HEALTH_WINDOWS: tuple[tuple[str, timedelta], ...] = (
    ("Last hour", timedelta(hours=1)),
    ("Last day", timedelta(days=1)),
)
# Latency percentiles are computed in Python over at most this many recent
# pickups per kind, so the page stays cheap however large the table grows.
PICKUP_SAMPLE_LIMIT = 2000
WORKER_LIST_LIMIT = 50


def stuck_jobs_q() -> Q:
    """Running jobs whose lease expired by the database clock: their worker is gone.

    The rescuer normally requeues them within WORKER_RESCUE_INTERVAL; a job that
    stays stuck means no worker is running the rescuer.
    """
    return Q(status=QueueStatus.RUNNING, lease_expires_at__lt=Now())


@dataclass(frozen=True)
class LatencySummary:
    samples: int
    p50: timedelta | None
    p95: timedelta | None


@dataclass(frozen=True)
class WindowHealth:
    label: str
    # Jobs that reached completed or failed inside the window. Cancellations
    # are the owner's choice, so they count as neither success nor failure.
    finished: int
    failed: int
    pickup: LatencySummary

    @property
    def failure_rate(self) -> float | None:
        """Failed share of finished jobs (0–1), or None when nothing finished."""
        return self.failed / self.finished if self.finished else None


@dataclass(frozen=True)
class KindHealth:
    name: str
    model: type[QueueJob]
    status_counts: dict[str, int]
    runnable_now: int
    scheduled_later: int
    stuck: int
    rescued: int
    windows: list[WindowHealth]

    @property
    def total(self) -> int:
        return sum(self.status_counts.values())


@dataclass(frozen=True)
class WorkerHealth:
    heartbeat: WorkerHeartbeat
    age: timedelta
    is_stale: bool


@dataclass(frozen=True)
class QueueHealth:
    checked_at: datetime
    kinds: list[KindHealth]
    workers: list[WorkerHealth]

    @property
    def live_worker_count(self) -> int:
        return sum(1 for worker in self.workers if not worker.is_stale)


def percentile(values: list[timedelta], pct: float) -> timedelta | None:
    """Nearest-rank percentile: the smallest value with at least `pct`% of values at or below it."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


def queue_health(*, now: datetime | None = None) -> QueueHealth:
    """Everything the queue health page shows, in two queries per job kind plus one."""
    now = now or timezone.now()
    return QueueHealth(
        checked_at=now,
        kinds=[kind_health(kind.name, kind.model, now=now) for kind in job_kinds()],
        workers=worker_health_list(now=now),
    )


def kind_health(name: str, model: type[QueueJob], *, now: datetime) -> KindHealth:
    """Counts for one job table (one aggregate query) plus pickup latency (one bounded query)."""
    finished_statuses = [QueueStatus.COMPLETED, QueueStatus.FAILED]
    aggregates = {
        f"status_{status}": Count("pk", filter=Q(status=status)) for status in QueueStatus.values
    }
    aggregates.update(
        runnable_now=Count("pk", filter=Q(status=QueueStatus.QUEUED, run_after__lte=Now())),
        scheduled_later=Count("pk", filter=Q(status=QueueStatus.QUEUED, run_after__gt=Now())),
        stuck=Count("pk", filter=stuck_jobs_q()),
        rescued=Sum("rescued_count"),
    )
    for index, (_, span) in enumerate(HEALTH_WINDOWS):
        since = now - span
        aggregates[f"finished_{index}"] = Count(
            "pk", filter=Q(finished_at__gte=since, status__in=finished_statuses)
        )
        aggregates[f"failed_{index}"] = Count(
            "pk", filter=Q(finished_at__gte=since, status=QueueStatus.FAILED)
        )
    counts = model.objects.order_by().aggregate(**aggregates)

    longest_window = max(span for _, span in HEALTH_WINDOWS)
    pickups = list(
        model.objects.filter(started_at__gte=now - longest_window)
        .order_by("-started_at")
        .values_list("created_at", "started_at")[:PICKUP_SAMPLE_LIMIT]
    )
    windows = []
    for index, (label, span) in enumerate(HEALTH_WINDOWS):
        since = now - span
        # started_at is set by the first claim only, so this is the wait for
        # a worker after upload, not after a retry or a rescue.
        latencies = [
            max(started - created, timedelta(0)) for created, started in pickups if started >= since
        ]
        windows.append(
            WindowHealth(
                label=label,
                finished=counts[f"finished_{index}"],
                failed=counts[f"failed_{index}"],
                pickup=LatencySummary(
                    samples=len(latencies),
                    p50=percentile(latencies, 50),
                    p95=percentile(latencies, 95),
                ),
            )
        )
    return KindHealth(
        name=name,
        model=model,
        status_counts={status: counts[f"status_{status}"] for status in QueueStatus.values},
        runnable_now=counts["runnable_now"],
        scheduled_later=counts["scheduled_later"],
        stuck=counts["stuck"],
        rescued=counts["rescued"] or 0,
        windows=windows,
    )


def worker_health_list(*, now: datetime | None = None) -> list[WorkerHealth]:
    """The most recently seen workers; stale once silent for WORKER_STALE_AFTER seconds."""
    now = now or timezone.now()
    stale_after = timedelta(seconds=settings.WORKER_STALE_AFTER)
    workers = []
    for heartbeat in WorkerHeartbeat.objects.order_by("-last_seen_at")[:WORKER_LIST_LIMIT]:
        age = max(now - heartbeat.last_seen_at, timedelta(0))
        workers.append(WorkerHealth(heartbeat=heartbeat, age=age, is_stale=age > stale_after))
    return workers
