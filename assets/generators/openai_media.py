"""The seam to the model server for media (images, speech), beside `engines.llm.client`.

Same settings, same retries (the openai client's, honouring Retry-After), same
error codes and the same call journal for staff as the story engine; only the
endpoints differ. Media bytes are never journaled: a call is recorded with its
prompt and the size and hash of what came back.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import time
from collections.abc import Callable

import openai
from PIL import Image

from transformations.engines.journal import CallStatus, EngineSession, ModelCallRecord
from transformations.engines.llm import errors
from transformations.engines.llm.config import ModelSettings
from transformations.pipeline.errors import StageFailed


def media_settings() -> ModelSettings:
    config = ModelSettings.from_settings()
    if not config.configured:
        raise StageFailed(
            "The OpenAI engine is not configured on this server, so this asset cannot be "
            "made with it. Staff can set OPENAI_API_KEY, or ASSET_ENGINE=local.",
            code="ENGINE_NOT_AVAILABLE",
        )
    return config


def media_client(config: ModelSettings) -> openai.OpenAI:
    return openai.OpenAI(
        api_key=config.api_key or "not-needed",
        base_url=config.base_url or None,
        timeout=config.timeout,
        max_retries=config.max_retries,
    )


def call_media[T](
    send: Callable[[dict], T],
    *,
    session: EngineSession,
    purpose: str,
    model: str,
    prompt: str,
    describe: Callable[[T], bytes],
) -> T:
    """`send(extra_headers)` with an idempotency key, classified errors and a journal entry.

    `describe(result)` returns the bytes the call produced, for the record's size and hash.
    """
    request_hash = hashlib.sha256(f"{model}\n{purpose}\n{prompt}".encode()).hexdigest()
    key = f"storyengine-{session.job_key}-s{session.stage}-a{session.attempt}-{request_hash[:16]}"
    started = time.monotonic()

    def record(status: str, **fields) -> None:
        session.journal.record(
            ModelCallRecord(
                stage=session.stage,
                attempt=session.attempt,
                purpose=purpose,
                model=model,
                request_hash=request_hash,
                idempotency_key=key,
                messages=[{"role": "user", "content": prompt}],
                status=status,
                duration_ms=int((time.monotonic() - started) * 1000),
                **fields,
            )
        )

    try:
        result = send({"Idempotency-Key": key})
    except openai.OpenAIError as exc:
        error = errors.classify(exc, model=model)
        record(CallStatus.ERROR, error_code=error.code, error=error.dev_message)
        raise error from exc
    content = describe(result)
    record(
        CallStatus.OK,
        response_text=f"{len(content)} bytes, sha256 {hashlib.sha256(content).hexdigest()}",
    )
    return result


# Pictures from the image model. A successful call can still carry no picture (no data, a
# URL instead of bytes, base64 that does not decode, bytes Pillow cannot read); each fails
# the asset as a bad image, whose message points the user to the local engine.

BAD_IMAGE_MESSAGE = (
    "The image model sent back something that is not a picture. You can retry, or make "
    "this image with the local engine."
)


def returned_image(response) -> bytes:
    """The first image's bytes from an images response; b"" if it carries none."""
    data = getattr(response, "data", None) or []
    encoded = getattr(data[0], "b64_json", None) if data else None
    if not encoded:
        return b""
    try:
        return base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        return b""


def checked_image(content: bytes, purpose: str) -> Image.Image:
    """The model's picture, decoded; anything Pillow cannot read fails the asset."""
    try:
        with Image.open(io.BytesIO(content)) as opened:
            opened.load()
            clear = opened.mode in ("RGBA", "LA") or "transparency" in opened.info
            return opened.convert("RGBA" if clear else "RGB")
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as exc:
        raise StageFailed(
            BAD_IMAGE_MESSAGE,
            code="MODEL_BAD_IMAGE",
            dev_message=f"{purpose}: {len(content)} bytes: {type(exc).__name__}: {exc}",
        ) from exc


def model_image(send, *, session: EngineSession, purpose: str, model: str, prompt: str):
    response = call_media(
        send, session=session, purpose=purpose, model=model, prompt=prompt, describe=returned_image
    )
    return checked_image(returned_image(response), purpose)
