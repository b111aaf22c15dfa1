import pytest

from jobqueue.models import WorkerHeartbeat
from jobqueue.worker import Worker

pytestmark = pytest.mark.django_db


def test_healthz_reports_the_database_and_no_live_worker(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "database": "ok",
        "workers": "stale",
        "workerHeartbeatAgeSeconds": None,
    }


def test_healthz_sees_a_fresh_worker_heartbeat(client):
    Worker().beat()

    body = client.get("/healthz").json()

    assert body["workers"] == "alive"
    assert body["workerHeartbeatAgeSeconds"] < 5
    assert WorkerHeartbeat.objects.count() == 1


def test_home_page_lists_the_creators_universes_and_jobs(client, user, make_job):
    make_job(b"INT. HALL - DAY\n\nANNA\nHello?\n\nBEN\nHere.\n", filename="hall.fountain")
    client.force_login(user)

    page = client.get("/")

    assert page.status_code == 200
    assert b"hall.fountain" in page.content


def test_home_page_invites_anonymous_visitors_to_log_in(client):
    assert b"Log in" in client.get("/").content
