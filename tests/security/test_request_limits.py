"""Bounds on what one request may ask for: its body's size, and how many rows a page holds."""

from __future__ import annotations

import json

import pytest

from assets.models import AssetJob
from tests.helpers import reload, run_until_idle, token_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def universe(make_job, time_spent_script):
    job = make_job(time_spent_script)
    run_until_idle()
    return reload(job).output_universe


def regenerate_with(user, universe, card_ids: list[int]):
    body = json.dumps({"assetTypes": ["cover"], "cardIds": card_ids}).encode()
    response = token_client(user).generic(
        "POST",
        f"/api/universes/{universe.pk}/assets/regenerate",
        body,
        content_type="application/json",
    )
    return len(body), response


def test_api_writes_past_a_megabyte_are_refused_before_they_are_parsed(user, universe):
    # Just under the limit the body is read, and refused for what it says.
    size, read = regenerate_with(user, universe, [1] * 300_000)
    assert size < 1024 * 1024 and read.status_code == 400
    assert read.json()["errors"]["cardIds"]

    # Past it, and far past Django's own limit for form bodies (which used to end in a 500).
    for count in (400_000, 15_000_000):
        size, refused = regenerate_with(user, universe, [1] * count)
        assert size > 1024 * 1024
        assert refused.status_code == 413
        assert refused.json()["code"] == "REQUEST_TOO_LARGE"
    assert not AssetJob.objects.filter(universe=universe).exists()


def test_uploads_keep_their_own_larger_limit(user, settings):
    settings.UPLOAD_MAX_BYTES = 3 * 1024 * 1024
    story = "INT. ROOM - DAY\n\nBOB\nHello.\n" * 70_000  # about 2 MB

    response = token_client(user).post("/api/transformations", {"text": story}, format="json")

    assert response.status_code == 201


def test_paging_parameters_are_checked_and_the_page_size_is_capped(user, make_job):
    for _ in range(3):
        make_job(b"INT. ROOM - DAY\n\nBOB\nHello.")
    api = token_client(user)

    # Past 2**63 a LIMIT overflowed the database: a 500 on SQLite and PostgreSQL alike.
    huge = api.get("/api/transformations?limit=99999999999999999999999")
    assert huge.status_code == 200 and huge.json()["count"] == 3
    assert len(api.get("/api/transformations?limit=1").json()["results"]) == 1
    capped = api.get("/api/transformations?limit=100000&offset=1").json()
    assert len(capped["results"]) == 2 and "limit=200" in capped["previous"]
    for query in ("limit=abc", "limit=0", "offset=-1", "offset=1.5"):
        refused = api.get(f"/api/transformations?{query}")
        assert refused.status_code == 400, query
        assert refused.json()["code"] == "VALIDATION_ERROR"
