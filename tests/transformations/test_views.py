"""Creator pages for transformations through the Django test client."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from jobqueue.models import QueueStatus
from tests.helpers import reload, run_until_idle
from transformations.models import TransformationJob

pytestmark = pytest.mark.django_db

SCRIPT = b"INT. KITCHEN - NIGHT\n\nANNA\nWho left the light on?\n\nBEN\nYou did.\n"


@pytest.fixture
def creator(client, user):
    client.force_login(user)
    return client


def test_new_page_explains_each_release_mode(creator):
    page = creator.get("/transformations/new")

    assert page.status_code == 200
    for text in (b"Hook pack, then one a day", b"One a day from card 1", b"All at once"):
        assert text in page.content
    assert b'type="file"' in page.content
    assert b'for="id_file"' in page.content


def test_uploading_a_file_creates_a_job_and_shows_its_timeline(creator, user):
    upload = SimpleUploadedFile("kitchen.fountain", SCRIPT, content_type="text/plain")

    response = creator.post(
        "/transformations/new",
        {"file": upload, "hook_pack_count": 2, "release_mode": "daily"},
    )

    job = TransformationJob.objects.get(user=user)
    assert response.status_code == 302
    assert response["Location"] == f"/transformations/{job.pk}"
    assert job.config["releaseMode"] == "daily"
    assert job.config["hookPackCount"] == 2
    timeline = creator.get(response["Location"])
    assert b'id="timeline"' in timeline.content
    assert b'data-status="queued"' in timeline.content


def test_pasted_text_works_too(creator, user):
    creator.post(
        "/transformations/new",
        {"text": SCRIPT.decode(), "hook_pack_count": 3, "release_mode": "hybrid"},
    )

    assert TransformationJob.objects.get(user=user).source_filename == "pasted-text.txt"


def test_errors_are_shown_next_to_the_field(creator):
    nothing = creator.post("/transformations/new", {"hook_pack_count": 3, "release_mode": "hybrid"})
    empty = creator.post(
        "/transformations/new",
        {
            "file": SimpleUploadedFile("empty.txt", b"  \n"),
            "hook_pack_count": 3,
            "release_mode": "hybrid",
        },
    )

    assert b'id="file-errors"' in nothing.content
    assert b"Choose a file or paste some text." in nothing.content
    assert b'id="file-errors"' in empty.content
    assert b"This file is empty" in empty.content
    assert not TransformationJob.objects.exists()


def test_timeline_renders_each_finished_stage_readably(creator, make_job, time_spent_script):
    job = make_job(time_spent_script)
    run_until_idle()

    page = creator.get(f"/transformations/{job.pk}")

    assert page.status_code == 200
    content = page.content.decode()
    assert 'data-status="completed"' in content
    assert content.count('data-state="done"') == 6
    assert "Detected a <strong>script</strong>" in content
    assert "Elena" in content and "Marcus" in content
    assert "5 cards planned" in content
    assert f'href="/universes/{reload(job).output_universe_id}"' in content
    assert 'id="universe-link"' in content


def test_timeline_fragment_answers_304_until_the_job_changes(creator, make_job):
    job = make_job(SCRIPT)

    first = creator.get(f"/transformations/{job.pk}?fragment=1")
    unchanged = creator.get(
        f"/transformations/{job.pk}?fragment=1", HTTP_IF_NONE_MATCH=first["ETag"]
    )
    run_until_idle()
    changed = creator.get(f"/transformations/{job.pk}?fragment=1", HTTP_IF_NONE_MATCH=first["ETag"])

    assert first.status_code == 200
    assert b"<html" not in first.content  # only the live section
    assert b'id="timeline"' in first.content
    assert unchanged.status_code == 304
    assert changed.status_code == 200
    assert b'data-status="completed"' in changed.content


def test_a_failed_job_shows_the_friendly_message_and_retry(
    creator, make_job, settings, time_spent_script
):
    job = make_job(time_spent_script)
    settings.STORY_ENGINE_FAULTS = ["2:fail"]
    run_until_idle()

    page = creator.get(f"/transformations/{job.pk}").content.decode()
    assert reload(job).error_message_user in page
    assert 'id="retry-button"' in page

    settings.STORY_ENGINE_FAULTS = []
    response = creator.post(f"/transformations/{job.pk}/retry")
    assert response.status_code == 302
    assert reload(job).status == QueueStatus.QUEUED


def test_cancel_from_the_timeline(creator, make_job):
    job = make_job(SCRIPT)

    creator.post(f"/transformations/{job.pk}/cancel")
    again = creator.post(f"/transformations/{job.pk}/cancel", follow=True)

    assert reload(job).status == QueueStatus.CANCELLED
    assert b"cannot be cancelled" in again.content


def test_other_users_get_404_and_anonymous_users_log_in(client, make_job, other_user):
    job = make_job(SCRIPT)

    anonymous = client.get(f"/transformations/{job.pk}")
    client.force_login(other_user)

    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith("/accounts/login/")
    assert client.get(f"/transformations/{job.pk}").status_code == 404
    assert client.get(f"/transformations/{job.pk}?fragment=1").status_code == 404
    assert client.post(f"/transformations/{job.pk}/retry").status_code == 404
    assert client.post(f"/transformations/{job.pk}/cancel").status_code == 404


def test_retry_and_cancel_need_post(creator, make_job):
    job = make_job(SCRIPT)

    assert creator.get(f"/transformations/{job.pk}/retry").status_code == 405
    assert creator.get(f"/transformations/{job.pk}/cancel").status_code == 405


def test_an_oversized_upload_page_explains_the_limit(creator, settings):
    settings.UPLOAD_MAX_BYTES = 1024
    upload = SimpleUploadedFile("big.txt", b"word " * 40_000)

    response = creator.post(
        "/transformations/new", {"file": upload, "hook_pack_count": 3, "release_mode": "hybrid"}
    )

    assert response.status_code == 413
    assert b"the limit is" in response.content
    assert not TransformationJob.objects.exists()


def test_elapsed_time_is_shown_as_the_timeline_script_writes_it(creator, make_job):
    job = make_job(SCRIPT)
    started = job.created_at
    TransformationJob.objects.filter(pk=job.pk).update(
        started_at=started, finished_at=started + timedelta(seconds=125)
    )

    page = creator.get(f"/transformations/{job.pk}").content.decode()

    assert '<span id="elapsed">2 min 5 s</span>' in page


def test_the_engine_choice_appears_only_when_a_model_is_configured(creator, user, settings):
    settings.OPENAI_API_KEY = ""
    settings.OPENAI_BASE_URL = ""
    assert b"Story engine" not in creator.get("/transformations/new").content

    settings.OPENAI_API_KEY = "sk-test"
    page = creator.get("/transformations/new")
    assert b"Story engine" in page.content
    assert b"sent to the model provider" in page.content
    creator.post(
        "/transformations/new",
        {
            "text": SCRIPT.decode(),
            "hook_pack_count": 3,
            "release_mode": "hybrid",
            "engine": "openai",
        },
    )
    assert TransformationJob.objects.get(user=user).config["engine"] == "openai"


def test_an_engine_that_is_not_configured_cannot_be_chosen(creator, user, settings):
    settings.OPENAI_API_KEY = ""
    settings.OPENAI_BASE_URL = ""
    page = creator.post(
        "/transformations/new",
        {
            "text": SCRIPT.decode(),
            "hook_pack_count": 3,
            "release_mode": "hybrid",
            "engine": "openai",
        },
    )
    assert page.status_code == 200
    assert b"Select a valid choice" in page.content
    assert not TransformationJob.objects.filter(user=user).exists()


def test_read_only_staff_watch_a_job_without_retry_or_cancel_buttons(
    client, user, staff_user, make_job, settings
):
    from django.contrib.auth.models import Permission

    settings.STORY_ENGINE_FAULTS = ["2:fail"]
    failed = make_job(SCRIPT)
    run_until_idle()
    queued = make_job(SCRIPT + b"\nANNA\nAgain.\n")
    assert reload(failed).status == QueueStatus.FAILED

    client.force_login(staff_user)
    assert b'id="retry-button"' not in client.get(f"/transformations/{failed.pk}").content
    assert b'id="cancel-button"' not in client.get(f"/transformations/{queued.pk}").content

    staff_user.user_permissions.add(Permission.objects.get(codename="change_transformationjob"))
    client.force_login(type(staff_user).objects.get(pk=staff_user.pk))
    assert b'id="retry-button"' in client.get(f"/transformations/{failed.pk}").content
    assert b'id="cancel-button"' in client.get(f"/transformations/{queued.pk}").content

    client.force_login(user)
    assert b'id="retry-button"' in client.get(f"/transformations/{failed.pk}").content
