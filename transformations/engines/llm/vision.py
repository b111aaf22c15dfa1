"""A character profile from a reference photo, through the vision model.

The photo is checked and re-encoded here, before any request: only JPEG, PNG and
WEBP (recognised by content, not by name), at most 10 MB and 40 megapixels, and
complete. What the model sees is a JPEG of at most 1024 px on the long side,
rebuilt from pixels alone, so EXIF metadata (GPS position, camera, date) never
leaves the server. The call journal records the request without the photo.
"""

from __future__ import annotations

import base64
import hashlib
import io
from dataclasses import replace

from PIL import Image, ImageOps, UnidentifiedImageError

from jobqueue.errors import JobError, PermanentJobError
from transformations.engines.journal import CallJournal, EngineSession, ModelCallRecord
from transformations.engines.llm import errors, prompts
from transformations.engines.llm.budget import fit_text
from transformations.engines.llm.client import ModelClient
from transformations.engines.llm.config import ModelSettings
from transformations.engines.llm.schemas import CharacterProfileAnswer
from transformations.pipeline.errors import StageFailed

MAX_PHOTO_BYTES = 10 * 1024 * 1024
MAX_PHOTO_PIXELS = 40_000_000
MAX_SIDE = 1024
JPEG_QUALITY = 85
FORMATS = ("JPEG", "PNG", "WEBP")
# A creator may have written at length about the character; the picture matters more.
DESCRIPTION_TOKENS = 400
STAGE_NAME = "vision"
_JOB_ADVICE = (
    errors.KEEP,
    errors.LOCAL_ADVICE,
    "The job will be retried; if it keeps failing, retry it later.",
    "The job will be retried;",
)


class PhotoRejected(PermanentJobError):
    """The photo cannot be used; `code` says why (PHOTO_UNREADABLE, PHOTO_TOO_LARGE)."""

    code = "PHOTO_UNREADABLE"
    user_message = "This photo could not be read. Upload a JPEG, PNG or WEBP image."


def character_profile_from_photo(
    photo: bytes,
    *,
    name: str,
    description: str = "",
    session: EngineSession | None = None,
    config: ModelSettings | None = None,
) -> CharacterProfileAnswer:
    """What the person in `photo` looks like, as `name`'s profile for portraits.

    Raises PhotoRejected for a photo that cannot be used and the model errors of
    `ModelClient` (JobError subclasses with a code and a user message).
    """
    config = config or ModelSettings.from_settings()
    if not config.configured:
        raise StageFailed(
            "Profiles from photos need the vision model, which is not configured on this "
            "server. Ask the operator to configure it.",
            code="ENGINE_NOT_AVAILABLE",
        )
    image_url = photo_data_url(photo)
    session = session or EngineSession.detached()
    session = replace(session, journal=PhotoFreeJournal(session.journal))
    client = ModelClient(config, session, STAGE_NAME)
    try:
        return client.ask(
            CharacterProfileAnswer,
            system=prompts.CHARACTER_PROFILE,
            payload={"character": name, "description": fit_text(description, DESCRIPTION_TOKENS)},
            purpose="character profile from photo",
            images=[image_url],
        )
    except JobError as error:
        _drop_job_advice(error)
        raise


def photo_data_url(photo: bytes) -> str:
    """`photo` checked, downscaled and re-encoded as a `data:image/jpeg;base64,` URL."""
    return "data:image/jpeg;base64," + base64.b64encode(photo_jpeg(photo)).decode("ascii")


def photo_jpeg(photo: bytes) -> bytes:
    """`photo` as an RGB JPEG of at most MAX_SIDE px on the long side, without metadata."""
    if len(photo) > MAX_PHOTO_BYTES:
        raise PhotoRejected(
            f"This photo is larger than {MAX_PHOTO_BYTES // (1024 * 1024)} MB. "
            "Upload a smaller one.",
            code="PHOTO_TOO_LARGE",
            dev_message=f"{len(photo)} bytes",
        )
    try:
        image = Image.open(io.BytesIO(photo), formats=FORMATS)
    except Image.DecompressionBombError as exc:
        raise _too_many_pixels(str(exc)) from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise PhotoRejected(dev_message=f"{type(exc).__name__}: {exc}") from exc
    with image:
        # Only the header is read so far: refuse huge images before decoding a pixel
        # (Pillow's own bomb limit is far above ours and process-wide).
        width, height = image.size
        if width * height > MAX_PHOTO_PIXELS:
            raise _too_many_pixels(f"{width}x{height}")
        # A JPEG can be decoded straight at a fraction of its size: less memory and time.
        image.draft("RGB", (MAX_SIDE, MAX_SIDE))
        try:
            image.load()
        except (OSError, SyntaxError, ValueError) as exc:
            raise PhotoRejected(
                "This photo is incomplete or damaged (the upload may have been cut off). "
                "Upload it again, or choose another one.",
                dev_message=f"{type(exc).__name__}: {exc}",
            ) from exc
        # Phones store the camera's rotation in EXIF; apply it before EXIF is dropped.
        upright = ImageOps.exif_transpose(image)
        rgb = _flattened(upright)
    rgb.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    # Saved from pixels without `exif=` or `icc_profile=`: no metadata leaves the server.
    rgb.save(out, format="JPEG", quality=JPEG_QUALITY, optimize=True)
    return out.getvalue()


class PhotoFreeJournal:
    """A journal that records calls with each image replaced by its size and digest.

    The call journal keeps prompts for staff; a photo of a real person is not kept
    anywhere, not even downscaled. Resume still works: the request hash is computed
    from the full request before recording.
    """

    def __init__(self, journal: CallJournal) -> None:
        self.journal = journal

    def answer_for(self, request_hash: str) -> dict | None:
        return self.journal.answer_for(request_hash)

    def record(self, call: ModelCallRecord) -> None:
        messages = [{**m, "content": _without_images(m["content"])} for m in call.messages]
        self.journal.record(replace(call, messages=messages))


def _without_images(content: str | list[dict]) -> str | list[dict]:
    if isinstance(content, str):
        return content
    return [_photo_note(part) if part.get("type") == "image_url" else part for part in content]


def _photo_note(part: dict) -> dict:
    url = part["image_url"]["url"]
    digest = hashlib.sha256(url.encode()).hexdigest()[:16]
    note = f"(photo not kept: {len(url)} characters, sha256 {digest})"
    return {"type": "image_url", "image_url": {"url": note}}


def _flattened(image: Image.Image) -> Image.Image:
    """RGB, with transparent areas on white (converting alone would turn them black)."""
    if image.mode in ("RGBA", "LA") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB")


def _too_many_pixels(detail: str) -> PhotoRejected:
    return PhotoRejected(
        f"This photo has more than {MAX_PHOTO_PIXELS // 1_000_000} megapixels. "
        "Upload a smaller one.",
        code="PHOTO_TOO_LARGE",
        dev_message=detail,
    )


def _drop_job_advice(error: JobError) -> None:
    # The model errors are worded for transformation jobs: "your upload and every
    # finished stage are kept" is untrue of a photo (never kept, on purpose), and no
    # job retries a photo, so the creator is told to try again instead.
    message = error.user_message
    for advice in _JOB_ADVICE:
        message = message.replace(advice, "")
    if error.retryable:
        message += " Try again in a few minutes."
    error.user_message = " ".join(message.split())
