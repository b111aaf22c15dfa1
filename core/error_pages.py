"""The answer to an address that matches no route: the API's error shape under /api/."""

from __future__ import annotations

from django.http import JsonResponse
from django.views import defaults


def page_not_found(request, exception):
    """API clients parse every answer as {"detail", "code"}, including this one (for example
    /api/universes/-1, which no route matches); people get the site's 404 page."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Not found.", "code": "NOT_FOUND"}, status=404)
    return defaults.page_not_found(request, exception)
