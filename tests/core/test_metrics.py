"""/metrics: who may read it, that it is valid Prometheus text, and that the numbers are right."""

from __future__ import annotations

import math
import re
from datetime import timedelta

import pytest
from django.utils import timezone

from assets.models import AssetJob
from core.metrics import MetricFamily, exposition
from jobqueue.models import WorkerHeartbeat
from tests.helpers import token_client
from transformations.models import TransformationJob
from universes.models import Universe

pytestmark = pytest.mark.django_db

TOKEN = "scrape-token-0123456789abcdef0123456789"

# The text exposition format 0.0.4: names, labels with escaped values, float values.
NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LABEL_PAIR = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"(,|$)')
SAMPLE = re.compile(rf"^({NAME})(?:\{{(.*)\}})? (\S+)$")
TYPES = {"counter", "gauge", "histogram", "summary", "untyped"}


def parse_exposition(text: str) -> dict[str, dict]:
    """A strict little parser: fails on anything a Prometheus server would reject.

    Returns {family: {"help", "type", "samples": {frozenset(labels): value}}}.
    """
    assert text.endswith("\n"), "the last line must end with a line feed"
    families: dict[str, dict] = {}
    current = None
    for line in text[:-1].split("\n"):
        if line.startswith("# HELP ") or line.startswith("# TYPE "):
            keyword, name, rest = line[2:6], *line[7:].split(" ", 1)
            assert re.fullmatch(NAME, name), line
            if name != current:
                assert name not in families, f"{name}: its lines must be one uninterrupted group"
                families[name] = {"help": None, "type": None, "samples": {}}
                current = name
            family = families[name]
            assert not family["samples"], f"{name}: HELP and TYPE must come before samples"
            if keyword == "HELP":
                assert family["help"] is None, f"{name}: two HELP lines"
                assert re.fullmatch(r"(?:[^\\\n]|\\[\\n])*", rest), line
                family["help"] = rest
            else:
                assert family["type"] is None and rest in TYPES, line
                family["type"] = rest
            continue
        assert not line.startswith("#") and line.strip(), f"unexpected line: {line!r}"
        match = SAMPLE.match(line)
        assert match, f"not a sample line: {line!r}"
        name, raw_labels, raw_value = match.groups()
        assert name == current, f"{name}: sample outside its family's group"
        labels = {}
        if raw_labels:
            position = 0
            while position < len(raw_labels):
                pair = LABEL_PAIR.match(raw_labels, position)
                assert pair, f"bad labels: {raw_labels!r}"
                key, value = pair.group(1), pair.group(2)
                assert key not in labels
                labels[key] = re.sub(r"\\(.)", lambda m: {"n": "\n"}.get(m[1], m[1]), value)
                position = pair.end()
        value = float(raw_value)  # accepts NaN, +Inf, -Inf like Go's ParseFloat
        key = frozenset(labels.items())
        assert key not in families[name]["samples"], f"duplicate series: {line}"
        families[name]["samples"][key] = value
    return families


def value_of(families, name: str, **labels) -> float:
    return families[f"storyengine_{name}"]["samples"][frozenset(labels.items())]


@pytest.fixture
def scraper(settings):
    settings.METRICS_TOKEN = TOKEN
    return token_client(None)


def scrape(client) -> dict[str, dict]:
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
    return parse_exposition(response.content.decode())


# Who may read it ----------------------------------------------------------------


def test_metrics_are_not_found_for_anonymous_visitors_and_creators(client, user, settings):
    settings.METRICS_TOKEN = TOKEN

    assert client.get("/metrics").status_code == 404
    client.force_login(user)
    assert client.get("/metrics").status_code == 404
    assert token_client(user).get("/metrics").status_code == 404


def test_a_wrong_or_empty_bearer_token_is_not_found(client, settings):
    settings.METRICS_TOKEN = TOKEN
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 404
    assert client.get("/metrics", HTTP_AUTHORIZATION=f"Token {TOKEN}").status_code == 404
    assert client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}x").status_code == 404

    # No token configured: an empty bearer must not match the empty setting.
    settings.METRICS_TOKEN = ""
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 404
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer").status_code == 404


def test_staff_read_metrics_with_their_session(client, staff_user):
    client.force_login(staff_user)

    response = client.get("/metrics")

    assert response.status_code == 200
    assert "no-cache" in response["Cache-Control"]
    parse_exposition(response.content.decode())


