"""Claim, lease, fencing, release and rescue: the queue's database mechanics.

All times come from the database clock (`Now()`), never from the worker's
clock, so workers on different machines agree on when a lease expires.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import DateTimeField, ExpressionWrapper, F
from django.db.models.functions import Coalesce, Now

from jobqueue.errors import LeaseLost
from jobqueue.models import QueueJob, QueueStatus

logger = logging.getLogger(__name__)

NOTIFY_CHANNEL = "storyengine_jobs"

WORKER_LOST_MESSAGE = (
    "The worker processing this job stopped unexpectedly too many times. "
    "Nothing already produced was lost; retry the job, and contact support if it keeps happening."
)


@dataclass(frozen=True)
class Lease:
    """Proof that one worker owns one job for one attempt."""

    model: type[QueueJob]
    job_id: Any
    owner: str
    attempt: int

    def rows(self):
        """The job's row, but only while this lease still owns it."""
        return self.model.objects.filter(
            pk=self.job_id,
            status=QueueStatus.RUNNING,
            lease_owner=self.owner,
            attempt=self.attempt,
        )


def db_now_plus(seconds: float) -> ExpressionWrapper:
    return ExpressionWrapper(Now() + timedelta(seconds=seconds), output_field=DateTimeField())


def notify_enqueued() -> None:
    """Wake idle workers on PostgreSQL. Delivered only when the transaction commits."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_notify(%s, '')", [NOTIFY_CHANNEL])


def claim_next(model: type[QueueJob], *, owner: str, lease_seconds: float) -> Lease | None:
    """Atomically take the next runnable job of `model`, or return None."""
    if connection.vendor == "postgresql":
        return _claim_next_postgres(model, owner=owner, lease_seconds=lease_seconds)
    return _claim_next_portable(model, owner=owner, lease_seconds=lease_seconds)


def _claim_next_postgres(model, *, owner, lease_seconds):
    table = connection.ops.quote_name(model._meta.db_table)
    # statement_timestamp(), like Django's Now(): now() is frozen at transaction start.
    sql = f"""
        UPDATE {table}
           SET status = 'running', lease_owner = %s, attempt = attempt + 1,
               lease_expires_at = statement_timestamp() + make_interval(secs => %s),
               heartbeat_at = statement_timestamp(),
               started_at = COALESCE(started_at, statement_timestamp()),
               version = version + 1, updated_at = statement_timestamp()
         WHERE id = (
               SELECT id FROM {table}
                WHERE status = 'queued' AND run_after <= statement_timestamp()
                ORDER BY priority DESC, run_after, created_at
                  FOR UPDATE SKIP LOCKED
                LIMIT 1)
     RETURNING id, attempt
    """
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, [owner, lease_seconds])
        row = cursor.fetchone()
    if row is None:
        return None
    return Lease(model=model, job_id=row[0], owner=owner, attempt=row[1])


def _claim_next_portable(model, *, owner, lease_seconds):
    candidates = list(
        model.objects.filter(status=QueueStatus.QUEUED, run_after__lte=Now())
        .order_by("-priority", "run_after", "created_at")
        .values_list("pk", flat=True)[:8]
    )
    for pk in candidates:
        try:
            return claim_job(model, pk, owner=owner, lease_seconds=lease_seconds)
        except LeaseLost:
            # No row updated: another worker got there first.
            continue
    return None


def fenced_update(lease: Lease, *, bump_version: bool = True, **changes: Any) -> None:
    """Write `changes` only if `lease` still owns the job; raise LeaseLost otherwise."""
    if bump_version:
        changes.setdefault("version", F("version") + 1)
        changes.setdefault("updated_at", Now())
    if lease.rows().update(**changes) != 1:
        raise LeaseLost(f"lease {lease.owner} attempt {lease.attempt} on {lease.job_id} lost")


def extend_lease(lease: Lease, *, lease_seconds: float) -> None:
    fenced_update(
        lease,
        bump_version=False,
        lease_expires_at=db_now_plus(lease_seconds),
        heartbeat_at=Now(),
    )


def finish(lease: Lease, *, status: str, **changes: Any) -> None:
    """Move the job to a terminal status and drop the lease, in one fenced write."""
    fenced_update(
        lease,
        status=status,
        lease_owner="",
        lease_expires_at=None,
        finished_at=Now(),
        **changes,
    )


def requeue(lease: Lease, *, delay_seconds: float, count_attempt: bool = True, **changes) -> None:
    """Put the job back in the queue, to run again after `delay_seconds`.

    With `count_attempt=False` (a graceful shutdown) the claim is handed back as
    if it never happened. The fencing token stays unique because the next claim
    comes from a different worker (`lease_owner` carries a per-process uuid).
    """
    if not count_attempt:
        changes["attempt"] = F("attempt") - 1
    fenced_update(
        lease,
        status=QueueStatus.QUEUED,
        lease_owner="",
        lease_expires_at=None,
        run_after=db_now_plus(delay_seconds),
        **changes,
    )


def rescue_expired(model: type[QueueJob], *, limit: int = 100) -> int:
    """Requeue (or fail, after max attempts) jobs whose worker stopped renewing its lease.

    1. Find running rows whose lease expired by the database clock.
    2. For each, compute the job type's own extra changes (e.g. stage statuses).
    3. Write with a guard on the same owner and attempt, so a worker that
       finishes or renews at the same moment wins and nothing is rescued twice.
    """
    rescued = 0
    expired = model.objects.filter(status=QueueStatus.RUNNING, lease_expires_at__lt=Now())[:limit]
    for job in expired:
        give_up = job.attempt >= job.max_attempts
        changes: dict[str, Any] = {
            "status": QueueStatus.FAILED if give_up else QueueStatus.QUEUED,
            "lease_owner": "",
            "lease_expires_at": None,
            "rescued_count": F("rescued_count") + 1,
            "run_after": Now(),
            "version": F("version") + 1,
            "updated_at": Now(),
        }
        if give_up:
            changes.update(
                error_code="WORKER_LOST",
                error_message_user=WORKER_LOST_MESSAGE,
                error_message_dev=(
                    f"Lease of {job.lease_owner} expired on attempt {job.attempt} "
                    f"of {job.max_attempts}; rescued instead of retried."
                ),
                finished_at=Now(),
            )
        else:
            changes["status_line"] = "Resuming after an interrupted worker"
        changes.update(job.rescue_changes(give_up=give_up))
        updated = model.objects.filter(
            pk=job.pk,
            status=QueueStatus.RUNNING,
            lease_owner=job.lease_owner,
            attempt=job.attempt,
            lease_expires_at__lt=Now(),
        ).update(**changes)
        if updated == 1:
            rescued += 1
            job.on_transition()
            logger.warning(
                "rescued job=%s attempt=%s owner=%s outcome=%s",
                job.pk,
                job.attempt,
                job.lease_owner,
                "failed" if give_up else "requeued",
            )
    return rescued


def claim_job(model: type[QueueJob], job_id: Any, *, owner: str, lease_seconds: float) -> Lease:
    """Claim one specific queued job (the `transform` command runs its own job in-process)."""
    claimed = model.objects.filter(pk=job_id, status=QueueStatus.QUEUED).update(
        status=QueueStatus.RUNNING,
        lease_owner=owner,
        attempt=F("attempt") + 1,
        lease_expires_at=db_now_plus(lease_seconds),
        heartbeat_at=Now(),
        started_at=Coalesce(F("started_at"), Now()),
        version=F("version") + 1,
        updated_at=Now(),
    )
    if claimed != 1:
        raise LeaseLost(f"job {job_id} is not queued; a worker may have taken it")
    attempt = (
        model.objects.filter(pk=job_id, lease_owner=owner).values_list("attempt", flat=True).get()
    )
    return Lease(model=model, job_id=job_id, owner=owner, attempt=attempt)
