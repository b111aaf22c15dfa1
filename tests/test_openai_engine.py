"""The OpenAI engine through the real openai client against a fake server on 127.0.0.1."""

from __future__ import annotations

import pytest

from jobqueue.models import QueueStatus
from tests.fake_openai import FakeOpenAI
from tests.helpers import reload, run_until_idle
from transformations.models import ModelCallStatus

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def fake_openai(settings):
    fake = FakeOpenAI().start()
    settings.OPENAI_BASE_URL = fake.url
    settings.OPENAI_API_KEY = "sk-test"
    settings.OPENAI_MODEL = "gpt-4o-mini"
    settings.OPENAI_MAX_RETRIES = 2
    settings.OPENAI_TIMEOUT = 10
    yield fake
    fake.stop()


def test_full_transformation_completes_on_the_openai_engine(
    fake_openai, make_job, time_spent_script
):
    job = make_job(time_spent_script, engine="openai")
    run_until_idle()
    job = reload(job)
    assert job.status == QueueStatus.COMPLETED, job.error_message_dev
    universe = job.output_universe
    assert universe.theme == "Making time for the people we love"
    cards = list(universe.cards.order_by("day_index"))
    assert [c.title for c in cards][:2] == ["Day 1 moment", "Day 2 moment"]
    assert cards[0].scene_text.startswith("Retold for day 1")
    names = sorted(universe.characters.values_list("name", flat=True))
    assert "Elena" in names and "Marcus" in names
    assert job.model_calls.filter(status=ModelCallStatus.OK).count() == len(fake_openai.requests)
