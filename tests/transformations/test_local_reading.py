"""Stages 1 and 2 of the local engine, the per-scene breakdown and every stage's confidence.

Structure and voice come from measured facts (scenes, acts, shots, dialogue ratio,
sentence length, point of view, tense); themes from YAKE keyphrases and lexicons;
everything is phrased as sentences. Confidence follows the evidence: a screenplay
with cues is solid, subtitles without speaker labels are not.
"""

from __future__ import annotations

import re
from pathlib import Path

from transformations.engines.local import LocalEngine
from transformations.engines.local.keywords import keyphrases, sample_text
from transformations.ingest import normalise
from transformations.pipeline import artifacts
from transformations.pipeline.types import Drafts, Plan

SAMPLE = Path(__file__).resolve().parents[2] / "samples" / "time-spent" / "time-spent.fountain"

PLAY = b"""THE TIDE TABLE

PERSONS OF THE PLAY

MAGGIE CRANE, landlady of the Anchor Inn
EWAN CRANE, her son

ACT I

SCENE 1. The taproom of the Anchor Inn. A winter evening.

A low room with a fire. MAGGIE wipes the bar.

MAGGIE.
You'll be wanting your supper.

EWAN.
I'll be wanting the boat.

ACT II

SCENE 1. The quay. Near midnight.

Wind and spray. EWAN alone with a lantern.

EWAN.
She'll hold. She always holds.
"""

FIRST_PERSON = b"""Salt and Iron

I walked to the forge at Fenholt in the rain, and I was wet to the bone when I got there. \
The smith looked at me and said nothing. I stood in the doorway and waited.

"Tam, is it?" he asked at last. I nodded. He pointed at the bellows, and I pumped them \
until my arms burned. I remember the heat more than anything.

In September the big tides came. I ran along the sea wall with my sister, and we watched \
the water climb the sluice gate at Gull Point until it broke.
"""

SUBTITLES = b"""1
00:00:01,000 --> 00:00:03,000
Anna, wait!

2
00:00:04,000 --> 00:00:06,000
Go home, Jonas.

3
00:00:07,000 --> 00:00:09,000
The train leaves at ten.

4
00:00:40,000 --> 00:00:42,000
Jonas, listen to me.

5
00:00:43,000 --> 00:00:45,000
I'm listening, Anna.
"""


def stages_of(document):
    engine = LocalEngine()
    reading = engine.read(document)
    identity = engine.identify(document, reading)
    world = engine.build_world(document, reading, identity)
    cards = engine.plan_moments(document, world, hook_pack_count=3)
    plan = Plan(cards=cards)
    drafts: list = []
    for card in cards:
        drafts.append(engine.draft_card(document, reading, identity, world, plan, card, drafts))
    return reading, identity, world, plan, Drafts(cards=drafts)


def test_screenplay_facts_and_sentences():
    reading, identity, *_ = stages_of(normalise(SAMPLE.read_bytes()))
    facts = reading.facts
    assert (facts["scene_count"], facts["location_count"], facts["shot_count"]) == (5, 3, 0)
    assert (facts["interior_scenes"], facts["exterior_scenes"]) == (4, 1)
    assert (facts["day_scenes"], facts["night_scenes"]) == (3, 2)
    assert 0.2 < facts["dialogue_ratio"] < 0.6
    assert reading.structure_summary.startswith("A screenplay of 5 scenes across 3 locations")
    assert "present tense" in reading.voice_notes and "third person" in reading.voice_notes
    for text in (reading.structure_summary, reading.voice_notes, identity.theme):
        assert text.endswith(".") and text[0].isupper()


def test_play_counts_acts_and_is_called_a_play():
    reading, *_ = stages_of(normalise(PLAY, filename="tide.txt"))
    assert reading.facts["act_count"] == 2
    assert reading.structure_summary.startswith("A play of 2 scenes in 2 acts")


