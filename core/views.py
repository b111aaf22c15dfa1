"""Site-wide pages: the home page and the health check."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import login
from django.db import DatabaseError, connection
from django.http import JsonResponse
from django.shortcuts import redirect, render

from core.forms import SignupForm
from jobqueue.worker import worker_heartbeat_age_seconds
from transformations.selectors import job_list_visible
from universes.selectors import universe_list_visible


def home(request):
    context = {}
    if request.user.is_authenticated:
        context = {
            "universes": universe_list_visible(user=request.user).filter(owner=request.user)[:24],
            "jobs": job_list_visible(user=request.user).filter(user=request.user)[:10],
        }
    return render(request, "home.html", context)


def signup(request):
    if request.user.is_authenticated:
        return redirect("home")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        return redirect("home")
    return render(request, "registration/signup.html", {"form": form})


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