def test_a_scraper_reads_metrics_with_the_bearer_token(client, scraper):
    families = scrape(client)

    assert families["storyengine_workers_live"]["type"] == "gauge"


# The format ---------------------------------------------------------------------


def test_exposition_escapes_help_and_label_values_and_writes_special_floats():
    family = MetricFamily("demo", 'Back\\slash and\nnewline "quoted".')
    family.add(1, code='a"b\\c\nd')
    family.add(None, code="nan")
    family.add(math.inf, code="inf")
    family.add(0.25, code="quarter")

    text = exposition([family])

    assert '# HELP storyengine_demo Back\\\\slash and\\nnewline "quoted".\n' in text
    assert 'storyengine_demo{code="a\\"b\\\\c\\nd"} 1\n' in text
    parsed = parse_exposition(text)["storyengine_demo"]["samples"]
    assert parsed[frozenset({("code", 'a"b\\c\nd')})] == 1
    assert math.isnan(parsed[frozenset({("code", "nan")})])
    assert parsed[frozenset({("code", "inf")})] == math.inf
    assert parsed[frozenset({("code", "quarter")})] == 0.25


def test_an_empty_installation_exposes_every_family_with_zeros(client, scraper):
    families = scrape(client)

    for kind in ("transformation", "asset"):
        for status in ("queued", "running", "completed", "failed", "cancelled"):
            assert value_of(families, "jobs", kind=kind, status=status) == 0
        assert value_of(families, "queue_depth", kind=kind) == 0
        assert value_of(families, "queue_oldest_age_seconds", kind=kind) == 0
        assert value_of(families, "pickup_latency_samples", kind=kind) == 0
        assert math.isnan(value_of(families, "pickup_latency_seconds", kind=kind, quantile="0.5"))
    assert families["storyengine_job_failures"]["samples"] == {}
    assert value_of(families, "asset_jobs", type="cover", status="ready") == 0
    assert value_of(families, "workers_live") == 0
    assert math.isnan(value_of(families, "worker_heartbeat_age_seconds"))
    assert value_of(families, "metrics_window_seconds") == 3600


# The numbers --------------------------------------------------------------------


def _job(make_job, n: int, **fields) -> TransformationJob:
    job = make_job(f"Story number {n}.\n\nIt begins here.".encode(), filename=f"s{n}.txt")
    TransformationJob.objects.filter(pk=job.pk).update(**fields)
    return job


@pytest.fixture
def history(make_job, user):
    """Jobs, stage timings, asset jobs and workers whose metrics are known by hand."""
    now = timezone.now()

    def ago(seconds: float):
        return now - timedelta(seconds=seconds)

    def timing(duration_ms: int, finished_seconds_ago: float) -> dict:
        return {
            "attempt": 1,
            "durationMs": duration_ms,
            "finishedAt": ago(finished_seconds_ago).isoformat(),
        }

    # Queued: one runnable for 120 s, one waiting out a backoff.
    _job(make_job, 1, status="queued", run_after=ago(120), created_at=ago(400))
    _job(make_job, 2, status="queued", run_after=now + timedelta(minutes=5))
    # Picked up after 10 s, 2 s and 1 s; stage 0 took 1.5 s and 2.5 s, stage 1 0.5 s.
    _job(
        make_job,
        3,
        status="completed",
        created_at=ago(100),
        started_at=ago(90),
        finished_at=ago(55),
        stage_timings={"0": timing(1500, 80), "1": timing(500, 60)},
    )
    _job(
        make_job,
        4,
        status="completed",
        created_at=ago(50),
        started_at=ago(48),
        finished_at=ago(30),
        stage_timings={"0": timing(2500, 40)},
    )
    _job(
        make_job,
        5,
        status="failed",
        error_code="UNKNOWN_FORMAT",
        rescued_count=2,
        created_at=ago(21),
        started_at=ago(20),
        finished_at=ago(10),
    )
    _job(
        make_job,
        6,
        status="failed",
        error_code="WORKER_LOST",
        rescued_count=3,
        created_at=ago(20),
        started_at=ago(19),
        finished_at=ago(5),
    )
    # Long ago: out of every window, but still counted by status and rescues.
    _job(
        make_job,
        7,
        status="failed",
        error_code="UNKNOWN_FORMAT",
        rescued_count=1,
        created_at=ago(3 * 86400),
        started_at=ago(3 * 86400),
        finished_at=ago(2 * 86400),
        updated_at=ago(2 * 86400),
        stage_timings={"0": timing(99000, 2 * 86400)},
    )
    # Running with an expired lease: stuck.
    _job(
        make_job,
        8,
        status="running",
        lease_expires_at=ago(30),
        started_at=ago(200),
        created_at=ago(201),
    )

    universe = Universe.objects.create(owner=user, slug="tide", title="Tide")
    for key, asset_type, status in [
        ("cover", "cover", "ready"),
        ("card_image:1", "card_image", "ready"),
        ("card_image:2", "card_image", "ready"),
        ("card_image:3", "card_image", "failed"),
        ("narration", "narration", "skipped"),
    ]:
        AssetJob.objects.create(
            universe=universe,
            key=key,
            asset_type=asset_type,
            asset_status=status,
            status="completed",
        )

    WorkerHeartbeat.objects.create(worker_id="a:1:x", hostname="a", pid=1, last_seen_at=ago(2))
    WorkerHeartbeat.objects.create(worker_id="b:2:y", hostname="b", pid=2, last_seen_at=ago(600))


