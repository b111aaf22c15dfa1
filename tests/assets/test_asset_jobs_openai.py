"""Asset jobs on the OpenAI engine, against the fake OpenAI-compatible server on 127.0.0.1."""

from __future__ import annotations

import io
import wave

import pytest
from django.core.files.storage import default_storage
from PIL import Image

from assets.models import AssetJob, AssetStatus
from tests.assets.support import run_assets
from tests.fake_openai import FAKE_IMAGE_SIZE, FAKE_SPEECH_SECONDS
from transformations.models import ModelCall

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def fake_openai(fake_openai, settings):
    settings.OPENAI_MAX_RETRIES = 1
    settings.ASSET_ENGINE = "openai"
    return fake_openai


def read(job: AssetJob, role: str = "main") -> bytes:
    with default_storage.open(job.files[role]["path"], "rb") as handle:
        return handle.read()


def test_images_and_speech_are_asked_with_the_right_prompts_and_stored(
    fake_openai, time_spent_universe
):
    universe = time_spent_universe
    cards = {card.day_index: card for card in universe.cards.all()}
    run_assets()

    generations = [r for r in fake_openai.requests if r.path == "/v1/images/generations"]
    edits = [r for r in fake_openai.requests if r.path == "/v1/images/edits"]
    speech = [r for r in fake_openai.requests if r.path == "/v1/audio/speech"]
    # The cover is drawn first; every card image then refers to it.
    assert len(generations) == 1 and universe.title in generations[0].body["prompt"]
    assert generations[0].body["model"] == "gpt-image-1"
    assert len(edits) == len(cards)
    edit_prompts = sorted(request.form_field("prompt") for request in edits)
    expected = sorted(card.image_generation["prompt"] for card in cards.values())
    assert all(
        any(card_prompt[:60] in prompt and "cover" in prompt for prompt in edit_prompts)
        for card_prompt in expected
    )
    assert len(speech) == len(cards)
    assert all(r.body["model"] == "gpt-4o-mini-tts" for r in speech)
    assert any(cards[1].title in r.body["input"] for r in speech)

    for job in AssetJob.objects.filter(universe=universe):
        assert job.asset_status == AssetStatus.READY, (job.key, job.error_message_dev)
        assert job.engine == "openai"
    cover = AssetJob.objects.get(universe=universe, key="cover")
    assert Image.open(io.BytesIO(read(cover))).size == FAKE_IMAGE_SIZE
    assert len(cover.metadata["palette"]) == 3
    narration = AssetJob.objects.get(universe=universe, key="narration:1")
    with wave.open(io.BytesIO(read(narration))) as audio:
        assert audio.getnframes() / audio.getframerate() == pytest.approx(FAKE_SPEECH_SECONDS)
    assert read(narration, "captions").startswith(b"WEBVTT")
    activities = AssetJob.objects.get(universe=universe, key="activities:1")
    assert activities.data["creative_prompt"] == "Draw the moment."
    # Media calls are journaled for staff with their prompts, never their bytes.
    calls = ModelCall.objects.filter(subject=f"asset:{cover.pk}")
    assert calls.count() == 1
    assert universe.title in calls.get().messages[0]["content"]
    assert "bytes, sha256" in calls.get().response_text
