"""Covers and card images: the local painter, and the OpenAI image model through a fake server."""

from __future__ import annotations

import base64
import io
import re
import time

import pytest
from PIL import Image, ImageChops, ImageStat

from assets.generators.base import AssetRequest, CardContext, StoryContext
from assets.generators.images import TITLE_BAND, local_image, openai_image
from assets.generators.palette import PALETTES, dominant_colours, story_palette
from jobqueue.errors import JobError
from tests.fake_openai import FAKE_IMAGE_SIZE, Reply, error, fake_png
from transformations.engines.journal import CallStatus, EngineSession
from transformations.pipeline.errors import StageFailed

HEX = re.compile(r"^#[0-9a-f]{6}$")
STORY = StoryContext(
    title="Time Spent",
    logline="A barista keeps her clock fast until a watch repairer offers to fix it.",
    theme="Making time for the people we love",
    tone_tags=("Tender", "wry"),
    genre="Romance",
)
PROMPT = (
    "Interior of the coffee shop, soft daylight. Elena and Marcus at the counter. "
    "Mood: tender. Style: storybook watercolour. No text, captions or lettering in the image."
)


def card(**changes) -> CardContext:
    fields = {
        "day_index": 3,
        "title": "The clock runs fast",
        "location_name": "Coffee Shop",
        "int_ext": "INT",
        "time_of_day": "DAY",
        "characters": ("Elena", "Marcus"),
        "image_prompt": PROMPT,
        "image_parts": {"mood": "tender"},
    } | changes
    return CardContext(**fields)


def card_request(the_card: CardContext | None = None, **changes) -> AssetRequest:
    the_card = the_card or card()
    fields = {
        "asset_type": "card_image",
        "key": f"card_image:{the_card.day_index}",
        "story": STORY,
        "card": the_card,
        "seed": "universe-1",
    } | changes
    return AssetRequest(**fields)


def cover_request(**changes) -> AssetRequest:
    fields = {"asset_type": "cover", "key": "cover", "story": STORY, "seed": "universe-1"}
    return AssetRequest(**(fields | changes))


def painted(request: AssetRequest) -> bytes:
    return local_image(request, EngineSession.detached()).files["main"].content


def opened(content: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(content))
    assert image.format == "PNG"
    return image.convert("RGB")


def brightness(content: bytes) -> float:
    return ImageStat.Stat(opened(content).convert("L")).mean[0]


def difference(first: bytes, second: bytes) -> float:
    """Mean absolute difference per channel, 0..255."""
    return sum(ImageStat.Stat(ImageChops.difference(opened(first), opened(second))).mean) / 3


# Palettes.


def test_a_storys_palette_follows_its_first_known_tone_and_borrows_the_seconds_accent():
    palette = story_palette(("Tender", "wry"), "Romance")

    assert palette[:4] == PALETTES["warm"][:4]
    assert palette[4] == PALETTES["wry"][3]
    assert all(HEX.match(colour) for colour in palette)


def test_without_a_known_tone_the_genre_and_then_understatement_choose():
    assert story_palette(("bewildering",), "Mystery") == PALETTES["mysterious"]
    assert story_palette((), "") == PALETTES["understated"]


def test_dominant_colours_are_hex_and_most_common_first_with_ties_by_hex():
    image = Image.new("RGB", (100, 100), (200, 60, 40))
    image.paste((30, 70, 160), (0, 0, 100, 30))
    image.paste((20, 160, 60), (0, 0, 100, 10))
    out = io.BytesIO()
    image.save(out, "PNG")

    assert dominant_colours(out.getvalue()) == ["#c83c28", "#1e46a0", "#14a03c"]
    assert dominant_colours(out.getvalue(), count=1) == ["#944842"]  # one colour: the mean
    halves = Image.new("RGB", (10, 10), (200, 60, 40))
    halves.paste((30, 70, 160), (0, 0, 10, 5))
    out = io.BytesIO()
    halves.save(out, "PNG")
    assert dominant_colours(out.getvalue()) == ["#1e46a0", "#c83c28"]  # fewer, never made up


# The local painter.


def test_a_card_image_is_a_landscape_png_with_its_palette_and_no_model():
    asset = local_image(card_request(), EngineSession.detached())

    content = asset.files["main"].content
    image = opened(content)
    assert image.size == (1536, 1024)
    assert asset.files["main"].extension == "png"
    assert asset.files["main"].content_type == "image/png"
    assert (asset.metadata["width"], asset.metadata["height"]) == (1536, 1024)
    assert asset.metadata["engine"] == "local"
    assert len(asset.metadata["palette"]) == 3
    assert all(HEX.match(colour) for colour in asset.metadata["palette"])
    assert asset.metadata["palette"] == dominant_colours(content)


