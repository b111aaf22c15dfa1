"""The universe cockpit in the Django admin: lists, inlines, publishing and query counts."""

from __future__ import annotations

from datetime import timedelta
from html.parser import HTMLParser

import pytest
from django.contrib.admin import helpers
from django.utils import timezone

from tests.helpers import reload, run_until_idle
from universes.models import Card, Character, Location, Universe

pytestmark = pytest.mark.django_db

UNIVERSES = "/admin/universes/universe/"
CARDS = "/admin/universes/card/"
CHARACTERS = "/admin/universes/character/"
LOCATIONS = "/admin/universes/location/"


@pytest.fixture
def scheduled_universe(make_job, time_spent_script):
    """The Time Spent universe with every card still scheduled (the release starts tomorrow)."""
    job = make_job(time_spent_script, start_date=timezone.now() + timedelta(days=1))
    run_until_idle()
    return reload(job).output_universe


def make_universes(owner, count: int, *, cards_each: int = 3) -> list[Universe]:
    """Small universes made directly, for list pages with many rows."""
    universes = []
    later = timezone.now() + timedelta(days=2)
    for n in range(count):
        universe = Universe.objects.create(owner=owner, slug=f"story-{n}", title=f"Story {n}")
        character = Character.objects.create(universe=universe, key="hero", name=f"Hero {n}")
        location = Location.objects.create(universe=universe, key="home", name=f"Home {n}")
        for day in range(1, cards_each + 1):
            card = Card.objects.create(
                universe=universe,
                day_index=day,
                title=f"Day {day} of story {n}",
                location=location,
                publish_at=later,
            )
            card.primary_characters.add(character)
        universes.append(universe)
    return universes


class _FormFields(HTMLParser):
    """What a browser would submit for the admin change form, as rendered."""

    def __init__(self) -> None:
        super().__init__()
        self.data: dict[str, str] = {}
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        name = attributes.get("name")
        if tag == "input" and name and attributes.get("type") not in ("submit", "button"):
            if attributes.get("type") == "checkbox" and "checked" not in attributes:
                return
            self.data[name] = attributes.get("value") or ""
        elif tag == "select" and name:
            self._select = name
        elif tag == "option" and self._select and "selected" in attributes:
            self.data[self._select] = attributes.get("value") or ""
        elif tag == "textarea" and name:
            self._textarea = name
            self.data[name] = ""

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            self.data[self._textarea] += data


def form_fields(page: str) -> dict[str, str]:
    parser = _FormFields()
    parser.feed(page)
    # Textareas start with a newline the browser drops.
    return {name: value.removeprefix("\n") for name, value in parser.data.items()}


def publish_now(client, universes):
    return client.post(
        UNIVERSES,
        {
            "action": "publish_scheduled_now",
            helpers.ACTION_CHECKBOX_NAME: [str(u.pk) for u in universes],
        },
        follow=True,
    )


def test_universe_list_shows_owner_counts_and_a_link_to_the_source_job(
    admin_client, scheduled_universe
):
    response = admin_client.get(UNIVERSES)

    assert response.status_code == 200
    row = response.context["cl"].result_list[0]
    assert (row.character_total, row.location_total, row.card_total) == (4, 3, 5)
    assert row.live_card_total == 0
    content = response.content.decode()
    assert "Time Spent" in content
    assert "elena" in content
    job_url = f"/admin/transformations/transformationjob/{scheduled_universe.source_job_id}/change/"
    assert job_url in content


def test_universe_list_query_count_does_not_grow_with_universes(
    admin_client, user, django_assert_max_num_queries
):
    make_universes(user, 22)

    with django_assert_max_num_queries(6):
        response = admin_client.get(UNIVERSES)

    assert response.status_code == 200
    assert [u.card_total for u in response.context["cl"].result_list] == [3] * 22


def test_universe_page_shows_characters_locations_and_editable_cards(
    admin_client, scheduled_universe
):
    response = admin_client.get(f"{UNIVERSES}{scheduled_universe.pk}/change/")

    assert response.status_code == 200
    content = response.content.decode()
    assert "Marcus" in content
    assert "Coffee Shop" in content
    assert 'name="cards-0-publish_at_0"' in content
    assert 'name="cards-0-status"' in content
    assert f"/admin/transformations/transformationjob/{scheduled_universe.source_job_id}/" in (
        content
    )


