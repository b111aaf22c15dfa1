"""What answers, pages, logs and stored rows may contain: no secrets, no private fields."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from django.conf import settings as django_settings
from django.test import Client

from assets.models import AssetJob, AssetStatus
from assets.selectors import asset_file_url
from jobqueue.models import QueueStatus
from jobqueue.worker import Worker
from tests.assets.support import run_assets
from tests.fake_openai import error
from tests.helpers import reload, run_until_idle, token_client
from transformations.models import ModelCall, TransformationJob

pytestmark = pytest.mark.django_db

KEY = "sk-proj-SECRET-0123456789abcdefXYZ"


def run_job(job: TransformationJob, *, rounds: int = 10) -> TransformationJob:
    worker = Worker()
    for _ in range(rounds):
        worker.handle_one()
        row = reload(job)
        if row.status in (QueueStatus.COMPLETED, QueueStatus.FAILED):
            return row
        TransformationJob.objects.filter(pk=job.pk).update(
            run_after=datetime(2000, 1, 1, tzinfo=UTC)
        )
    raise AssertionError(f"job still {reload(job).status}")


@pytest.mark.django_db(transaction=True)
def test_the_openai_key_never_reaches_jobs_model_calls_logs_or_answers(
    fake_openai, settings, make_job, time_spent_script, user, superuser, client, caplog
):
    settings.OPENAI_API_KEY = KEY
    # OpenAI's own answer to a wrong key names the key it was sent.
    fake_openai.push(error(401, f"Incorrect API key provided: {KEY}.", code="invalid_api_key"))
    caplog.set_level("DEBUG")

    job = run_job(make_job(time_spent_script, engine="openai"))

    assert job.status == QueueStatus.FAILED and job.error_code == "MODEL_AUTH_FAILED"
    assert fake_openai.requests[0].headers["authorization"] == f"Bearer {KEY}"
    stored = [job.error_message_user, job.error_message_dev, json.dumps(job.stage_outputs)]
    for call in ModelCall.objects.filter(job=job):
        stored += [json.dumps(call.messages), call.response_text, call.error]
    api_answer = token_client(user).get(f"/api/transformations/{job.pk}").content.decode()
    client.force_login(user)
    timeline = client.get(f"/transformations/{job.pk}").content.decode()
    client.force_login(superuser)
    admin_page = client.get(
        f"/admin/transformations/transformationjob/{job.pk}/change/"
    ).content.decode()
    for where, text in [
        ("the job row", "\n".join(stored)),
        ("the logs", caplog.text),
        ("the API", api_answer),
        ("the timeline", timeline),
        ("the admin", admin_page),
    ]:
        assert KEY not in text, f"the key is in {where}"
        assert KEY[-12:] not in text, f"part of the key is in {where}"


@pytest.mark.django_db(transaction=True)
def test_the_openai_key_never_reaches_asset_jobs_or_their_answers(
    fake_openai, settings, make_job, time_spent_script, user, superuser, client, caplog
):
    settings.OPENAI_API_KEY = KEY
    settings.OPENAI_MAX_RETRIES = 0
    settings.ASSETS_AUTO_GENERATE = True
    settings.ASSET_ENGINE = "openai"
    caplog.set_level("DEBUG")
    universe = run_job(make_job(time_spent_script)).output_universe
    # The first media request (the cover) meets a provider that quotes the key back.
    fake_openai.push(error(401, f"Incorrect API key provided: {KEY}.", code="invalid_api_key"))

    run_assets()

    cover = AssetJob.objects.get(universe=universe, key="cover")
    assert cover.asset_status == AssetStatus.FAILED and cover.error_code == "MODEL_AUTH_FAILED"
    stored = [cover.error_message_user, cover.error_message_dev, json.dumps(cover.history)]
    for call in ModelCall.objects.filter(subject=f"asset:{cover.pk}"):
        stored += [json.dumps(call.messages), call.response_text, call.error]
    api_answer = token_client(user).get(f"/api/universes/{universe.pk}/assets").content.decode()
    client.force_login(superuser)
    admin_page = client.get(f"/admin/assets/assetjob/{cover.pk}/change/").content.decode()
    for where, text in [
        ("the asset job", "\n".join(stored)),
        ("the logs", caplog.text),
        ("the API", api_answer),
        ("the admin", admin_page),
    ]:
        assert KEY not in text, f"the key is in {where}"
        assert KEY[-12:] not in text, f"part of the key is in {where}"


# The API's documented job fields (docs/API.md): nothing else may appear.
JOB_FIELDS = {
    "id",
    "status",
    "currentStage",
    "stageStatuses",
    "artifacts",
    "progress",
    "statusLine",
    "sourceType",
    "sourceFilename",
    "outputUniverseId",
    "errorCode",
    "errorMessageUser",
    "attempt",
    "config",
    "createdAt",
    "updatedAt",
}


def test_developer_errors_stay_with_staff(settings, make_job, time_spent_script, user, client):
    settings.STORY_ENGINE_FAULTS = ["2:fail"]
    job = make_job(time_spent_script)
    run_until_idle()
    job = reload(job)
    assert job.status == QueueStatus.FAILED and job.error_message_dev.strip()
    dev_lines = [line.strip() for line in job.error_message_dev.splitlines() if line.strip()]

    answer = token_client(user).get(f"/api/transformations/{job.pk}").json()
    listing = token_client(user).get("/api/transformations").json()["results"][0]
    client.force_login(user)
    timeline = client.get(f"/transformations/{job.pk}").content.decode()

    assert set(answer) == JOB_FIELDS and set(listing) == JOB_FIELDS
    assert answer["errorMessageUser"] == job.error_message_user
    for line in (dev_lines[0], dev_lines[-1]):
        assert line not in json.dumps(answer) and line not in timeline
    assert "Traceback" not in timeline and "stage_outputs" not in timeline


def test_lists_show_creators_only_their_own_jobs_and_universes(
    make_job, time_spent_script, user, other_user, staff_user, client
):
    mine = make_job(time_spent_script)
    theirs = make_job(b"INT. DINER - NIGHT\n\nMAE\nCoffee?\n", owner=other_user)
    run_until_idle()
    my_universe, their_universe = reload(mine).output_universe, reload(theirs).output_universe

    def listed(viewer, path):
        return {item["id"] for item in token_client(viewer).get(path).json()["results"]}

    assert listed(user, "/api/transformations") == {str(mine.pk)}
    assert listed(user, "/api/universes") == {my_universe.pk}
    assert listed(staff_user, "/api/transformations") == {str(mine.pk), str(theirs.pk)}
    assert listed(staff_user, "/api/universes") == {my_universe.pk, their_universe.pk}
    client.force_login(user)
    home = client.get("/").content.decode()
    assert f"/universes/{my_universe.pk}" in home
    assert f"/universes/{their_universe.pk}" not in home
    assert str(theirs.pk) not in home


def test_stored_files_have_no_public_address(finished_universe, user, client):
    """Sources and media are reached only through views that check who asks."""
    source = finished_universe.source_job.source_file.name
    cover = AssetJob.objects.get(universe=finished_universe, key="cover")
    client.force_login(user)

    for path in (source, cover.files["main"]["path"]):
        assert client.get(f"/{django_settings.MEDIA_URL}{path}").status_code == 404
        assert client.get(f"/{path}").status_code == 404
    served = client.get(asset_file_url(cover))
    assert served.status_code == 200
    assert served["Cache-Control"] == "private, max-age=86400"
    assert served["X-Content-Type-Options"] == "nosniff"
    assert served["Content-Type"] == "image/png"
    pdf = AssetJob.objects.get(universe=finished_universe, key="pdf")
    download = client.get(asset_file_url(pdf))
    assert download["Content-Disposition"] == 'attachment; filename="storybook.pdf"'


def test_session_writes_need_the_csrf_token_and_token_writes_do_not(user):
    """A page session can be ridden by another site's form; a token cannot."""
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(user)
    story = {"text": "INT. ROOM - DAY\n\nBOB\nHello."}

    api_by_session = browser.post("/api/transformations", story, content_type="application/json")
    page_post = browser.post("/transformations/new", {**story, "hook_pack_count": 3})
    by_token = token_client(user).post("/api/transformations", story, format="json")

    assert api_by_session.status_code == 403
    assert api_by_session.json()["code"] == "PERMISSION_DENIED"
    assert "CSRF" in api_by_session.json()["detail"]
    assert page_post.status_code == 403
    assert by_token.status_code == 201
    assert TransformationJob.objects.filter(user=user).count() == 1


