import json
import os
import subprocess
import sys
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from jobqueue.models import WorkerHeartbeat
from jobqueue.worker import Worker
from tests.helpers import PROJECT_DIR

pytestmark = pytest.mark.django_db


def test_healthz_without_any_worker_is_degraded_but_still_200(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {
        "status": "degraded",
        "database": "ok",
        "migrations": "applied",
        "workers": "none",
        "workerHeartbeatAgeSeconds": None,
    }
    assert "no-cache" in response["Cache-Control"]


def test_healthz_is_ok_with_a_fresh_worker_heartbeat(client):
    Worker().beat()

    response = client.get("/healthz")

    body = response.json()
    assert response.status_code == 200
    assert body["status"] == "ok"
    assert body["workers"] == "alive"
    assert body["workerHeartbeatAgeSeconds"] < 5
    assert WorkerHeartbeat.objects.count() == 1


def test_a_stale_worker_heartbeat_is_degraded_not_unhealthy(client, settings):
    settings.WORKER_STALE_AFTER = 60
    WorkerHeartbeat.objects.create(
        worker_id="host:1:old",
        hostname="host",
        pid=1,
        last_seen_at=timezone.now() - timedelta(seconds=300),
    )

    response = client.get("/healthz")

    body = response.json()
    assert response.status_code == 200
    assert body["status"] == "degraded"
    assert body["workers"] == "stale"
    assert 299 <= body["workerHeartbeatAgeSeconds"] < 310


def test_healthz_costs_the_same_few_queries_however_many_workers(
    client, django_assert_max_num_queries
):
    for n in range(30):
        WorkerHeartbeat.objects.create(worker_id=f"host:{n}:x", hostname="host", pid=n)

    with django_assert_max_num_queries(4):
        assert client.get("/healthz").status_code == 200


@pytest.mark.django_db(transaction=True)
def test_pending_migrations_make_healthz_unhealthy_with_503(client):
    # A real pending migration: the newest transformations migration (ModelCall, a leaf
    # nothing depends on) is rolled back, then applied again.
    call_command("migrate", "transformations", "0002_initial", verbosity=0)
    try:
        response = client.get("/healthz")
    finally:
        call_command("migrate", verbosity=0)

    assert response.status_code == 503
    assert response.json()["status"] == "unhealthy"
    assert response.json()["migrations"] == "pending"
    assert response.json()["database"] == "ok"
    after = client.get("/healthz")
    assert after.status_code == 200
    assert after.json()["migrations"] == "applied"


def test_an_unreachable_database_makes_healthz_503_without_naming_it():
    # A real web process whose database refuses connections (nothing listens on port 1).
    env = {
        **os.environ,
        "DATABASE_URL": "postgres://storyuser:s3cret-pw@127.0.0.1:1/storyengine",
        "DJANGO_ALLOWED_HOSTS": "testserver",
    }
    env.pop("SQLITE_TEST_NAME", None)
    script = (
        "from django.test import Client; r = Client().get('/healthz'); "
        "print(r.status_code); print(r.content.decode())"
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
    status, body = result.stdout.strip().splitlines()[-2:]
    assert status == "503"
    assert json.loads(body) == {
        "status": "unhealthy",
        "database": "unreachable",
        "migrations": "unknown",
        "workers": "unknown",
        "workerHeartbeatAgeSeconds": None,
    }
    for secret in ("storyuser", "s3cret", "127.0.0.1", "5432", "psycopg", "connection"):
        assert secret not in body


def test_home_page_lists_the_creators_universes_and_jobs(client, user, make_job):
    make_job(b"INT. HALL - DAY\n\nANNA\nHello?\n\nBEN\nHere.\n", filename="hall.fountain")
    client.force_login(user)

    page = client.get("/")

    assert page.status_code == 200
    assert b"hall.fountain" in page.content


def test_home_page_invites_anonymous_visitors_to_log_in(client):
    assert b"Log in" in client.get("/").content
