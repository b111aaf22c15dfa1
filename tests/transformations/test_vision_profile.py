"""Character profiles from reference photos, through the real openai client and a fake server."""

from __future__ import annotations

import base64
import io
import json
import os

import pytest
from PIL import Image

from core.errors import ApplicationError
from tests.fake_openai import error
from transformations.engines.llm.vision import photo_jpeg
from transformations.models import ModelCall, ModelCallStatus
from universes.cast_services import (
    cast_edit_undo,
    character_merge,
    character_profile_from_photo,
    character_rename,
)
from universes.models import Character, Universe

pytestmark = pytest.mark.django_db

DATA_URL_PREFIX = "data:image/jpeg;base64,"
EXIF_MAKE, EXIF_ORIENTATION = 0x010F, 0x0112


@pytest.fixture
def universe(user) -> Universe:
    return Universe.objects.create(owner=user, slug="time-spent", title="Time Spent")


@pytest.fixture
def elena(universe) -> Character:
    return Character.objects.create(
        universe=universe, key="elena", name="Elena", description="A barista who paints."
    )


def png(width: int = 3000, height: int = 2000, *, mode: str = "RGB", color="#c8a27a") -> bytes:
    out = io.BytesIO()
    Image.new(mode, (width, height), color).save(out, format="PNG")
    return out.getvalue()


def jpeg_with_exif(width: int = 3000, height: int = 2000) -> bytes:
    """A camera-style JPEG: maker and a 90° rotation in EXIF, as phones write them."""
    exif = Image.Exif()
    exif[EXIF_MAKE] = "Canon"
    exif[EXIF_ORIENTATION] = 6
    out = io.BytesIO()
    Image.new("RGB", (width, height), "#3a2f28").save(out, format="JPEG", exif=exif)
    return out.getvalue()


def sent_image(request) -> Image.Image:
    content = request.body["messages"][1]["content"]
    urls = [part["image_url"]["url"] for part in content if part["type"] == "image_url"]
    assert len(urls) == 1
    assert urls[0].startswith(DATA_URL_PREFIX)
    return Image.open(io.BytesIO(base64.b64decode(urls[0].removeprefix(DATA_URL_PREFIX))))


def test_a_photo_becomes_the_characters_visual_profile(fake_openai, elena):
    character = character_profile_from_photo(character=elena, photo=png())

    [request] = fake_openai.requests
    assert request.path == "/v1/chat/completions"
    assert request.schema_name == "CharacterProfileAnswer"
    assert request.body["model"] == "gpt-4o-mini"
    assert request.payload == {"character": "Elena", "description": "A barista who paints."}
    image = sent_image(request)
    assert image.format == "JPEG"
    assert image.size == (1024, 683)

    stored = Character.objects.get(pk=elena.pk).visual_profile
    assert stored == character.visual_profile
    assert stored["source"] == "photo"
    assert stored["do_not_change"] == ["dark shoulder-length hair", "paint on her sleeves"]
    assert stored["palette"] == ["#3a2f28", "#c8a27a", "#6b8fa3"]


def test_exif_is_stripped_after_turning_the_photo_upright(fake_openai, elena):
    photo = jpeg_with_exif()
    assert Image.open(io.BytesIO(photo)).getexif()[EXIF_MAKE] == "Canon"

    character_profile_from_photo(character=elena, photo=photo)

    image = sent_image(fake_openai.requests[0])
    assert image.size == (683, 1024)  # orientation 6: the camera was turned
    assert dict(image.getexif()) == {}
    assert "exif" not in image.info


def test_the_call_is_kept_for_staff_without_the_photo(fake_openai, elena):
    character_profile_from_photo(character=elena, photo=png())

    call = ModelCall.objects.get(subject=f"character:{elena.pk}")
    assert call.job is None
    assert call.status == ModelCallStatus.OK
    assert call.answer["do_not_change"]
    assert call.purpose == "character profile from photo"
    assert "base64" not in json.dumps(call.messages)
    assert "photo not kept" in json.dumps(call.messages)


def test_the_same_photo_again_is_answered_from_the_journal(fake_openai, elena):
    character_profile_from_photo(character=elena, photo=png())
    character_profile_from_photo(character=elena, photo=png())

    assert len(fake_openai.requests) == 1


def test_the_vision_stage_may_use_its_own_model(fake_openai, settings, elena):
    settings.OPENAI_STAGE_MODELS = {"vision": "gpt-4o"}

    character_profile_from_photo(character=elena, photo=png(400, 300))

    assert fake_openai.requests[0].body["model"] == "gpt-4o"


def truncated_png() -> bytes:
    data = png()
    return data[: len(data) // 2]


def gif() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 40)).save(out, format="GIF")
    return out.getvalue()


def huge_in_pixels() -> bytes:
    # 50 megapixels in a few kilobytes: a small upload can still be a decompression bomb.
    out = io.BytesIO()
    Image.new("1", (10_000, 5_000)).save(out, format="PNG")
    return out.getvalue()


