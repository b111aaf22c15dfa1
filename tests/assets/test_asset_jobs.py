"""Asset jobs end to end with the local generators: real queue, real files, real PDF."""

from __future__ import annotations

import io
import json

import pytest
from django.core.files.storage import default_storage
from PIL import Image
from pypdf import PdfReader

from assets.models import AssetJob, AssetStatus, AssetType
from assets.selectors import asset_generation_status
from assets.services import asset_regenerate, portrait_favourite_set, portrait_request
from jobqueue import queue
from jobqueue.models import QueueStatus
from tests.assets.support import run_assets
from tests.helpers import token_client

pytestmark = pytest.mark.django_db(transaction=True)


def read(job: AssetJob, role: str = "main") -> bytes:
    with default_storage.open(job.files[role]["path"], "rb") as handle:
        return handle.read()


def statuses(job: AssetJob) -> list[str]:
    return [entry["status"] for entry in job.history]


def test_time_spent_gets_a_cover_card_images_activities_and_a_pdf(time_spent_universe):
    universe = time_spent_universe
    cards = list(universe.cards.order_by("day_index"))
    assert len(cards) == 5
    assert universe.asset_generation_status["overall"] == "generating"

    run_assets()
    universe.refresh_from_db()

    jobs = {job.key: job for job in AssetJob.objects.filter(universe=universe)}
    for key in ["cover", *(f"card_image:{c.day_index}" for c in cards)]:
        job = jobs[key]
        assert job.asset_status == AssetStatus.READY
        image = Image.open(io.BytesIO(read(job)))
        assert image.format == "PNG"
        assert image.width >= 1000 and image.height >= 1000 if key == "cover" else True
        assert len(image.convert("RGB").getcolors(maxcolors=1 << 20) or []) > 50, "blank image"
        palette = job.metadata["palette"]
        assert len(palette) == 3 and all(c.startswith("#") and len(c) == 7 for c in palette)
    for card in cards:
        activities = jobs[f"activities:{card.day_index}"]
        assert activities.asset_status == AssetStatus.READY
        assert activities.data["comprehension"]
        narration = jobs[f"narration:{card.day_index}"]
        assert narration.asset_status == AssetStatus.SKIPPED
        assert "espeak-ng" in narration.skipped_reason

    pdf = jobs["pdf"]
    assert pdf.asset_status == AssetStatus.READY
    reader = PdfReader(io.BytesIO(read(pdf)))
    assert len(reader.pages) > len(cards)
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert cards[0].title in text
    assert sum(len(page.images) for page in reader.pages) == 1 + len(cards)
    assert pdf.metadata["page_count"] == len(reader.pages)

    # Every transition went through the universe's status, in order.
    status = universe.asset_generation_status
    assert status == asset_generation_status(universe)
    assert status["overall"] == "ready"
    for key, job in jobs.items():
        final = "skipped" if job.asset_type == AssetType.NARRATION else "ready"
        assert statuses(job) == ["queued", "generating", final], key
        assert [e["status"] for e in status["assets"][key]["history"]] == statuses(job)
        assert status["assets"][key]["completedAt"]


def test_a_generator_that_fails_twice_then_succeeds_ends_ready(settings, time_spent_universe):
    settings.ASSET_FAULTS = ["card_image:2 transient 2"]
    run_assets()

    job = AssetJob.objects.get(universe=time_spent_universe, key="card_image:2")
    assert job.asset_status == AssetStatus.READY
    assert job.attempt == 3
    assert statuses(job) == [
        "queued",
        "generating",
        "queued",
        "generating",
        "queued",
        "generating",
        "ready",
    ]
    time_spent_universe.refresh_from_db()
    assert time_spent_universe.asset_generation_status["overall"] == "ready"


def test_one_asset_that_always_fails_leaves_the_universe_partial(settings, time_spent_universe):
    settings.ASSET_FAULTS = ["activities:4 fail"]
    run_assets()

    failed = AssetJob.objects.get(universe=time_spent_universe, key="activities:4")
    assert failed.asset_status == AssetStatus.FAILED
    assert failed.attempt == 1  # permanent: not retried
    time_spent_universe.refresh_from_db()
    status = time_spent_universe.asset_generation_status
    assert status["overall"] == "partial"
    assert status["assets"]["activities:4"]["error"] == {
        "code": "INJECTED_FAULT",
        "message": "This asset failed in a failure drill.",
    }
    others = [e for k, e in status["assets"].items() if k != "activities:4"]
    assert all(e["status"] in ("ready", "skipped") for e in others)