MARKUP = "<img src=x onerror=alert(1)>"
HOSTILE_STORY = f"""Title: The <script>alert('title')</script> Affair

INT. COFFEE SHOP - DAY

ELENA sets down a note that reads {MARKUP}.

ELENA
Did you write {MARKUP} on this?

MARCUS
Never. <script>alert('line')</script> is not my style.

EXT. STREET - NIGHT

MARCUS walks away under a sign that says {MARKUP}.

MARCUS
We should talk about {MARKUP} tomorrow.
""".encode()


def test_markup_in_an_upload_is_shown_as_text_on_every_page(make_job, user, superuser, client):
    job = make_job(HOSTILE_STORY, filename=f"{MARKUP}.fountain")
    run_until_idle()
    job = reload(job)
    universe = job.output_universe
    character = universe.characters.order_by("-importance").first()
    pages = [
        f"/transformations/{job.pk}",
        f"/universes/{universe.pk}",
        f"/universes/{universe.pk}/cards/1",
        f"/universes/{universe.pk}/characters/{character.key}",
        f"/universes/{universe.pk}/cast",
        f"/universes/{universe.pk}/breakdown",
        "/",
    ]
    admin_pages = [
        f"/admin/transformations/transformationjob/{job.pk}/change/",
        f"/admin/universes/universe/{universe.pk}/change/",
        "/admin/transformations/transformationjob/",
    ]

    seen = []
    for viewer, paths in ((user, pages), (superuser, admin_pages)):
        client.force_login(viewer)
        for path in paths:
            response = client.get(path)
            assert response.status_code == 200, path
            html = response.content.decode()
            assert MARKUP not in html and "<script>alert" not in html, path
            seen.append("&lt;img src=x onerror=alert(1)&gt;" in html)
    assert sum(seen) >= 5  # the markup did reach most pages, as text


