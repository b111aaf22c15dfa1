"""Reading activities for one card: comprehension, discussion, vocabulary and a writing prompt.

Both engines give the same JSON:

    {"day": 3,
     "comprehension": [{"question", "choices": [4 strings], "answer_index", "explanation"}],
     "discussion": [str], "vocabulary": [{"word", "sentence"}], "creative_prompt": str}

The local engine knows only the card, so it asks only what the card's own words
settle, and offers no wrong choice that could turn out true:

- where: the card's location. Wrong choices are everyday places that share no word
  with the card; a place the scene names is never one, since a moment can move
  between two places and both would then be right.
- who: a sentence of the scene naming exactly one of the card's characters, the
  name blanked. The sentence settles it, so the card's other characters are fair
  wrong choices, then first names the card never uses.
- order: which of four sentences comes first in the scene, and which sentence
  comes right after a given one. Both are asked "in the scene": text order, which
  a flashback does not make false.
- word: a vocabulary word blanked from its sentence, against vocabulary words
  that sentence does not contain.

The recap and the captions are never wrong choices: they tell this same moment.
A question without enough honest wrong choices is left out rather than padded.
Choices are shuffled with a generator seeded by the request's seed, so the same
card and seed always give the same activities.

The OpenAI engine asks the craft model for `ActivitiesAnswer` and checks what a
schema cannot (distinct choices, vocabulary that occurs in the scene).
"""

from __future__ import annotations

import random
import re
from itertools import pairwise
from typing import Annotated

from pydantic import Field

from assets.generators.base import AssetRequest, CardContext, GeneratedAsset, GeneratorSession
from assets.generators.captions import sentences_of
from assets.generators.openai_media import media_settings
from transformations.engines.llm.client import ModelClient
from transformations.engines.llm.schemas import Answer
from transformations.engines.local.lexicon import HONORIFICS, STOPWORDS
from transformations.engines.local.text import place_phrase
from transformations.ingest.text import collapse_spaces, word_set, words

BLANK = "_____"
MAX_CHOICE_CHARS = 200
VOCABULARY_SIZE = 5
MIN_VOCABULARY_LETTERS = 7

# Wrong answers for "where": ordinary places a reader will not find in a story that
# does not name them. Any sharing a word with the card is dropped.
EVERYDAY_PLACES = (
    "A train station",
    "A school library",
    "A hospital waiting room",
    "A city park",
    "A supermarket",
    "A fishing boat",
    "A football stadium",
    "A museum",
    "A bus stop",
    "A farmhouse kitchen",
)
# Wrong answers for "who", after the card's other characters.
EVERYDAY_NAMES = ("Tom", "Anna", "Sam", "Lucy", "Omar", "Mei", "Jonah", "Rosa", "Ivan", "Nadia")
# Long words too common to teach; length alone would pick them.
COMMON_LONG_WORDS = word_set(
    """another anybody anything anywhere because between different everybody everything
    everywhere somebody someone something sometimes somewhere together without already
    nothing another himself herself itself yourself whatever whenever wherever actually
    probably suddenly finally usually really quickly slowly important beautiful morning
    evening tonight tomorrow yesterday minutes seconds started looking watching thinking
    talking walking turning standing sitting waiting smiling nodding pointing holding
    carried carrying putting getting knowing leaving reached reaching opened opening
    closed closing moments outside inside behind against through thought brought"""
)

_QUOTES = '"“”'


def _rng(seed: str, purpose: str) -> random.Random:
    # Seeded from a string: the same on every machine and Python run (no hash salt).
    return random.Random(f"{seed}|{purpose}")


def _folded_words(text: str) -> set[str]:
    return {word.casefold() for word in words(text)}


def _key(text: str) -> str:
    return collapse_spaces(text).casefold()


def _question(
    question: str, right: str, wrong: list[str], explanation: str, rng: random.Random
) -> dict | None:
    """A multiple-choice question with `right` and three of `wrong`, or None if too few differ."""
    distinct: list[str] = []
    seen = {_key(right)}
    for choice in wrong:
        if choice and _key(choice) not in seen:
            seen.add(_key(choice))
            distinct.append(choice)
    if not right or len(distinct) < 3:
        return None
    choices = [right, *distinct[:3]]
    rng.shuffle(choices)
    return {
        "question": question,
        "choices": choices,
        "answer_index": choices.index(right),
        "explanation": explanation,
    }


