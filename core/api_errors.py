"""One error shape for the whole API: {"detail": "<human message>", "code": "<MACHINE_CODE>"}."""

from __future__ import annotations

import logging
import math

from django.core.exceptions import PermissionDenied
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from core.errors import ApplicationError
from core.quotas import wait_display

logger = logging.getLogger(__name__)

CODES_BY_CLASS = {
    exceptions.NotAuthenticated: "NOT_AUTHENTICATED",
    exceptions.AuthenticationFailed: "AUTHENTICATION_FAILED",
    exceptions.PermissionDenied: "PERMISSION_DENIED",
    exceptions.NotFound: "NOT_FOUND",
    exceptions.MethodNotAllowed: "METHOD_NOT_ALLOWED",
    exceptions.NotAcceptable: "NOT_ACCEPTABLE",
    exceptions.UnsupportedMediaType: "UNSUPPORTED_MEDIA_TYPE",
    exceptions.Throttled: "THROTTLED",
    exceptions.ParseError: "MALFORMED_REQUEST",
    exceptions.ValidationError: "VALIDATION_ERROR",
}


def exception_handler(exc, context):
    if isinstance(exc, ApplicationError):
        headers = {}
        retry_after = getattr(exc, "retry_after", None)
        if retry_after is not None:
            headers["Retry-After"] = str(max(1, math.ceil(retry_after.total_seconds())))
        return Response(
            {"detail": exc.message, "code": exc.code}, status=exc.status_code, headers=headers
        )
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()

    response = drf_exception_handler(exc, context)
    if response is None:
        # Unexpected: log the stack for staff, answer with the same shape, never a trace.
        logger.exception("unhandled API error", exc_info=exc)
        return Response(
            {
                "detail": "Something went wrong on our side. Please try again.",
                "code": "SERVER_ERROR",
            },
            status=status.HTTP_500_INTERNAL_SERVER_ERROR,
        )
    code = next((code for cls, code in CODES_BY_CLASS.items() if isinstance(exc, cls)), "ERROR")
    if isinstance(exc, exceptions.ValidationError):
        response.data = {
            "detail": _first_message(exc.detail) or "Some fields are not valid.",
            "code": code,
            "errors": exc.detail,
        }
    elif isinstance(exc, exceptions.Throttled):
        # DRF has already set Retry-After from exc.wait; say the same thing in words.
        wait = f"in {wait_display(exc.wait)}" if exc.wait is not None else "in a little while"
        response.data = {
            "detail": f"Too many requests of this kind in a short time. Try again {wait}.",
            "code": code,
        }
    else:
        response.data = {"detail": str(exc.detail), "code": code}
    return response


def _first_message(detail) -> str:
    if isinstance(detail, list):
        return _first_message(detail[0]) if detail else ""
    if isinstance(detail, dict):
        for field, value in detail.items():
            message = _first_message(value)
            if message:
                return message if field == "non_field_errors" else f"{field}: {message}"
        return ""
    return str(detail)
