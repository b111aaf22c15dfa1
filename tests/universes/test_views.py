"""Universe, card, character and location pages through the Django test client."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from tests.helpers import reload, run_until_idle

pytestmark = pytest.mark.django_db

START = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
DURING_DAY_ONE = START + timedelta(hours=2)


@pytest.fixture
def universe(make_job, time_spent_script):
    job = make_job(time_spent_script, start_date=START)
    run_until_idle()
    return reload(job).output_universe


@pytest.fixture
def owner(client, user):
    client.force_login(user)
    return client


def test_universe_page_shows_the_hook_pack_and_when_the_next_card_comes(owner, universe):
    with time_machine.travel(DURING_DAY_ONE, tick=False):
        page = owner.get(f"/universes/{universe.pk}")

    content = page.content.decode()
    assert page.status_code == 200
    assert universe.title in content
    assert universe.theme in content
    for day in (1, 2, 3):
        assert f'data-card-day="{day}"' in content
    assert 'data-card-day="4"' not in content
    assert "Next card in" in content
    assert 'data-scheduled-day="4"' in content
    assert "Elena" in content and "Coffee Shop" in content


def test_universe_page_query_count_is_bounded(owner, universe, django_assert_max_num_queries):
    with django_assert_max_num_queries(14):
        owner.get(f"/universes/{universe.pk}")


def test_card_page_has_the_scene_recap_questions_and_neighbours(owner, universe):
    card = universe.cards.get(day_index=2)

    with time_machine.travel(DURING_DAY_ONE, tick=False):
        page = owner.get(f"/universes/{universe.pk}/cards/2")

    content = page.content.decode()
    assert page.status_code == 200
    assert f"<h1>{card.title}</h1>" in content
    assert card.recap_text[:40] in content
    assert card.discussion_questions[0][:30].replace("'", "&#x27;") in content
    assert f'href="/universes/{universe.pk}/cards/1"' in content
    assert f'href="/universes/{universe.pk}/cards/3"' in content
    assert 'class="card-image placeholder"' in content


def test_last_published_card_has_no_next_link_to_a_scheduled_card(owner, universe):
    with time_machine.travel(DURING_DAY_ONE, tick=False):
        content = owner.get(f"/universes/{universe.pk}/cards/3").content.decode()

    assert f'href="/universes/{universe.pk}/cards/4"' not in content


def test_owner_can_preview_a_scheduled_card_marked_as_scheduled(owner, universe):
    with time_machine.travel(DURING_DAY_ONE, tick=False):
        page = owner.get(f"/universes/{universe.pk}/cards/5")

    assert page.status_code == 200
    assert b"Scheduled" in page.content


def test_character_and_location_pages(owner, universe):
    location = universe.locations.get(name__icontains="coffee")

    character_page = owner.get(f"/universes/{universe.pk}/characters/elena")
    location_page = owner.get(f"/universes/{universe.pk}/locations/{location.key}")

    assert character_page.status_code == 200
    assert b"<h1>Elena</h1>" in character_page.content
    assert location_page.status_code == 200
    assert location.name.encode() in location_page.content
    assert owner.get(f"/universes/{universe.pk}/characters/nobody").status_code == 404


def test_every_universe_page_is_404_for_other_users(client, universe, other_user):
    client.force_login(other_user)

    for path in (
        f"/universes/{universe.pk}",
        f"/universes/{universe.pk}/cards/1",
        f"/universes/{universe.pk}/characters/elena",
        f"/universes/{universe.pk}/locations/coffee-shop",
    ):
        assert client.get(path).status_code == 404, path


def test_private_character_fields_never_reach_the_pages(owner, universe):
    secret = universe.characters.exclude(secret_info="").first().secret_info
    persona = universe.characters.exclude(chat_persona="").first().chat_persona

    pages = [
        owner.get(f"/universes/{universe.pk}").content.decode(),
        owner.get(f"/universes/{universe.pk}/characters/elena").content.decode(),
        owner.get(f"/universes/{universe.pk}/cards/1").content.decode(),
    ]

    for content in pages:
        assert secret not in content
        assert persona not in content


def test_home_links_to_the_universe(owner, universe):
    assert f'href="/universes/{universe.pk}"'.encode() in owner.get("/").content