def bomb() -> bytes:
    # Past Pillow's own limit: Image.open refuses it before our check could.
    out = io.BytesIO()
    Image.new("1", (20_000, 10_000)).save(out, format="PNG")
    return out.getvalue()


@pytest.mark.parametrize(
    ("photo", "code", "status", "says"),
    [
        (lambda: b"%PDF-1.7 not a photo", "PHOTO_UNREADABLE", 400, "JPEG, PNG or WEBP"),
        (gif, "PHOTO_UNREADABLE", 400, "JPEG, PNG or WEBP"),
        (truncated_png, "PHOTO_UNREADABLE", 400, "incomplete or damaged"),
        (lambda: os.urandom(10 * 1024 * 1024 + 1), "PHOTO_TOO_LARGE", 413, "10 MB"),
        (huge_in_pixels, "PHOTO_TOO_LARGE", 413, "40 megapixels"),
        (bomb, "PHOTO_TOO_LARGE", 413, "40 megapixels"),
    ],
    ids=["not-an-image", "gif", "truncated", "over-10-mb", "over-40-mp", "bomb"],
)
def test_unusable_photos_are_refused_before_any_request(
    fake_openai, elena, photo, code, status, says
):
    with pytest.raises(ApplicationError) as refused:
        character_profile_from_photo(character=elena, photo=photo())

    assert refused.value.code == code
    assert refused.value.status_code == status
    assert says in refused.value.message
    assert fake_openai.requests == []
    assert Character.objects.get(pk=elena.pk).visual_profile == {}


def test_webp_and_transparent_png_are_accepted():
    out = io.BytesIO()
    Image.new("RGB", (200, 100), "#6b8fa3").save(out, format="WEBP")
    assert Image.open(io.BytesIO(photo_jpeg(out.getvalue()))).size == (200, 100)

    clear = Image.open(io.BytesIO(photo_jpeg(png(20, 20, mode="RGBA", color=(0, 0, 0, 0)))))
    assert clear.mode == "RGB"
    assert clear.getpixel((0, 0)) == (255, 255, 255)  # transparent is white, not black


def test_rejected_credentials_leave_the_profile_as_it_was(fake_openai, elena):
    elena.visual_profile = {"source": "photo", "appearance": "from an earlier photo"}
    elena.save()
    fake_openai.push(error(401, "bad key"))

    with pytest.raises(ApplicationError) as refused:
        character_profile_from_photo(character=elena, photo=png())

    assert refused.value.code == "MODEL_AUTH_FAILED"
    assert refused.value.status_code == 502
    assert "OPENAI_API_KEY" in refused.value.message
    assert "kept" not in refused.value.message  # job wording; the photo is never kept
    assert len(fake_openai.requests) == 1
    stored = Character.objects.get(pk=elena.pk).visual_profile
    assert stored == {"source": "photo", "appearance": "from an earlier photo"}
    call = ModelCall.objects.get(subject=f"character:{elena.pk}")
    assert (call.status, call.error_code) == (ModelCallStatus.ERROR, "MODEL_AUTH_FAILED")


def test_without_a_configured_model_no_request_is_made(settings, elena):
    settings.OPENAI_API_KEY = ""
    settings.OPENAI_BASE_URL = ""

    with pytest.raises(ApplicationError) as refused:
        character_profile_from_photo(character=elena, photo=png())

    assert refused.value.code == "ENGINE_NOT_AVAILABLE"
    assert refused.value.status_code == 503
    assert not ModelCall.objects.exists()


def test_undoing_a_cast_edit_keeps_a_newer_profile(fake_openai, universe, elena, user):
    edit = character_rename(universe=universe, character=elena, name="Elena Ruiz", user=user)
    character_profile_from_photo(character=elena, photo=png())

    cast_edit_undo(universe=universe, edit=edit, user=user)

    restored = Character.objects.get(pk=elena.pk)
    assert restored.name == "Elena"
    assert restored.visual_profile["source"] == "photo"


def test_undoing_a_merge_brings_back_the_merged_characters_profile(
    fake_openai, universe, elena, user
):
    marcus = Character.objects.create(universe=universe, key="marcus", name="Marcus")
    character_profile_from_photo(character=marcus, photo=png())
    edit = character_merge(universe=universe, source=marcus, target=elena, user=user)

    cast_edit_undo(universe=universe, edit=edit, user=user)

    assert Character.objects.get(pk=marcus.pk).visual_profile["source"] == "photo"
    assert Character.objects.get(pk=elena.pk).visual_profile == {}


def test_a_character_deleted_while_the_model_answered_is_reported(fake_openai, elena):
    Character.objects.filter(pk=elena.pk).delete()

    with pytest.raises(ApplicationError) as refused:
        character_profile_from_photo(character=elena, photo=png())

    assert refused.value.code == "CHARACTER_NOT_FOUND"
