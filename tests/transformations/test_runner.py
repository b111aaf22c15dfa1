"""The pipeline end to end through the worker's unit of work, on the real database."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from jobqueue.models import QueueStatus
from jobqueue.worker import Worker
from tests.helpers import reload, run_until_idle
from transformations.models import TransformationJob
from universes.models import Card, Universe
from universes.selectors import card_list_visible

pytestmark = pytest.mark.django_db

# Keys that must never reach an artifact, whatever their nesting.
PRIVATE_KEYS = {
    "secret_info",
    "secretInfo",
    "chat_persona",
    "chatPersona",
    "prompt",
    "prompts",
    "image_prompt",
    "system_prompt",
    "reasoning",
    "moderation",
    "sample_lines",
}


def walk_keys(value):
    if isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from walk_keys(item)
    elif isinstance(value, list):
        for item in value:
            yield from walk_keys(item)


def test_api_job_runs_stages_in_order_and_creates_a_universe(api, user, time_spent_script):
    job_id = api.post(
        "/api/transformations", {"text": time_spent_script.decode()}, format="json"
    ).json()["jobId"]

    assert Worker().handle_one() is True

    job = TransformationJob.objects.get(pk=job_id)
    timings = [job.stage_timings[str(i)] for i in range(6)]
    # Each stage started after the previous one finished, all in the one attempt.
    for earlier, later in itertools.pairwise(timings):
        assert earlier["finishedAt"] <= later["startedAt"]
    assert {t["attempt"] for t in timings} == {1}
    assert job.stage_statuses == {str(i): "done" for i in range(6)}
    job = reload(job)
    body = api.get(f"/api/transformations/{job_id}").json()
    assert body["status"] == "completed"
    assert body["progress"] == 100
    assert body["sourceType"] == "script"
    universe = Universe.objects.get(pk=body["outputUniverseId"])
    assert universe.owner == user
    assert {"elena", "marcus"} <= set(universe.characters.values_list("key", flat=True))
    assert universe.locations.filter(name__icontains="coffee shop").exists()
    assert universe.cards.count() == 5

    cards = api.get(f"/api/universes/{universe.pk}/cards").json()["results"]
    visible_days = [card["dayIndex"] for card in cards]
    assert 1 in visible_days
    assert 4 not in visible_days


def test_artifacts_have_the_seed_shape_and_no_private_keys(make_job, time_spent_script):
    job = make_job(time_spent_script)

    run_until_idle()

    artifacts = reload(job).artifacts
    assert set(artifacts["0"]) == {"detectedType", "parseConfidence", "outlineSections"}
    assert set(artifacts["1"]) == {"structureSummary", "voiceNotes"}
    assert set(artifacts["2"]) == {"theme", "toneTags", "genre"}
    assert set(artifacts["3"]) == {"characters", "locations"}
    assert all(set(c) == {"id", "name"} for c in artifacts["3"]["characters"])
    assert set(artifacts["4"]) == {"cardsPlanned", "hookPack", "releaseMode"}
    assert set(artifacts["5"]) == {
        "cardsDrafted",
        "imagePromptsReady",
        "chatPromptsReady",
        "discussionReady",
    }
    assert PRIVATE_KEYS.isdisjoint(set(walk_keys(artifacts)))
    # The private outputs do hold such data, so the allowlist is what keeps it out.
    assert "secret_info" in set(walk_keys(reload(job).stage_outputs))


def test_public_api_never_shows_private_character_fields(api, make_job, time_spent_script):
    job = make_job(time_spent_script)
    run_until_idle()
    universe_id = reload(job).output_universe_id

    payloads = [
        api.get(f"/api/transformations/{job.pk}").json(),
        api.get(f"/api/universes/{universe_id}").json(),
        api.get(f"/api/universes/{universe_id}/cards?include=scheduled").json(),
        api.get("/api/transformations").json(),
    ]

    leaked = PRIVATE_KEYS & set(walk_keys(payloads))
    assert not leaked
    secret = reload(job).output_universe.characters.exclude(secret_info="").first().secret_info
    assert secret not in json.dumps(payloads)


def test_failure_in_stage_2_then_retry_resumes_at_stage_2(
    api, make_job, settings, time_spent_script
):
    job = make_job(time_spent_script)
    settings.STORY_ENGINE_FAULTS = ["2:fail"]

    run_until_idle()

    failed = reload(job)
    assert failed.status == QueueStatus.FAILED
    assert failed.current_stage == 2
    assert failed.stage_statuses == {
        "0": "done",
        "1": "done",
        "2": "failed",
        "3": "pending",
        "4": "pending",
        "5": "pending",
    }
    body = api.get(f"/api/transformations/{job.pk}").json()
    assert body["errorCode"] == "INJECTED_FAULT"
    assert "Retry" in body["errorMessageUser"]
    assert "errorMessageDev" not in body
    assert "STORY_ENGINE_FAULTS" in failed.error_message_dev
    first_run = {i: failed.stage_timings[str(i)] for i in range(2)}

    settings.STORY_ENGINE_FAULTS = []
    assert api.post(f"/api/transformations/{job.pk}/retry").status_code == 202
    run_until_idle()

    done = reload(job)
    assert done.status == QueueStatus.COMPLETED
    # Stages 0 and 1 were not run again: their timings are those of the first attempt.
    assert {i: done.stage_timings[str(i)] for i in range(2)} == first_run
    assert done.stage_timings["2"]["attempt"] == 2
    assert Universe.objects.count() == 1


def test_transient_failures_retry_with_backoff_then_give_up(make_job, settings, time_spent_script):
    job = make_job(time_spent_script)
    settings.STORY_ENGINE_FAULTS = ["1:transient"]
    worker = Worker()

    for _ in range(3):
        worker.handle_one()
        TransformationJob.objects.filter(pk=job.pk).update(
            run_after=datetime(2000, 1, 1, tzinfo=UTC)
        )

    row = reload(job)
    assert row.status == QueueStatus.FAILED
    assert row.attempt == 3
    assert row.error_code == "TEMPORARY_FAILURE"


def test_a_retryable_failure_is_scheduled_in_the_future(make_job, settings, time_spent_script):
    job = make_job(time_spent_script)
    settings.STORY_ENGINE_FAULTS = ["1:transient"]
    settings.JOB_RETRY_BASE_DELAY = 30
    settings.JOB_RETRY_MAX_DELAY = 600

    Worker().handle_one()

    row = reload(job)
    assert row.status == QueueStatus.QUEUED
    assert row.run_after > row.updated_at + timedelta(seconds=10)
    assert row.status_line.startswith("Retrying in")


def test_cancel_requested_while_running_stops_between_stages(make_job, time_spent_script):
    job = make_job(time_spent_script)
    TransformationJob.objects.filter(pk=job.pk).update(cancel_requested=True)

    run_until_idle()

    row = reload(job)
    assert row.status == QueueStatus.CANCELLED
    assert not Universe.objects.exists()


def test_time_spent_pack_publishes_by_release_mode_at_a_frozen_now(make_job, user, time_spent_pack):
    start = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
    job = make_job(
        time_spent_pack, filename="time-spent.storypack.json", start_date=start, hook_pack_count=3
    )
    run_until_idle()
    universe = reload(job).output_universe

    publish = list(universe.cards.order_by("day_index").values_list("publish_at", flat=True))
    assert publish == [start, start, start, start + timedelta(days=1), start + timedelta(days=2)]
    with time_machine.travel(start + timedelta(hours=1), tick=False):
        visible = card_list_visible(universe=universe, user=user)
        assert [c.day_index for c in visible] == [1, 2, 3]
    with time_machine.travel(start + timedelta(days=1, hours=1), tick=False):
        assert card_list_visible(universe=universe, user=user).count() == 4
    with time_machine.travel(start + timedelta(days=1, hours=1), tick=False):
        scheduled = card_list_visible(universe=universe, user=user, include_scheduled=True)
        assert scheduled.count() == 5


@pytest.mark.parametrize(("mode", "visible_on_day_0"), [("hybrid", 3), ("daily", 1), ("binge", 5)])
def test_release_modes_decide_what_readers_see_first(
    make_job, user, time_spent_pack, mode, visible_on_day_0
):
    start = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
    job = make_job(time_spent_pack, release_mode=mode, start_date=start)
    run_until_idle()
    universe = reload(job).output_universe

    with time_machine.travel(start + timedelta(minutes=1), tick=False):
        assert card_list_visible(universe=universe, user=user).count() == visible_on_day_0


def test_pack_keeps_its_card_boundaries_and_text(make_job, time_spent_pack):
    pack = json.loads(time_spent_pack)
    job = make_job(time_spent_pack, filename="time-spent.storypack.json")

    run_until_idle()

    universe = reload(job).output_universe
    cards = list(universe.cards.order_by("day_index"))
    assert [c.title for c in cards] == [c["title"] for c in pack["cards"]]
    assert pack["cards"][0]["sceneText"][:80] in cards[0].scene_text


def test_importing_the_same_source_again_returns_the_existing_universe(make_job, time_spent_pack):
    first = make_job(time_spent_pack)
    run_until_idle()
    second = make_job(time_spent_pack)
    run_until_idle()

    assert reload(second).status == QueueStatus.COMPLETED
    assert reload(second).output_universe_id == reload(first).output_universe_id
    assert Universe.objects.count() == 1


def test_a_copy_is_made_only_when_asked_and_gets_its_own_slug(make_job, time_spent_pack):
    make_job(time_spent_pack)
    run_until_idle()
    copy_job = make_job(time_spent_pack, on_duplicate="copy")
    run_until_idle()

    slugs = sorted(Universe.objects.values_list("slug", flat=True))
    assert len(slugs) == 2
    assert slugs[1] == f"{slugs[0]}-2"
    assert reload(copy_job).output_universe.is_copy


def test_replace_rewrites_the_existing_universe_in_place(make_job, time_spent_pack):
    first = make_job(time_spent_pack)
    run_until_idle()
    original = reload(first).output_universe
    Card.objects.filter(universe=original, day_index=1).update(title="Edited by hand")

    replace_job = make_job(time_spent_pack, on_duplicate="replace")
    run_until_idle()

    assert reload(replace_job).output_universe_id == original.pk
    assert Universe.objects.count() == 1
    assert original.cards.get(day_index=1).title != "Edited by hand"


def test_finalisation_is_idempotent_when_the_universe_already_exists(make_job, time_spent_pack):
    job = make_job(time_spent_pack)
    run_until_idle()
    universe_id = reload(job).output_universe_id
    # A crash after finalisation committed but before the worker noticed: run it again.
    TransformationJob.objects.filter(pk=job.pk).update(status=QueueStatus.QUEUED, current_stage=6)

    run_until_idle()

    assert reload(job).output_universe_id == universe_id
    assert Universe.objects.count() == 1


def test_an_unreadable_upload_fails_at_stage_0_with_its_own_code(make_job):
    job = make_job(b"\x00\x01\x02\xff\xfe binary \x00\x00 junk" * 20, filename="blob.bin")

    run_until_idle()

    row = reload(job)
    assert row.status == QueueStatus.FAILED
    assert row.current_stage == 0
    assert row.error_code == "UNKNOWN_FORMAT"
    assert row.error_message_user
    assert row.attempt == 1  # permanent: not retried


def test_worker_returns_false_when_idle(db):
    assert Worker().handle_one() is False


def test_reading_a_file_past_its_parse_time_fails_for_good(make_job, settings, time_spent_script):
    job = make_job(time_spent_script)
    settings.INGEST_PARSE_SECONDS = 0.2
    settings.STORY_ENGINE_FAULTS = ["0:sleep=3"]

    Worker().handle_one()

    row = reload(job)
    assert (row.status, row.error_code, row.attempt) == (QueueStatus.FAILED, "PARSE_TIMEOUT", 1)
    assert row.stage_statuses["0"] == "failed"


def test_a_later_stage_past_its_deadline_is_retried(make_job, settings, time_spent_script):
    job = make_job(time_spent_script)
    # Well above what stages 0–2 take even on a cold, loaded machine (0.2 s once timed out
    # stage 2 in CI), well below stage 3's injected sleep.
    settings.WORKER_STAGE_DEADLINE = 2.5
    settings.STORY_ENGINE_FAULTS = ["3:sleep=8"]

    Worker().handle_one()

    row = reload(job)
    assert (row.status, row.error_code, row.current_stage) == (
        QueueStatus.QUEUED,
        "STAGE_TIMEOUT",
        3,
    )
