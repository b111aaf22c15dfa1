"""One structured log line per HTTP request, and a request id to follow it by.

    INFO core.request method=GET path=/universes/4 status=200 duration_ms=12 user=7
         request_id=3f1c…

The id comes from the client's or the proxy's `X-Request-ID` when it is a plain token,
otherwise it is generated; it goes back in the response's `X-Request-ID` and onto Sentry
events. Only the path is logged, never the query string, which may carry tokens.
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid

import sentry_sdk
from django.utils.functional import SimpleLazyObject, empty

logger = logging.getLogger("core.request")

REQUEST_ID_HEADER = "X-Request-ID"
# Anything else (spaces, quotes, newlines, very long values) could forge or break log lines.
VALID_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
PLAIN_VALUE = re.compile(r'[^\s"=\\]+')
# Render asks for /healthz every few seconds; a healthy answer is not worth a line at INFO.
QUIET_PATHS = frozenset({"/healthz"})


class RequestLogMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.monotonic()
        request_id = _request_id(request.headers.get(REQUEST_ID_HEADER, ""))
        request.request_id = request_id
        _tag_sentry_scope(request_id)
        # Inner layers turn exceptions into 500 responses, so this always returns.
        response = self.get_response(request)
        duration_ms = int((time.monotonic() - started) * 1000)
        response.headers.setdefault(REQUEST_ID_HEADER, request_id)
        fields = {
            "method": request.method,
            "path": request.path,
            "status": response.status_code,
            "duration_ms": duration_ms,
            "user": _user_id(request),
            "request_id": request_id,
        }
        logger.log(
            _level(request.path, response.status_code),
            " ".join(f"{key}={_logfmt(value)}" for key, value in fields.items()),
            extra={"http": fields},
        )
        return response


def _request_id(incoming: str) -> str:
    if VALID_REQUEST_ID.fullmatch(incoming):
        return incoming
    return uuid.uuid4().hex


def _user_id(request) -> int | str | None:
    """The authenticated user's id, without a query only to find it.

    AuthenticationMiddleware sets a lazy user; a view that never looked at it (a static
    file, /healthz) leaves it unevaluated, and evaluating it here would cost a session
    query on every such request. DRF's token authentication sets the real user.
    """
    user = request.__dict__.get("user")
    if user is None:
        return None
    if isinstance(user, SimpleLazyObject) and user._wrapped is empty:
        return None
    return user.pk if user.is_authenticated else None


def _level(path: str, status: int) -> int:
    if status >= 500:
        # Not ERROR: Django already logs the exception, and Sentry would count it twice.
        return logging.WARNING
    if path in QUIET_PATHS and status < 400:
        return logging.DEBUG
    return logging.INFO


def _logfmt(value) -> str:
    if value is None:
        return "-"
    text = str(value)
    if PLAIN_VALUE.fullmatch(text):
        return text
    # Quoted and escaped: a path with spaces or a newline stays on one line.
    return json.dumps(text)


def _tag_sentry_scope(request_id: str) -> None:
    # A no-op unless settings initialised Sentry; ties an event to its log line.
    sentry_sdk.get_isolation_scope().set_tag("request_id", request_id)
