"""The transformation job cockpit in the Django admin: columns, filters, detail and actions."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.admin import helpers
from django.utils import timezone

from jobqueue.models import QueueStatus
from tests.helpers import reload, run_until_idle
from transformations.admin import STAGE_OUTPUTS_DISPLAY_LIMIT
from transformations.models import TransformationJob

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/transformations/transformationjob/"
STORY = b"INT. KITCHEN - NIGHT\n\nANNA\nWho left the light on?\n\nBEN\nYou did.\n"


def detail_url(job) -> str:
    return f"{CHANGELIST}{job.pk}/change/"


def set_state(job, **changes) -> TransformationJob:
    TransformationJob.objects.filter(pk=job.pk).update(**changes)
    return reload(job)


def failed(job, *, stage=2, finished_at=None) -> TransformationJob:
    return set_state(
        job,
        status=QueueStatus.FAILED,
        current_stage=stage,
        attempt=1,
        error_code="BAD_INPUT",
        error_message_user="We could not read this file.",
        error_message_dev="Traceback: ValueError at line 12",
        finished_at=finished_at or timezone.now(),
    )


def running(job, *, lease_expires_in: timedelta) -> TransformationJob:
    now = timezone.now()
    return set_state(
        job,
        status=QueueStatus.RUNNING,
        current_stage=3,
        attempt=1,
        lease_owner="worker-host:4242:abcdef123456",
        lease_expires_at=now + lease_expires_in,
        started_at=now - timedelta(minutes=2),
    )


def run_action(client, action: str, jobs):
    return client.post(
        CHANGELIST,
        {"action": action, helpers.ACTION_CHECKBOX_NAME: [str(job.pk) for job in jobs]},
        follow=True,
    )


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def test_changelist_shows_cockpit_columns(admin_client, make_job):
    job = running(make_job(STORY, filename="kitchen.fountain"), lease_expires_in=timedelta(1))

    response = admin_client.get(CHANGELIST)

    assert response.status_code == 200
    content = response.content.decode()
    assert job.pk.hex[:8] in content
    assert "kitchen.fountain" in content
    assert "elena" in content
    assert "3 · world" in content
    assert "1/3" in content
    assert "worker-host:4242" in content
    assert "Running" in content


def test_changelist_query_count_does_not_grow_with_jobs(
    admin_client, make_job, user, other_user, django_assert_max_num_queries
):
    for n in range(24):
        job = make_job(STORY + str(n).encode(), owner=user if n % 2 else other_user)
        if n % 3 == 0:
            failed(job)

    with django_assert_max_num_queries(6):
        response = admin_client.get(CHANGELIST)

    assert response.status_code == 200
    assert response.content.decode().count('class="action-select"') == 24


def test_detail_page_shows_stages_artifacts_and_collapsed_private_outputs(
    admin_client, make_job, time_spent_script
):
    job = make_job(time_spent_script)
    run_until_idle()

    response = admin_client.get(detail_url(job))

    assert response.status_code == 200
    content = response.content.decode()
    assert "Stage statuses and timings" in content
    assert "5 · craft" in content
    assert "cardsDrafted" in content
    assert "Elena" in content  # a stage 3 character, rendered by name
    assert "Private stage outputs (staff only)" in content
    assert "collapse" in content
    assert "Worker" in content
    # Read-only: no form to overwrite a worker's writes.
    assert 'name="_save"' not in content


def test_detail_page_shows_both_error_messages(admin_client, make_job):
    job = failed(make_job(STORY))

    content = admin_client.get(detail_url(job)).content.decode()

    assert "We could not read this file." in content
    assert "Traceback: ValueError at line 12" in content
    assert "BAD_INPUT" in content


def test_very_large_stage_outputs_are_truncated_with_a_note(admin_client, make_job):
    job = set_state(make_job(STORY), stage_outputs={"0": {"text": "x" * 150_000}})

    content = admin_client.get(detail_url(job)).content.decode()

    assert f"Showing the first {STAGE_OUTPUTS_DISPLAY_LIMIT:,} of" in content
    assert "x" * 150_000 not in content


def test_retry_action_requeues_failed_jobs_and_skips_others(admin_client, make_job):
    broken = failed(make_job(b"Broken story."))
    done = set_state(make_job(b"Done story."), status=QueueStatus.COMPLETED)

    response = run_action(admin_client, "retry_jobs", [broken, done])

    assert response.status_code == 200
    assert reload(broken).status == QueueStatus.QUEUED
    assert reload(broken).error_message_user == ""
    assert reload(done).status == QueueStatus.COMPLETED
    texts = messages_of(response)
    assert "Retried 1 job." in texts
    assert any(t.startswith("Skipped 1 job: Only failed jobs can be retried") for t in texts)


def test_cancel_action_cancels_queued_jobs(admin_client, make_job):
    first, second = make_job(b"One."), make_job(b"Two.")

    response = run_action(admin_client, "cancel_jobs", [first, second])

    assert reload(first).status == QueueStatus.CANCELLED
    assert reload(second).status == QueueStatus.CANCELLED
    assert any(t.startswith("Cancelled 2 jobs") for t in messages_of(response))


def test_cancel_action_asks_a_running_job_to_stop(admin_client, make_job):
    job = running(make_job(STORY), lease_expires_in=timedelta(minutes=1))

    run_action(admin_client, "cancel_jobs", [job])

    assert reload(job).status == QueueStatus.RUNNING
    assert reload(job).cancel_requested is True


def test_requeue_action_puts_a_stuck_job_back_and_leaves_a_live_one_alone(admin_client, make_job):
    stuck = running(make_job(b"Stuck."), lease_expires_in=timedelta(minutes=-5))
    alive = running(make_job(b"Alive."), lease_expires_in=timedelta(minutes=5))

    response = run_action(admin_client, "requeue_jobs", [stuck, alive])

    assert reload(stuck).status == QueueStatus.QUEUED
    assert reload(stuck).lease_owner == ""
    assert reload(alive).status == QueueStatus.RUNNING
    texts = messages_of(response)
    assert "Requeued 1 job." in texts
    assert any("Only failed, cancelled or stuck jobs" in t for t in texts)


def test_stuck_filter_finds_only_running_jobs_with_expired_leases(admin_client, make_job):
    stuck = running(make_job(b"Stuck."), lease_expires_in=timedelta(minutes=-1))
    running(make_job(b"Alive."), lease_expires_in=timedelta(minutes=1))
    failed(make_job(b"Failed with an old lease."))
    set_state(make_job(b"Failed."), lease_expires_at=timezone.now() - timedelta(hours=1))
    make_job(b"Queued.")

    response = admin_client.get(CHANGELIST, {"stuck": "yes"})

    assert response.status_code == 200
    assert list(response.context["cl"].queryset) == [stuck]


def test_stage_filter_finds_jobs_at_a_stage(admin_client, make_job):
    at_world = running(make_job(b"At world."), lease_expires_in=timedelta(minutes=1))
    make_job(b"At the start.")

    response = admin_client.get(CHANGELIST, {"stage": "3"})

    assert list(response.context["cl"].queryset) == [at_world]
    assert "3 · world" in response.content.decode()


def test_failed_today_filter_leaves_out_older_failures(admin_client, make_job):
    today = failed(make_job(b"Today."))
    failed(make_job(b"Last week."), finished_at=timezone.now() - timedelta(days=7))
    make_job(b"Queued.")

    response = admin_client.get(CHANGELIST, {"failed_today": "yes"})

    assert list(response.context["cl"].queryset) == [today]


def test_engine_filter_uses_the_engine_in_the_job_config(admin_client, make_job):
    local = make_job(b"Local.")
    remote = make_job(b"Remote.")
    set_state(remote, config={**remote.config, "engine": "openai"})

    response = admin_client.get(CHANGELIST, {"engine": "openai"})

    assert list(response.context["cl"].queryset) == [remote]
    assert local not in response.context["cl"].queryset
    assert "openai" in response.content.decode()


def test_search_finds_a_job_by_full_id_and_by_owner_email(admin_client, make_job, user):
    user.email = "elena@example.com"
    user.save()
    wanted = make_job(b"Wanted.")
    make_job(b"Other.")

    by_id = admin_client.get(CHANGELIST, {"q": str(wanted.pk)})
    by_email = admin_client.get(CHANGELIST, {"q": "elena@example"})
    by_junk = admin_client.get(CHANGELIST, {"q": "not-a-uuid"})

    assert list(by_id.context["cl"].queryset) == [wanted]
    assert by_email.context["cl"].queryset.count() == 2
    assert by_junk.context["cl"].queryset.count() == 0


def test_non_staff_users_are_sent_to_the_admin_login(client, user, make_job):
    job = make_job(STORY)
    client.force_login(user)

    for url in (CHANGELIST, detail_url(job)):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/")