def _quoted(text: str) -> str:
    # Dialogue brings its own quotation marks; a second pair around it only clutters.
    return text if text[:1] in _QUOTES + "'‘" else f"“{text}”"


def _balanced(sentence: str) -> bool:
    return sentence.count('"') % 2 == 0 and sentence.count("“") == sentence.count("”")


def scene_sentences(card: CardContext) -> list[str]:
    """The scene's sentences in order, paragraph by paragraph."""
    paragraphs = re.split(r"\n\s*\n|\n", card.scene_text)
    return [s for paragraph in paragraphs for s in sentences_of(paragraph)]


def _quotable(sentence: str, all_sentences: list[str]) -> bool:
    """Whole, not too long or short, and found only once (order questions need that)."""
    return (
        _balanced(sentence)
        and 4 <= len(sentence.split()) <= 30
        and len(sentence) <= MAX_CHOICE_CHARS
        and all_sentences.count(sentence) == 1
    )


def _name_re(name: str) -> re.Pattern[str]:
    """The name as written, or its first word when that is not an honorific ("Elena Ruiz")."""
    forms = {name}
    first = name.split()[0] if name.split() else ""
    if first and first.lower().strip(".") not in HONORIFICS and len(first) > 1:
        forms.add(first)
    forms |= {form.upper() for form in forms}
    ordered = sorted(forms, key=len, reverse=True)
    return re.compile(r"(?<![\w'’])(?:" + "|".join(re.escape(f) for f in ordered) + r")(?!\w)")


def where_question(card: CardContext, rng: random.Random) -> dict | None:
    place = collapse_spaces(card.location_name)
    if not place:
        return None
    card_words = _folded_words(f"{card.scene_text} {place} {card.title}")
    wrong = [p for p in EVERYDAY_PLACES if not (_folded_words(p) - {"a"}) & card_words]
    rng.shuffle(wrong)
    return _question(
        "Where does this moment take place?",
        place,
        wrong,
        f"This moment is set at {place_phrase(place)}.",
        rng,
    )


def who_question(card: CardContext, found: list[str], rng: random.Random) -> dict | None:
    people = [collapse_spaces(name) for name in card.characters if collapse_spaces(name)]
    patterns = {name: _name_re(name) for name in people}
    options = []
    for sentence in found:
        named = [name for name, pattern in patterns.items() if pattern.search(sentence)]
        if len(named) == 1:
            options.append((sentence, named[0]))
    if not options:
        return None
    sentence, name = rng.choice(options)
    blanked = patterns[name].sub(BLANK, sentence)
    text_words = set(words(card.scene_text))
    others = [other for other in people if other != name]
    strangers = [n for n in EVERYDAY_NAMES if n not in text_words and n not in people]
    rng.shuffle(strangers)
    return _question(
        f"Who is missing from this sentence of the scene? {_quoted(blanked)}",
        name,
        others + strangers,
        f"The scene says: {_quoted(sentence)}",
        rng,
    )


def first_question(found: list[str], rng: random.Random) -> dict | None:
    if len(found) < 4:
        return None
    picked = sorted(rng.sample(range(len(found)), 4))
    first = found[picked[0]]
    return _question(
        "Which of these comes first in the scene?",
        first,
        [found[i] for i in picked[1:]],
        f"{_quoted(first)} comes before the other three in the scene.",
        rng,
    )


def next_question(all_sentences: list[str], found: list[str], rng: random.Random) -> dict | None:
    pairs = [
        (before, after)
        for before, after in pairwise(all_sentences)
        if before in found and after in found
    ]
    if not pairs or len(found) < 5:
        return None
    before, after = rng.choice(pairs)
    wrong = [s for s in found if s not in (before, after)]
    rng.shuffle(wrong)
    return _question(
        f"In the scene, what comes right after {_quoted(before)}?",
        after,
        wrong,
        f"In the scene, {_quoted(before)} is followed by {_quoted(after)}",
        rng,
    )


def _names_in(card: CardContext) -> set[str]:
    named = " ".join([*card.characters, card.location_name, card.title])
    return {w.casefold() for w in words(named)}


def _stem(word: str) -> str:
    return re.sub(r"(?:ing|ed|es|s)$", "", word)


