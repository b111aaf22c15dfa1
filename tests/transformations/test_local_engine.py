"""The local engine on real text: the Time Spent sample, prose, transcripts and packs."""

from __future__ import annotations

from pathlib import Path

import pytest

from transformations.engines.local import LocalEngine
from transformations.ingest import normalise
from transformations.pipeline.types import Document, Plan

SAMPLES = Path(__file__).resolve().parents[2] / "samples" / "time-spent"

PROSE = b"""The Lighthouse

The storm had been building over Port Merrow for three days when Dr. Okafor arrived at the \
lighthouse. Nadia Brandt met her at the gate with a lantern.

"You took your time," said Nadia.

"The ferry was cancelled twice," Dr. Okafor replied. On Monday the sea had been calm.

Nadia led her up the stairs. "It happened on Tuesday," Nadia said. "Nobody heard a thing."

In the morning they walked down to the harbour at Port Merrow. Old Tomas was mending nets \
on the quay.

"Who was on the rocks?" Nadia asked.

"Nobody goes on the rocks," said Tomas. Then he went back to his nets.
"""

TRANSCRIPT = b"""Harbour Radio, episode 4

ALICE: Welcome back. Today I'm talking with Ben about the river.
BEN: Thanks. I'm a hydrologist, and I've measured this river for ten years.
ALICE: What changed this spring?
BEN: The flood came three weeks early, and the bridge closed.
ALICE: Was anyone hurt?
BEN: No. The town moved fast.
Carla: We have a listener question about the bridge.
ALICE: Go ahead, Carla.
"""


def run_stages(document: Document):
    engine = LocalEngine()
    reading = engine.read(document)
    identity = engine.identify(document, reading)
    world = engine.build_world(document, reading, identity)
    cards = engine.plan_moments(document, world, hook_pack_count=3)
    plan = Plan(cards=cards)
    drafts = []
    for card in cards:
        drafts.append(engine.draft_card(document, reading, identity, world, plan, card, drafts))
    return reading, identity, world, cards, drafts


@pytest.fixture(scope="module")
def fountain():
    document = normalise((SAMPLES / "time-spent.fountain").read_bytes())
    return document, *run_stages(document)


@pytest.fixture(scope="module")
def pack():
    document = normalise((SAMPLES / "time-spent.storypack.json").read_bytes())
    return document, *run_stages(document)


def characters_by_key(world):
    return {character.key: character for character in world.characters}


def test_engine_reports_its_name():
    assert LocalEngine.name == "local"


def test_elena_and_marcus_are_the_main_characters(fountain):
    _, _, _, world, _, _ = fountain
    cast = characters_by_key(world)
    assert {"elena", "marcus"} <= set(cast)
    assert cast["elena"].tier == cast["marcus"].tier == "main"
    assert cast["priya"].tier == cast["abernathy"].tier == "supporting"
    assert [c.key for c in world.characters][:2] == ["elena", "marcus"]


def test_character_names_are_readable_and_keys_are_first_name_slugs(fountain):
    _, _, _, world, _, _ = fountain
    cast = characters_by_key(world)
    assert cast["elena"].name == "Elena"
    assert cast["abernathy"].name == "Mrs. Abernathy"


def test_descriptions_come_from_the_line_that_introduces_each_character(fountain):
    _, _, _, world, _, _ = fountain
    elena = characters_by_key(world)["elena"]
    assert elena.description.startswith("Elena (30s), a barista with paint on her sleeves")
    assert elena.importance == 15  # her dialogue blocks
    assert elena.sections == [0, 2, 3, 4]


def test_private_persona_and_secret_are_drawn_from_the_characters_lines(fountain):
    _, _, _, world, _, _ = fountain
    elena = characters_by_key(world)["elena"]
    assert "Asks questions in" in elena.chat_persona
    assert "I keep trying." in elena.secret_info
    assert elena.sample_lines and all(line for line in elena.sample_lines)


def test_coffee_shop_is_one_location_across_int_and_ext_headings(fountain):
    _, _, _, world, _, _ = fountain
    places = {location.key: location for location in world.locations}
    assert list(places) == ["coffee-shop", "halvorsen-watch-repair", "elena-s-apartment"]
    coffee = places["coffee-shop"]
    assert coffee.name == "Coffee Shop"
    assert coffee.int_ext == "INT/EXT"
    assert coffee.sections == [0, 2, 4]
    assert coffee.description.startswith("A narrow coffee shop")


