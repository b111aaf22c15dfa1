"""Portraits: styles, variants and the traits every portrait keeps, locally and through a fake
OpenAI server."""

from __future__ import annotations

import io
import itertools
import re

import pytest
from PIL import Image, ImageChops, ImageStat

from assets.generators.base import AssetRequest, CharacterContext, StoryContext
from assets.generators.palette import dominant_colours
from assets.generators.portraits import (
    STYLE_PRESETS,
    invariants,
    local_portrait,
    openai_portrait,
    portrait_prompt,
)
from jobqueue.errors import JobError
from tests.fake_openai import FAKE_IMAGE_SIZE, error, fake_png
from transformations.engines.journal import EngineSession
from transformations.pipeline.errors import StageFailed

HEX = re.compile(r"^#[0-9a-f]{6}$")
STYLES = ["watercolor", "storybook", "anime", "flat", "colored-pencil"]
STORY = StoryContext(title="Time Spent", tone_tags=("Tender", "wry"), genre="Romance")
ELENA = CharacterContext(
    key="elena",
    name="Elena",
    description="A barista who paints.",
    visual_profile={
        "source": "photo",
        "appearance": "A woman in her thirties with paint on her sleeves.",
        "age_range": "30s",
        "hair": "dark, shoulder length",
        "clothing": "apron over a denim shirt",
        "palette": ["#3a2f28", "#c8a27a", "#6b8fa3"],
        "do_not_change": ["dark shoulder-length hair", "paint on her sleeves"],
    },
)
MARCUS = CharacterContext(
    key="marcus",
    name="Marcus",
    description=(
        "Marcus (40s), a watch repairer in a corduroy jacket and round glasses, with grey hair "
        "and a beard, shakes the rain off his umbrella."
    ),
)


def portrait_request(character=ELENA, style="watercolor", variants=1, **changes) -> AssetRequest:
    fields = {
        "asset_type": "portrait",
        "key": f"portrait:{character.key}:{style}:run-1",
        "story": STORY,
        "character": character,
        "style": style,
        "variants": variants,
        "seed": f"portrait:{character.key}:run-1",
    } | changes
    return AssetRequest(**fields)


def opened(content: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(content))
    assert image.format == "PNG"
    return image.convert("RGB")


def difference(first: bytes, second: bytes) -> float:
    return sum(ImageStat.Stat(ImageChops.difference(opened(first), opened(second))).mean) / 3


def variants_of(request: AssetRequest) -> list[bytes]:
    asset = local_portrait(request, EngineSession.detached())
    return [asset.files[f"variant-{i}"].content for i in range(1, request.variants + 1)]


# What every portrait keeps.


@pytest.mark.parametrize("style", STYLES)
def test_the_profiles_invariants_are_in_every_styles_prompt(style):
    prompt = portrait_prompt(ELENA, style)

    for trait in ELENA.visual_profile["do_not_change"]:
        assert trait in prompt
    assert STYLE_PRESETS[style] in prompt
    assert "Elena" in prompt and "#6b8fa3" in prompt
    assert "No text or lettering" in prompt


def test_without_a_profile_the_invariants_come_from_the_description():
    assert invariants(MARCUS) == [
        "in their 40s",
        "corduroy jacket",
        "round glasses",
        "grey hair",
        "beard",
    ]
    prompt = portrait_prompt(MARCUS, "flat")
    for trait in invariants(MARCUS):
        assert trait in prompt.split("keep exactly:")[1]


@pytest.mark.parametrize(
    ("description", "expected"),
    [
        (
            "Ada, 7 years old, in a yellow raincoat with red wellies.",
            ["7 years old", "yellow raincoat", "red wellies"],
        ),
        (
            "An elderly man with a white beard and a flat cap.",
            ["elderly", "white beard", "flat cap"],
        ),
        ("Jo (12), freckles and a gap-toothed grin.", ["aged 12", "freckles"]),
        ("Speaks quickly and laughs at her own jokes.", []),
    ],
)
def test_traits_are_the_phrases_a_painter_can_use(description, expected):
    character = CharacterContext(key="x", name="X", description=description)

    assert invariants(character) == expected


def test_a_profile_without_do_not_change_falls_back_to_its_appearance():
    character = CharacterContext(
        key="ada", name="Ada", visual_profile={"appearance": "A girl with long red hair."}
    )

    assert invariants(character) == ["long red hair"]


# Local portraits.


