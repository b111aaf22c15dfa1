"""Activities: local ones true to the card by construction, OpenAI ones checked and mapped."""

from __future__ import annotations

import json
import re

import pytest

from assets.generators.activities import (
    BLANK,
    ActivitiesAnswer,
    activities_for,
    local_activities,
    openai_activities,
    scene_sentences,
)
from assets.generators.base import AssetRequest, CardContext, StoryContext
from tests.fake_openai import completion
from tests.helpers import SAMPLES_DIR
from transformations.engines.journal import CallStatus, EngineSession
from transformations.engines.llm.schemas import response_format
from transformations.pipeline.errors import StageFailed


def pack_cards() -> list[CardContext]:
    pack = json.loads((SAMPLES_DIR / "time-spent.storypack.json").read_text())
    return [
        CardContext(
            day_index=index,
            title=card["title"],
            scene_text=card["sceneText"],
            captions=tuple(card["captions"]),
            recap_text=card["recapText"],
            discussion_questions=tuple(card["discussionQuestions"]),
            location_name=card["location"],
            characters=tuple(card["characters"]),
            image_parts={"mood": "tender"},
        )
        for index, card in enumerate(pack["cards"], start=1)
    ]


def request_for(card: CardContext, seed: str = "") -> AssetRequest:
    return AssetRequest(
        asset_type="activities",
        key=f"activities:{card.day_index}",
        story=StoryContext(title="Time Spent"),
        card=card,
        seed=seed or f"activities:{card.day_index}",
    )


def strings_in(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for item in value.values() for s in strings_in(item)]
    if isinstance(value, list):
        return [s for item in value for s in strings_in(item)]
    return []


def quoted(question: str) -> str:
    """The sentence a question quotes, without the quotation marks added around it."""
    text = question.split("? ", 1)[1] if "? " in question else question
    return text[1:-1] if text.startswith("“") else text


def filled(sentence_with_blank: str, choice: str) -> str:
    return sentence_with_blank.replace(BLANK, choice)


# --- local ------------------------------------------------------------------------------


def test_local_activities_have_the_shape_and_no_empty_strings():
    for card in pack_cards():
        asset = local_activities(request_for(card), EngineSession.detached())

        assert asset.files == {}
        data = asset.data
        assert set(data) == {"day", "comprehension", "discussion", "vocabulary", "creative_prompt"}
        assert data["day"] == card.day_index
        assert len(data["comprehension"]) >= 4
        for question in data["comprehension"]:
            assert set(question) == {"question", "choices", "answer_index", "explanation"}
            assert len(question["choices"]) == 4
            assert len({c.casefold() for c in question["choices"]}) == 4
            assert 0 <= question["answer_index"] < 4
        assert data["discussion"] == list(card.discussion_questions)
        assert data["vocabulary"] and data["creative_prompt"]
        assert all(s.strip() for s in strings_in(data))


def test_local_activities_are_deterministic_for_a_seed():
    card = pack_cards()[0]

    first = activities_for(card, "seed-1")

    assert activities_for(card, "seed-1") == first
    assert json.dumps(first)  # plain JSON
    others = [activities_for(card, f"seed-{n}") for n in range(2, 8)]
    assert any(other != first for other in others)  # the seed does vary them


@pytest.mark.parametrize("seed", ["a", "b", "c", "d"])
def test_every_local_answer_is_true_to_the_card(seed):
    for card in pack_cards():
        scene = card.scene_text
        in_order = scene_sentences(card)
        for question in activities_for(card, seed)["comprehension"]:
            text, choices = question["question"], question["choices"]
            right = choices[question["answer_index"]]
            wrong = [c for c in choices if c != right]

            if text == "Where does this moment take place?":
                assert right == card.location_name
                scene_words = set(re.findall(r"\w+", scene.casefold()))
                for choice in wrong:
                    assert not (set(re.findall(r"\w+", choice.casefold())) - {"a"}) & scene_words
            elif text.startswith("Who is missing"):
                assert right in card.characters
                blanked = quoted(text)
                assert filled(blanked, right) in scene
                assert all(filled(blanked, choice) not in scene for choice in wrong)
            elif text == "Which of these comes first in the scene?":
                positions = {c: in_order.index(c) for c in choices}
                assert positions[right] == min(positions.values())
            elif text.startswith("In the scene, what comes right after"):
                before = quoted(text.removesuffix("?").split("right after ", 1)[1])
                assert in_order.index(right) == in_order.index(before) + 1
            elif text.startswith("Which word completes"):
                blanked = quoted(text)
                assert filled(blanked, right) in scene
                assert all(filled(blanked, choice) not in scene for choice in wrong)
            else:
                raise AssertionError(f"a question kind the test does not know: {text}")


