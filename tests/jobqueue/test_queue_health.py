"""The queue health page and the selectors behind it, checked against rows with known numbers."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from jobqueue.models import QueueStatus, WorkerHeartbeat
from jobqueue.selectors import kind_health, percentile, queue_health
from tests.helpers import run_until_idle
from transformations.models import TransformationJob
from transformations.selectors import job_stage_duration_summary

pytestmark = pytest.mark.django_db

HEALTH = "/admin/queue-health/"


@pytest.fixture
def jobs(make_job):
    """Make `count` jobs and set their queue columns directly."""

    def make(count: int = 1, **changes) -> list[TransformationJob]:
        made = [make_job(f"Story {n}.".encode()) for n in range(count)]
        TransformationJob.objects.filter(pk__in=[job.pk for job in made]).update(**changes)
        return made

    return make


def transformation_health():
    return kind_health("transformation", TransformationJob, now=timezone.now())


def window(health, label):
    return next(w for w in health.windows if w.label == label)


def test_failure_rate_is_failed_share_of_jobs_finished_in_each_window(jobs):
    now = timezone.now()
    jobs(7, status=QueueStatus.COMPLETED, finished_at=now - timedelta(minutes=5))
    jobs(3, status=QueueStatus.FAILED, finished_at=now - timedelta(minutes=20))
    jobs(2, status=QueueStatus.FAILED, finished_at=now - timedelta(hours=3))
    jobs(1, status=QueueStatus.CANCELLED, finished_at=now - timedelta(minutes=1))
    jobs(1, status=QueueStatus.FAILED, finished_at=now - timedelta(days=2))

    health = transformation_health()

    last_hour, last_day = window(health, "Last hour"), window(health, "Last day")
    assert (last_hour.finished, last_hour.failed) == (10, 3)
    assert last_hour.failure_rate == pytest.approx(0.3)
    assert (last_day.finished, last_day.failed) == (12, 5)
    assert last_day.failure_rate == pytest.approx(5 / 12)


def test_page_shows_the_failure_rate_as_a_percentage(admin_client, jobs):
    now = timezone.now()
    jobs(7, status=QueueStatus.COMPLETED, finished_at=now - timedelta(minutes=5))
    jobs(3, status=QueueStatus.FAILED, finished_at=now - timedelta(minutes=5))

    response = admin_client.get(HEALTH)

    assert response.status_code == 200
    last_hour = response.context["kinds"][0]["windows"][0]
    assert last_hour["label"] == "Last hour"
    assert last_hour["failure_rate"] == "30 %"
    assert "30 %" in response.content.decode()


def test_no_finished_jobs_means_no_failure_rate_rather_than_zero(jobs):
    jobs(2)

    assert window(transformation_health(), "Last hour").failure_rate is None


def test_queue_depth_separates_runnable_from_scheduled_jobs(jobs):
    jobs(2)
    jobs(1, run_after=timezone.now() + timedelta(minutes=10))
    jobs(1, status=QueueStatus.RUNNING, lease_expires_at=timezone.now() + timedelta(minutes=1))

    health = transformation_health()

    assert (health.runnable_now, health.scheduled_later) == (2, 1)
    assert health.status_counts[QueueStatus.QUEUED] == 3
    assert health.status_counts[QueueStatus.RUNNING] == 1
    assert health.total == 4


def test_stuck_jobs_and_rescues_are_counted(jobs):
    now = timezone.now()
    jobs(2, status=QueueStatus.RUNNING, lease_expires_at=now - timedelta(minutes=1))
    jobs(1, status=QueueStatus.RUNNING, lease_expires_at=now + timedelta(minutes=1))
    jobs(2, status=QueueStatus.COMPLETED, rescued_count=3)

    health = transformation_health()

    assert health.stuck == 2
    assert health.rescued == 6


def test_pickup_latency_percentiles_over_jobs_started_in_the_window(jobs):
    now = timezone.now()
    for seconds in range(1, 11):
        created = now - timedelta(minutes=30)
        jobs(1, created_at=created, started_at=created + timedelta(seconds=seconds))
    earlier = now - timedelta(hours=5)
    jobs(1, created_at=earlier, started_at=earlier + timedelta(minutes=10))

    health = transformation_health()

    last_hour, last_day = window(health, "Last hour"), window(health, "Last day")
    assert last_hour.pickup.samples == 10
    assert last_hour.pickup.p50 == timedelta(seconds=5)
    assert last_hour.pickup.p95 == timedelta(seconds=10)
    assert last_day.pickup.samples == 11
    assert last_day.pickup.p95 == timedelta(minutes=10)


def test_percentile_uses_the_nearest_rank():
    values = [timedelta(seconds=s) for s in (4, 1, 3, 2)]

    assert percentile(values, 50) == timedelta(seconds=2)
    assert percentile(values, 95) == timedelta(seconds=4)
    assert percentile([], 50) is None


def test_workers_older_than_the_stale_limit_are_stale(admin_client, settings):
    settings.WORKER_STALE_AFTER = 60
    now = timezone.now()
    WorkerHeartbeat.objects.create(worker_id="web-1:10:aaa", hostname="web-1", pid=10)
    WorkerHeartbeat.objects.create(
        worker_id="web-2:20:bbb",
        hostname="web-2",
        pid=20,
        last_seen_at=now - timedelta(minutes=5),
    )

    health = queue_health(now=now)
    response = admin_client.get(HEALTH)

    assert {w.heartbeat.worker_id: w.is_stale for w in health.workers} == {
        "web-1:10:aaa": False,
        "web-2:20:bbb": True,
    }
    assert health.live_worker_count == 1
    content = response.content.decode()
    assert "Workers · 1 live" in content
    assert "stale" in content
    assert "web-2:20:bbb" in content


def test_stage_durations_come_from_the_stage_timings_of_finished_jobs(
    admin_client, make_job, time_spent_script
):
    make_job(time_spent_script)
    make_job(b"INT. KITCHEN - NIGHT\n\nANNA\nHello.\n\nBEN\nHi.\n")
    run_until_idle()

    summaries = job_stage_duration_summary()
    response = admin_client.get(HEALTH)

    assert [s.name for s in summaries] == [
        "normalise",
        "read",
        "identify",
        "world",
        "moments",
        "craft",
    ]
    assert all(s.samples == 2 for s in summaries)
    assert all(s.average_ms is not None and s.average_ms <= s.max_ms for s in summaries)
    content = response.content.decode()
    assert "Transformation stage durations" in content
    assert "3 · world" in content


def test_stage_durations_skip_stages_that_never_finished(jobs):
    jobs(1, started_at=timezone.now(), stage_timings={"0": {"durationMs": 40}, "1": {}})

    summaries = job_stage_duration_summary()

    assert (summaries[0].samples, summaries[0].average_ms) == (1, 40)
    assert (summaries[1].samples, summaries[1].average_ms) == (0, None)


def test_page_links_counts_to_filtered_job_lists(admin_client, jobs):
    jobs(1, status=QueueStatus.RUNNING, lease_expires_at=timezone.now() - timedelta(minutes=1))

    content = admin_client.get(HEALTH).content.decode()

    assert "/admin/transformations/transformationjob/?stuck=yes" in content
    assert "/admin/transformations/transformationjob/?status__exact=running" in content


def test_page_query_count_is_bounded(admin_client, jobs, django_assert_max_num_queries):
    jobs(25, status=QueueStatus.COMPLETED, started_at=timezone.now())

    with django_assert_max_num_queries(9):
        assert admin_client.get(HEALTH).status_code == 200


def test_admin_index_links_to_queue_health(admin_client):
    content = admin_client.get("/admin/").content.decode()

    assert f'href="{HEALTH}"' in content


def test_staff_without_model_permissions_may_see_the_page(client, staff_user):
    client.force_login(staff_user)

    assert client.get(HEALTH).status_code == 200


def test_anonymous_and_non_staff_users_are_sent_to_the_admin_login(client, user):
    anonymous = client.get(HEALTH)
    client.force_login(user)
    creator = client.get(HEALTH)

    for response in (anonymous, creator):
        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/?next=/admin/queue-health/")
