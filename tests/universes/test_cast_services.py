"""Cast edits: merge, split, rename, hide, and undo restoring the cast exactly."""

from __future__ import annotations

import pytest

from core.errors import ApplicationError
from tests.helpers import reload, run_until_idle
from universes.cast_services import (
    cast_edit_undo,
    character_hide,
    character_merge,
    character_rename,
    character_split_alias,
    character_unhide,
)
from universes.models import CastEdit, CastEditKind, Character, Universe
from universes.selectors import card_list_visible, character_list_visible

pytestmark = pytest.mark.django_db


@pytest.fixture
def universe(make_job, time_spent_script) -> Universe:
    job = make_job(time_spent_script)
    run_until_idle()
    return reload(job).output_universe


def character(universe: Universe, key: str) -> Character:
    return universe.characters.get(key=key)


def cast_state(universe: Universe) -> dict:
    """Every character row's fields and card links, keyed by id: what undo must restore."""
    state = {}
    for row in Character.objects.filter(universe=universe).order_by("pk"):
        state[row.pk] = {
            "fields": {f.attname: getattr(row, f.attname) for f in Character._meta.concrete_fields},
            "primary": sorted(row.primary_in_cards.values_list("day_index", flat=True)),
            "chat": sorted(row.chat_unlocked_in_cards.values_list("day_index", flat=True)),
        }
    return state


def cards_of(character: Character) -> list[int]:
    return sorted(character.primary_in_cards.values_list("day_index", flat=True))


def test_merge_moves_names_links_and_importance_into_the_target(universe, user):
    priya, elena = character(universe, "priya"), character(universe, "elena")
    priya_cards, elena_cards = set(cards_of(priya)), set(cards_of(elena))
    priya_chat = set(priya.chat_unlocked_in_cards.values_list("day_index", flat=True))
    expected_importance = priya.importance + elena.importance

    edit = character_merge(universe=universe, source=priya, target=elena, user=user)

    elena.refresh_from_db()
    assert not universe.characters.filter(key="priya").exists()
    assert "Priya" in elena.aliases
    assert elena.importance == expected_importance
    assert set(cards_of(elena)) == priya_cards | elena_cards
    assert priya_chat <= set(elena.chat_unlocked_in_cards.values_list("day_index", flat=True))
    assert edit.kind == CastEditKind.MERGE
    assert edit.summary == "Merged “Priya” into “Elena”"
    assert edit.created_by == user


def test_merge_shows_the_target_once_on_every_card(universe, user):
    character_merge(
        universe=universe,
        source=character(universe, "priya"),
        target=character(universe, "elena"),
        user=user,
    )

    for card in card_list_visible(universe=universe, user=user, include_scheduled=True):
        names = [c.name for c in card.primary_characters.all()]
        assert "Priya" not in names
        assert len(names) == len(set(names))


def test_undoing_a_merge_restores_the_cast_exactly(universe, user):
    before = cast_state(universe)
    edit = character_merge(
        universe=universe,
        source=character(universe, "priya"),
        target=character(universe, "elena"),
        user=user,
    )
    assert cast_state(universe) != before

    cast_edit_undo(universe=universe, edit=edit, user=user)

    assert cast_state(universe) == before
    edit.refresh_from_db()
    assert edit.undone_at is not None
    assert edit.undone_by == user


def test_merging_a_character_into_itself_is_refused(universe, user):
    elena = character(universe, "elena")

    with pytest.raises(ApplicationError) as refused:
        character_merge(universe=universe, source=elena, target=elena, user=user)

    assert refused.value.code == "CANNOT_MERGE_INTO_SELF"
    assert not CastEdit.objects.exists()


def test_split_puts_the_new_character_on_the_cards_where_the_alias_speaks(universe, user):
    priya = character(universe, "priya")
    priya_scenes = set(cards_of(priya))
    character_merge(universe=universe, source=priya, target=character(universe, "elena"), user=user)

    edit = character_split_alias(
        universe=universe, character=character(universe, "elena"), alias="priya", user=user
    )

    split = universe.characters.get(name="Priya")
    elena = character(universe, "elena")
    assert split.key == "priya"
    assert "Priya" not in elena.aliases
    # Priya speaks in cards 1, 3 and 5 of Time Spent.
    assert set(cards_of(split)) == {1, 3, 5}
    assert priya_scenes <= set(cards_of(split))
    assert split.importance > 0
    assert edit.summary == "Split “Priya” from “Elena”"


def test_split_counts_a_name_spoken_in_dialogue_as_a_mention(universe, user):
    marcus = character(universe, "marcus")
    marcus.aliases = ["Mr. Halvorsen"]
    marcus.save()

    character_split_alias(universe=universe, character=marcus, alias="Mr. Halvorsen", user=user)

    halvorsen = universe.characters.get(name="Mr. Halvorsen")
    assert halvorsen.key == "mr-halvorsen"
    # Mrs. Abernathy calls him that in card 2, where Marcus himself also appears.
    assert cards_of(halvorsen) == [2]
    assert 2 in cards_of(character(universe, "marcus"))


def test_split_takes_the_alias_cards_from_a_character_not_named_there(universe, user):
    character_merge(
        universe=universe,
        source=character(universe, "abernathy"),
        target=character(universe, "priya"),
        user=user,
    )
    assert 2 in cards_of(character(universe, "priya"))

    character_split_alias(
        universe=universe, character=character(universe, "priya"), alias="Mrs. Abernathy", user=user
    )

    assert cards_of(universe.characters.get(name="Mrs. Abernathy")) == [2]
    assert 2 not in cards_of(character(universe, "priya"))


