"""The OpenAI engine through the real openai client against a fake server on 127.0.0.1.

Every test runs real stages in the real worker unit of work; only the model
server is a stand-in (tests/fake_openai.py), answering scripted replies first.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from jobqueue.models import QueueStatus
from jobqueue.worker import Worker
from tests.fake_openai import DIGEST_MARKER, completion, error
from tests.helpers import reload
from transformations.models import ModelCall, ModelCallStatus, StageStatus, TransformationJob
from transformations.services import job_retry

pytestmark = pytest.mark.django_db(transaction=True)


def run_job(job: TransformationJob, *, rounds: int = 10) -> TransformationJob:
    """The worker's unit of work until the job ends, skipping retry backoff waits."""
    worker = Worker()
    for _ in range(rounds):
        worker.handle_one()
        row = reload(job)
        if row.status in (QueueStatus.COMPLETED, QueueStatus.FAILED):
            return row
        TransformationJob.objects.filter(pk=job.pk).update(
            run_after=datetime(2000, 1, 1, tzinfo=UTC)
        )
    raise AssertionError(f"job still {reload(job).status} after {rounds} rounds")


def test_full_transformation_completes_on_the_openai_engine(
    fake_openai, make_job, time_spent_script
):
    job = run_job(make_job(time_spent_script, engine="openai"))

    assert job.status == QueueStatus.COMPLETED, job.error_message_dev
    assert all(status == StageStatus.DONE for status in job.stage_statuses.values())
    universe = job.output_universe
    assert universe.theme == "Making time for the people we love"
    assert universe.genre == "romance"
    cards = list(universe.cards.order_by("day_index"))
    assert [card.title for card in cards] == [f"Day {n} moment" for n in range(1, len(cards) + 1)]
    assert cards[0].scene_text.startswith("Retold for day 1")
    names = set(universe.characters.values_list("name", flat=True))
    assert {"Elena", "Marcus"} <= names
    # One card per stage-5 call, each with the bible and the recap of the cards before it.
    card_requests = fake_openai.calls("CardAnswer")
    assert [r.payload["card"]["day_index"] for r in card_requests] == [c.day_index for c in cards]
    assert card_requests[0].payload["earlier_cards"] == []
    assert [c["day"] for c in card_requests[2].payload["earlier_cards"]] == [1, 2]
    assert "Elena" in json.dumps(card_requests[0].payload["bible"])
    assert job.model_calls.filter(status=ModelCallStatus.OK).count() == len(fake_openai.requests)


def test_every_call_carries_an_idempotency_key_from_job_stage_and_attempt(
    fake_openai, make_job, time_spent_script
):
    job = run_job(make_job(time_spent_script, engine="openai"))

    keys = [request.idempotency_key for request in fake_openai.requests]
    assert len(set(keys)) == len(keys)
    stages = {1: "DigestAnswer", 2: "IdentityAnswer", 5: "CardAnswer"}
    for stage, schema in stages.items():
        for request in fake_openai.calls(schema):
            assert request.idempotency_key.startswith(f"storyengine-{job.pk}-s{stage}-a1-")


def test_a_rate_limit_is_retried_after_retry_after_then_succeeds(
    fake_openai, make_job, time_spent_script
):
    fake_openai.push(
        error(429, "Rate limit reached", code="rate_limit_exceeded", headers={"Retry-After": "0.4"})
    )
    job = run_job(make_job(time_spent_script, engine="openai"))

    assert job.status == QueueStatus.COMPLETED
    assert job.attempt == 1  # retried inside the call, not by failing the stage
    limited, retried = fake_openai.requests[:2]
    assert retried.body == limited.body
    assert retried.idempotency_key == limited.idempotency_key
    assert retried.headers["x-stainless-retry-count"] == "1"
    assert retried.at - limited.at >= 0.4


