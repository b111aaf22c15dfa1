"""The transformations API through the real HTTP client and token auth."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from jobqueue.models import QueueStatus
from tests.helpers import token_client
from transformations.models import TransformationJob

pytestmark = pytest.mark.django_db

STORY = "INT. KITCHEN - NIGHT\n\nANNA\nWho left the light on?\n\nBEN\nYou did.\n"


def test_create_from_text_returns_201_with_job_id_and_queues_it(api, user):
    response = api.post(
        "/api/transformations",
        {"text": STORY, "hookPackCount": 2, "releaseMode": "daily"},
        format="json",
    )

    assert response.status_code == 201
    job = TransformationJob.objects.get(pk=response.json()["jobId"])
    assert job.user == user
    assert job.status == QueueStatus.QUEUED
    assert job.config["hookPackCount"] == 2
    assert job.config["releaseMode"] == "daily"
    assert job.source_file.read() == STORY.encode()
    assert job.source_size == len(STORY.encode())


def test_create_from_multipart_file_keeps_name_and_hash(api):
    upload = SimpleUploadedFile("kitchen.fountain", STORY.encode(), content_type="text/plain")

    response = api.post("/api/transformations", {"file": upload}, format="multipart")

    job = TransformationJob.objects.get(pk=response.json()["jobId"])
    assert job.source_filename == "kitchen.fountain"
    assert len(job.source_sha256) == 64


def test_create_without_file_or_text_is_a_400_with_field_errors(api):
    response = api.post("/api/transformations", {}, format="json")

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "VALIDATION_ERROR"
    assert "file" in body["errors"]
    assert body["detail"]


def test_create_rejects_bad_options_with_field_errors(api):
    response = api.post(
        "/api/transformations",
        {"text": STORY, "releaseMode": "weekly", "hookPackCount": 0, "engine": "gpt-9"},
        format="json",
    )

    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"releaseMode", "hookPackCount", "engine"}


def test_an_oversized_upload_is_a_413(api, settings):
    settings.UPLOAD_MAX_BYTES = 100
    upload = SimpleUploadedFile("big.txt", b"word " * 100)

    response = api.post("/api/transformations", {"file": upload}, format="multipart")

    assert response.status_code == 413
    assert response.json()["code"] == "FILE_TOO_LARGE"
    assert not TransformationJob.objects.exists()


def test_an_empty_file_is_refused_with_its_own_code(api):
    upload = SimpleUploadedFile("empty.txt", b"   \n")

    response = api.post("/api/transformations", {"file": upload}, format="multipart")

    assert response.status_code == 400
    assert response.json()["code"] == "EMPTY_FILE"


def test_anonymous_requests_are_401_with_the_error_shape(db):
    response = token_client(None).get("/api/transformations")

    assert response.status_code == 401
    assert response.json()["code"] == "NOT_AUTHENTICATED"


def test_detail_has_the_documented_fields_and_an_etag(api, make_job):
    job = make_job(STORY.encode())

    response = api.get(f"/api/transformations/{job.pk}")

    assert response.status_code == 200
    body = response.json()
    for field in (
        "id",
        "status",
        "currentStage",
        "stageStatuses",
        "artifacts",
        "progress",
        "sourceType",
        "outputUniverseId",
        "errorMessageUser",
        "createdAt",
        "updatedAt",
    ):
        assert field in body
    assert body["stageStatuses"] == {str(i): "pending" for i in range(6)}
    assert response["ETag"]


def test_unchanged_job_answers_304_and_a_change_gives_a_new_etag(api, make_job):
    job = make_job(STORY.encode())
    etag = api.get(f"/api/transformations/{job.pk}")["ETag"]

    unchanged = api.get(f"/api/transformations/{job.pk}", HTTP_IF_NONE_MATCH=etag)
    api.post(f"/api/transformations/{job.pk}/cancel")
    changed = api.get(f"/api/transformations/{job.pk}", HTTP_IF_NONE_MATCH=etag)

    assert unchanged.status_code == 304
    assert changed.status_code == 200
    assert changed["ETag"] != etag


def test_another_users_job_is_404_on_every_endpoint(make_job, other_user):
    job = make_job(STORY.encode())
    intruder = token_client(other_user)

    assert intruder.get(f"/api/transformations/{job.pk}").status_code == 404
    assert intruder.post(f"/api/transformations/{job.pk}/retry").status_code == 404
    assert intruder.post(f"/api/transformations/{job.pk}/cancel").status_code == 404
    assert intruder.get("/api/transformations").json()["results"] == []
    assert intruder.get(f"/api/transformations/{job.pk}").json()["code"] == "NOT_FOUND"


def test_staff_can_read_any_job(make_job, staff_user):
    job = make_job(STORY.encode())

    assert token_client(staff_user).get(f"/api/transformations/{job.pk}").status_code == 200


def test_list_shows_only_own_jobs_newest_first(api, make_job, other_user):
    older = make_job(b"First draft of a story.")
    newer = make_job(b"Second draft of a story.")
    make_job(b"Someone else's story.", owner=other_user)

    results = api.get("/api/transformations").json()["results"]

    assert [r["id"] for r in results] == [str(newer.pk), str(older.pk)]


def test_retry_of_a_job_that_has_not_failed_is_409(api, make_job):
    job = make_job(STORY.encode())

    response = api.post(f"/api/transformations/{job.pk}/retry")

    assert response.status_code == 409
    assert response.json()["code"] == "JOB_NOT_RETRYABLE"


def test_cancel_of_a_queued_job_cancels_it_and_a_second_cancel_is_409(api, make_job):
    job = make_job(STORY.encode())

    first = api.post(f"/api/transformations/{job.pk}/cancel")
    second = api.post(f"/api/transformations/{job.pk}/cancel")

    assert first.status_code == 202
    assert first.json()["status"] == "cancelled"
    assert second.status_code == 409
    assert second.json()["code"] == "JOB_NOT_CANCELLABLE"


def test_schema_and_docs_pages_are_served_without_a_cdn(api):
    schema = api.get("/api/schema/")
    docs = api.get("/api/docs/")

    assert schema.status_code == 200
    assert b"/api/transformations" in schema.content
    assert docs.status_code == 200
    assert b"cdn" not in docs.content.lower()


def test_job_list_query_count_does_not_grow_with_jobs(api, make_job, django_assert_max_num_queries):
    for n in range(10):
        make_job(f"Story {n}.\n\nIt begins.".encode())

    with django_assert_max_num_queries(4):
        response = api.get("/api/transformations")

    assert response.json()["count"] == 10


def test_an_oversized_body_is_refused_from_its_length_before_anything_is_stored(
    api, settings, tmp_path
):
    settings.UPLOAD_MAX_BYTES = 1024
    body = b"x" * (200 * 1024)

    response = api.generic(
        "POST",
        "/api/transformations",
        body,
        content_type="multipart/form-data; boundary=xyz",
    )

    assert response.status_code == 413
    assert response.json()["code"] == "FILE_TOO_LARGE"
    assert not TransformationJob.objects.exists()
    assert not (settings.MEDIA_ROOT / "sources").exists()