@pytest.mark.parametrize("style", STYLES)
def test_each_style_paints_square_portraits(style):
    asset = local_portrait(portrait_request(style=style), EngineSession.detached())

    image = opened(asset.files["variant-1"].content)
    assert image.size == (1024, 1024)
    assert min(ImageStat.Stat(image).stddev) > 10
    assert asset.metadata["style"] == style
    assert asset.metadata["variants"] == 1
    assert len(asset.metadata["palette"]) == 3
    assert all(HEX.match(colour) for colour in asset.metadata["palette"])
    assert asset.metadata["prompt"] == portrait_prompt(ELENA, style)


def test_styles_look_different():
    painted = {style: variants_of(portrait_request(style=style))[0] for style in STYLES}

    for first, second in itertools.combinations(STYLES, 2):
        assert difference(painted[first], painted[second]) > 2, (first, second)


def test_variants_differ_and_the_same_seed_paints_them_again():
    request = portrait_request(character=MARCUS, style="storybook", variants=3)

    first, second, third = variants_of(request)

    assert min(difference(a, b) for a, b in [(first, second), (second, third), (first, third)]) > 5
    assert variants_of(request) == [first, second, third]
    assert (
        variants_of(portrait_request(character=MARCUS, style="storybook", variants=1))[0] == first
    )


def test_variants_are_reported_as_they_are_painted():
    reports = []
    session = EngineSession(job_key="k", stage=0, progress=lambda *done: reports.append(done))

    local_portrait(portrait_request(style="flat", variants=2), session)

    assert [(done, total) for done, total, _ in reports] == [(1, 2), (2, 2)]


def test_glasses_in_the_traits_are_painted():
    without = CharacterContext(key="marcus", name="Marcus", description="Marcus (40s), grey hair.")
    with_glasses = CharacterContext(
        key="marcus", name="Marcus", description="Marcus (40s), grey hair, round glasses."
    )

    plain = variants_of(portrait_request(character=without, style="flat"))[0]
    glasses = variants_of(portrait_request(character=with_glasses, style="flat"))[0]

    changed = ImageChops.difference(opened(plain), opened(glasses)).getbbox()
    assert changed is not None
    assert changed[3] < 700  # on the face, not the whole picture


@pytest.mark.parametrize("make", [local_portrait, openai_portrait])
def test_an_unknown_style_fails_with_the_styles_listed(make, settings):
    settings.OPENAI_API_KEY = "sk-never-used"

    with pytest.raises(StageFailed) as failed:
        make(portrait_request(style="oil painting"), EngineSession.detached())

    assert failed.value.code == "UNKNOWN_STYLE"
    for style in STYLES:
        assert style in failed.value.user_message


def test_style_names_are_forgiving():
    asset = local_portrait(portrait_request(style=" Coloured Pencil "), EngineSession.detached())

    assert asset.metadata["style"] == "colored-pencil"


# OpenAI portraits, through the fake server.


@pytest.fixture
def fake_openai(fake_openai, settings):
    settings.OPENAI_MAX_RETRIES = 0
    return fake_openai


@pytest.mark.parametrize("character", [ELENA, MARCUS], ids=["profile", "description"])
def test_each_variant_is_one_request_carrying_the_invariants(fake_openai, character):
    session = EngineSession.detached()

    asset = openai_portrait(portrait_request(character=character, variants=3), session)

    assert len(fake_openai.requests) == 3
    for request in fake_openai.requests:
        assert request.path == "/v1/images/generations"
        assert request.body["model"] == "gpt-image-1"
        assert request.body["size"] == "1024x1024"
        for trait in invariants(character):
            assert trait in request.body["prompt"]
    assert len({request.body["prompt"] for request in fake_openai.requests}) == 3  # poses
    assert len({request.idempotency_key for request in fake_openai.requests}) == 3
    assert [call.purpose for call in session.journal.calls] == [
        f"portrait {character.key} variant {index}" for index in (1, 2, 3)
    ]
    assert sorted(asset.files) == ["variant-1", "variant-2", "variant-3"]
    for file in asset.files.values():
        stored = opened(file.content)
        assert stored.size == FAKE_IMAGE_SIZE
        assert ImageChops.difference(stored, opened(fake_png())).getbbox() is None
    assert asset.metadata["style"] == "watercolor"
    assert asset.metadata["variants"] == 3
    assert asset.metadata["model"] == "gpt-image-1"
    assert asset.metadata["palette"] == dominant_colours(fake_png())


def test_rejected_credentials_stop_at_the_first_variant(fake_openai):
    fake_openai.push(error(401, "bad key"))

    with pytest.raises(JobError) as failed:
        openai_portrait(portrait_request(variants=3), EngineSession.detached())

    assert failed.value.code == "MODEL_AUTH_FAILED"
    assert len(fake_openai.requests) == 1
