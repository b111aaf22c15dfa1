"""Cast and breakdown pages: owner-only edits, messages, errors, CSV and query counts."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages

from tests.helpers import reload, run_until_idle, token_client
from universes.models import CastEdit, Universe

pytestmark = pytest.mark.django_db


@pytest.fixture
def universe(make_job, time_spent_script) -> Universe:
    job = make_job(time_spent_script)
    run_until_idle()
    return reload(job).output_universe


@pytest.fixture
def owner(client, user):
    client.force_login(user)
    return client


def url(universe: Universe, suffix: str = "cast") -> str:
    return f"/universes/{universe.pk}/{suffix}"


def pk_of(universe: Universe, key: str) -> int:
    return universe.characters.get(key=key).pk


def message_texts(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_owner_sees_the_cast_with_its_forms(owner, universe):
    response = owner.get(url(universe))

    assert response.status_code == 200
    page = response.content.decode()
    for name in ("Elena", "Marcus", "Priya", "Mrs. Abernathy"):
        assert name in page
    assert f'action="/universes/{universe.pk}/cast/merge"' in page
    assert '<label for="id_source">' in page
    assert '<label for="id_name">' in page


def test_strangers_get_404_and_anonymous_users_are_sent_to_log_in(client, universe, other_user):
    for suffix in ("cast", "breakdown", "breakdown.csv"):
        response = client.get(url(universe, suffix))
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")

    client.force_login(other_user)
    for suffix in ("cast", "breakdown", "breakdown.csv"):
        assert client.get(url(universe, suffix)).status_code == 404
    elena = pk_of(universe, "elena")
    assert client.post(url(universe, f"cast/characters/{elena}/hide")).status_code == 404
    assert not universe.characters.filter(hidden=True).exists()


def test_staff_may_look_but_not_edit(client, universe, staff_user):
    client.force_login(staff_user)

    page = client.get(url(universe))

    assert page.status_code == 200
    assert b"/cast/merge" not in page.content
    elena = pk_of(universe, "elena")
    assert client.post(url(universe, f"cast/characters/{elena}/hide")).status_code == 404


def test_merge_redirects_with_a_message_and_every_card_shows_the_target(owner, universe, user):
    response = owner.post(
        url(universe, "cast/merge"),
        {"source": pk_of(universe, "priya"), "target": pk_of(universe, "elena")},
    )

    assert response.status_code == 302
    assert response["Location"] == url(universe)
    assert message_texts(response) == ["Merged “Priya” into “Elena”."]
    cards = token_client(user).get(f"/api/universes/{universe.pk}/cards?include=scheduled")
    for card in cards.json()["results"]:
        assert "Priya" not in {c["name"] for c in card["primaryCharacters"]}
    assert "Elena" in {c["name"] for c in cards.json()["results"][2]["primaryCharacters"]}


def test_merging_into_itself_shows_the_error_next_to_the_field(owner, universe):
    elena = pk_of(universe, "elena")

    response = owner.post(url(universe, "cast/merge"), {"source": elena, "target": elena})

    assert response.status_code == 400
    page = response.content.decode()
    assert "cannot be merged into itself" in page
    assert 'aria-invalid="true"' in page
    assert not CastEdit.objects.exists()


def test_split_and_rename_through_the_page(owner, universe):
    owner.post(
        url(universe, "cast/merge"),
        {"source": pk_of(universe, "priya"), "target": pk_of(universe, "elena")},
    )
    elena = pk_of(universe, "elena")

    split = owner.post(url(universe, "cast/split"), {"alias": f"{elena}:Priya"})
    rename = owner.post(url(universe, "cast/rename"), {"character": elena, "name": "Lena"})

    assert split.status_code == rename.status_code == 302
    assert set(universe.characters.values_list("name", flat=True)) >= {"Lena", "Priya"}
    page = owner.get(url(universe)).content.decode()
    assert "Renamed “Elena” to “Lena”" in page


def test_renaming_to_a_taken_name_is_refused_with_the_reason(owner, universe):
    response = owner.post(
        url(universe, "cast/rename"), {"character": pk_of(universe, "elena"), "name": "Marcus"}
    )

    assert response.status_code == 400
    assert "merge the two instead" in response.content.decode()


def test_hide_takes_the_character_off_the_universe_cards(owner, universe, user):
    priya = pk_of(universe, "priya")

    response = owner.post(url(universe, f"cast/characters/{priya}/hide"))

    assert message_texts(response) == ["Hid “Priya”."]
    cards = token_client(user).get(f"/api/universes/{universe.pk}/cards?include=scheduled")
    for card in cards.json()["results"]:
        assert "priya" not in {c["id"] for c in card["primaryCharacters"]}
    page = owner.get(url(universe)).content.decode()
    assert f"/cast/characters/{priya}/unhide" in page


def test_only_the_latest_edit_offers_undo_and_an_older_one_is_refused(owner, universe):
    owner.post(url(universe, f"cast/characters/{pk_of(universe, 'priya')}/hide"))
    owner.post(url(universe, f"cast/characters/{pk_of(universe, 'abernathy')}/hide"))
    older, latest = CastEdit.objects.order_by("pk")

    page = owner.get(url(universe)).content.decode()
    assert f"/cast/edits/{latest.pk}/undo" in page
    assert f"/cast/edits/{older.pk}/undo" not in page

    refused = owner.post(url(universe, f"cast/edits/{older.pk}/undo"), follow=True)
    assert refused.redirect_chain == [(url(universe), 302)]
    assert (
        "Only the most recent change can be undone; undo this one first: Hid “Mrs. Abernathy”."
    ) in refused.content.decode()

    undone = owner.post(url(universe, f"cast/edits/{latest.pk}/undo"))
    assert message_texts(undone) == ["Undid: Hid “Mrs. Abernathy”."]
    assert not universe.characters.get(key="abernathy").hidden


def test_breakdown_page_is_an_accessible_table_that_follows_a_rename(owner, universe):
    owner.post(
        url(universe, "cast/rename"), {"character": pk_of(universe, "elena"), "name": "Lena"}
    )

    response = owner.get(url(universe, "breakdown"))

    page = response.content.decode()
    assert response.status_code == 200
    assert "<caption>" in page
    assert '<th scope="col">Characters speaking</th>' in page
    assert page.count('<th scope="row">') == 5
    assert "Lena" in page
    assert "INT. COFFEE SHOP - DAY" in page


def test_breakdown_csv_downloads_with_a_filename_from_the_slug(owner, universe):
    response = owner.get(url(universe, "breakdown.csv"))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"] == (
        f'attachment; filename="{universe.slug}-breakdown.csv"'
    )
    lines = response.content.decode().strip().splitlines()
    assert lines[0].startswith("Scene,Card,Heading,Location,INT/EXT,Time of day")
    assert len(lines) == 6


def test_cast_page_and_breakdown_use_a_fixed_number_of_queries(
    owner, universe, django_assert_max_num_queries
):
    owner.post(url(universe, f"cast/characters/{pk_of(universe, 'priya')}/hide"))
    owner.post(url(universe, f"cast/characters/{pk_of(universe, 'priya')}/unhide"))

    with django_assert_max_num_queries(7):
        assert owner.get(url(universe)).status_code == 200
    with django_assert_max_num_queries(5):
        assert owner.get(url(universe, "breakdown")).status_code == 200
