"""The worker: claims jobs of every registered kind and runs them to a terminal state."""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
import time
import traceback
import uuid

from django.conf import settings
from django.db import DatabaseError, InterfaceError, OperationalError, close_old_connections
from django.db import connection as default_connection
from django.db.models.functions import Now
from django.utils import timezone

from jobqueue import queue
from jobqueue.backoff import retry_delay
from jobqueue.context import JobContext, StopSignal
from jobqueue.errors import (
    DeadlineExceeded,
    JobCancelled,
    JobError,
    LeaseLost,
    ShutdownRequested,
)
from jobqueue.models import QueueStatus, WorkerHeartbeat
from jobqueue.registry import JobKind, job_kinds

logger = logging.getLogger("jobqueue.worker")

UNEXPECTED_ERROR_MESSAGE = (
    "An unexpected error stopped this job. Everything finished so far is kept; "
    "you can retry it, and staff have the technical details."
)
DEADLINE_MESSAGE = "A step took longer than allowed and was stopped."


def make_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:12]}"


class Worker:
    """One worker process's unit of work (`handle_one`) plus its heartbeat.

    The management command loops around `handle_one`; tests call it directly.
    """

    def __init__(self, *, worker_id: str | None = None, stop: StopSignal | None = None) -> None:
        self.worker_id = worker_id or make_worker_id()
        self.stop = stop or StopSignal()
        self.current: JobContext | None = None
        self.jobs_processed = 0
        self.rescues = 0
        self._next_rescue_at = 0.0
        self._heartbeat_thread: threading.Thread | None = None
        self._heartbeat_stop = threading.Event()

    # The unit of work ---------------------------------------------------------

    def handle_one(self) -> bool:
        """Rescue expired leases when due, then claim and run one job.

        Returns True when a job was found (the caller loops again at once).
        """
        self.rescue_if_due()
        if self.stop.requested:
            return False
        for kind in job_kinds():
            lease = queue.claim_next(
                kind.model, owner=self.worker_id, lease_seconds=settings.WORKER_LEASE_SECONDS
            )
            if lease is not None:
                self.run(kind, lease)
                return True
        return False

    def rescue_if_due(self, *, force: bool = False) -> int:
        now = time.monotonic()
        if not force and now < self._next_rescue_at:
            return 0
        self._next_rescue_at = now + settings.WORKER_RESCUE_INTERVAL
        rescued = sum(queue.rescue_expired(kind.model) for kind in job_kinds())
        self.rescues += rescued
        return rescued

    def run(self, kind: JobKind, lease: queue.Lease) -> None:
        ctx = JobContext(lease, stop=self.stop)
        self.current = ctx
        started = time.monotonic()
        outcome = "completed"
        try:
            job = kind.model.objects.get(pk=lease.job_id)
            kind.handler(job, ctx)
        except LeaseLost as exc:
            # Another worker or the rescuer owns the job now: write nothing.
            outcome = "lease-lost"
            logger.warning("job=%s lease lost, dropping: %s", lease.job_id, exc)
        except JobCancelled:
            outcome = "cancelled"
            self._finish_safely(kind, lease, status=QueueStatus.CANCELLED, status_line="Cancelled")
        except ShutdownRequested:
            outcome = "released"
            self._release_for_shutdown(kind, lease)
        except DeadlineExceeded as exc:
            outcome = self._fail_or_retry(
                kind, lease, JobError(DEADLINE_MESSAGE, code="STAGE_TIMEOUT"), exc, retryable=True
            )
        except JobError as exc:
            outcome = self._fail_or_retry(kind, lease, exc, exc, retryable=exc.retryable)
        except (OperationalError, InterfaceError) as exc:
            # The database went away mid-job: the job itself may be fine.
            outcome = self._fail_or_retry(
                kind,
                lease,
                JobError("The database was briefly unavailable.", code="DATABASE_UNAVAILABLE"),
                exc,
                retryable=True,
            )
        except Exception as exc:
            logger.exception("job=%s unexpected error", lease.job_id)
            outcome = self._fail_or_retry(
                kind,
                lease,
                JobError(UNEXPECTED_ERROR_MESSAGE, code="INTERNAL_ERROR"),
                exc,
                retryable=False,
            )
        finally:
            self.current = None
            self.jobs_processed += 1
            logger.info(
                "job=%s kind=%s attempt=%s outcome=%s duration_ms=%d",
                lease.job_id,
                kind.name,
                lease.attempt,
                outcome,
                (time.monotonic() - started) * 1000,
            )
            if not default_connection.in_atomic_block:
                close_old_connections()

    # Outcomes ------------------------------------------------------------------

    def _fail_or_retry(self, kind, lease, error: JobError, exc: BaseException, *, retryable):
        dev = error.dev_message or "".join(traceback.format_exception(exc))[-8000:]
        job = kind.model.objects.filter(pk=lease.job_id).first()
        if job is None:
            return "vanished"
        will_retry = retryable and lease.attempt < job.max_attempts
        common = {
            "error_code": error.code,
            "error_message_user": error.user_message,
            "error_message_dev": dev,
            **job.failure_changes(retrying=will_retry),
        }
        try:
            if will_retry:
                delay = retry_delay(
                    lease.attempt,
                    base=kind.retry_base_delay or settings.JOB_RETRY_BASE_DELAY,
                    cap=kind.retry_max_delay or settings.JOB_RETRY_MAX_DELAY,
                )
                queue.requeue(
                    lease,
                    delay_seconds=delay,
                    status_line=f"Retrying in {delay:.0f}s: {error.user_message}"[:200],
                    **common,
                )
                outcome = "retry-scheduled"
            else:
                queue.finish(lease, status=QueueStatus.FAILED, status_line="Failed", **common)
                outcome = "failed"
        except LeaseLost:
            return "lease-lost"
        job.on_transition()
        return outcome

    def _finish_safely(self, kind, lease, *, status, **changes) -> None:
        job = kind.model.objects.filter(pk=lease.job_id).first()
        extra = job.cancel_changes() if job is not None else {}
        with contextlib.suppress(LeaseLost):
            queue.finish(lease, status=status, **changes, **extra)
            if job is not None:
                job.on_transition()

    def _release_for_shutdown(self, kind, lease) -> None:
        job = kind.model.objects.filter(pk=lease.job_id).first()
        extra = job.failure_changes(retrying=True) if job is not None else {}
        with contextlib.suppress(LeaseLost):
            queue.requeue(
                lease,
                delay_seconds=0,
                count_attempt=False,
                status_line="Waiting for a worker (the previous one was restarted)",
                **extra,
            )
            if job is not None:
                job.on_transition()

    # Heartbeat -----------------------------------------------------------------

    def start_heartbeat(self) -> None:
        """Renew the current job's lease and this worker's row from a thread."""
        self._record_heartbeat()
        self._heartbeat_thread = threading.Thread(
            target=self._heartbeat_loop, name="heartbeat", daemon=True
        )
        self._heartbeat_thread.start()

    def stop_heartbeat(self) -> None:
        self._heartbeat_stop.set()
        if self._heartbeat_thread is not None:
            self._heartbeat_thread.join(timeout=5)
        with contextlib.suppress(DatabaseError):
            WorkerHeartbeat.objects.filter(worker_id=self.worker_id).delete()

    def _heartbeat_loop(self) -> None:
        try:
            while not self._heartbeat_stop.wait(settings.WORKER_HEARTBEAT_INTERVAL):
                try:
                    self.beat()
                except DatabaseError:
                    logger.warning("heartbeat failed; retrying", exc_info=True)
                    close_old_connections()
        finally:
            default_connection.close()

    def beat(self) -> None:
        ctx = self.current
        if ctx is not None:
            try:
                queue.extend_lease(ctx.lease, lease_seconds=settings.WORKER_LEASE_SECONDS)
            except LeaseLost:
                ctx.lease_lost.set()
        self._record_heartbeat()

    def _record_heartbeat(self) -> None:
        ctx = self.current
        host, pid, _ = self.worker_id.split(":")
        WorkerHeartbeat.objects.update_or_create(
            worker_id=self.worker_id,
            defaults={
                "hostname": host,
                "pid": int(pid),
                "last_seen_at": Now(),
                "current_job": str(ctx.lease.job_id) if ctx else "",
                "jobs_processed": self.jobs_processed,
                "rescues": self.rescues,
                "stopping": self.stop.requested,
            },
        )


def worker_heartbeat_age_seconds() -> float | None:
    """Seconds since the freshest worker heartbeat, or None when no worker ever beat."""
    latest = WorkerHeartbeat.objects.order_by("-last_seen_at").values_list(
        "last_seen_at", flat=True
    )
    first = latest.first()
    if first is None:
        return None
    return max(0.0, (timezone.now() - first).total_seconds())
