"""Site-wide pages: the home page, the health check and the metrics."""

from __future__ import annotations

from django.contrib.auth import login
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from core.forms import SignupForm
from core.metrics import CONTENT_TYPE, exposition, metric_families, metrics_access_allowed
from core.metrics_selectors import health_check, metrics_snapshot
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


@never_cache
@require_safe
def healthz(request):
    """Whether this web process can serve: 503 when the database is unreachable or behind.

    Stale or missing workers make the answer "degraded" but keep it 200: Render restarts
    a web service whose health check fails, and restarting the web cannot bring a dead
    worker back; it would only take the pages down with it. Workers are watched through
    /metrics (workers_live, queue_oldest_age_seconds) instead. The answer names no host,
    version or error: anyone may call it.
    """
    health = health_check()
    return JsonResponse(
        {
            "status": health.status,
            "database": health.database,
            "migrations": health.migrations,
            "workers": health.workers,
            "workerHeartbeatAgeSeconds": (
                None if health.heartbeat_age is None else round(health.heartbeat_age, 1)
            ),
        },
        status=200 if health.serving else 503,
    )


@never_cache
@require_safe
def metrics(request):
    """Prometheus metrics for staff and for a scraper holding METRICS_TOKEN.

    Anyone else gets the site's ordinary 404, so the endpoint's existence is not
    advertised to the people it is closed to.
    """
    if not metrics_access_allowed(request):
        raise Http404
    body = exposition(metric_families(metrics_snapshot()))
    return HttpResponse(body, content_type=CONTENT_TYPE)