def test_a_500_storm_fails_the_stage_kindly_and_a_later_retry_resumes(
    fake_openai, make_job, settings, time_spent_script
):
    settings.JOB_MAX_ATTEMPTS = 2
    # Each attempt makes 1 + OPENAI_MAX_RETRIES requests; two attempts, all failing.
    fake_openai.push(*[error(500, "The server had an error")] * 6)
    job = run_job(make_job(time_spent_script, engine="openai"))

    assert job.status == QueueStatus.FAILED
    assert job.error_code == "MODEL_UNAVAILABLE"
    assert "HTTP 500" in job.error_message_user
    assert "kept" in job.error_message_user
    assert job.stage_statuses["0"] == StageStatus.DONE
    assert job.stage_statuses["1"] == StageStatus.FAILED
    assert job.source_file and job.source_file.size > 0
    assert len(fake_openai.requests) == 6
    assert job.model_calls.filter(status=ModelCallStatus.ERROR).count() == 2

    job_retry(job=job)
    job = run_job(job)
    assert job.status == QueueStatus.COMPLETED
    assert job.output_universe is not None


def long_script(scenes: int) -> bytes:
    parts = [
        f"INT. ROOM {n} - DAY\n\nMARA paces by window {n}. The light changes slowly.\n\n"
        f"MARA\nScene {n}: I keep counting the minutes until you come back.\n\n"
        f"TOMAS\nScene {n}: Then stop counting and open the door.\n"
        for n in range(scenes)
    ]
    return ("Title: Long Wait\n\n" + "\n".join(parts)).encode()


def test_a_retried_stage_resumes_after_its_last_successful_call(fake_openai, make_job, settings):
    # A small context window splits the script into several digest calls.
    settings.OPENAI_CONTEXT_TOKENS = 3000
    settings.OPENAI_MAX_OUTPUT_TOKENS = 500
    settings.JOB_MAX_ATTEMPTS = 1
    settings.OPENAI_MAX_RETRIES = 0
    job = make_job(long_script(60), filename="long-wait.fountain", engine="openai")
    answer_normally = fake_openai._reply

    def fail_the_third_digest(request):
        if request.schema_name == "DigestAnswer" and len(fake_openai.calls("DigestAnswer")) == 2:
            with fake_openai._lock:
                fake_openai.requests.append(request)
            return error(503, "overloaded")
        return answer_normally(request)

    fake_openai._reply = fail_the_third_digest
    job = run_job(job)
    assert job.status == QueueStatus.FAILED
    assert job.error_code == "MODEL_UNAVAILABLE"
    asked_before = [r.payload["sections"] for r in fake_openai.calls("DigestAnswer")]
    assert len(asked_before) == 3

    fake_openai._reply = answer_normally
    job_retry(job=job)
    job = run_job(job)
    assert job.status == QueueStatus.COMPLETED
    asked = [r.payload["sections"] for r in fake_openai.calls("DigestAnswer")]
    # The retry starts with the digest that failed: the first two are not asked again.
    assert asked[3] == asked_before[2]
    assert asked.count(asked_before[0]) == 1
    assert asked.count(asked_before[1]) == 1
    assert len(asked) > 4


def test_an_answer_that_breaks_the_schema_is_retried_once_with_the_error(
    fake_openai, make_job, time_spent_script
):
    fake_openai.push(completion({"summary": 42}))  # wrong types, missing fields
    job = run_job(make_job(time_spent_script, engine="openai"))

    assert job.status == QueueStatus.COMPLETED
    second = fake_openai.requests[1]
    assert len(second.body["messages"]) == 3
    correction = second.body["messages"][2]["content"]
    assert "could not be used" in correction and "sections" in correction
    invalid = ModelCall.objects.get(job=job, status=ModelCallStatus.INVALID)
    assert invalid.response_text == '{"summary": 42}'


