"""The durable queue row shared by every job type, and the worker heartbeat."""

from __future__ import annotations

from django.db import models
from django.db.models.functions import Now
from django.utils import timezone


class QueueStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    COMPLETED = "completed", "Completed"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


TERMINAL_STATUSES = (QueueStatus.COMPLETED, QueueStatus.FAILED, QueueStatus.CANCELLED)


class QueueJob(models.Model):
    """Columns the queue needs on any job table.

    The row is the only truth: claim, lease, fencing token (`attempt`),
    backoff (`run_after`) and cancellation all live here, so a worker killed at
    any instant leaves nothing behind in memory that matters.
    """

    status = models.CharField(
        max_length=16, choices=QueueStatus.choices, default=QueueStatus.QUEUED, db_index=True
    )
    priority = models.SmallIntegerField(default=0)
    # The database clock decides when a job is runnable, like every lease time.
    run_after = models.DateTimeField(db_default=Now())
    # Monotonic count of claims; with lease_owner it fences every worker write.
    attempt = models.PositiveIntegerField(default=0)
    max_attempts = models.PositiveIntegerField(default=3)
    lease_owner = models.CharField(max_length=200, blank=True, default="")
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    rescued_count = models.PositiveIntegerField(default=0)
    cancel_requested = models.BooleanField(default=False)
    progress = models.PositiveSmallIntegerField(default=0)
    status_line = models.CharField(max_length=200, blank=True, default="")
    error_code = models.CharField(max_length=64, blank=True, default="")
    error_message_user = models.TextField(blank=True, default="")
    error_message_dev = models.TextField(blank=True, default="")
    # Bumped by every write; the API's ETag.
    version = models.PositiveIntegerField(default=1)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        abstract = True

    @property
    def is_terminal(self) -> bool:
        return self.status in TERMINAL_STATUSES

    @property
    def elapsed_display(self) -> str:
        """Time since the first claim (until the finish): "42 s", "3 min 5 s" — as the timeline's
        script writes it, so the first paint and the live ticks agree."""
        if self.started_at is None:
            return ""
        end = self.finished_at or timezone.now()
        seconds = max(0, round((end - self.started_at).total_seconds()))
        return f"{seconds} s" if seconds < 60 else f"{seconds // 60} min {seconds % 60} s"

    # Hooks for job types: extra column values written with each queue transition.

    def rescue_changes(self, *, give_up: bool) -> dict:
        """When the rescuer requeues (or, after max attempts, fails) the job."""
        return {}

    def failure_changes(self, *, retrying: bool) -> dict:
        """When a run fails, or is handed back to the queue to run again."""
        return {}

    def on_transition(self) -> None:
        """After the worker or the rescuer moved the job (failed, retried, released,
        rescued, cancelled): keep whatever mirrors the job's state in step."""

    def cancel_changes(self) -> dict:
        """When a running job stops because its owner cancelled it."""
        return {}


class WorkerHeartbeat(models.Model):
    """One row per running worker process, refreshed by its heartbeat thread."""

    worker_id = models.CharField(max_length=200, unique=True)
    hostname = models.CharField(max_length=200)
    pid = models.PositiveIntegerField()
    started_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(default=timezone.now, db_index=True)
    current_job = models.CharField(max_length=200, blank=True, default="")
    jobs_processed = models.PositiveIntegerField(default=0)
    rescues = models.PositiveIntegerField(default=0)
    stopping = models.BooleanField(default=False)

    class Meta:
        ordering = ["-last_seen_at"]

    def __str__(self) -> str:
        return self.worker_id
