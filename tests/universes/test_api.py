"""Universe endpoints: visibility, schedules, private fields and query counts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from tests.helpers import reload, run_until_idle, token_client

pytestmark = pytest.mark.django_db

START = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def universe(make_job, time_spent_script):
    job = make_job(time_spent_script, start_date=START)
    run_until_idle()
    return reload(job).output_universe


def test_another_users_universe_is_404_everywhere(universe, other_user):
    intruder = token_client(other_user)

    assert intruder.get(f"/api/universes/{universe.pk}").status_code == 404
    assert intruder.get(f"/api/universes/{universe.pk}/cards").status_code == 404
    assert intruder.get("/api/universes").json()["results"] == []


def test_owner_sees_the_universe_with_characters_and_locations(api, universe):
    body = api.get(f"/api/universes/{universe.pk}").json()

    assert body["title"] == universe.title
    assert {c["id"] for c in body["characters"]} >= {"elena", "marcus"}
    assert any("Coffee Shop" in loc["name"] for loc in body["locations"])
    assert body["releaseMode"] == "hybrid"


def test_cards_show_only_what_is_published_unless_the_owner_asks(api, universe):
    with time_machine.travel(START + timedelta(hours=2), tick=False):
        published = api.get(f"/api/universes/{universe.pk}/cards").json()["results"]
        everything = api.get(f"/api/universes/{universe.pk}/cards?include=scheduled").json()

    assert [c["dayIndex"] for c in published] == [1, 2, 3]
    assert [c["dayIndex"] for c in everything["results"]] == [1, 2, 3, 4, 5]
    assert [c["published"] for c in everything["results"]] == [True, True, True, False, False]
    assert all(card["primaryCharacters"] for card in everything["results"])
    last = everything["results"][-1]
    assert {"elena", "marcus"} <= {c["id"] for c in last["chatUnlockedCharacters"]}
    assert last["location"]["name"]


def test_staff_reads_any_universe_but_include_scheduled_is_not_for_strangers(
    universe, staff_user, other_user
):
    staff = token_client(staff_user)

    assert staff.get(f"/api/universes/{universe.pk}").status_code == 200
    with time_machine.travel(START + timedelta(hours=2), tick=False):
        cards = staff.get(f"/api/universes/{universe.pk}/cards?include=scheduled").json()
    assert len(cards["results"]) == 5


def test_card_list_query_count_does_not_grow_with_cards(
    api, universe, django_assert_max_num_queries
):
    with django_assert_max_num_queries(8):
        api.get(f"/api/universes/{universe.pk}/cards?include=scheduled")


def test_universe_list_query_count_is_constant(api, universe, django_assert_max_num_queries):
    with django_assert_max_num_queries(5):
        api.get("/api/universes")


def test_hidden_characters_leave_every_reader_facing_list(api, client, user, universe):
    universe.characters.filter(key="marcus").update(hidden=True)
    client.force_login(user)

    detail = api.get(f"/api/universes/{universe.pk}").json()
    cards = api.get(f"/api/universes/{universe.pk}/cards?include=scheduled").json()["results"]
    page = client.get(f"/universes/{universe.pk}").content.decode()

    assert "marcus" not in {c["id"] for c in detail["characters"]}
    for card in cards:
        assert "marcus" not in {c["id"] for c in card["primaryCharacters"]}
        assert "marcus" not in {c["id"] for c in card["chatUnlockedCharacters"]}
    assert f"/universes/{universe.pk}/characters/marcus" not in page
    assert client.get(f"/universes/{universe.pk}/characters/marcus").status_code == 404
