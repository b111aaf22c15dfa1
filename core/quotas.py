"""Abuse limits: the quota error, the API's write throttle and how both talk about time and size.

Quotas bound what one account may cost over a day (uploads, stored sources) and are
checked by the services; throttles bound bursts on the expensive API writes and are
checked by DRF before the view runs. Both answer 429 in the API's error shape:
`QUOTA_EXCEEDED` and `THROTTLED`, with `Retry-After` when waiting helps.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

from django.core.exceptions import ImproperlyConfigured
from rest_framework.permissions import SAFE_METHODS
from rest_framework.settings import api_settings
from rest_framework.throttling import ScopedRateThrottle

from core.errors import ApplicationError


class QuotaExceeded(ApplicationError):
    status_code = 429
    code = "QUOTA_EXCEEDED"

    def __init__(self, message: str, *, retry_after: timedelta | None = None):
        super().__init__(message)
        # None when waiting will not help (storage): the answer then has no Retry-After.
        self.retry_after = retry_after


class WriteThrottle(ScopedRateThrottle):
    """DRF's per-user scoped throttle, for the writes of views that set `throttle_scope`.

    1. Safe methods pass without touching the cache: a view such as the transformation
       list shares its class with an expensive POST, and reading it costs nothing.
    2. The rate is read when the request arrives. DRF binds `THROTTLE_RATES` when its
       module is imported, so a changed setting (an operator's, a test's) would be ignored.
    3. `wait()` is the moment a request will be allowed again, not DRF's estimate that
       spreads the remaining requests over the window: a client told to come back in N
       seconds and doing so is then let in.

    The history lives in the default cache, the database cache, so every web process
    counts into the same window. DRF reads and writes it without a lock: two requests
    racing in the same instant can both pass, which a burst limit can live with.
    """

    def allow_request(self, request, view):
        if request.method in SAFE_METHODS:
            return True
        return super().allow_request(request, view)

    def get_rate(self):
        try:
            return api_settings.DEFAULT_THROTTLE_RATES[self.scope]
        except KeyError:
            raise ImproperlyConfigured(
                f"No throttle rate is set for the “{self.scope}” scope "
                "(REST_FRAMEWORK['DEFAULT_THROTTLE_RATES'])."
            ) from None

    def wait(self):
        if not self.num_requests:
            return float(self.duration)
        # History is newest first; once the request at index num_requests - 1 leaves the
        # window, fewer than num_requests remain in it.
        freed_at = self.history[self.num_requests - 1] + self.duration
        return max(1.0, freed_at - self.now)


def wait_display(seconds: float) -> str:
    """How long until a limit lets the user in again: "40 s", "12 min", "3 h 5 min"."""
    seconds = max(1, math.ceil(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes = math.ceil(seconds / 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"


def size_display(size: int) -> str:
    """Bytes as creators read them: "840 KB", "12.5 MB", "1 GB"."""
    for unit, scale in (("GB", 1024**3), ("MB", 1024**2), ("KB", 1024)):
        if size >= scale:
            value = size / scale
            return f"{value:.1f} {unit}".replace(".0 ", " ")
    return f"{size} bytes"


def time_display(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%H:%M UTC")
