"""The asset job cockpit in the Django admin, its health table and the universe's asset actions."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.admin import helpers
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from assets.models import AssetJob, AssetStatus, AssetType
from assets.selectors import asset_file_url
from assets.services import assets_enqueue_for_universe, portrait_request
from jobqueue.models import QueueStatus
from universes.models import Card, Character, Universe

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/assets/assetjob/"
UNIVERSES = "/admin/universes/universe/"
HEALTH = "/admin/queue-health/"


def make_universe(owner, *, slug="story", title="The Lighthouse", cards=2) -> Universe:
    universe = Universe.objects.create(owner=owner, slug=slug, title=title)
    for day in range(1, cards + 1):
        Card.objects.create(
            universe=universe, day_index=day, title=f"Day {day}", publish_at=timezone.now()
        )
    return universe


@pytest.fixture
def universe(user) -> Universe:
    """A universe with two cards and its eight asset jobs, all queued."""
    universe = make_universe(user)
    assets_enqueue_for_universe(universe=universe)
    return universe


def job(universe, key) -> AssetJob:
    return AssetJob.objects.get(universe=universe, key=key)


def set_state(universe, key, **changes) -> AssetJob:
    AssetJob.objects.filter(universe=universe, key=key).update(**changes)
    return job(universe, key)


def failed(universe, key, *, finished_at=None, code="IMAGE_TIMEOUT") -> AssetJob:
    current = job(universe, key)
    return set_state(
        universe,
        key,
        status=QueueStatus.FAILED,
        asset_status=AssetStatus.FAILED,
        attempt=2,
        error_code=code,
        error_message_user="The picture took too long.",
        error_message_dev="TimeoutError: image engine after 180 s",
        started_at=timezone.now() - timedelta(minutes=4),
        finished_at=finished_at or timezone.now(),
        history=[
            *current.history,
            {"status": "generating", "at": "2026-01-01T10:00:00+00:00"},
            {"status": "failed", "at": "2026-01-01T10:03:00+00:00"},
        ],
    )


def running(universe, key, *, lease_expires_in=timedelta(minutes=5)) -> AssetJob:
    now = timezone.now()
    return set_state(
        universe,
        key,
        status=QueueStatus.RUNNING,
        asset_status=AssetStatus.GENERATING,
        attempt=1,
        lease_owner="asset-host:77:abc",
        lease_expires_at=now + lease_expires_in,
        started_at=now - timedelta(seconds=30),
    )


def ready(universe, key, **changes) -> AssetJob:
    return set_state(
        universe,
        key,
        status=QueueStatus.COMPLETED,
        asset_status=AssetStatus.READY,
        attempt=1,
        finished_at=timezone.now(),
        **changes,
    )


def run_action(client, url, action: str, objects):
    return client.post(
        url,
        {"action": action, helpers.ACTION_CHECKBOX_NAME: [str(o.pk) for o in objects]},
        follow=True,
    )


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def found(client, **params) -> set[str]:
    response = client.get(CHANGELIST, params)
    assert response.status_code == 200
    return {j.key for j in response.context["cl"].queryset}


@pytest.fixture
def viewer_client(client, staff_user):
    """Staff who may look at asset jobs but not change them, as a support role would be."""
    staff_user.user_permissions.add(Permission.objects.get(codename="view_assetjob"))
    client.force_login(staff_user)
    return client


# The list -------------------------------------------------------------------------------


def test_changelist_shows_the_cockpit_columns(admin_client, universe):
    broken = failed(universe, "cover")
    running(universe, "card_image:1")

    response = admin_client.get(CHANGELIST)

    assert response.status_code == 200
    content = response.content.decode()
    assert response.context["cl"].result_count == 8
    assert f'href="/admin/universes/universe/{universe.pk}/change/"' in content
    assert "The Lighthouse" in content
    assert "card_image:1" in content
    assert "Generating" in content
    assert "IMAGE_TIMEOUT" in content
    assert "#b91c1c" in content  # a failed asset in the failure colour
    assert f'<td class="field-attempts">2/{broken.max_attempts}</td>' in content


def test_changelist_query_count_does_not_grow_with_rows(admin_client, user):
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert admin_client.get(CHANGELIST).status_code == 200
        return len(queries)

    first = make_universe(user, slug="first", title="First")
    assets_enqueue_for_universe(universe=first)
    admin_client.get(CHANGELIST)  # warm the per-process caches (content types) first
    with_one_universe = count()

    for n in range(4):
        more = make_universe(user, slug=f"more-{n}", title=f"More {n}", cards=3)
        assets_enqueue_for_universe(universe=more)
        failed(more, "cover")
        ready(more, "card_image:1")
    response = admin_client.get(CHANGELIST)

    assert response.context["cl"].result_count == 8 + 4 * 11
    assert count() == with_one_universe


def test_filters_by_type_status_engine_stuck_and_failed_today(admin_client, universe):
    failed(universe, "cover")
    failed(universe, "pdf", finished_at=timezone.now() - timedelta(days=3))
    running(universe, "card_image:1", lease_expires_in=timedelta(minutes=-2))
    running(universe, "card_image:2")
    set_state(universe, "narration:1", engine="openai")

    assert found(admin_client, asset_type__exact="card_image") == {"card_image:1", "card_image:2"}
    assert found(admin_client, asset_status__exact="failed") == {"cover", "pdf"}
    assert found(admin_client, status__exact="running") == {"card_image:1", "card_image:2"}
    assert found(admin_client, engine="openai") == {"narration:1"}
    assert found(admin_client, stuck="yes") == {"card_image:1"}
    assert found(admin_client, failed_today="yes") == {"cover"}


def test_search_by_key_universe_title_id_and_error_code(admin_client, universe, user):
    other = make_universe(user, slug="other", title="Another Tale", cards=1)
    assets_enqueue_for_universe(universe=other)
    failed(universe, "pdf", code="PDF_FONT_MISSING")
    wanted = job(universe, "narration:2")

    assert found(admin_client, q="narration:2") == {"narration:2"}
    assert len(found(admin_client, q="Another Tale")) == 5
    assert found(admin_client, q=str(wanted.pk)) == {"narration:2"}
    assert found(admin_client, q="PDF_FONT") == {"pdf"}
    assert found(admin_client, q="no-such-thing") == set()


# The detail page ------------------------------------------------------------------------


def test_detail_page_shows_files_with_links_and_png_thumbnails_only(admin_client, universe):
    cover = ready(
        universe,
        "cover",
        files={
            "main": {
                "path": "assets/1/cover.png",
                "contentType": "image/png",
                "size": 20480,
                "sha256": "a1b2c3d4e5f6a7b8c9d0",
            }
        },
        metadata={"palette": ["#112233"], "prompt": "A lighthouse at dusk"},
        data={"alt": "A lighthouse"},
    )
    narration = ready(
        universe,
        "narration:1",
        files={
            "main": {"path": "assets/1/n1.wav", "contentType": "audio/wav", "size": 900},
            "captions": {"path": "assets/1/n1.vtt", "contentType": "text/vtt", "size": 120},
        },
    )

    cover_page = admin_client.get(f"{CHANGELIST}{cover.pk}/change/")
    narration_page = admin_client.get(f"{CHANGELIST}{narration.pk}/change/").content.decode()

    assert cover_page.status_code == 200
    content = cover_page.content.decode()
    url = asset_file_url(cover)
    assert f'<a href="{url}">assets/1/cover.png</a>' in content
    assert f'<img src="{url}"' in content
    assert "20.0 KB" in content
    assert "A lighthouse at dusk" in content  # metadata, pretty-printed JSON
    assert "&quot;alt&quot;: &quot;A lighthouse&quot;" in content
    assert 'name="_save"' not in content
    assert asset_file_url(narration, "captions") in narration_page
    assert "<img" not in narration_page.split('class="asset-files"')[1].split("</table>")[0]


def test_detail_page_shows_history_errors_and_skip_reason(admin_client, universe):
    broken = failed(universe, "card_image:2")
    skipped = set_state(
        universe,
        "narration:2",
        status=QueueStatus.COMPLETED,
        asset_status=AssetStatus.SKIPPED,
        skipped_reason="No speech synthesiser on this server.",
    )

    content = admin_client.get(f"{CHANGELIST}{broken.pk}/change/").content.decode()
    skipped_page = admin_client.get(f"{CHANGELIST}{skipped.pk}/change/").content.decode()

    history = content.split('class="asset-history"')[1].split("</table>")[0]
    assert history.count("<tr>") == 1 + 3  # header, then queued, generating, failed
    assert "Generating" in history
    assert "The picture took too long." in content
    assert "TimeoutError: image engine after 180 s" in content
    assert "IMAGE_TIMEOUT" in content
    assert f'href="/admin/universes/card/{broken.card_id}/change/"' in content
    assert "No speech synthesiser on this server." in skipped_page


def test_unknown_job_id_is_not_found_rather_than_an_error(admin_client, universe):
    response = admin_client.get(f"{CHANGELIST}not-a-uuid/change/", follow=True)

    assert response.status_code == 200
    assert "doesn’t exist" in response.content.decode()


# Actions --------------------------------------------------------------------------------


def test_regenerate_requeues_a_failed_job_and_reports_a_running_one(admin_client, universe):
    broken = failed(universe, "cover")
    busy = running(universe, "pdf")

    response = run_action(admin_client, CHANGELIST, "regenerate_assets", [broken, busy])

    assert response.status_code == 200
    again = job(universe, "cover")
    assert (again.status, again.asset_status) == (QueueStatus.QUEUED, AssetStatus.QUEUED)
    assert again.error_code == ""
    assert len(again.history) == len(broken.history) + 1
    assert again.history[-1]["status"] == "queued"
    assert job(universe, "pdf").status == QueueStatus.RUNNING
    texts = messages_of(response)
    assert "Queued 1 asset again." in texts
    assert any(
        t.startswith("Not regenerated: The Lighthouse: These assets are being generated")
        and "pdf" in t
        for t in texts
    )


def test_regenerate_redoes_only_the_selected_cards_even_beside_a_running_one(
    admin_client, universe
):
    broken = failed(universe, "card_image:1")
    busy = running(universe, "card_image:2")
    left_alone = ready(universe, "narration:1")

    response = run_action(admin_client, CHANGELIST, "regenerate_assets", [broken, busy])

    assert job(universe, "card_image:1").status == QueueStatus.QUEUED
    assert job(universe, "card_image:2").status == QueueStatus.RUNNING
    assert job(universe, "narration:1").asset_status == left_alone.asset_status
    texts = messages_of(response)
    assert "Queued 1 asset again." in texts
    assert sum("card_image:2" in t for t in texts) == 1


def test_retry_failed_skips_assets_that_did_not_fail(admin_client, universe):
    broken = failed(universe, "narration:2")
    fine = ready(universe, "cover")

    response = run_action(admin_client, CHANGELIST, "retry_failed_assets", [broken, fine])

    assert job(universe, "narration:2").asset_status == AssetStatus.QUEUED
    assert job(universe, "cover").asset_status == AssetStatus.READY
    texts = messages_of(response)
    assert "Queued 1 asset again." in texts
    assert "Skipped 1 asset: only failed assets are retried." in texts


def test_regenerate_leaves_portraits_alone(admin_client, universe):
    hero = Character.objects.create(universe=universe, key="keeper", name="The Keeper")
    portrait = portrait_request(character=hero, style="watercolor", variants=1, run_token="t1")
    AssetJob.objects.filter(pk=portrait.pk).update(
        status=QueueStatus.FAILED, asset_status=AssetStatus.FAILED
    )

    response = run_action(admin_client, CHANGELIST, "regenerate_assets", [portrait])

    assert AssetJob.objects.get(pk=portrait.pk).asset_status == AssetStatus.FAILED
    assert any(t.startswith("Skipped 1 asset: portraits") for t in messages_of(response))


def test_already_queued_assets_are_left_as_they_are(admin_client, universe):
    queued = job(universe, "activities:1")

    response = run_action(admin_client, CHANGELIST, "regenerate_assets", [queued])

    assert job(universe, "activities:1").history == queued.history
    assert "1 asset already queued: left as they are." in messages_of(response)


# Permissions ----------------------------------------------------------------------------


def test_viewers_see_jobs_but_cannot_add_change_delete_or_regenerate(viewer_client, universe):
    broken = failed(universe, "cover")
    url = f"{CHANGELIST}{broken.pk}/change/"

    listing = viewer_client.get(CHANGELIST)
    page = viewer_client.get(url)
    attempt = run_action(viewer_client, CHANGELIST, "regenerate_assets", [broken])

    assert listing.status_code == 200
    assert "regenerate_assets" not in listing.content.decode()
    assert page.status_code == 200
    assert "The picture took too long." in page.content.decode()
    assert viewer_client.get(f"{CHANGELIST}add/").status_code == 403
    assert viewer_client.post(url, {}).status_code == 403
    assert viewer_client.get(f"{CHANGELIST}{broken.pk}/delete/").status_code == 403
    assert attempt.status_code == 200
    assert job(universe, "cover").asset_status == AssetStatus.FAILED


def test_nobody_adds_or_deletes_asset_jobs_here(admin_client, universe):
    cover = job(universe, "cover")

    assert admin_client.get(f"{CHANGELIST}add/").status_code == 403
    assert admin_client.get(f"{CHANGELIST}{cover.pk}/delete/").status_code == 403
    assert (
        'name="_save"' not in admin_client.get(f"{CHANGELIST}{cover.pk}/change/").content.decode()
    )


def test_non_staff_users_are_sent_to_the_admin_login(client, user, universe):
    client.force_login(user)

    for url in (CHANGELIST, f"{CHANGELIST}{job(universe, 'cover').pk}/change/"):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/")


# Queue health ---------------------------------------------------------------------------


def test_queue_health_shows_asset_counts_failures_and_oldest_wait(admin_client, universe):
    failed(universe, "cover")
    failed(universe, "card_image:1", code="IMAGE_REFUSED")
    failed(universe, "card_image:2", code="IMAGE_REFUSED")
    ready(universe, "narration:1")
    AssetJob.objects.filter(universe=universe, key="pdf").update(
        run_after=timezone.now() - timedelta(minutes=7)
    )
    # Waiting out a retry backoff is not waiting for a worker.
    set_state(universe, "narration:2", run_after=timezone.now() + timedelta(minutes=1))
    set_state(universe, "card_image:1", run_after=timezone.now() - timedelta(hours=3))

    content = admin_client.get(HEALTH).content.decode()

    section = content.split("Asset jobs by type and status")[1].split("</table>")[0]
    rows = {
        cells[0]: cells[1:]
        for cells in (
            [cell.split("</td>")[0].strip() for cell in row.split("<td>")[1:]]
            for row in section.split("<tr>")[2:]
        )
    }
    # Queued, Generating, Ready, Failed, Skipped, Total, oldest wait, failures by code.
    assert rows["Card image"][:6] == ["0", "0", "0", "2", "0", "2"]
    assert rows["Card image"][6:] == ["—", "IMAGE_REFUSED ×2"]  # none queued, so no wait
    assert rows["Narration"][:7] == ["1", "0", "1", "0", "0", "2", "—"]
    assert rows["PDF storybook"][6].startswith("7m")
    assert rows["All types"][3] == "3"
    assert rows["All types"][7] == "IMAGE_REFUSED ×2, IMAGE_TIMEOUT ×1"
    assert "/admin/assets/assetjob/" in content  # the queue's own asset section links here


# The universe page ----------------------------------------------------------------------


def test_universe_page_summarises_its_assets(admin_client, universe):
    failed(universe, "cover")
    ready(universe, "card_image:1")
    # The status the page reads is the one the services keep in step.
    assets_enqueue_for_universe(universe=universe)

    content = admin_client.get(f"{UNIVERSES}{universe.pk}/change/").content.decode()

    assert "<strong>generating</strong>" in content
    assert f"?universe__id__exact={universe.pk}&amp;asset_status__exact=failed" in content
    assert ">failed 1</a>" in content
    assert ">ready 1</a>" in content
    assert ">queued 6</a>" in content
    assert "all 8 asset jobs" in content


def test_universe_without_assets_says_so(admin_client, user):
    bare = make_universe(user, slug="bare", title="Bare")

    content = admin_client.get(f"{UNIVERSES}{bare.pk}/change/").content.decode()

    assert "No asset jobs yet." in content


def test_regenerate_all_assets_action_requeues_and_reports_busy_universes(
    admin_client, universe, user
):
    failed(universe, "cover")
    ready(universe, "card_image:2")
    busy = make_universe(user, slug="busy", title="Busy Tale", cards=1)
    assets_enqueue_for_universe(universe=busy)
    running(busy, "card_image:1")
    fresh = make_universe(user, slug="fresh", title="Fresh Tale", cards=1)

    response = run_action(admin_client, UNIVERSES, "regenerate_all_assets", [universe, busy, fresh])

    assert response.status_code == 200
    assert job(universe, "cover").asset_status == AssetStatus.QUEUED
    assert job(universe, "card_image:2").asset_status == AssetStatus.QUEUED
    assert job(busy, "card_image:1").status == QueueStatus.RUNNING
    assert set(fresh.asset_jobs.values_list("asset_type", flat=True)) == {
        AssetType.COVER,
        AssetType.CARD_IMAGE,
        AssetType.NARRATION,
        AssetType.ACTIVITIES,
        AssetType.PDF,
    }
    texts = messages_of(response)
    assert any(t.startswith("Regenerating the assets of 2 universe(s): 2 finished") for t in texts)
    assert any(t.startswith("Not regenerated: Busy Tale: These assets are") for t in texts)


def test_only_staff_who_may_change_asset_jobs_get_the_universe_action(client, staff_user, user):
    bare = make_universe(user, slug="bare", title="Bare", cards=1)
    staff_user.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_universe", "change_universe"])
    )
    client.force_login(staff_user)

    without = client.get(UNIVERSES).content.decode()
    staff_user.user_permissions.add(Permission.objects.get(codename="change_assetjob"))
    with_it = client.get(UNIVERSES).content.decode()
    run_action(client, UNIVERSES, "regenerate_all_assets", [bare])

    assert "regenerate_all_assets" not in without
    assert "regenerate_all_assets" in with_it
    assert bare.asset_jobs.count() == 5  # cover, card image, narration, activities, PDF