def test_a_stuck_generator_fails_at_its_deadline_with_a_clear_message(
    settings, time_spent_universe
):
    settings.ASSET_DEADLINES = {**settings.ASSET_DEADLINES, "cover": 0.3}
    settings.ASSET_FAULTS = ["cover sleep 5"]
    run_assets()

    cover = AssetJob.objects.get(universe=time_spent_universe, key="cover")
    assert cover.asset_status == AssetStatus.FAILED
    assert cover.error_code == "ASSET_TIMEOUT"
    assert cover.attempt == settings.ASSET_MAX_ATTEMPTS["cover"]
    assert "took longer than 0 seconds" in cover.error_message_user or "longer than" in (
        cover.error_message_user
    )
    # The storybook went ahead without the cover.
    pdf = AssetJob.objects.get(universe=time_spent_universe, key="pdf")
    assert pdf.asset_status == AssetStatus.READY


def test_the_pdf_waits_for_images_still_being_made(settings, time_spent_universe):
    pdf = AssetJob.objects.get(universe=time_spent_universe, key="pdf")
    from assets.runner import run_asset
    from jobqueue.context import JobContext

    lease = queue.claim_job(AssetJob, pdf.pk, owner="test", lease_seconds=30)
    run_asset(AssetJob.objects.get(pk=pdf.pk), JobContext(lease))

    pdf.refresh_from_db()
    assert pdf.status == QueueStatus.QUEUED
    assert pdf.attempt == 0  # waiting is not an attempt
    assert pdf.metadata["waitingSince"]
    assert pdf.asset_status == AssetStatus.QUEUED

    run_assets()
    pdf.refresh_from_db()
    assert pdf.asset_status == AssetStatus.READY
    assert pdf.metadata["images_embedded"] == 6


def test_the_pdf_stops_waiting_and_goes_without_late_images(settings, time_spent_universe):
    settings.ASSET_PDF_IMAGE_WAIT = 0
    AssetJob.objects.filter(universe=time_spent_universe, asset_type=AssetType.CARD_IMAGE).update(
        run_after="2999-01-01T00:00:00Z"
    )
    pdf = AssetJob.objects.get(universe=time_spent_universe, key="pdf")
    from assets.runner import run_asset
    from jobqueue.context import JobContext

    lease = queue.claim_job(AssetJob, pdf.pk, owner="test", lease_seconds=30)
    run_asset(AssetJob.objects.get(pk=pdf.pk), JobContext(lease))

    pdf.refresh_from_db()
    assert pdf.asset_status == AssetStatus.READY
    assert pdf.metadata["images_embedded"] == 0
    assert len(pdf.metadata["images_missing"]) == 5