def test_first_person_past_tense_prose():
    reading, identity, *_ = stages_of(normalise(FIRST_PERSON, filename="salt.txt"))
    assert reading.facts["point_of_view"] == "first person"
    assert reading.facts["tense"] == "past"
    assert "past tense and the first person" in reading.voice_notes
    assert identity.tone_tags and identity.genre


def test_theme_comes_from_keyphrases_without_names_or_places():
    _, identity, world, *_ = stages_of(normalise(SAMPLE.read_bytes()))
    assert "clock" in identity.keywords[:3]
    assert identity.keyphrases and "clock" in " ".join(identity.keyphrases[:3])
    names = {w.lower() for c in world.characters for w in c.name.split()}
    places = {w.lower() for loc in world.locations for w in re.findall(r"\w+", loc.name)}
    for phrase in identity.keyphrases:
        assert not set(phrase.split()) & (names | places), phrase
    assert identity.theme.startswith("A story about")
    assert "It keeps coming back to “" in identity.theme
    assert re.search(r"It reads (clearly|most|a little) like ", identity.theme)
    assert 0 <= identity.genre_confidence <= 1


def test_keyphrases_are_deterministic_and_long_texts_are_sampled():
    blocks = [
        f"The lighthouse keeper counted {n} ships past the reef tonight." for n in range(3000)
    ]
    sample = sample_text(blocks, limit=2000)
    assert 1500 <= len(sample.split()) <= 2600
    assert sample == sample_text(blocks, limit=2000)
    first = keyphrases(blocks[:200], frozenset())
    assert first == keyphrases(blocks[:200], frozenset())
    assert any("lighthouse" in phrase or "reef" in phrase for phrase in first)
    assert keyphrases(blocks[:200], frozenset({"lighthouse", "reef", "keeper"})) != first


def test_scene_breakdown_says_who_speaks_and_who_is_there():
    _, _, world, *_ = stages_of(normalise(SAMPLE.read_bytes()))
    rows = world.scenes
    assert [row.section for row in rows] == [0, 1, 2, 3, 4]
    first = rows[0]
    assert (first.location_key, first.int_ext, first.time_of_day) == ("coffee-shop", "INT", "DAY")
    assert first.speaking[:2] == ["elena", "marcus"] and "priya" in first.speaking
    assert set(first.speaking) <= set(first.present)
    assert rows[1].speaking == ["abernathy", "marcus"] or set(rows[1].speaking) == {
        "abernathy",
        "marcus",
    }
    assert all(row.is_story and row.words > 0 for row in rows)


def test_every_stage_carries_a_confidence_from_its_evidence():
    script = stages_of(normalise(SAMPLE.read_bytes()))
    subtitles = stages_of(normalise(SUBTITLES, filename="platform.srt"))
    for outputs in (script, subtitles):
        for output in outputs:
            assert 0 < output.confidence <= 1, type(output).__name__
    assert script[2].confidence >= 0.9
    assert subtitles[2].confidence < 0.6  # no speaker labels: characters only from vocatives
    assert script[3].confidence > subtitles[3].confidence or script[3].confidence >= 0.9
    # Confidences stay private: artifacts publish only their allowlisted keys.
    assert set(artifacts.world_artifact(script[2])) == {"characters", "locations"}
    assert set(artifacts.read_artifact(script[0])) == {"structureSummary", "voiceNotes"}
    assert set(artifacts.craft_artifact(script[4])) == {
        "cardsDrafted",
        "imagePromptsReady",
        "chatPromptsReady",
        "discussionReady",
    }


def test_stored_outputs_round_trip_with_the_new_fields():
    reading, identity, world, plan, drafts = stages_of(normalise(SAMPLE.read_bytes()))
    for output in (reading, identity, world, plan, drafts):
        again = type(output).model_validate(output.model_dump(mode="json"))
        assert again == output
    # Old stored outputs (before these fields) still load, with defaults.
    assert Plan.model_validate({"cards": []}).confidence == 1.0
    assert Drafts.model_validate({"cards": []}).confidence == 1.0