def test_an_answer_that_breaks_the_schema_twice_fails_the_stage(
    fake_openai, make_job, time_spent_script
):
    fake_openai.push(completion("not json at all"), completion('{"summary": "cut off'))
    job = run_job(make_job(time_spent_script, engine="openai"))

    assert job.status == QueueStatus.FAILED
    assert job.error_code == "MODEL_INVALID_ANSWER"
    assert job.attempt == 1  # not retried: the same model would answer the same way
    assert "did not match the expected structure" in job.error_message_user
    assert len(fake_openai.requests) == 2


def test_a_wrong_set_of_cards_is_reported_back_to_the_model(
    fake_openai, make_job, time_spent_script
):
    original_reply = fake_openai._reply
    sent_wrong = []

    def wrong_titles_once(request):
        if request.schema_name == "MomentTitlesAnswer" and not sent_wrong:
            sent_wrong.append(request)
            with fake_openai._lock:
                fake_openai.requests.append(request)
            return completion({"cards": [{"day_index": 99, "title": "Nope"}]})
        return original_reply(request)

    fake_openai._reply = wrong_titles_once
    job = run_job(make_job(time_spent_script, engine="openai"))

    assert job.status == QueueStatus.COMPLETED
    retry = fake_openai.calls("MomentTitlesAnswer")[1]
    assert "exactly these day_index values" in retry.body["messages"][2]["content"]


def test_a_401_fails_at_once(fake_openai, make_job, time_spent_script):
    fake_openai.push(error(401, "Incorrect API key provided", code="invalid_api_key"))
    job = run_job(make_job(time_spent_script, engine="openai"))

    assert job.status == QueueStatus.FAILED
    assert job.error_code == "MODEL_AUTH_FAILED"
    assert job.attempt == 1
    assert len(fake_openai.requests) == 1
    assert "OPENAI_API_KEY" in job.error_message_user
    assert "sk-test" not in job.error_message_user


def test_a_refusal_is_reported_as_such(fake_openai, make_job, time_spent_script):
    fake_openai.push(completion(None, refusal="I can't help with that request."))
    job = run_job(make_job(time_spent_script, engine="openai"))

    assert job.status == QueueStatus.FAILED
    assert job.error_code == "MODEL_REFUSED"
    assert job.attempt == 1
    assert "The model refused this content" in job.error_message_user
    assert "I can't help with that request." in job.error_message_user
    assert "local engine" in job.error_message_user
    refused = ModelCall.objects.get(job=job)
    assert refused.status == ModelCallStatus.REFUSED


@pytest.mark.parametrize(
    "reply",
    [
        error(
            400, "Your request was rejected by the safety system", code="content_policy_violation"
        ),
        completion(None, finish_reason="content_filter"),
    ],
    ids=["request-blocked", "answer-filtered"],
)
def test_a_content_filter_block_fails_at_once(fake_openai, make_job, time_spent_script, reply):
    fake_openai.push(reply)
    job = run_job(make_job(time_spent_script, engine="openai"))

    assert job.status == QueueStatus.FAILED
    assert job.error_code == "MODEL_CONTENT_BLOCKED"
    assert len(fake_openai.requests) == 1


def test_an_exhausted_quota_is_not_retried_by_the_job(
    fake_openai, make_job, settings, time_spent_script
):
    settings.OPENAI_MAX_RETRIES = 0
    fake_openai.push(error(429, "You exceeded your current quota", code="insufficient_quota"))
    job = run_job(make_job(time_spent_script, engine="openai"))

    assert job.status == QueueStatus.FAILED
    assert job.error_code == "MODEL_QUOTA_EXCEEDED"
    assert job.attempt == 1