def test_logging_in_sets_an_http_only_same_site_session_and_never_leaves_the_site(user, client):
    response = client.post(
        "/accounts/login/?next=https://evil.example/steal",
        {"username": "elena", "password": "pw-elena-123"},
    )

    assert response.status_code == 302
    assert response["Location"] == "/"  # LOGIN_REDIRECT_URL, not the other site
    session = response.cookies["sessionid"]
    assert session["httponly"] is True
    assert session["samesite"] == "Lax"
    page = client.get("/")
    assert page["X-Frame-Options"] == "DENY"
    assert page["X-Content-Type-Options"] == "nosniff"


@pytest.mark.django_db(transaction=True)
def test_model_prompts_answers_and_usage_stay_in_the_admin(
    fake_openai, make_job, time_spent_script, user
):
    job = run_job(make_job(time_spent_script, engine="openai"))
    assert job.status == QueueStatus.COMPLETED, job.error_message_dev
    universe = job.output_universe
    calls = list(ModelCall.objects.filter(job=job))
    assert calls
    api = token_client(user)
    answers = "\n".join(
        api.get(path).content.decode()
        for path in (
            f"/api/transformations/{job.pk}",
            "/api/transformations",
            f"/api/universes/{universe.pk}",
            f"/api/universes/{universe.pk}/cards?include=scheduled",
            f"/api/universes/{universe.pk}/assets",
        )
    )

    # The system prompts (the instructions each call begins with) and the raw answers.
    instructions = {call.messages[0]["content"] for call in calls}
    assert all(len(text) > 80 for text in instructions)
    for text in instructions:
        assert text[:80] not in answers
    for call in calls:
        assert not call.response_text or call.response_text not in answers
    for field in ("prompt_tokens", "promptTokens", "completion_tokens", "costUsd", "cost_usd"):
        assert field not in answers
