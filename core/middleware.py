"""Refuse oversized uploads from their Content-Length, before the body is read or stored."""

from __future__ import annotations

from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import render

UPLOAD_PATHS = ("/api/transformations", "/transformations/new")
# Room for the form fields that travel with the file.
FORM_OVERHEAD_BYTES = 64 * 1024


class UploadSizeLimitMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method == "POST" and request.path in UPLOAD_PATHS:
            try:
                length = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = 0
            limit = settings.UPLOAD_MAX_BYTES
            if length > limit + FORM_OVERHEAD_BYTES:
                return self._too_large(request, length, limit)
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