def test_prompts_and_raw_model_text_never_reach_artifacts_or_the_api(
    fake_openai, make_job, api, client, user, time_spent_script
):
    job = run_job(make_job(time_spent_script, engine="openai"))
    assert job.status == QueueStatus.COMPLETED

    # The markers do exist in what staff keep: a test that cannot find them proves nothing.
    stored = json.dumps(list(ModelCall.objects.filter(job=job).values("messages", "response_text")))
    system_prompt = fake_openai.requests[0].body["messages"][0]["content"]
    assert DIGEST_MARKER in stored and system_prompt[:60] in stored

    universe = job.output_universe
    bodies = [json.dumps(job.artifacts)]
    for path in (
        f"/api/transformations/{job.pk}",
        "/api/transformations",
        f"/api/universes/{universe.pk}",
        f"/api/universes/{universe.pk}/cards",
    ):
        response = api.get(path)
        assert response.status_code == 200, path
        bodies.append(response.content.decode())
    client.force_login(user)
    for path in (f"/transformations/{job.pk}", universe.get_absolute_url()):
        response = client.get(path)
        assert response.status_code == 200, path
        bodies.append(response.content.decode())
    for body in bodies:
        assert DIGEST_MARKER not in body
        assert "Story Engine's story analyst" not in body
        assert "prompt_tokens" not in body and "idempotency" not in body.lower()


def test_a_long_document_is_split_so_no_request_exceeds_the_budget(fake_openai, make_job, settings):
    settings.OPENAI_CONTEXT_TOKENS = 3000
    settings.OPENAI_MAX_OUTPUT_TOKENS = 500
    budget_bytes = (3000 - 500) * 3  # the engine counts three bytes a token
    script = long_script(60)
    assert len(script) > budget_bytes

    job = run_job(make_job(script, filename="long-wait.fountain", engine="openai"))

    assert job.status == QueueStatus.COMPLETED, job.error_message_dev
    digests = fake_openai.calls("DigestAnswer")
    assert len(digests) >= 4
    assert all(request.input_bytes <= budget_bytes for request in fake_openai.requests)
    # Map over every section: each scene reached the model exactly once.
    covered = [s for request in digests for s in request.payload["sections"]]
    document_sections = job.stage_outputs["0"]["sections"]
    assert sorted(set(covered)) == [s["index"] for s in document_sections]
    for n in range(60):
        assert sum(f"Scene {n}: I keep" in r.payload["text"] for r in digests) == 1
    assert fake_openai.calls("CardAnswer")


def test_the_api_refuses_the_openai_engine_when_it_is_not_configured(api, settings):
    settings.OPENAI_API_KEY = ""
    settings.OPENAI_BASE_URL = ""
    response = api.post(
        "/api/transformations",
        {"text": "INT. ROOM - DAY\n\nA line.", "engine": "openai"},
        format="json",
    )
    assert response.status_code == 400
    assert "engine" in json.dumps(response.json())


def test_an_unconfigured_default_engine_falls_back_to_local(api, settings):
    settings.STORY_ENGINE = "openai"
    settings.OPENAI_API_KEY = ""
    settings.OPENAI_BASE_URL = ""
    response = api.post(
        "/api/transformations", {"text": "INT. ROOM - DAY\n\nA line."}, format="json"
    )
    assert response.status_code == 201
    job = TransformationJob.objects.get(pk=response.json()["jobId"])
    assert job.config["engine"] == "local"


def test_a_base_url_alone_makes_the_engine_available(fake_openai, api, settings):
    settings.OPENAI_API_KEY = ""
    response = api.post(
        "/api/transformations",
        {"text": "INT. ROOM - DAY\n\nA line.", "engine": "openai"},
        format="json",
    )
    assert response.status_code == 201
    assert fake_openai.requests == []  # nothing is sent until a worker runs the job
    job = run_job(TransformationJob.objects.get(pk=response.json()["jobId"]))
    assert job.status == QueueStatus.COMPLETED
    assert fake_openai.requests[0].headers["authorization"] == "Bearer not-needed"


def test_the_system_check_warns_when_openai_has_no_key(settings, capsys):
    settings.STORY_ENGINE = "openai"
    settings.OPENAI_API_KEY = ""
    call_command("check", "--tag", "models", fail_level="ERROR")
    call_command("check")
    assert "transformations.W002" in capsys.readouterr().err
    with pytest.raises(SystemCheckError):
        call_command("check", fail_level="WARNING")