def test_a_card_can_be_rescheduled_from_the_universe_page(admin_client, user):
    universe = make_universes(user, 1, cards_each=1)[0]
    card = universe.cards.get()
    url = f"{UNIVERSES}{universe.pk}/change/"
    data = form_fields(admin_client.get(url).content.decode())
    data.update(
        {
            "cards-0-title": "Renamed day",
            "cards-0-publish_at_0": "2026-03-04",
            "cards-0-publish_at_1": "10:30:00",
        }
    )

    response = admin_client.post(url, data)

    assert response.status_code == 302
    card.refresh_from_db()
    assert card.title == "Renamed day"
    assert card.publish_at.isoformat() == "2026-03-04T10:30:00+00:00"


def test_publish_now_action_publishes_every_scheduled_card(admin_client, scheduled_universe):
    assert not any(card.is_published() for card in scheduled_universe.cards.all())

    response = publish_now(admin_client, [scheduled_universe])

    assert response.status_code == 200
    assert all(card.is_published() for card in scheduled_universe.cards.all())
    assert "Published 5 scheduled card(s) in 1 universe(s)." in [
        str(m) for m in response.context["messages"]
    ]


def test_publish_now_warns_when_nothing_is_scheduled(admin_client, scheduled_universe):
    publish_now(admin_client, [scheduled_universe])

    response = publish_now(admin_client, [scheduled_universe])

    assert any("Nothing to publish" in str(m) for m in response.context["messages"])


def test_card_list_and_page(admin_client, scheduled_universe, django_assert_max_num_queries):
    make_universes(scheduled_universe.owner, 7)  # 21 more cards

    with django_assert_max_num_queries(6):
        response = admin_client.get(CARDS)
    card = scheduled_universe.cards.get(day_index=2)
    page = admin_client.get(f"{CARDS}{card.pk}/change/")

    assert response.status_code == 200
    assert len(response.context["cl"].result_list) == 26
    assert "Halvorsen Watch Repair — Day" in response.content.decode()
    assert page.status_code == 200
    assert card.title in page.content.decode()


def test_card_visibility_filter_separates_live_and_scheduled_cards(admin_client, user):
    universe = make_universes(user, 1, cards_each=2)[0]
    Card.objects.filter(universe=universe, day_index=1).update(publish_at=timezone.now())

    live = admin_client.get(CARDS, {"visibility": "live"}).context["cl"].queryset
    scheduled = admin_client.get(CARDS, {"visibility": "scheduled"}).context["cl"].queryset

    assert [c.day_index for c in live] == [1]
    assert [c.day_index for c in scheduled] == [2]


def test_character_and_location_lists_count_cards_without_n_plus_one(
    admin_client, user, django_assert_max_num_queries
):
    make_universes(user, 21)

    with django_assert_max_num_queries(6):
        characters = admin_client.get(CHARACTERS)
    with django_assert_max_num_queries(6):
        locations = admin_client.get(LOCATIONS)

    assert [c.card_total for c in characters.context["cl"].result_list] == [3] * 21
    assert [loc.card_total for loc in locations.context["cl"].result_list] == [3] * 21


def test_character_and_location_search_and_pages(admin_client, scheduled_universe):
    marcus = scheduled_universe.characters.get(key="marcus")
    shop = scheduled_universe.locations.get(name="Coffee Shop")

    found = admin_client.get(CHARACTERS, {"q": "marc"}).context["cl"].queryset
    places = admin_client.get(LOCATIONS, {"q": "coffee"}).context["cl"].queryset

    assert list(found) == [marcus]
    assert list(places) == [shop]
    assert admin_client.get(f"{CHARACTERS}{marcus.pk}/change/").status_code == 200
    assert admin_client.get(f"{LOCATIONS}{shop.pk}/change/").status_code == 200


def test_non_staff_users_are_sent_to_the_admin_login(client, user, scheduled_universe):
    client.force_login(user)

    for url in (UNIVERSES, f"{UNIVERSES}{scheduled_universe.pk}/change/", CARDS):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/")
