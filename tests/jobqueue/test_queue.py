"""Claim, fencing, release and rescue against the real database."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db.models.functions import Now

from jobqueue import queue
from jobqueue.errors import LeaseLost
from jobqueue.models import QueueStatus
from transformations.models import TransformationJob

pytestmark = pytest.mark.django_db


def claim(owner="w1:1:a", lease_seconds=60.0):
    return queue.claim_next(TransformationJob, owner=owner, lease_seconds=lease_seconds)


def test_claim_takes_the_oldest_queued_job_and_sets_the_lease(make_job):
    first = make_job(b"First story.\n\nIt begins.")
    make_job(b"Second story.\n\nIt begins.")

    lease = claim()

    assert lease.job_id == first.pk
    assert lease.attempt == 1
    row = TransformationJob.objects.get(pk=first.pk)
    assert row.status == QueueStatus.RUNNING
    assert row.lease_owner == "w1:1:a"
    assert row.lease_expires_at > row.heartbeat_at
    assert row.started_at is not None


def test_claim_returns_none_when_nothing_is_runnable(make_job):
    job = make_job(b"A story.")
    TransformationJob.objects.filter(pk=job.pk).update(run_after=Now() + timedelta(hours=1))

    assert claim() is None


def test_higher_priority_jobs_are_claimed_first(make_job):
    make_job(b"Low.")
    urgent = make_job(b"Urgent.")
    TransformationJob.objects.filter(pk=urgent.pk).update(priority=5)

    assert claim().job_id == urgent.pk


def test_a_claimed_job_is_not_claimed_twice(make_job):
    make_job(b"Only one.")

    assert claim("w1:1:a") is not None
    assert claim("w2:2:b") is None


def test_fenced_write_succeeds_only_for_the_lease_holder(make_job):
    make_job(b"Story.")
    lease = claim()

    queue.fenced_update(lease, progress=40)
    stale = queue.Lease(lease.model, lease.job_id, lease.owner, lease.attempt - 1)

    with pytest.raises(LeaseLost):
        queue.fenced_update(stale, progress=90)
    assert TransformationJob.objects.get(pk=lease.job_id).progress == 40


def test_every_fenced_write_bumps_the_version_except_heartbeats(make_job):
    job = make_job(b"Story.")
    lease = claim()
    version = TransformationJob.objects.get(pk=job.pk).version

    queue.extend_lease(lease, lease_seconds=60)
    assert TransformationJob.objects.get(pk=job.pk).version == version
    queue.fenced_update(lease, progress=10)
    assert TransformationJob.objects.get(pk=job.pk).version == version + 1


def test_rescuer_requeues_an_expired_lease_and_fences_out_the_old_worker(make_job):
    job = make_job(b"Story.")
    old = claim("dead:1:a", lease_seconds=-1)  # already expired

    assert queue.rescue_expired(TransformationJob) == 1

    row = TransformationJob.objects.get(pk=job.pk)
    assert row.status == QueueStatus.QUEUED
    assert row.rescued_count == 1
    assert row.lease_owner == ""
    new = claim("alive:2:b")
    assert new.attempt == 2
    with pytest.raises(LeaseLost):
        queue.fenced_update(old, progress=99)


def test_rescuer_fails_the_job_after_max_attempts_with_a_friendly_message(make_job):
    job = make_job(b"Story.")
    TransformationJob.objects.filter(pk=job.pk).update(max_attempts=1)
    claim("dead:1:a", lease_seconds=-1)

    queue.rescue_expired(TransformationJob)

    row = TransformationJob.objects.get(pk=job.pk)
    assert row.status == QueueStatus.FAILED
    assert row.error_code == "WORKER_LOST"
    assert "stopped unexpectedly" in row.error_message_user
    assert row.stage_statuses["0"] == "failed"


def test_rescuer_leaves_live_leases_alone(make_job):
    job = make_job(b"Story.")
    claim(lease_seconds=60)

    assert queue.rescue_expired(TransformationJob) == 0
    assert TransformationJob.objects.get(pk=job.pk).status == QueueStatus.RUNNING


def test_requeue_without_counting_hands_the_attempt_back(make_job):
    job = make_job(b"Story.")
    lease = claim()

    queue.requeue(lease, delay_seconds=0, count_attempt=False)

    row = TransformationJob.objects.get(pk=job.pk)
    assert (row.status, row.attempt, row.lease_owner) == (QueueStatus.QUEUED, 0, "")