def test_time_spent_plans_one_card_per_scene(fountain):
    _, _, _, _, cards, _ = fountain
    assert [card.day_index for card in cards] == [1, 2, 3, 4, 5]
    assert [card.title for card in cards] == [
        "Coffee Shop — Day",
        "Halvorsen Watch Repair — Day",
        "Coffee Shop — Night",
        "Elena's Apartment — Night",
        "Coffee Shop — Day",
    ]
    assert [card.location_key for card in cards][:3] == [
        "coffee-shop",
        "halvorsen-watch-repair",
        "coffee-shop",
    ]
    assert cards[0].character_keys[:2] == ["elena", "marcus"]
    assert all(card.publish_at == "" for card in cards)


def test_reading_facts_measure_the_screenplay(fountain):
    _, reading, _, _, _, _ = fountain
    facts = reading.facts
    assert (facts["scene_count"], facts["speaking_characters"]) == (5, 4)
    assert (facts["tense"], facts["point_of_view"]) == ("present", "third person")
    assert "5 scenes across 3 locations" in reading.structure_summary
    assert "present tense" in reading.voice_notes
    assert reading.logline.startswith("Elena and Marcus")


def test_identity_keywords_leave_out_character_names(fountain):
    _, _, identity, _, _, _ = fountain
    assert "clock" in identity.keywords[:3]
    assert not {"elena", "marcus", "priya"} & set(identity.keywords)
    assert identity.theme.startswith("A story about")
    assert identity.tone_tags and identity.genre
    assert 0 <= identity.genre_confidence <= 1


def test_drafted_cards_are_specific_to_their_scene(fountain):
    _, _, _, _, _, drafts = fountain
    first = drafts[0]
    assert 2 <= len(first.captions) <= 3
    assert 'Elena: "Cortado, no sugar, and the table by the radiator."' in first.scene_text
    assert 'Elena (under her breath): "Thank you, Priya."' in first.scene_text
    assert "CUT TO" not in first.scene_text
    assert "Coffee Shop" in first.image_prompt and "Elena (30s)" in first.image_prompt
    assert first.scene_description.startswith("Inside the Coffee Shop, by day")
    assert drafts[2].scene_description.startswith("Outside the Coffee Shop, at night")
    assert first.recap_text and first.image_style


def test_questions_name_the_real_characters_and_places(fountain):
    _, _, _, world, _, drafts = fountain
    names = [c.name for c in world.characters] + [loc.name for loc in world.locations]
    for draft in drafts:
        assert 2 <= len(draft.discussion_questions) <= 3
        for question in draft.discussion_questions:
            assert any(name in question for name in names), question


def test_chat_unlocks_main_characters_as_they_appear(fountain):
    _, _, _, _, _, drafts = fountain
    assert drafts[0].chat_unlocked_keys == ["elena", "marcus"]
    assert all(d.chat_unlocked_keys == ["elena", "marcus"] for d in drafts)
    assert drafts[1].primary_character_keys[0] in {"abernathy", "marcus"}


def test_every_stage_is_deterministic():
    data = (SAMPLES / "time-spent.fountain").read_bytes()
    first = run_stages(normalise(data))
    second = run_stages(normalise(data))
    dump = [lambda x: x.model_dump(), lambda x: x.model_dump(), lambda x: x.model_dump()]
    for convert, a, b in zip(dump, first[:3], second[:3], strict=True):
        assert convert(a) == convert(b)
    assert [c.model_dump() for c in first[3]] == [c.model_dump() for c in second[3]]
    assert [d.model_dump() for d in first[4]] == [d.model_dump() for d in second[4]]


def test_story_pack_keeps_its_five_cards_and_its_own_writing(pack):
    document, reading, _, world, cards, drafts = pack
    assert [card.title for card in cards] == [card.title for card in document.pack.cards]
    assert [card.sections for card in cards] == [[0], [1], [2], [3], [4]]
    for draft, written in zip(drafts, document.pack.cards, strict=True):
        assert draft.scene_text == written.scene_text
        assert draft.captions == written.captions
        assert draft.recap_text == written.recap_text
        assert draft.discussion_questions == written.discussion_questions
    assert reading.logline == document.pack.logline
    cast = characters_by_key(world)
    assert cast["elena"].tier == cast["marcus"].tier == "main"
    assert cast["elena"].secret_info.startswith("The brass clock was her mother's")
    assert (world.locations[0].key, world.locations[0].name) == ("coffee-shop", "The Coffee Shop")
    assert cards[1].location_key == "halvorsen-watch-repair"


