"""Real `run_worker` processes: SIGKILL, SIGTERM, races and wake-up, on the real database."""

from __future__ import annotations

import signal
import time

import pytest
from django.db import connection

from jobqueue.models import QueueStatus, WorkerHeartbeat
from tests.helpers import reload, wait_for
from transformations.models import TransformationJob
from universes.models import Universe

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def stage_running(job, stage: int):
    def check():
        row = reload(job)
        return row.status == QueueStatus.RUNNING and row.stage_statuses[str(stage)] == "running"

    return check


def is_completed(job):
    return lambda: reload(job).status == QueueStatus.COMPLETED


def test_a_sigkilled_worker_is_rescued_and_the_job_resumes_at_its_stage(
    make_job, spawn_worker, time_spent_script
):
    job = make_job(time_spent_script)
    doomed = spawn_worker(STORY_ENGINE_FAULTS="3:sleep=60")
    wait_for(stage_running(job, 3), message="worker never reached stage 3")

    doomed.signal(signal.SIGKILL)
    doomed.wait(timeout=10)
    rescuer = spawn_worker()
    wait_for(is_completed(job), timeout=60, message=rescuer.log())

    row = reload(job)
    assert row.rescued_count == 1
    assert row.attempt == 2
    assert [row.stage_timings[str(i)]["attempt"] for i in range(6)] == [1, 1, 1, 2, 2, 2]
    assert Universe.objects.count() == 1


def test_a_live_heartbeat_keeps_a_long_stage_from_being_rescued(
    make_job, spawn_worker, time_spent_script
):
    job = make_job(time_spent_script)
    # The stage outlasts the 2 s lease twice over; only the heartbeat keeps it owned.
    spawn_worker(STORY_ENGINE_FAULTS="3:sleep=4")
    wait_for(stage_running(job, 3))
    bystander = spawn_worker()

    wait_for(is_completed(job), timeout=60, message=bystander.log())

    row = reload(job)
    assert (row.attempt, row.rescued_count) == (1, 0)


def test_sigterm_lets_a_short_stage_finish_then_hands_the_job_back(
    make_job, spawn_worker, time_spent_script
):
    job = make_job(time_spent_script)
    worker = spawn_worker(STORY_ENGINE_FAULTS="3:sleep=1.5", WORKER_SHUTDOWN_GRACE="20")
    wait_for(stage_running(job, 3))

    worker.signal(signal.SIGTERM)

    assert worker.wait(timeout=20) == 0, worker.log()
    row = reload(job)
    assert row.status in (QueueStatus.QUEUED, QueueStatus.COMPLETED)
    if row.status == QueueStatus.QUEUED:
        assert row.stage_statuses["3"] == "done"
        assert row.current_stage == 4
        assert row.attempt == 0  # the interrupted claim is not counted
        assert row.lease_owner == ""


def test_sigterm_interrupts_a_stage_that_outlasts_the_grace_period(
    make_job, spawn_worker, time_spent_script
):
    job = make_job(time_spent_script)
    worker = spawn_worker(STORY_ENGINE_FAULTS="3:sleep=60", WORKER_SHUTDOWN_GRACE="1")
    wait_for(stage_running(job, 3))

    started = time.monotonic()
    worker.signal(signal.SIGTERM)

    assert worker.wait(timeout=15) == 0, worker.log()
    assert time.monotonic() - started < 10
    row = reload(job)
    assert row.status == QueueStatus.QUEUED
    assert (row.current_stage, row.attempt, row.stage_statuses["3"]) == (3, 0, "pending")

    spawn_worker()
    wait_for(is_completed(job), timeout=60)
    assert reload(job).stage_timings["2"]["attempt"] == 1


def test_two_workers_racing_complete_each_of_50_jobs_exactly_once(make_job, spawn_worker):
    jobs = [
        make_job(
            f"INT. ROOM {n} - DAY\n\nANNA\nThis is story number {n}.\n\nBEN\nSo it is.\n".encode(),
            filename=f"story-{n}.fountain",
        )
        for n in range(50)
    ]

    workers = [spawn_worker("--once"), spawn_worker("--once")]
    for worker in workers:
        assert worker.wait(timeout=240) == 0, worker.log()

    rows = TransformationJob.objects.filter(pk__in=[job.pk for job in jobs])
    assert set(rows.values_list("status", flat=True)) == {QueueStatus.COMPLETED}
    assert set(rows.values_list("attempt", flat=True)) == {1}
    assert Universe.objects.count() == 50
    assert len(set(rows.values_list("output_universe", flat=True))) == 50


def test_worker_writes_a_heartbeat_row_and_removes_it_on_exit(spawn_worker):
    worker = spawn_worker()
    wait_for(lambda: WorkerHeartbeat.objects.exists(), message=worker.log())

    worker.signal(signal.SIGTERM)

    assert worker.wait(timeout=15) == 0
    assert not WorkerHeartbeat.objects.exists()


@pytest.mark.postgres
def test_notify_wakes_an_idle_worker_long_before_its_poll_interval(make_job, spawn_worker):
    if connection.vendor != "postgresql":
        pytest.skip("LISTEN/NOTIFY is PostgreSQL-only; SQLite workers poll")
    worker = spawn_worker(WORKER_POLL_INTERVAL="30")
    wait_for(lambda: "started" in worker.log(), message=worker.log())
    wait_for(lambda: _listening_backends() > 0, timeout=10, message="worker never LISTENed")

    job = make_job(b"INT. HALL - DAY\n\nANNA\nHello?\n\nBEN\nHere.\n")
    enqueued = time.monotonic()
    wait_for(lambda: reload(job).status != QueueStatus.QUEUED, timeout=10)

    assert time.monotonic() - enqueued < 5


def _listening_backends() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            # Connected is not enough: a NOTIFY sent before LISTEN completes is lost.
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'run_worker-listen'"
            " AND datname = current_database()"
            " AND state = 'idle' AND query ILIKE 'LISTEN%%'"
        )
        return cursor.fetchone()[0]
