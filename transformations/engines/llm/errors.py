"""What a failed model call means for the job, with words a creator can act on.

Transient failures (rate limits, timeouts, 5xx answers) come here only after the
openai client's own retries are spent; the worker then retries the job with
backoff. Everything else fails the stage at once: trying again cannot help.
"""

from __future__ import annotations

import re

import openai
from django.conf import settings

from jobqueue.errors import JobError
from transformations.pipeline.errors import EngineUnavailable, StageFailed

KEEP = "Your upload and every finished stage are kept."
LOCAL_ADVICE = "You can retry, or upload it again with the local engine."

_BLOCKED_CODES = {"content_policy_violation", "content_filter", "moderation_blocked"}
# Provider keys ("sk-…", "sk-proj-…"), whichever server quotes them.
_KEY_PATTERN = re.compile(r"\bsk-[A-Za-z0-9_-]{8,}")


def redact(text: str) -> str:
    """The text without API keys in it.

    A provider's answer to a wrong key quotes the key it was sent ("Incorrect API key
    provided: sk-…"), and that answer becomes the job's developer message, a model call's
    error and a log line: places staff read and logs ship elsewhere, none of them for keys.
    """
    if settings.OPENAI_API_KEY:
        text = text.replace(settings.OPENAI_API_KEY, "[redacted]")
    return _KEY_PATTERN.sub("sk-[redacted]", text)


def model_refused(refusal: str) -> StageFailed:
    quoted = refusal.strip()[:300]
    return StageFailed(
        f"The model refused this content: “{quoted}”. Remove or soften the passages it "
        f"objects to and upload again, or use the local engine. {KEEP}",
        code="MODEL_REFUSED",
        dev_message=f"refusal: {refusal[:2000]}",
    )


def model_blocked(detail: str) -> StageFailed:
    return StageFailed(
        "The model provider's content filter blocked this content. Remove the passages it "
        f"may object to and upload again, or use the local engine. {KEEP}",
        code="MODEL_CONTENT_BLOCKED",
        dev_message=detail[:2000],
    )


def model_invalid_answer(purpose: str, detail: str) -> StageFailed:
    return StageFailed(
        "The model's answer could not be used: it did not match the expected structure, "
        f"twice. {LOCAL_ADVICE} If it keeps happening, staff can choose a more capable "
        f"model. {KEEP}",
        code="MODEL_INVALID_ANSWER",
        dev_message=f"{purpose}: {detail[:2000]}",
    )


def _error_code(exc: openai.APIStatusError) -> str:
    body = exc.body if isinstance(exc.body, dict) else {}
    error = body.get("error", body)
    code = (error.get("code") if isinstance(error, dict) else None) or getattr(exc, "code", None)
    return str(code or "")


def classify(exc: openai.OpenAIError, *, model: str) -> JobError:
    """The job error for an exception the openai client raised."""
    detail = redact(f"{type(exc).__name__}: {exc}")
    if isinstance(exc, openai.APITimeoutError):
        return EngineUnavailable(
            "The story model took too long to answer. The job will be retried; " + KEEP,
            code="MODEL_TIMEOUT",
            dev_message=detail,
        )
    if isinstance(exc, openai.APIConnectionError):
        return EngineUnavailable(
            "The story model's server could not be reached. The job will be retried; " + KEEP,
            code="MODEL_UNAVAILABLE",
            dev_message=detail,
        )
    if not isinstance(exc, openai.APIStatusError):
        return StageFailed(
            f"The story model's answer could not be read. {LOCAL_ADVICE} {KEEP}",
            code="MODEL_ERROR",
            dev_message=detail,
        )
    code = _error_code(exc)
    if isinstance(exc, openai.AuthenticationError):
        return StageFailed(
            "The story model's server rejected this site's credentials, so the model "
            f"cannot be used right now. Staff have to check OPENAI_API_KEY. {KEEP} "
            f"{LOCAL_ADVICE}",
            code="MODEL_AUTH_FAILED",
            dev_message=detail,
        )
    if isinstance(exc, openai.PermissionDeniedError):
        return StageFailed(
            f"This site's account may not use the model “{model}”. Staff have to check the "
            f"account or the model setting. {KEEP} {LOCAL_ADVICE}",
            code="MODEL_ACCESS_DENIED",
            dev_message=detail,
        )
    if isinstance(exc, openai.NotFoundError):
        return StageFailed(
            f"The model “{model}” does not exist on the configured server. Staff have to "
            f"check the model settings. {KEEP} {LOCAL_ADVICE}",
            code="MODEL_NOT_FOUND",
            dev_message=detail,
        )
    if code in _BLOCKED_CODES:
        return model_blocked(detail)
    if isinstance(exc, openai.RateLimitError):
        if code == "insufficient_quota":
            return StageFailed(
                f"This site's model account has run out of credit. Staff have to top it up. "
                f"{KEEP} {LOCAL_ADVICE}",
                code="MODEL_QUOTA_EXCEEDED",
                dev_message=detail,
            )
        return EngineUnavailable(
            "The story model is busy (rate limited). The job will be retried; " + KEEP,
            code="MODEL_RATE_LIMITED",
            dev_message=detail,
        )
    if exc.status_code >= 500 or exc.status_code in (408, 409):
        return EngineUnavailable(
            f"The story model's server is failing (HTTP {exc.status_code}). The job will be "
            f"retried; if it keeps failing, retry it later. {KEEP}",
            code="MODEL_UNAVAILABLE",
            dev_message=detail,
        )
    if code == "context_length_exceeded":
        return StageFailed(
            "A request was longer than the model accepts. Staff have to set "
            f"OPENAI_CONTEXT_TOKENS to the model's real context window. {KEEP}",
            code="MODEL_INPUT_TOO_LONG",
            dev_message=detail,
        )
    return StageFailed(
        f"The story model rejected the request (HTTP {exc.status_code}). {LOCAL_ADVICE} {KEEP}",
        code="MODEL_BAD_REQUEST",
        dev_message=detail,
    )
