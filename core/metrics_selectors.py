"""Reads behind /healthz and /metrics: a fixed, small number of queries whatever the history.

Counts are single aggregates over each job table; anything computed in Python (latency
and stage-duration percentiles) reads a capped sample from a recent window.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import Error as DatabaseLibraryError
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.models import Count, Max, Min, Q, Sum
from django.db.models.functions import Now
from django.utils import timezone

from assets.models import AssetJob
from jobqueue.models import QueueJob, QueueStatus, WorkerHeartbeat
from jobqueue.registry import job_kinds
from jobqueue.selectors import PICKUP_SAMPLE_LIMIT, percentile, stuck_jobs_q
from transformations.models import STAGE_COUNT, TransformationJob

# Transformations whose stage timings feed the stage-duration percentiles, newest first.
STAGE_SAMPLE_LIMIT = 500


# Health ---------------------------------------------------------------------


@dataclass(frozen=True)
class Health:
    database: str  # "ok" | "unreachable"
    migrations: str  # "applied" | "pending" | "unknown"
    workers: str  # "alive" | "stale" | "none" | "unknown"
    heartbeat_age: float | None

    @property
    def serving(self) -> bool:
        """Whether this web process can answer requests correctly."""
        return self.database == "ok" and self.migrations == "applied"

    @property
    def status(self) -> str:
        if not self.serving:
            return "unhealthy"
        return "ok" if self.workers == "alive" else "degraded"


UNREACHABLE = Health(
    database="unreachable", migrations="unknown", workers="unknown", heartbeat_age=None
)


def health_check() -> Health:
    """Database round trip, pending migrations, freshest worker heartbeat: three small queries.

    Any database error counts as unreachable: the answer must come back even when the
    database does not, and never carries the error itself (it may name hosts or users).
    """
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        pending = migrations_pending()
        newest = WorkerHeartbeat.objects.aggregate(newest=Max("last_seen_at"))["newest"]
    except DatabaseLibraryError:
        return UNREACHABLE
    if newest is None:
        age, workers = None, "none"
    else:
        age = max(0.0, (timezone.now() - newest).total_seconds())
        workers = "alive" if age <= settings.WORKER_STALE_AFTER else "stale"
    return Health(
        database="ok",
        migrations="pending" if pending else "applied",
        workers=workers,
        heartbeat_age=age,
    )


def migrations_pending() -> bool:
    """True when this code has migrations the database has not applied.

    The executor's plan is what `migrate` would run: the migration files are read from
    disk (imported once per process) and compared with one query on django_migrations.
    """
    executor = MigrationExecutor(connection)
    return bool(executor.migration_plan(executor.loader.graph.leaf_nodes()))


# Metrics --------------------------------------------------------------------


@dataclass(frozen=True)
class Percentiles:
    samples: int
    p50: float | None  # seconds
    p95: float | None


@dataclass(frozen=True)
class KindMetrics:
    name: str
    status_counts: dict[str, int]
    runnable: int
    scheduled: int
    stuck: int
    rescued: int
    oldest_runnable_age: float  # seconds; 0 when nothing waits
    pickup: Percentiles
    failures_by_code: dict[str, int]


@dataclass(frozen=True)
class WorkerMetrics:
    live: int
    newest_age: float | None  # seconds since the freshest heartbeat; None: no worker ever beat


def percentiles_of(seconds: list[float]) -> Percentiles:
    as_deltas = [timedelta(seconds=value) for value in seconds]
    p50, p95 = percentile(as_deltas, 50), percentile(as_deltas, 95)
    return Percentiles(
        samples=len(seconds),
        p50=None if p50 is None else p50.total_seconds(),
        p95=None if p95 is None else p95.total_seconds(),
    )


def kind_metrics(
    name: str, model: type[QueueJob], *, now: datetime, window: timedelta
) -> KindMetrics:
    """One job table in three queries: counts, a pickup sample, failures by code."""
    since = now - window
    runnable = Q(status=QueueStatus.QUEUED, run_after__lte=Now())
    aggregates = {
        f"status_{status}": Count("pk", filter=Q(status=status)) for status in QueueStatus.values
    }
    counts = model.objects.order_by().aggregate(
        **aggregates,
        runnable=Count("pk", filter=runnable),
        scheduled=Count("pk", filter=Q(status=QueueStatus.QUEUED, run_after__gt=Now())),
        stuck=Count("pk", filter=stuck_jobs_q()),
        rescued=Sum("rescued_count"),
        # run_after is when a queued job became runnable (upload, retry or backoff end), so
        # this is the longest anyone has been waiting for a worker, not the job's age.
        oldest_runnable=Min("run_after", filter=runnable),
    )
    # started_at is set by the first claim only: the wait after upload, not after a retry.
    pickups = (
        model.objects.filter(started_at__gte=since)
        .order_by("-started_at")
        .values_list("created_at", "started_at")[:PICKUP_SAMPLE_LIMIT]
    )
    failures = (
        model.objects.filter(status=QueueStatus.FAILED, finished_at__gte=since)
        .order_by()
        .values_list("error_code")
        .annotate(count=Count("pk"))
    )
    oldest = counts["oldest_runnable"]
    return KindMetrics(
        name=name,
        status_counts={status: counts[f"status_{status}"] for status in QueueStatus.values},
        runnable=counts["runnable"],
        scheduled=counts["scheduled"],
        stuck=counts["stuck"],
        rescued=counts["rescued"] or 0,
        oldest_runnable_age=0.0 if oldest is None else max(0.0, (now - oldest).total_seconds()),
        pickup=percentiles_of(
            [max(0.0, (started - created).total_seconds()) for created, started in pickups]
        ),
        failures_by_code={code or "UNSPECIFIED": count for code, count in failures},
    )


def stage_duration_metrics(*, now: datetime, window: timedelta) -> dict[int, Percentiles]:
    """Per pipeline stage, the durations of runs that finished inside the window.

    Read from the stage timings of the most recently updated transformations (at most
    STAGE_SAMPLE_LIMIT rows, one column); a stage retried later counts its last run.
    """
    since = now - window
    rows = (
        TransformationJob.objects.filter(updated_at__gte=since)
        .order_by("-updated_at")
        .values_list("stage_timings", flat=True)[:STAGE_SAMPLE_LIMIT]
    )
    durations: dict[int, list[float]] = {stage: [] for stage in range(STAGE_COUNT)}
    for timings in rows:
        for key, timing in (timings or {}).items():
            if not (key.isdigit() and int(key) in durations and isinstance(timing, dict)):
                continue
            finished, duration_ms = timing.get("finishedAt"), timing.get("durationMs")
            if finished is None or not isinstance(duration_ms, int | float):
                continue
            try:
                finished_at = datetime.fromisoformat(finished)
            except (TypeError, ValueError):
                continue
            if finished_at >= since:
                durations[int(key)].append(duration_ms / 1000)
    return {stage: percentiles_of(values) for stage, values in durations.items()}


def asset_job_counts() -> dict[tuple[str, str], int]:
    """Asset jobs by (asset type, asset status): one GROUP BY."""
    rows = (
        AssetJob.objects.order_by()
        .values_list("asset_type", "asset_status")
        .annotate(count=Count("pk"))
    )
    return {(asset_type, status): count for asset_type, status, count in rows}


def worker_metrics(*, now: datetime) -> WorkerMetrics:
    stale_before = now - timedelta(seconds=settings.WORKER_STALE_AFTER)
    row = WorkerHeartbeat.objects.aggregate(
        live=Count("pk", filter=Q(last_seen_at__gte=stale_before)), newest=Max("last_seen_at")
    )
    newest = row["newest"]
    return WorkerMetrics(
        live=row["live"],
        newest_age=None if newest is None else max(0.0, (now - newest).total_seconds()),
    )


@dataclass(frozen=True)
class MetricsSnapshot:
    window: timedelta
    kinds: list[KindMetrics]
    stages: dict[int, Percentiles]
    assets: dict[tuple[str, str], int]
    workers: WorkerMetrics


def metrics_snapshot(*, now: datetime | None = None) -> MetricsSnapshot:
    """Everything /metrics reports: three queries per job kind plus three."""
    now = now or timezone.now()
    window = timedelta(seconds=settings.METRICS_WINDOW_SECONDS)
    return MetricsSnapshot(
        window=window,
        kinds=[kind_metrics(kind.name, kind.model, now=now, window=window) for kind in job_kinds()],
        stages=stage_duration_metrics(now=now, window=window),
        assets=asset_job_counts(),
        workers=worker_metrics(now=now),
    )