def test_vocabulary_comes_from_the_scene_with_its_sentence():
    for card in pack_cards():
        for entry in activities_for(card, "v")["vocabulary"]:
            assert entry["sentence"] in card.scene_text
            assert re.search(rf"\b{re.escape(entry['word'])}\b", entry["sentence"])
            assert entry["word"].islower()
            assert entry["word"].casefold() not in " ".join(card.characters).casefold()


def test_a_card_with_only_a_title_still_gets_honest_activities():
    card = CardContext(day_index=9, title="The Empty Room")

    data = activities_for(card, "x")

    assert data["comprehension"] == []  # nothing the card says could settle a question
    assert data["vocabulary"] == []
    assert data["discussion"] and data["creative_prompt"]
    assert all(s.strip() for s in strings_in(data))


# --- OpenAI -----------------------------------------------------------------------------


@pytest.fixture
def fake_openai(fake_openai, settings):
    settings.OPENAI_STAGE_MODELS = {"craft": "gpt-4o"}
    return fake_openai


def model_answer(**changes) -> dict:
    answer = {
        "comprehension": [
            {
                "question": "How fast does the brass clock run?",
                "choices": ["On time", "Seven minutes fast", "Ten minutes slow", "It has stopped"],
                "answer_index": 1,
                "explanation": "Marcus says: “That clock is seven minutes fast.”",
            },
            {
                "question": "What does Marcus leave on the counter?",
                "choices": ["A watch", "A card", "An umbrella", "A cortado"],
                "answer_index": 1,
                "explanation": "He sets a small card on the counter.",
            },
            {
                "question": "Who answers for Elena?",
                "choices": ["Marcus", "Priya", "Mrs. Abernathy", "Nobody"],
                "answer_index": 1,
                "explanation": "Priya says “She likes it fast.”",
            },
        ],
        "discussion": ["Why keep a clock fast?", "What would you do with the card?"],
        "vocabulary": [
            {"word": "predictable", "sentence": '"You make me sound predictable."'},
            {"word": "radiator", "sentence": "He carried his cortado to the radiator."},
            {"word": "tallying", "sentence": "Priya went on tallying receipts."},
        ],
        "creative_prompt": "Write the note Elena might leave inside the clock.",
    }
    answer.update(changes)
    return answer


def test_the_answer_schema_is_strict_compatible():
    schema = ActivitiesAnswer.model_json_schema()
    objects = [schema, *schema.get("$defs", {}).values()]
    for node in objects:
        assert node["required"] == list(node["properties"])  # no optional fields
    strict = response_format(ActivitiesAnswer)["json_schema"]
    assert strict["strict"] is True
    assert strict["name"] == "ActivitiesAnswer"


def test_openai_activities_are_mapped_to_the_same_shape(fake_openai):
    card = pack_cards()[0]
    fake_openai.push(completion(model_answer()))

    asset = openai_activities(request_for(card), EngineSession.detached())

    [request] = fake_openai.requests
    assert request.schema_name == "ActivitiesAnswer"
    assert request.body["model"] == "gpt-4o"  # the craft stage's model
    assert request.payload["card"]["scene_text"] == card.scene_text
    assert request.payload["card"]["location"] == "The Coffee Shop"
    expected = model_answer()
    assert asset.data == {"day": card.day_index, **expected}
    assert asset.files == {}
    assert asset.metadata == {"engine": "openai", "model": "gpt-4o"}


def test_an_invalid_answer_is_sent_back_and_the_corrected_one_used(fake_openai):
    card = pack_cards()[0]
    repeated = model_answer()
    repeated["comprehension"][0]["choices"] = ["On time", "On time", "Fast", "Slow"]
    invented = model_answer(vocabulary=[{"word": "zeppelin", "sentence": "A zeppelin."}] * 3)
    fake_openai.push(completion(repeated), completion(model_answer()))
    session = EngineSession.detached()

    asset = openai_activities(request_for(card), session)

    _, corrected = fake_openai.requests
    assert "repeats a choice" in corrected.body["messages"][-1]["content"]
    assert asset.data["comprehension"][0]["choices"][1] == "Seven minutes fast"
    assert [call.status for call in session.journal.calls] == [CallStatus.INVALID, CallStatus.OK]

    fake_openai.push(completion(invented), completion(model_answer()))
    openai_activities(request_for(pack_cards()[0], "again"), EngineSession.detached())
    correction = fake_openai.requests[-1].body["messages"][-1]["content"]
    assert "does not occur in scene_text" in correction


def test_an_answer_out_of_range_twice_fails_the_asset(fake_openai):
    broken = model_answer()
    broken["comprehension"][0]["answer_index"] = 4
    fake_openai.push(completion(broken), completion(broken))

    with pytest.raises(StageFailed) as failed:
        openai_activities(request_for(pack_cards()[0]), EngineSession.detached())

    assert failed.value.code == "MODEL_INVALID_ANSWER"