def vocabulary(card: CardContext) -> list[dict]:
    """Less common words of the scene, each with the first sentence it occurs in.

    Without a word-frequency list, length stands in for rarity (long words are the
    rarer ones); proper nouns, the card's names and common long words are left out.
    """
    all_sentences = scene_sentences(card)
    excluded = _names_in(card)
    capitalised_inside = {
        w.casefold() for sentence in all_sentences for w in words(sentence)[1:] if w[:1].isupper()
    }
    candidates: dict[str, tuple[int, str]] = {}  # stem -> (position, word)
    for position, word in enumerate(words(card.scene_text)):
        if (
            word.islower()
            and word.isalpha()
            and len(word) >= MIN_VOCABULARY_LETTERS
            and word not in STOPWORDS
            and word not in COMMON_LONG_WORDS
            and word not in excluded
            and word not in capitalised_inside
        ):
            candidates.setdefault(_stem(word), (position, word))
    ranked = sorted(candidates.values(), key=lambda item: (-len(item[1]), item[0]))
    entries = []
    for _, word in ranked[:VOCABULARY_SIZE]:
        pattern = re.compile(rf"(?<!\w){re.escape(word)}(?!\w)")
        sentence = next((s for s in all_sentences if pattern.search(s)), "")
        if sentence:
            entries.append({"word": word, "sentence": sentence})
    return entries


def word_question(entries: list[dict], rng: random.Random) -> dict | None:
    usable = [
        entry
        for entry in entries
        if len(entry["sentence"]) <= MAX_CHOICE_CHARS * 2 and _balanced(entry["sentence"])
    ]
    if not usable or len(entries) < 4:
        return None
    entry = rng.choice(usable)
    word, sentence = entry["word"], entry["sentence"]
    blanked = re.sub(rf"(?<!\w){re.escape(word)}(?!\w)", BLANK, sentence)
    wrong = [e["word"] for e in entries if e["word"].casefold() not in sentence.casefold()]
    rng.shuffle(wrong)
    return _question(
        f"Which word completes this sentence as the scene has it? {_quoted(blanked)}",
        word,
        wrong,
        f"The scene says: {_quoted(sentence)}",
        rng,
    )


def discussion(card: CardContext) -> list[str]:
    questions = [collapse_spaces(q) for q in card.discussion_questions if collapse_spaces(q)]
    if questions:
        return questions
    title = collapse_spaces(card.title)
    fallback = ["What would you have done in this moment, and why?"]
    if title:
        fallback.insert(0, f"Why do you think this moment is called “{title}”?")
    return fallback


def creative_prompt(card: CardContext, rng: random.Random) -> str:
    people = [collapse_spaces(name) for name in card.characters if collapse_spaces(name)]
    # Someone other than the lead, when there is one: a fresh point of view.
    viewer = rng.choice(people[1:] or people) if people else "someone who was there"
    title = collapse_spaces(card.title) or "this moment"
    place = collapse_spaces(card.location_name)
    mood = collapse_spaces(str(card.image_parts.get("mood", "")))
    prompts = [
        f"Write a few sentences about “{title}” as {viewer} would tell it.",
        f"Write what happens in the minute after “{title}” ends, as {viewer} sees it.",
    ]
    if place:
        prompts.append(f"Describe {place} at the moment of “{title}” through {viewer}'s eyes.")
    prompt = rng.choice(prompts)
    return f"{prompt} Keep the mood {mood}." if mood else prompt


def activities_for(card: CardContext, seed: str) -> dict:
    all_sentences = scene_sentences(card)
    found = [s for s in all_sentences if _quotable(s, all_sentences)]
    entries = vocabulary(card)
    questions = [
        where_question(card, _rng(seed, "where")),
        who_question(card, found, _rng(seed, "who")),
        first_question(found, _rng(seed, "first")),
        next_question(all_sentences, found, _rng(seed, "next")),
        word_question(entries, _rng(seed, "word")),
    ]
    return {
        "day": card.day_index,
        "comprehension": [q for q in questions if q is not None],
        "discussion": discussion(card),
        "vocabulary": entries,
        "creative_prompt": creative_prompt(card, _rng(seed, "creative")),
    }


def _card(request: AssetRequest) -> CardContext:
    if request.card is None:
        raise ValueError(f"{request.key}: activities need a card")
    return request.card


def local_activities(request: AssetRequest, session: GeneratorSession) -> GeneratedAsset:
    data = activities_for(_card(request), request.seed)
    session.report(1, 1, "activities ready")
    return GeneratedAsset(data=data, metadata={"engine": "local"})