@pytest.mark.parametrize(
    "the_card",
    [
        card(),
        card(int_ext="EXT", location_name="The Hill", time_of_day="DUSK"),
        card(int_ext="EXT", location_name="Harbour Street", time_of_day="NIGHT"),
        card(int_ext="EXT", location_name="The Beach", time_of_day="DAWN", characters=()),
    ],
    ids=["room", "country-dusk", "town-night", "beach-empty"],
)
def test_a_card_image_is_a_picture_not_a_flat_fill(the_card):
    image = opened(painted(card_request(the_card)))

    assert image.getcolors(maxcolors=2000) is None  # more than 2000 colours
    assert min(ImageStat.Stat(image).stddev) > 15


def test_the_same_seed_paints_the_same_picture_and_another_card_another():
    first = painted(card_request())

    assert painted(card_request()) == first
    other = card(day_index=4, title="Rain on the window", characters=("Marcus",))
    assert difference(painted(card_request(other)), first) > 8


def test_inside_and_outside_are_different_sets():
    inside = painted(card_request(card(int_ext="INT")))
    outside = painted(card_request(card(int_ext="EXT", location_name="The Hill")))

    assert difference(inside, outside) > 20


@pytest.mark.parametrize("int_ext", ["INT", "EXT"])
def test_night_is_darker_than_day(int_ext):
    day = painted(card_request(card(int_ext=int_ext, time_of_day="DAY")))
    night = painted(card_request(card(int_ext=int_ext, time_of_day="NIGHT")))

    assert brightness(night) < brightness(day) - 40


def test_without_int_or_ext_the_place_name_decides():
    unmarked = painted(card_request(card(int_ext="", location_name="The Kitchen")))

    assert unmarked == painted(card_request(card(int_ext="INT", location_name="The Kitchen")))


def test_one_silhouette_per_character_up_to_four():
    nobody = painted(card_request(card(characters=())))
    two = painted(card_request(card(characters=("Elena", "Marcus"))))
    four = ("Elena", "Marcus", "Ada", "Tom")

    assert difference(nobody, two) > 3
    crowd = painted(card_request(card(characters=(*four, "Jo", "Sam"))))
    assert crowd == painted(card_request(card(characters=four)))


def test_the_storys_own_palette_is_used_when_it_has_one():
    chosen = StoryContext(title="Time Spent", palette=PALETTES["playful"])
    by_genre = StoryContext(title="Time Spent", genre="Comedy")  # comedy's palette: playful
    plain = card(image_parts={})

    assert painted(card_request(plain, story=chosen)) == painted(
        card_request(plain, story=by_genre)
    )
    dark = StoryContext(title="Time Spent", palette=PALETTES["dark"])
    assert (
        difference(
            painted(card_request(plain, story=dark)), painted(card_request(plain, story=chosen))
        )
        > 20
    )


def test_the_mood_changes_the_light():
    plain = card(image_parts={})
    rainy = painted(card_request(plain, story=StoryContext(title="T", tone_tags=("melancholy",))))
    sunny = painted(card_request(plain, story=StoryContext(title="T", tone_tags=("joyful",))))

    assert difference(rainy, sunny) > 10


def test_painting_is_quick_and_reports_progress():
    reports = []
    session = EngineSession(job_key="k", stage=0, progress=lambda *done: reports.append(done))

    started = time.monotonic()
    local_image(card_request(card(characters=("Elena", "Marcus", "Ada", "Tom"))), session)

    assert time.monotonic() - started < 2.0  # about 0.3 s; per-pixel Python would take far longer
    assert reports == [(1, 1, "painted card_image:3")]


def test_the_cover_is_portrait_with_the_title_in_a_band_and_nothing_else_depends_on_it():
    cover = local_image(cover_request(), EngineSession.detached())
    retitled = painted(
        cover_request(
            story=StoryContext(
                title="Another Title Entirely", tone_tags=STORY.tone_tags, genre="Romance"
            )
        )
    )

    image = opened(cover.files["main"].content)
    assert image.size == (1200, 1600)
    assert (cover.metadata["width"], cover.metadata["height"]) == (1200, 1600)
    top, bottom = (round(1600 * share) for share in TITLE_BAND)
    changed = ImageChops.difference(image, opened(retitled)).getbbox()
    assert changed is not None
    assert top <= changed[1] and changed[3] <= bottom
    band = ImageStat.Stat(image.crop((0, top + 30, 60, bottom - 30)).convert("L"))
    sky = ImageStat.Stat(image.crop((0, 0, 1200, top)).convert("L"))
    assert band.mean[0] < sky.mean[0] - 40  # a dark band under a light title
    assert band.stddev[0] < 12


def test_a_long_title_stays_inside_its_band():
    long_title = " ".join(["Unbelievably"] * 30)
    short = opened(painted(cover_request()))
    long = opened(
        painted(cover_request(story=StoryContext(title=long_title, tone_tags=STORY.tone_tags)))
    )

    top, bottom = (round(1600 * share) for share in TITLE_BAND)
    changed = ImageChops.difference(short, long).getbbox()
    assert top <= changed[1] and changed[3] <= bottom


