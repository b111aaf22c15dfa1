"""Refuse oversized request bodies from their Content-Length, before they are read or stored."""

from __future__ import annotations

from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import render

UPLOAD_PATHS = ("/api/transformations", "/transformations/new")
# Room for the form fields that travel with the file.
FORM_OVERHEAD_BYTES = 64 * 1024
# Every other API write is a small JSON document (a list of asset types, a style). DRF reads
# it as a stream, so Django's DATA_UPLOAD_MAX_MEMORY_SIZE (sized for uploads) was the only
# bound: up to 26 MB of JSON was parsed in memory, and past it the API answered a 500.
API_BODY_MAX_BYTES = 1024 * 1024


class UploadSizeLimitMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if request.method == "POST" and request.path in UPLOAD_PATHS:
            limit = settings.UPLOAD_MAX_BYTES
            if length > limit + FORM_OVERHEAD_BYTES:
                return self._too_large(request, length, limit)
        elif request.path.startswith("/api/") and length > API_BODY_MAX_BYTES:
            return JsonResponse(
                {
                    "detail": f"This request is {length / 1_048_576:.1f} MB; API requests "
                    f"other than uploads may be {API_BODY_MAX_BYTES // 1_048_576} MB at most.",
                    "code": "REQUEST_TOO_LARGE",
                },
                status=413,
            )
        return self.get_response(request)

    def _too_large(self, request, length: int, limit: int):
        message = (
            f"This upload is {length / 1_048_576:.1f} MB; the limit is "
            f"{limit / 1_048_576:.0f} MB. Split the story or upload a shorter version."
        )
        if request.path.startswith("/api/"):
            return JsonResponse({"detail": message, "code": "FILE_TOO_LARGE"}, status=413)
        response = render(request, "413.html", {"message": message}, status=413)
        return response