def test_split_key_is_unique_in_the_universe(universe, user):
    elena = character(universe, "elena")
    elena.aliases = ["Marcus!"]  # slugifies to the key Marcus already has
    elena.save()
    marcus = character(universe, "marcus")
    marcus.name = "Marc"
    marcus.save()

    character_split_alias(universe=universe, character=elena, alias="Marcus!", user=user)

    assert universe.characters.get(name="Marcus!").key == "marcus-2"


def test_split_of_an_unknown_alias_is_refused(universe, user):
    with pytest.raises(ApplicationError) as refused:
        character_split_alias(
            universe=universe, character=character(universe, "elena"), alias="Beth", user=user
        )

    assert refused.value.code == "ALIAS_NOT_FOUND"


def test_undoing_a_split_removes_the_new_character_and_restores_links(universe, user):
    character_merge(
        universe=universe,
        source=character(universe, "priya"),
        target=character(universe, "elena"),
        user=user,
    )
    before = cast_state(universe)
    edit = character_split_alias(
        universe=universe, character=character(universe, "elena"), alias="Priya", user=user
    )

    cast_edit_undo(universe=universe, edit=edit, user=user)

    assert cast_state(universe) == before


def test_rename_keeps_the_old_name_as_an_alias_and_the_key(universe, user):
    elena = character(universe, "elena")

    edit = character_rename(universe=universe, character=elena, name="  Elena  Vargas ", user=user)

    elena.refresh_from_db()
    assert elena.name == "Elena Vargas"
    assert elena.key == "elena"
    assert "Elena" in elena.aliases
    assert edit.summary == "Renamed “Elena” to “Elena Vargas”"
    card = card_list_visible(universe=universe, user=user, include_scheduled=True).first()
    assert "Elena Vargas" in [c.name for c in card.primary_characters.all()]


@pytest.mark.parametrize(
    ("name", "code"),
    [("Marcus", "NAME_TAKEN"), ("", "NAME_REQUIRED"), ("Elena", "NAME_UNCHANGED")],
)
def test_rename_refuses_a_taken_empty_or_unchanged_name(universe, user, name, code):
    with pytest.raises(ApplicationError) as refused:
        character_rename(
            universe=universe, character=character(universe, "elena"), name=name, user=user
        )

    assert refused.value.code == code


def test_hidden_characters_leave_the_visible_cast_and_every_card(universe, user):
    priya = character(universe, "priya")

    character_hide(universe=universe, character=priya, user=user)

    assert priya not in character_list_visible(universe=universe)
    assert priya in universe.characters.all()  # kept, links included, for unhide and undo
    assert priya.primary_in_cards.exists()
    for card in card_list_visible(universe=universe, user=user, include_scheduled=True):
        assert "priya" not in {c.key for c in card.primary_characters.all()}
        assert "priya" not in {c.key for c in card.chat_unlocked_characters.all()}

    character_unhide(universe=universe, character=priya, user=user)

    assert priya in character_list_visible(universe=universe)


def test_hiding_twice_is_refused(universe, user):
    priya = character(universe, "priya")
    character_hide(universe=universe, character=priya, user=user)

    with pytest.raises(ApplicationError) as refused:
        character_hide(universe=universe, character=priya, user=user)

    assert refused.value.code == "ALREADY_HIDDEN"


def test_only_the_latest_edit_can_be_undone(universe, user):
    first = character_hide(universe=universe, character=character(universe, "priya"), user=user)
    second = character_rename(
        universe=universe, character=character(universe, "elena"), name="Lena", user=user
    )

    with pytest.raises(ApplicationError) as refused:
        cast_edit_undo(universe=universe, edit=first, user=user)
    assert refused.value.code == "NOT_LATEST_EDIT"
    assert "Renamed “Elena” to “Lena”" in refused.value.message

    cast_edit_undo(universe=universe, edit=second, user=user)
    cast_edit_undo(universe=universe, edit=first, user=user)  # now the latest standing one

    with pytest.raises(ApplicationError) as refused:
        cast_edit_undo(universe=universe, edit=first, user=user)
    assert refused.value.code == "NOTHING_TO_UNDO"
    assert character(universe, "elena").name == "Elena"
    assert not character(universe, "priya").hidden


def test_an_undone_edit_cannot_be_undone_twice(universe, user):
    first = character_hide(universe=universe, character=character(universe, "priya"), user=user)
    cast_edit_undo(universe=universe, edit=first, user=user)
    character_hide(universe=universe, character=character(universe, "abernathy"), user=user)

    with pytest.raises(ApplicationError) as refused:
        cast_edit_undo(universe=universe, edit=first, user=user)

    assert refused.value.code == "ALREADY_UNDONE"


def test_undo_refuses_when_the_cast_was_replaced_since(universe, user):
    edit = character_merge(
        universe=universe,
        source=character(universe, "priya"),
        target=character(universe, "elena"),
        user=user,
    )
    # A re-import replaces every row: the merged character is not the one the edit left.
    character(universe, "elena").delete()

    with pytest.raises(ApplicationError) as refused:
        cast_edit_undo(universe=universe, edit=edit, user=user)

    assert refused.value.code == "EDIT_STALE"


def test_edits_of_another_universes_character_are_refused(universe, user, make_job):
    stranger = Character.objects.create(
        universe=Universe.objects.create(owner=user, slug="other", title="Other"),
        key="zed",
        name="Zed",
    )

    with pytest.raises(ApplicationError) as refused:
        character_hide(universe=universe, character=stranger, user=user)

    assert refused.value.code == "CHARACTER_NOT_FOUND"
    assert refused.value.status_code == 404
