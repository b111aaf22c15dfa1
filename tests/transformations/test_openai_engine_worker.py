"""The OpenAI engine in real `run_worker` processes, configured by environment alone."""

from __future__ import annotations

import signal

import pytest

from jobqueue.models import QueueStatus
from tests.fake_openai import FakeOpenAI
from tests.helpers import reload, wait_for
from universes.models import Universe

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def model_env(fake: FakeOpenAI) -> dict[str, str]:
    return {
        "OPENAI_BASE_URL": fake.url,
        "OPENAI_API_KEY": "sk-test",
        "OPENAI_MODEL_CRAFT": "card-writer-1",
        "OPENAI_MAX_RETRIES": "1",
    }


def test_a_worker_killed_mid_card_resumes_without_asking_again(
    fake_openai, make_job, spawn_worker, time_spent_script
):
    fake_openai.delays["CardAnswer"] = 0.6
    job = make_job(time_spent_script, engine="openai")
    doomed = spawn_worker(**model_env(fake_openai))
    wait_for(
        lambda: len(fake_openai.calls("CardAnswer")) >= 3,
        timeout=60,
        message=doomed.log(),
    )
    doomed.signal(signal.SIGKILL)
    doomed.wait(timeout=10)
    asked_before = len(fake_openai.calls("CardAnswer"))

    rescuer = spawn_worker(**model_env(fake_openai))
    wait_for(lambda: reload(job).status == QueueStatus.COMPLETED, timeout=90, message=rescuer.log())

    row = reload(job)
    assert row.attempt == 2 and row.rescued_count == 1
    days = [r.payload["card"]["day_index"] for r in fake_openai.calls("CardAnswer")]
    cards = row.output_universe.cards.count()
    # Cards answered before the kill come from the journal; at most the card in flight
    # when the worker died is asked twice.
    assert sorted(set(days)) == list(range(1, cards + 1))
    assert len(days) <= cards + 1
    assert asked_before >= 3
    assert {r.body["model"] for r in fake_openai.calls("CardAnswer")} == {"card-writer-1"}
    assert {r.body["model"] for r in fake_openai.calls("DigestAnswer")} == {"gpt-4o-mini"}
    assert Universe.objects.count() == 1