def test_the_cover_is_the_same_for_the_same_seed():
    assert painted(cover_request()) == painted(cover_request())
    assert painted(cover_request(seed="universe-2")) != painted(cover_request())


# The OpenAI image model, through the fake server.


@pytest.fixture
def fake_openai(fake_openai, settings):
    settings.OPENAI_MAX_RETRIES = 0
    return fake_openai


def cover_png() -> bytes:
    return painted(cover_request())


def assert_is_the_fake_picture(content: bytes) -> None:
    stored = opened(content)
    assert stored.size == FAKE_IMAGE_SIZE
    assert ImageChops.difference(stored, opened(fake_png())).getbbox() is None


def test_a_card_image_is_drawn_from_the_cover_when_there_is_one(fake_openai):
    cover = cover_png()
    session = EngineSession.detached()

    asset = openai_image(card_request(images={"cover": cover}), session)

    [request] = fake_openai.requests
    assert request.path == "/v1/images/edits"
    assert PROMPT in request.form_field("prompt")
    assert "cover" in request.form_field("prompt")
    assert request.form_field("model") == "gpt-image-1"
    assert request.form_field("size") == "1536x1024"
    assert cover in request.raw
    assert request.idempotency_key.startswith(f"storyengine-{session.job_key}-")
    assert_is_the_fake_picture(asset.files["main"].content)
    assert asset.metadata["reference"] == "cover"
    assert asset.metadata["model"] == "gpt-image-1"
    assert (asset.metadata["width"], asset.metadata["height"]) == FAKE_IMAGE_SIZE
    assert asset.metadata["palette"] == dominant_colours(fake_png())


def test_without_a_cover_a_card_image_is_generated_from_its_prompt(fake_openai):
    session = EngineSession.detached()

    asset = openai_image(card_request(), session)

    [request] = fake_openai.requests
    assert request.path == "/v1/images/generations"
    assert request.body["prompt"] == PROMPT
    assert request.body["model"] == "gpt-image-1"
    assert request.body["size"] == "1536x1024"
    assert_is_the_fake_picture(asset.files["main"].content)
    assert asset.metadata["reference"] == ""
    [call] = session.journal.calls
    assert call.status == CallStatus.OK
    assert call.purpose == "image card_image:3"
    assert re.fullmatch(r"\d+ bytes, sha256 [0-9a-f]{64}", call.response_text)  # never the bytes


def test_a_model_that_cannot_take_a_reference_generates_instead(fake_openai, settings):
    settings.OPENAI_IMAGE_MODEL = "dall-e-3"

    asset = openai_image(card_request(images={"cover": cover_png()}), EngineSession.detached())

    assert fake_openai.requests[0].path == "/v1/images/generations"
    assert asset.metadata["reference"] == ""


def test_the_cover_is_asked_for_upright_without_lettering(fake_openai):
    openai_image(cover_request(), EngineSession.detached())

    [request] = fake_openai.requests
    assert request.path == "/v1/images/generations"
    assert request.body["size"] == "1024x1536"
    prompt = request.body["prompt"]
    assert "“Time Spent”" in prompt
    assert STORY.logline in prompt and STORY.theme in prompt
    assert "No text, title or lettering" in prompt
    assert all(colour in prompt for colour in story_palette(STORY.tone_tags, STORY.genre))


def test_rejected_credentials_fail_with_the_model_code(fake_openai):
    fake_openai.push(error(401, "bad key"))
    session = EngineSession.detached()

    with pytest.raises(JobError) as failed:
        openai_image(card_request(), session)

    assert failed.value.code == "MODEL_AUTH_FAILED"
    assert not failed.value.retryable
    assert [call.status for call in session.journal.calls] == [CallStatus.ERROR]


@pytest.mark.parametrize(
    "body",
    [
        {"data": [{"b64_json": base64.b64encode(b"<html>not a picture</html>").decode()}]},
        {"data": [{"b64_json": "%%% not base64 %%%"}]},
        {"data": [{"url": "https://example.invalid/picture.png"}]},
        {"data": []},
    ],
    ids=["not-an-image", "not-base64", "url-only", "empty"],
)
def test_anything_but_a_picture_fails_as_a_bad_image(fake_openai, body):
    fake_openai.push(Reply(body={"created": 0, **body}))

    with pytest.raises(StageFailed) as failed:
        openai_image(card_request(), EngineSession.detached())

    assert failed.value.code == "MODEL_BAD_IMAGE"
    assert "local engine" in failed.value.user_message


def test_without_a_configured_model_no_request_is_made(settings):
    settings.OPENAI_API_KEY = ""
    settings.OPENAI_BASE_URL = ""

    with pytest.raises(StageFailed) as failed:
        openai_image(card_request(), EngineSession.detached())

    assert failed.value.code == "ENGINE_NOT_AVAILABLE"
