"""Abuse limits: per-creator quotas (QUOTA_EXCEEDED) and API throttles (THROTTLED), both 429."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta

import pytest
import time_machine
from django.core.cache import cache, caches
from django.core.cache.backends.db import DatabaseCache
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from core.quotas import QuotaExceeded
from tests.helpers import PROJECT_DIR, database_url_for_subprocess, token_client
from transformations.models import TransformationJob

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _empty_cache():
    # Throttle histories live in the database cache table, which transactional tests'
    # flush does not empty: start and end each test with none.
    cache.clear()
    yield
    cache.clear()


def throttle_rates(settings, **rates):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], **rates},
    }


def post_text(client, n: int = 0):
    return client.post("/api/transformations", {"text": f"Story {n}.\n\nIt begins."})


# Quotas ---------------------------------------------------------------------------


def test_the_upload_past_the_daily_quota_is_refused_until_the_window_frees_a_slot(api, settings):
    settings.QUOTA_TRANSFORMATIONS_PER_DAY = 3
    start = timezone.now()
    for n in range(3):
        with time_machine.travel(start + timedelta(hours=n), tick=False):
            assert post_text(api, n).status_code == 201

    with time_machine.travel(start + timedelta(hours=3), tick=False):
        refused = post_text(api, 3)

    assert refused.status_code == 429
    body = refused.json()
    assert body["code"] == "QUOTA_EXCEEDED"
    assert "your limit of 3 transformations in 24 hours" in body["detail"]
    # The first upload leaves the rolling window 24 h after it was made.
    frees_at = start + timedelta(hours=24)
    assert f"You can start another in 21 h (at {frees_at:%H:%M} UTC)." in body["detail"]
    assert int(refused["Retry-After"]) == 21 * 3600
    assert TransformationJob.objects.count() == 3

    with time_machine.travel(frees_at + timedelta(seconds=1), tick=False):
        assert post_text(api, 4).status_code == 201
        assert post_text(api, 5).status_code == 429


def test_the_quota_says_when_the_oldest_counted_upload_frees_its_slot(make_job, user, settings):
    settings.QUOTA_TRANSFORMATIONS_PER_DAY = 2
    now = timezone.now()
    first, second = make_job(b"One."), make_job(b"Two.")
    TransformationJob.objects.filter(pk=first.pk).update(created_at=now - timedelta(hours=20))
    TransformationJob.objects.filter(pk=second.pk).update(created_at=now - timedelta(hours=1))

    with pytest.raises(QuotaExceeded) as refused:
        make_job(b"Three.")

    assert "in 4 h" in refused.value.message
    assert timedelta(hours=3, minutes=59) < refused.value.retry_after <= timedelta(hours=4)


def test_the_upload_page_shows_the_quota_error_next_to_the_field(client, user, settings):
    settings.QUOTA_TRANSFORMATIONS_PER_DAY = 1
    client.force_login(user)
    form = {"text": "A story.\n\nIt begins.", "hook_pack_count": 3, "release_mode": "hybrid"}
    assert client.post("/transformations/new", form).status_code == 302

    page = client.post("/transformations/new", form)

    assert page.status_code == 200
    content = page.content.decode()
    errors = content[content.index('id="text-errors"') :]
    assert "your limit of 1 transformation in 24 hours" in errors[: errors.index("</ul>")]
    assert TransformationJob.objects.count() == 1


def test_staff_are_exempt_from_quotas(make_job, staff_user, settings):
    settings.QUOTA_TRANSFORMATIONS_PER_DAY = 1
    settings.QUOTA_STORAGE_BYTES = 10

    for n in range(3):
        make_job(f"Story {n} that is longer than ten bytes.".encode(), owner=staff_user)

    assert TransformationJob.objects.filter(user=staff_user).count() == 3


def test_the_storage_quota_counts_every_stored_source(api, make_job, settings):
    settings.QUOTA_STORAGE_BYTES = 1000
    make_job(b"x" * 600)

    refused = api.post("/api/transformations", {"text": "y" * 500})

    assert refused.status_code == 429
    assert refused.json()["code"] == "QUOTA_EXCEEDED"
    assert "you use 600 bytes of 1000 bytes" in refused.json()["detail"]
    assert "ask an administrator to remove transformations" in refused.json()["detail"]
    # Waiting does not free storage: no Retry-After.
    assert "Retry-After" not in refused
    assert api.post("/api/transformations", {"text": "y" * 400}).status_code == 201


def test_other_creators_have_their_own_quota(api, other_user, settings):
    settings.QUOTA_TRANSFORMATIONS_PER_DAY = 1
    assert post_text(api).status_code == 201
    assert post_text(api, 1).status_code == 429

    assert post_text(token_client(other_user)).status_code == 201


def test_a_zero_quota_is_no_quota(make_job, settings):
    settings.QUOTA_TRANSFORMATIONS_PER_DAY = 0
    settings.QUOTA_STORAGE_BYTES = 0

    for n in range(5):
        make_job(f"Story {n}.".encode())

    assert TransformationJob.objects.count() == 5


# Throttles ------------------------------------------------------------------------


def test_the_cache_is_the_shared_database_cache():
    assert isinstance(caches["default"], DatabaseCache)
    assert caches["default"]._table == "storyengine_cache"


def test_a_burst_past_the_rate_is_throttled_with_retry_after(api, user, settings):
    throttle_rates(settings, transformation_create="2/min")
    session = APIClient()
    session.force_login(user)

    assert post_text(api, 1).status_code == 201
    # Another client of the same user counts into the same window.
    assert post_text(session, 2).status_code == 201
    throttled = post_text(api, 3)

    assert throttled.status_code == 429
    assert throttled.json()["code"] == "THROTTLED"
    assert "Try again in" in throttled.json()["detail"]
    assert 1 <= int(throttled["Retry-After"]) <= 60
    assert post_text(session, 4).status_code == 429
    assert TransformationJob.objects.count() == 2
    # The history is a row of the database cache table.
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM storyengine_cache")
        assert cursor.fetchone()[0] >= 1


def test_retry_after_is_when_the_oldest_counted_request_leaves_the_window(api, settings):
    throttle_rates(settings, transformation_create="2/min")
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        assert post_text(api, 1).status_code == 201
    with time_machine.travel(start + timedelta(seconds=20), tick=False):
        assert post_text(api, 2).status_code == 201
    with time_machine.travel(start + timedelta(seconds=30), tick=False):
        throttled = post_text(api, 3)
    assert int(throttled["Retry-After"]) == 30

    with time_machine.travel(start + timedelta(seconds=61), tick=False):
        assert post_text(api, 4).status_code == 201


def test_reading_is_never_throttled(api, settings, django_assert_max_num_queries):
    throttle_rates(settings, transformation_create="1/min")
    assert post_text(api).status_code == 201

    for _ in range(5):
        assert api.get("/api/transformations").status_code == 200
    with django_assert_max_num_queries(4):  # and reads do not touch the cache
        api.get("/api/transformations")


def test_each_user_has_their_own_budget(api, other_user, settings):
    throttle_rates(settings, transformation_create="1/min")
    assert post_text(api).status_code == 201
    assert post_text(api, 1).status_code == 429

    assert post_text(token_client(other_user)).status_code == 201


@pytest.mark.parametrize(
    ("scope", "path"),
    [
        ("transformation_retry", "/api/transformations/6f1b1c34-2a49-4d1c-9a52-000000000000/retry"),
        ("asset_regenerate", "/api/universes/999999/assets/regenerate"),
        ("portrait_request", "/api/universes/999999/characters/anna/portraits"),
    ],
)
def test_the_other_expensive_writes_are_throttled(api, settings, scope, path):
    throttle_rates(settings, **{scope: "1/hour"})

    # The throttle runs before the view: even a request for nothing counts.
    assert api.post(path, {}, format="json").status_code == 404
    throttled = api.post(path, {}, format="json")

    assert throttled.status_code == 429
    assert throttled.json()["code"] == "THROTTLED"
    assert 3500 <= int(throttled["Retry-After"]) <= 3600


def test_an_empty_rate_turns_a_throttle_off(api, settings):
    throttle_rates(settings, transformation_create=None)

    for n in range(12):
        assert post_text(api, n).status_code == 201


@pytest.mark.django_db(transaction=True)
def test_the_limit_holds_across_processes(user, settings, tmp_path):
    """Two clients here and a second web process share one window: the database cache."""
    throttle_rates(settings, transformation_create="3/min")
    api = token_client(user)
    session = APIClient()
    session.force_login(user)
    key = api._credentials["HTTP_AUTHORIZATION"]
    env = {
        **os.environ,
        "DATABASE_URL": database_url_for_subprocess(),
        "MEDIA_ROOT": str(tmp_path / "media"),
        "DJANGO_ALLOWED_HOSTS": "testserver",
        "THROTTLE_TRANSFORMATION_CREATE": "3/min",
    }
    env.pop("SQLITE_TEST_NAME", None)

    def post_from_another_process() -> int:
        script = (
            "from django.test import Client; "
            f"r = Client().post('/api/transformations', {{'text': 'Elsewhere.'}}, "
            f"HTTP_AUTHORIZATION={key!r}); print(r.status_code)"
        )
        result = subprocess.run(
            [sys.executable, "manage.py", "shell", "-c", script],
            cwd=PROJECT_DIR,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0, result.stderr
        return int(result.stdout.strip().splitlines()[-1])

    assert post_text(api, 1).status_code == 201
    assert post_text(session, 2).status_code == 201
    assert post_from_another_process() == 201

    assert post_text(api, 3).status_code == 429
    assert post_from_another_process() == 429
    assert TransformationJob.objects.count() == 3