# --- OpenAI ---------------------------------------------------------------------------

Line = Annotated[str, Field(min_length=1, max_length=MAX_CHOICE_CHARS)]


class ComprehensionAnswer(Answer):
    question: str = Field(min_length=1, max_length=400)
    choices: list[Line] = Field(min_length=4, max_length=4)
    answer_index: int = Field(ge=0, le=3, description="0-based position of the right choice.")
    explanation: str = Field(
        min_length=1, max_length=400, description="The card's words that settle it."
    )


class VocabularyAnswer(Answer):
    word: Line = Field(description="As it occurs in the scene text.")
    sentence: str = Field(
        min_length=1, max_length=600, description="The scene's sentence it occurs in, copied."
    )


class ActivitiesAnswer(Answer):
    comprehension: list[ComprehensionAnswer] = Field(min_length=3, max_length=5)
    discussion: list[Line] = Field(min_length=2, max_length=4)
    vocabulary: list[VocabularyAnswer] = Field(min_length=3, max_length=6)
    creative_prompt: str = Field(min_length=1, max_length=500)


ACTIVITIES_SYSTEM = """You write reading activities for one card of a serialised story: one
moment, read on one day. Use only what the card says; invent no facts.
- comprehension: 3 to 5 multiple-choice questions, each with exactly 4 different choices.
  Exactly one choice is right, and the card's text proves it; the others are plausible
  but the text shows they are wrong. answer_index is the 0-based position of the right
  choice. The explanation quotes or points to the words that settle it.
- discussion: 2 to 4 open questions with no single right answer, about choices, feelings
  and what the reader would do.
- vocabulary: 3 to 6 less common words that occur in scene_text, each with the sentence of
  scene_text it occurs in, copied exactly.
- creative_prompt: one short writing or drawing task that grows out of this moment.
Write in the language of scene_text."""


def check_activities(answer: ActivitiesAnswer, card: CardContext) -> None:
    """Rules the schema cannot state; a ValueError is sent back to the model to fix."""
    scene = card.scene_text.casefold()
    for number, item in enumerate(answer.comprehension, start=1):
        if len({_key(choice) for choice in item.choices}) != len(item.choices):
            raise ValueError(f"comprehension question {number} repeats a choice")
        if not 0 <= item.answer_index < len(item.choices):
            raise ValueError(f"comprehension question {number}: answer_index is not a choice")
    for entry in answer.vocabulary:
        word = entry.word.strip().casefold()
        if word not in scene:
            raise ValueError(f"vocabulary word {entry.word!r} does not occur in scene_text")
        if word not in entry.sentence.casefold():
            raise ValueError(f"the sentence given for {entry.word!r} does not contain it")
    texts = [*answer.discussion, answer.creative_prompt]
    if any(not text.strip() for text in texts):
        raise ValueError("discussion questions and the creative prompt must not be blank")


def _card_payload(card: CardContext) -> dict:
    return {
        "day_index": card.day_index,
        "title": card.title,
        "location": card.location_name,
        "characters": list(card.characters),
        "captions": list(card.captions),
        "scene_text": card.scene_text,
        "recap_text": card.recap_text,
        "discussion_questions": list(card.discussion_questions),
    }


def openai_activities(request: AssetRequest, session: GeneratorSession) -> GeneratedAsset:
    card = _card(request)
    client = ModelClient(media_settings(), session, "craft")
    session.report(0, 1, "writing activities")
    answer = client.ask(
        ActivitiesAnswer,
        system=ACTIVITIES_SYSTEM,
        payload={"story": {"title": request.story.title}, "card": _card_payload(card)},
        purpose=f"activities for day {card.day_index}",
        check=lambda answer: check_activities(answer, card),
    )
    session.report(1, 1, "activities ready")
    data = {
        "day": card.day_index,
        "comprehension": [
            {
                "question": item.question.strip(),
                "choices": [choice.strip() for choice in item.choices],
                "answer_index": item.answer_index,
                "explanation": item.explanation.strip(),
            }
            for item in answer.comprehension
        ],
        "discussion": [question.strip() for question in answer.discussion],
        "vocabulary": [
            {"word": entry.word.strip(), "sentence": entry.sentence.strip()}
            for entry in answer.vocabulary
        ],
        "creative_prompt": answer.creative_prompt.strip(),
    }
    return GeneratedAsset(data=data, metadata={"engine": "openai", "model": client.model})