def test_the_assets_api_answers_with_an_etag_and_304(time_spent_universe, user, other_user):
    run_assets()
    api = token_client(user)
    path = f"/api/universes/{time_spent_universe.pk}/assets"

    first = api.get(path)
    assert first.status_code == 200
    body = first.json()
    assert body["overall"] == "ready"
    cover = body["assets"]["cover"]
    assert cover["status"] == "ready" and cover["url"].startswith("/assets/")
    assert set(cover) >= {"status", "progress", "url", "startedAt", "completedAt"}
    assert api.get(path, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
    assert token_client(other_user).get(path).status_code == 404
    # What staff see in the admin (image prompts, models, journal) stays there.
    text = json.dumps(body)
    assert "image_prompt" not in text and "Idempotency" not in text and "model" not in text


def test_asset_files_are_served_only_to_who_may_read_the_universe(
    client, time_spent_universe, user, other_user
):
    run_assets()
    cover = AssetJob.objects.get(universe=time_spent_universe, key="cover")
    url = asset_url(cover)

    assert client.get(url).status_code == 302  # to the login page
    client.force_login(other_user)
    assert client.get(url).status_code == 404
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert b"".join(response.streaming_content) == read(cover)


def asset_url(job: AssetJob) -> str:
    from assets.selectors import asset_file_url

    return asset_file_url(job)


def test_regenerate_replaces_files_without_a_broken_link(time_spent_universe, user):
    run_assets()
    cover = AssetJob.objects.get(universe=time_spent_universe, key="cover")
    old_path = cover.files["main"]["path"]
    # A different picture this time: the local generator varies with the run's seed.
    response = token_client(user).post(
        f"/api/universes/{time_spent_universe.pk}/assets/regenerate",
        {"assetTypes": ["cover", "card_image"], "cardIds": [time_spent_universe.cards.first().pk]},
        format="json",
    )
    assert response.status_code == 202
    assert sorted(response.json()["queued"]) == ["card_image:1", "cover"]

    cover.refresh_from_db()
    assert cover.asset_status == AssetStatus.QUEUED
    assert cover.files["main"]["path"] == old_path  # still linked while it is remade
    assert default_storage.exists(old_path)
    run_assets()

    cover.refresh_from_db()
    assert cover.asset_status == AssetStatus.READY
    assert statuses(cover)[-4:] == ["ready", "queued", "generating", "ready"]
    listing = default_storage.listdir(old_path.rsplit("/", 1)[0])[1]
    assert listing == [cover.files["main"]["path"].rsplit("/", 1)[1]]


def test_only_the_owner_may_regenerate(time_spent_universe, other_user, staff_user):
    path = f"/api/universes/{time_spent_universe.pk}/assets/regenerate"
    body = {"assetTypes": ["cover"]}
    assert token_client(other_user).post(path, body, format="json").status_code == 404
    response = token_client(staff_user).post(path, body, format="json")
    assert response.status_code == 403
    assert response.json()["code"] == "NOT_OWNER"


def test_regenerate_refuses_unknown_types_and_busy_assets(time_spent_universe, user):
    api = token_client(user)
    path = f"/api/universes/{time_spent_universe.pk}/assets/regenerate"
    response = api.post(path, {"assetTypes": ["hologram"]}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "VALIDATION_ERROR"

    AssetJob.objects.filter(universe=time_spent_universe, key="cover").update(
        status=QueueStatus.RUNNING
    )
    response = api.post(path, {"assetTypes": ["cover"]}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "ASSET_BUSY"


def test_portraits_are_idempotent_per_run_token_and_one_is_the_favourite(time_spent_universe, user):
    character = time_spent_universe.characters.get(key="elena")
    api = token_client(user)
    path = f"/api/universes/{time_spent_universe.pk}/characters/elena/portraits"
    first = api.post(path, {"style": "watercolor", "variants": 2, "runToken": "abc"}, format="json")
    again = api.post(path, {"style": "watercolor", "variants": 2, "runToken": "abc"}, format="json")
    assert first.status_code == again.status_code == 202
    assert first.json()["key"] == again.json()["key"] == "portrait:elena:watercolor:abc"
    assert AssetJob.objects.filter(character=character).count() == 1
    bad = api.post(path, {"style": "oil"}, format="json")
    assert bad.status_code == 400

    run_assets()
    job = AssetJob.objects.get(character=character)
    assert sorted(job.files) == ["variant-1", "variant-2"]
    chosen = api.post(
        f"/api/universes/{time_spent_universe.pk}/portraits/{job.pk}/favourite",
        {"variant": "variant-2"},
        format="json",
    )
    assert chosen.status_code == 200
    assert chosen.json()["favourite"] == "variant-2"
    second = portrait_request(character=character, style="flat", variants=1)
    run_assets()
    second.refresh_from_db()
    portrait_favourite_set(job=second, variant="variant-1")
    job.refresh_from_db()
    assert job.favourite_variant == ""  # one favourite per character


def test_regenerate_through_the_service_rejects_cards_of_another_universe(
    time_spent_universe,
):
    from core.errors import ApplicationError

    with pytest.raises(ApplicationError) as raised:
        asset_regenerate(universe=time_spent_universe, asset_types=["narration"], card_ids=[99999])
    assert raised.value.code == "UNKNOWN_CARD"


def test_a_replaced_story_remakes_the_cover_and_storybook(
    time_spent_universe, make_job, time_spent_script
):
    run_assets()
    cover = AssetJob.objects.get(universe=time_spent_universe, key="cover")
    made = len(cover.history)

    from tests.helpers import run_until_idle

    replacing = make_job(time_spent_script, on_duplicate="replace")
    run_until_idle()
    replacing.refresh_from_db()
    assert replacing.output_universe_id == time_spent_universe.pk

    cover.refresh_from_db()
    pdf = AssetJob.objects.get(universe=time_spent_universe, key="pdf")
    assert cover.asset_status == pdf.asset_status == AssetStatus.READY
    assert statuses(cover)[made:] == ["queued", "generating", "ready"]
    # The cards were recreated: each new card has its own image, made once.
    for card in time_spent_universe.cards.all():
        image = AssetJob.objects.get(card=card, asset_type=AssetType.CARD_IMAGE)
        assert image.asset_status == AssetStatus.READY
        assert statuses(image) == ["queued", "generating", "ready"]
