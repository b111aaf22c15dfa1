"""The staff cockpit's shared parts: queue job columns, filters, actions and the health page.

Job apps build their admin classes from `QueueJobAdminMixin`, `StuckFilter` and
`apply_service_to_each`, and add job-specific tables to the health page with
`register_health_section`; this module never imports a job type.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.html import format_html

from core.errors import ApplicationError
from jobqueue.models import QueueJob, QueueStatus, WorkerHeartbeat
from jobqueue.selectors import KindHealth, WorkerHealth, queue_health, stuck_jobs_q

STATUS_COLOURS = {
    QueueStatus.QUEUED: "#6b7280",
    QueueStatus.RUNNING: "#2563eb",
    QueueStatus.COMPLETED: "#15803d",
    QueueStatus.FAILED: "#b91c1c",
    QueueStatus.CANCELLED: "#92400e",
}

# Queue bookkeeping a worker owns; staff read it but never edit it in a form.
# Grouped in rows for a fieldset: related values side by side.
WORKER_FIELDS = (
    ("priority", "run_after"),
    ("attempt", "max_attempts", "rescued_count"),
    ("lease_owner", "lease_expires_at", "heartbeat_at"),
    ("cancel_requested", "version"),
    ("started_at", "finished_at"),
    ("created_at", "updated_at"),
)


def format_duration(value: timedelta | float | None) -> str:
    """A short human duration: "850 ms", "12.4 s", "3m 05s", "2h 10m", "3d 04h"."""
    if value is None:
        return "—"
    seconds = value.total_seconds() if isinstance(value, timedelta) else float(value)
    seconds = max(seconds, 0.0)
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes}m {secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours}h {minutes:02d}m"
    days, hours = divmod(hours, 24)
    return f"{days}d {hours:02d}h"


def status_badge_html(status: str, label: str):
    colour = STATUS_COLOURS.get(status, "#6b7280")
    return format_html(
        '<span style="background:{};color:#fff;padding:1px 8px;border-radius:9px;'
        'font-size:11px;white-space:nowrap">{}</span>',
        colour,
        label,
    )


def plural_jobs(count: int) -> str:
    return f"{count} job" if count == 1 else f"{count} jobs"


# Filters ----------------------------------------------------------------------------


class StuckFilter(admin.SimpleListFilter):
    title = "stuck"
    parameter_name = "stuck"

    def lookups(self, request, model_admin):
        return [("yes", "Running, lease expired")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(stuck_jobs_q())
        return queryset


class FailedTodayFilter(admin.SimpleListFilter):
    title = "failed today"
    parameter_name = "failed_today"

    def lookups(self, request, model_admin):
        return [("yes", "Failed since midnight")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            midnight = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
            return queryset.filter(status=QueueStatus.FAILED, finished_at__gte=midnight)
        return queryset


# Columns ----------------------------------------------------------------------------


class QueueJobAdminMixin:
    """Changelist columns every queue job admin shows; none of them queries the database."""

    @admin.display(description="status", ordering="status")
    def status_badge(self, job: QueueJob):
        return status_badge_html(job.status, job.get_status_display())

    @admin.display(description="progress", ordering="progress")
    def progress_bar(self, job: QueueJob):
        return format_html(
            '<progress value="{}" max="100" style="width:60px"></progress> {}%',
            job.progress,
            job.progress,
        )

    @admin.display(description="attempts", ordering="attempt")
    def attempts(self, job: QueueJob) -> str:
        return f"{job.attempt}/{job.max_attempts}"

    @admin.display(description="lease owner", ordering="lease_owner")
    def lease_holder(self, job: QueueJob) -> str:
        # hostname:pid is what staff match against process lists; the uuid is in the detail.
        return ":".join(job.lease_owner.split(":")[:2]) or "—"

    @admin.display(description="age", ordering="created_at")
    def age(self, job: QueueJob) -> str:
        return format_duration(timezone.now() - job.created_at)

    @admin.display(description="duration")
    def run_duration(self, job: QueueJob) -> str:
        if job.started_at is None:
            return "—"
        return format_duration((job.finished_at or timezone.now()) - job.started_at)


# Actions ----------------------------------------------------------------------------


def apply_service_to_each(
    model_admin: admin.ModelAdmin,
    request,
    queryset: QuerySet,
    service: Callable[..., object],
    *,
    success: str,
) -> None:
    """Call `service(job=…)` for each selected job and report what happened.

    A refusal (`ApplicationError`, e.g. retrying a completed job) skips that job
    only; refusals are grouped by message so one warning explains them all.
    `success` is a template with `{jobs}`, e.g. "Requeued {jobs}.".
    """
    done = 0
    refusals: Counter[str] = Counter()
    for job in queryset:
        try:
            service(job=job)
        except ApplicationError as exc:
            refusals[exc.message] += 1
        else:
            done += 1
    if done:
        model_admin.message_user(request, success.format(jobs=plural_jobs(done)), messages.SUCCESS)
    if refusals:
        reasons = " ".join(
            message if count == 1 else f"{message} (×{count})"
            for message, count in refusals.items()
        )
        model_admin.message_user(
            request,
            f"Skipped {plural_jobs(refusals.total())}: {reasons}",
            messages.WARNING,
        )


# Worker heartbeats ------------------------------------------------------------------


@admin.register(WorkerHeartbeat)
class WorkerHeartbeatAdmin(admin.ModelAdmin):
    list_display = (
        "worker_id",
        "hostname",
        "pid",
        "heartbeat_age",
        "is_live",
        "current_job",
        "jobs_processed",
        "rescues",
        "stopping",
        "started_at",
    )
    search_fields = ("worker_id", "hostname", "current_job")
    list_filter = ("stopping", "hostname")
    readonly_fields = (
        "worker_id",
        "hostname",
        "pid",
        "started_at",
        "last_seen_at",
        "current_job",
        "jobs_processed",
        "rescues",
        "stopping",
    )

    def has_add_permission(self, request) -> bool:
        # Rows are written by worker processes only.
        return False

    @admin.display(description="heartbeat age", ordering="-last_seen_at")
    def heartbeat_age(self, heartbeat: WorkerHeartbeat) -> str:
        return format_duration(timezone.now() - heartbeat.last_seen_at)

    @admin.display(description="live", boolean=True)
    def is_live(self, heartbeat: WorkerHeartbeat) -> bool:
        age = (timezone.now() - heartbeat.last_seen_at).total_seconds()
        return age <= settings.WORKER_STALE_AFTER


# Queue health page ------------------------------------------------------------------


@dataclass(frozen=True)
class HealthSection:
    """A job-type-specific table on the health page (e.g. transformation stage durations)."""

    title: str
    headers: tuple[str, ...]
    rows: list[tuple]
    note: str = ""


_health_sections: list[Callable[[], HealthSection]] = []


def register_health_section(build: Callable[[], HealthSection]) -> Callable[[], HealthSection]:
    """Add a table to the queue health page; `build` runs on every page view."""
    if build not in _health_sections:
        _health_sections.append(build)
    return build


def _changelist_url(model: type[QueueJob], query: str = "") -> str | None:
    opts = model._meta
    try:
        url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
    except NoReverseMatch:
        return None
    return f"{url}?{query}" if query else url


def _percent(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.0f} %"


def _kind_context(kind: KindHealth) -> dict:
    changelist = _changelist_url(kind.model)
    labels = dict(QueueStatus.choices)
    return {
        "title": kind.model._meta.verbose_name_plural.capitalize(),
        "name": kind.name,
        "changelist_url": changelist,
        "statuses": [
            {
                "label": labels[status],
                "status": status,
                "count": count,
                "url": changelist and f"{changelist}?status__exact={status}",
            }
            for status, count in kind.status_counts.items()
        ],
        "total": kind.total,
        "runnable_now": kind.runnable_now,
        "scheduled_later": kind.scheduled_later,
        "stuck": kind.stuck,
        "stuck_url": changelist and f"{changelist}?stuck=yes",
        "rescued": kind.rescued,
        "windows": [
            {
                "label": window.label,
                "finished": window.finished,
                "failed": window.failed,
                "failure_rate": _percent(window.failure_rate),
                "pickup_samples": window.pickup.samples,
                "pickup_p50": format_duration(window.pickup.p50),
                "pickup_p95": format_duration(window.pickup.p95),
            }
            for window in kind.windows
        ],
    }


def _worker_context(worker: WorkerHealth) -> dict:
    return {
        "worker_id": worker.heartbeat.worker_id,
        "current_job": worker.heartbeat.current_job,
        "jobs_processed": worker.heartbeat.jobs_processed,
        "rescues": worker.heartbeat.rescues,
        "stopping": worker.heartbeat.stopping,
        "age": format_duration(worker.age),
        "is_stale": worker.is_stale,
    }


def queue_health_view(request):
    health = queue_health()
    context = {
        **admin.site.each_context(request),
        "title": "Queue health",
        "checked_at": health.checked_at,
        "kinds": [_kind_context(kind) for kind in health.kinds],
        "workers": [_worker_context(worker) for worker in health.workers],
        "live_worker_count": health.live_worker_count,
        "stale_after": format_duration(settings.WORKER_STALE_AFTER),
        "sections": [build() for build in _health_sections],
    }
    request.current_app = admin.site.name
    return TemplateResponse(request, "admin/queue_health.html", context)