def test_metrics_match_the_jobs_workers_and_assets_stored(client, scraper, history):
    families = scrape(client)

    def kind(name, **labels):
        return value_of(families, name, kind="transformation", **labels)

    assert kind("jobs", status="queued") == 2
    assert kind("jobs", status="completed") == 2
    assert kind("jobs", status="failed") == 3
    assert kind("jobs", status="running") == 1
    assert kind("jobs", status="cancelled") == 0
    assert kind("queue_depth") == 1
    assert value_of(families, "queue_scheduled", kind="transformation") == 1
    assert 119 <= kind("queue_oldest_age_seconds") < 130
    assert kind("jobs_stuck") == 1
    assert kind("job_rescues") == 6
    # Nearest rank over the pickups of jobs 3, 4, 5, 6 and 8: [1, 1, 1, 2, 10] s.
    assert kind("pickup_latency_samples") == 5
    assert kind("pickup_latency_seconds", quantile="0.5") == pytest.approx(1, abs=0.01)
    assert kind("pickup_latency_seconds", quantile="0.95") == pytest.approx(10, abs=0.01)
    assert kind("job_failures", code="UNKNOWN_FORMAT") == 1
    assert kind("job_failures", code="WORKER_LOST") == 1

    def stage(name, index, **labels):
        stage_name = ("normalise", "read")[index]
        return value_of(families, name, stage=str(index), stage_name=stage_name, **labels)

    assert stage("stage_duration_samples", 0) == 2
    assert stage("stage_duration_seconds", 0, quantile="0.5") == pytest.approx(1.5)
    assert stage("stage_duration_seconds", 0, quantile="0.95") == pytest.approx(2.5)
    assert stage("stage_duration_samples", 1) == 1
    assert stage("stage_duration_seconds", 1, quantile="0.95") == pytest.approx(0.5)
    assert value_of(families, "stage_duration_samples", stage="5", stage_name="craft") == 0

    assert value_of(families, "asset_jobs", type="card_image", status="ready") == 2
    assert value_of(families, "asset_jobs", type="card_image", status="failed") == 1
    assert value_of(families, "asset_jobs", type="narration", status="skipped") == 1
    assert value_of(families, "asset_jobs", type="pdf", status="queued") == 0
    assert value_of(families, "jobs", kind="asset", status="completed") == 5

    assert value_of(families, "workers_live") == 1
    assert 1 <= value_of(families, "worker_heartbeat_age_seconds") < 10


def test_the_window_is_a_setting(client, scraper, history, settings):
    settings.METRICS_WINDOW_SECONDS = 8

    families = scrape(client)

    assert value_of(families, "metrics_window_seconds") == 8
    # Only job 6 failed in the last 8 s; nothing was first claimed in them.
    assert value_of(families, "job_failures", kind="transformation", code="WORKER_LOST") == 1
    assert (
        frozenset({("kind", "transformation"), ("code", "UNKNOWN_FORMAT")})
        not in (families["storyengine_job_failures"]["samples"])
    )
    assert value_of(families, "pickup_latency_samples", kind="transformation") == 0


def test_a_scrape_costs_a_fixed_number_of_queries(
    client, scraper, history, make_job, django_assert_max_num_queries
):
    # Three per job kind (two kinds) and three more, whatever the history holds.
    with django_assert_max_num_queries(9):
        scrape(client)
    for n in range(20, 40):
        _job(make_job, n, status="completed", started_at=timezone.now())
    with django_assert_max_num_queries(9):
        scrape(client)
