"""/metrics in the Prometheus text exposition format (version 0.0.4), written by hand.

The format is small: per metric family a `# HELP` and a `# TYPE` line, then one
`name{label="value",...} value` line per sample, all of a family together, `\\n` line
endings and a final newline. Label values escape backslash, double quote and newline;
help text escapes backslash and newline; values are floats where `NaN` is allowed.

Everything here is a gauge read from the database at scrape time: the rows are the
truth (there are several web processes and workers, and no in-process counter would
see them all). Percentiles are nearest-rank over a recent window and exported as gauges
with a `quantile` label rather than as a summary, whose `_count` and `_sum` would have
to be ever-growing counters.
"""

from __future__ import annotations

import hmac
import math
from dataclasses import dataclass, field

from django.conf import settings

from assets.models import AssetStatus, AssetType
from core.metrics_selectors import MetricsSnapshot, Percentiles
from jobqueue.models import QueueStatus
from transformations.models import STAGE_NAMES

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
PREFIX = "storyengine_"


def metrics_access_allowed(request) -> bool:
    """Staff with a session, or a scraper with `Authorization: Bearer <METRICS_TOKEN>`.

    The token is compared in constant time; an empty METRICS_TOKEN disables it.
    """
    user = request.user
    if user.is_authenticated and user.is_active and user.is_staff:
        return True
    token = settings.METRICS_TOKEN
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if not token or scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(given.strip().encode(), token.encode())


@dataclass
class MetricFamily:
    name: str
    help: str
    type: str = "gauge"
    samples: list[tuple[dict[str, str], float | int]] = field(default_factory=list)

    def add(self, value: float | int | None, **labels: str) -> None:
        self.samples.append((labels, math.nan if value is None else value))


def exposition(families: list[MetricFamily]) -> str:
    lines = []
    for family in families:
        name = PREFIX + family.name
        lines.append(f"# HELP {name} {_escape_help(family.help)}")
        lines.append(f"# TYPE {name} {family.type}")
        for labels, value in family.samples:
            lines.append(f"{name}{_labels(labels)} {_value(value)}")
    return "\n".join(lines) + "\n"


def _escape_help(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\n", "\\n")


def _labels(labels: dict[str, str]) -> str:
    if not labels:
        return ""
    pairs = ",".join(f'{key}="{_escape_label(str(value))}"' for key, value in labels.items())
    return "{" + pairs + "}"


def _escape_label(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _value(value: float | int) -> str:
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, int):
        return str(value)
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return repr(round(value, 6))


def _add_percentiles(family: MetricFamily, samples: MetricFamily, p: Percentiles, **labels):
    family.add(p.p50, **labels, quantile="0.5")
    family.add(p.p95, **labels, quantile="0.95")
    samples.add(p.samples, **labels)


def metric_families(snapshot: MetricsSnapshot) -> list[MetricFamily]:
    window = int(snapshot.window.total_seconds())
    in_window = f"in the last {window} s"
    window_family = MetricFamily(
        "metrics_window_seconds",
        "METRICS_WINDOW_SECONDS: the window of the pickup latency, stage duration and failure "
        "metrics.",
    )
    window_family.add(window)

    jobs = MetricFamily("jobs", "Jobs stored, by kind and queue status.")
    depth = MetricFamily("queue_depth", "Queued jobs a worker may claim now, by kind.")
    scheduled = MetricFamily(
        "queue_scheduled", "Queued jobs waiting out a retry backoff (not yet runnable), by kind."
    )
    oldest = MetricFamily(
        "queue_oldest_age_seconds",
        "How long the longest-waiting runnable job has waited for a worker (0 when none).",
    )
    stuck = MetricFamily(
        "jobs_stuck", "Running jobs whose lease expired: their worker is gone, by kind."
    )
    rescues = MetricFamily(
        "job_rescues",
        "Times the rescuer requeued a job after its worker vanished, summed over "
        "stored jobs, by kind.",
    )
    pickup = MetricFamily(
        "pickup_latency_seconds",
        f"Wait from upload to first claim, nearest-rank percentiles over jobs first claimed "
        f"{in_window}.",
    )
    pickup_samples = MetricFamily(
        "pickup_latency_samples", f"Jobs behind pickup_latency_seconds (first claimed {in_window})."
    )
    failures = MetricFamily(
        "job_failures", f"Jobs that failed {in_window}, by kind and error code."
    )
    for kind in snapshot.kinds:
        for status in QueueStatus.values:
            jobs.add(kind.status_counts[status], kind=kind.name, status=status)
        depth.add(kind.runnable, kind=kind.name)
        scheduled.add(kind.scheduled, kind=kind.name)
        oldest.add(kind.oldest_runnable_age, kind=kind.name)
        stuck.add(kind.stuck, kind=kind.name)
        rescues.add(kind.rescued, kind=kind.name)
        _add_percentiles(pickup, pickup_samples, kind.pickup, kind=kind.name)
        for code, count in sorted(kind.failures_by_code.items()):
            failures.add(count, kind=kind.name, code=code)

    stages = MetricFamily(
        "stage_duration_seconds",
        f"Transformation stage run time, nearest-rank percentiles over runs finished {in_window}.",
    )
    stage_samples = MetricFamily(
        "stage_duration_samples", f"Stage runs behind stage_duration_seconds ({in_window})."
    )
    for index, durations in sorted(snapshot.stages.items()):
        _add_percentiles(
            stages, stage_samples, durations, stage=str(index), stage_name=STAGE_NAMES[index]
        )

    assets = MetricFamily("asset_jobs", "Asset jobs stored, by asset type and asset status.")
    for asset_type in AssetType.values:
        for status in AssetStatus.values:
            assets.add(snapshot.assets.get((asset_type, status), 0), type=asset_type, status=status)

    workers = MetricFamily(
        "workers_live", "Workers whose heartbeat is fresher than WORKER_STALE_AFTER."
    )
    workers.add(snapshot.workers.live)
    heartbeat = MetricFamily(
        "worker_heartbeat_age_seconds",
        "Seconds since the freshest worker heartbeat (NaN when no worker ever beat).",
    )
    heartbeat.add(snapshot.workers.newest_age)

    return [
        window_family,
        jobs,
        depth,
        scheduled,
        oldest,
        stuck,
        rescues,
        pickup,
        pickup_samples,
        failures,
        stages,
        stage_samples,
        assets,
        workers,
        heartbeat,
    ]