def test_story_pack_gaps_are_filled_from_the_text():
    document = normalise(
        b'{"format": "storyengine.pack/v1", "title": "Pier", '
        b'"characters": [{"name": "Ana"}, {"name": "Joao"}], '
        b'"locations": [{"name": "The Pier"}], '
        b'"cards": [{"title": "Fog", "location": "The Pier", "characters": ["Ana", "Joao"], '
        b'"sceneText": "Ana ties the boat to the pier. \\"The fog is early,\\" said Ana. '
        b'Joao watches the water and says nothing at all."}]}'
    )
    _, _, _, _, drafts = run_stages(document)
    draft = drafts[0]
    assert len(draft.captions) >= 2
    assert any("Ana" in caption for caption in draft.captions)
    assert draft.recap_text and draft.discussion_questions


def test_prose_names_come_from_speech_verbs_and_honorifics():
    document = normalise(PROSE)
    _, _, world, cards, _ = run_stages(document)
    cast = characters_by_key(world)
    assert set(cast) == {"nadia", "okafor", "tomas"}
    assert cast["nadia"].name == "Nadia Brandt"
    assert "Nadia" in cast["nadia"].aliases
    assert cast["okafor"].name == "Dr. Okafor"
    assert cast["nadia"].tier == "main"
    assert "Port Merrow" in {location.name for location in world.locations}
    assert len(cards) >= 3


def test_transcript_speakers_become_characters():
    document = normalise(TRANSCRIPT)
    reading, _, world, cards, drafts = run_stages(document)
    cast = characters_by_key(world)
    assert set(cast) == {"alice", "ben", "carla"}
    assert cast["alice"].tier == cast["ben"].tier == "main"
    assert "hydrologist" in cast["ben"].description
    assert reading.facts["speaking_characters"] == 3
    assert 'Ben: "' in drafts[0].scene_text or 'Ben: "' in drafts[1].scene_text
    assert len(cards) == 3


def test_colliding_first_names_get_numbered_keys():
    text = (
        b"INT. HALL - DAY\n\nELENA\nHello.\n\nELENA ROSS\nHi.\n\nELENA\nAgain.\n\n"
        b"INT. YARD - DAY\n\nELENA\nStill here.\n\nMARK\nYes.\n"
    )
    _, _, world, _, _ = run_stages(normalise(text))
    keys = {character.name: character.key for character in world.characters}
    assert keys["Elena"] == "elena"
    assert keys["Elena Ross"] == "elena-2"


def test_a_single_long_section_is_split_into_at_least_three_cards():
    paragraphs = [
        f"Paragraph {i}: the ferry crossed the bay and came back again." for i in range(4)
    ]
    document = normalise("\n\n".join(paragraphs).encode())
    assert len(document.sections) == 1
    _, _, _, cards, drafts = run_stages(document)
    assert len(cards) == 3
    assert all(card.block_span for card in cards)
    assert cards[0].title.endswith("(part 1 of 3)")
    assert drafts[0].scene_text.startswith("Paragraph 0")
    assert "Paragraph 0" not in drafts[1].scene_text


def test_more_than_thirty_sections_are_merged_to_thirty_cards():
    scenes = [
        f"INT. ROOM {i} - DAY\n\nANA\nLine {i} is said here.\n\nBEN\nAnswer {i}.\n"
        for i in range(40)
    ]
    document = normalise("\n".join(scenes).encode())
    assert len(document.sections) == 40
    _, _, _, cards, _ = run_stages(document)
    assert len(cards) == 30
    covered = [section for card in cards for section in card.sections]
    assert covered == list(range(40))


def test_long_scenes_are_trimmed_at_a_sentence_boundary():
    sentence = "The tide came in over the stones and went out again without a sound. "
    # 60 paragraphs of 112 words: even split into three cards, each is over the limit.
    action = sentence * 8
    beats = [f"{action}\n\nMARA\nListen.\n\n{action}\n\nJONAH\nI hear it." for _ in range(30)]
    text = ("INT. BOATHOUSE - NIGHT\n\n" + "\n\n".join(beats)).encode()
    _, _, _, cards, drafts = run_stages(normalise(text, filename="long.fountain"))
    assert len(cards) == 3
    for draft in drafts:
        assert len(draft.scene_text.split()) <= 1501
        assert draft.scene_text.endswith((". …", '." …'))
