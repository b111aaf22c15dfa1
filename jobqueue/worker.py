"""The worker: claims jobs of every registered kind and runs them to a terminal state."""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import socket
import threading
import time
import traceback
import uuid
from collections.abc import Callable

from django.conf import settings
from django.db import Error, InterfaceError, OperationalError, close_old_connections
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
DATABASE_UNAVAILABLE_MESSAGE = "The database was briefly unavailable."


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
        self._heartbeat_failures = 0

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
        # Stays so if even the outcome could not be written (the database is down):
        # the job is still running in the database, and the rescuer will requeue it.
        outcome = "interrupted"
        try:
            job = kind.model.objects.get(pk=lease.job_id)
            kind.handler(job, ctx)
            outcome = "completed"
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
            # The database went away mid-job (a restart, a failover): the job itself may be
            # fine. Schedule its retry as soon as the database answers again, instead of
            # leaving it to the rescuer once its lease has run out.
            logger.warning("job=%s database error mid-job: %s", lease.job_id, exc)
            error = JobError(DATABASE_UNAVAILABLE_MESSAGE, code="DATABASE_UNAVAILABLE")
            outcome = self._once_database_is_back(
                functools.partial(self._fail_or_retry, kind, lease, error, exc, retryable=True)
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
                with contextlib.suppress(Error):
                    close_old_connections()

    def _once_database_is_back(self, write: Callable[[], str]) -> str:
        """Run `write` on a fresh connection, waiting with backoff while the database is down.

        Waits about one lease at most: by then another worker's rescuer may own the job.
        The last error is raised after that (or on shutdown), and the worker loop's own
        backoff takes over.
        """
        give_up_at = time.monotonic() + settings.WORKER_LEASE_SECONDS
        delay = 0.25
        while True:
            if not default_connection.in_atomic_block:
                # The server dropped this connection; only a new one can succeed.
                with contextlib.suppress(Error):
                    default_connection.close()
            try:
                return write()
            except (OperationalError, InterfaceError):
                retry = not default_connection.in_atomic_block
                if not retry or self.stop.requested or time.monotonic() + delay > give_up_at:
                    raise
            self.stop.sleep(delay)
            delay = min(delay * 2, 5.0)

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
        try:
            self._record_heartbeat()
        except Error:
            # The database may be restarting as the worker starts: the thread retries.
            logger.warning("first heartbeat failed; the heartbeat thread will retry")
            if not default_connection.in_atomic_block:
                with contextlib.suppress(Error):
                    default_connection.close()
        self._heartbeat_thread = threading.Thread(
            target=self._heartbeat_loop, name="heartbeat", daemon=True
        )
        self._heartbeat_thread.start()

    def stop_heartbeat(self) -> None:
        self._heartbeat_stop.set()
        if self._heartbeat_thread is not None:
            self._heartbeat_thread.join(timeout=5)
        with contextlib.suppress(Error):
            WorkerHeartbeat.objects.filter(worker_id=self.worker_id).delete()

    def _heartbeat_loop(self) -> None:
        try:
            while not self._heartbeat_stop.wait(settings.WORKER_HEARTBEAT_INTERVAL):
                self._beat_safely()
        finally:
            with contextlib.suppress(Error):
                default_connection.close()

    def _beat_safely(self) -> None:
        """One beat; any error is logged and retried at the next beat.

        The thread must outlive every failure: if it died, no lease would be renewed
        again and every long stage would be rescued from under its live worker.
        """
        try:
            self.beat()
        except Exception as exc:
            self._heartbeat_failures += 1
            if self._heartbeat_failures == 1:
                logger.warning("heartbeat failed; retrying every beat", exc_info=True)
            else:
                logger.debug("heartbeat failed again (%s): %s", self._heartbeat_failures, exc)
            # A connection the server dropped is not reused; the next beat opens a new one.
            with contextlib.suppress(Error):
                default_connection.close()
            return
        if self._heartbeat_failures:
            logger.info("heartbeat back after %s failed beat(s)", self._heartbeat_failures)
            self._heartbeat_failures = 0

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
