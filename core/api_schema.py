"""OpenAPI pieces the API modules share: the error shape, the errors each answer may carry, pages.

The schema at /api/schema/ is a contract that clients generate code from and that
tests/security/test_api_schema.py holds the API to: every status an operation can
answer with is listed here, with the body it has.
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, inline_serializer
from rest_framework import serializers
from rest_framework.pagination import LimitOffsetPagination


class ErrorSerializer(serializers.Serializer):
    """Every error the API answers with (core/api_errors.py)."""

    detail = serializers.CharField(help_text="What went wrong, for a person.")
    code = serializers.CharField(help_text="What went wrong, for a program: VALIDATION_ERROR, …")
    errors = serializers.DictField(
        child=serializers.JSONField(),
        required=False,
        help_text="Field errors, for VALIDATION_ERROR only.",
    )


ERROR_DESCRIPTIONS = {
    400: "The request is not valid (VALIDATION_ERROR with field errors, or another code).",
    401: "No credentials, or credentials that are not valid.",
    403: "Authenticated but not allowed (NOT_OWNER: only the owner may change it).",
    404: "No such object, or one that belongs to another user.",
    409: "The object's state does not allow this now.",
    413: "The upload is larger than the limit (FILE_TOO_LARGE).",
    415: "The request body's media type is not one this operation reads.",
    429: "Too many requests (THROTTLED) or past a quota (QUOTA_EXCEEDED); see Retry-After.",
}


def errors(*statuses: int) -> dict[int, OpenApiResponse]:
    """Responses for the given error statuses, each with the error body."""
    return {
        status: OpenApiResponse(response=ErrorSerializer, description=ERROR_DESCRIPTIONS[status])
        for status in statuses
    }


def paginated(name: str, item: serializers.Serializer) -> serializers.Serializer:
    """The body LimitOffsetPagination answers with, for an APIView that paginates by hand."""
    return inline_serializer(
        name,
        {
            "count": serializers.IntegerField(),
            "next": serializers.URLField(allow_null=True),
            "previous": serializers.URLField(allow_null=True),
            "results": item,
        },
    )


class ApiPagination(LimitOffsetPagination):
    """`limit`/`offset` paging, strict and with a ceiling.

    DRF's own ignores a `limit` that is not a number (the client silently gets another
    page size than it asked for) and has no ceiling (a huge `limit` reached the database
    as LIMIT and overflowed it: a 500 on both databases). Here a bad value is a 400 and
    `limit` is capped at `max_limit`.
    """

    max_limit = 200

    def get_limit(self, request):
        limit = _query_int(request, self.limit_query_param, minimum=1)
        return min(limit or self.default_limit, self.max_limit)

    def get_offset(self, request):
        return _query_int(request, self.offset_query_param, minimum=0) or 0


def _query_int(request, name: str, *, minimum: int) -> int | None:
    raw = request.query_params.get(name)
    if raw is None:
        return None
    try:
        value = int(raw)
    except ValueError:
        value = None
    if value is None or value < minimum:
        raise serializers.ValidationError({name: [f"Use a whole number, {minimum} or more."]})
    return value


PAGINATION_PARAMETERS = [
    OpenApiParameter(
        "limit",
        {"type": "integer", "minimum": 1},
        description=f"How many to answer with (default 50, at most {ApiPagination.max_limit}).",
    ),
    OpenApiParameter(
        "offset", {"type": "integer", "minimum": 0}, description="How many to skip first."
    ),
]
