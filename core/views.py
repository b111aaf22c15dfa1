"""Site-wide pages: the home page and the health check."""

from __future__ import annotations

from django.conf import settings
from django.db import DatabaseError, connection
from django.http import JsonResponse
from django.shortcuts import render

from jobqueue.worker import worker_heartbeat_age_seconds
from transformations.selectors import job_list_visible
from universes.selectors import universe_list_visible


def home(request):
    context = {}
    if request.user.is_authenticated:
        context = {
            "universes": universe_list_visible(user=request.user)[:20],
            "jobs": job_list_visible(user=request.user)[:10],
        }
    return render(request, "home.html", context)


def healthz(request):
    """200 when the database answers; reports how fresh the newest worker heartbeat is."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        age = worker_heartbeat_age_seconds()
    except DatabaseError:
        return JsonResponse(
            {"status": "error", "database": "unreachable", "code": "DATABASE_UNAVAILABLE"},
            status=503,
        )
    workers_alive = age is not None and age <= settings.WORKER_STALE_AFTER
    return JsonResponse(
        {
            "status": "ok",
            "database": "ok",
            "workers": "alive" if workers_alive else "stale",
            "workerHeartbeatAgeSeconds": None if age is None else round(age, 1),
        }
    )
