"""The engine evaluation harness: scoring rules and the evaluate_engine command."""

from __future__ import annotations

import io
import json

from django.core.management import call_command

from tests.helpers import PROJECT_DIR
from transformations.evaluation import (
    Score,
    match_card_starts,
    match_entities,
    normalise_name,
    unfaithful_cards,
)


def test_names_match_across_case_punctuation_and_a_leading_the():
    assert normalise_name("The Coffee Shop") == normalise_name("COFFEE SHOP") == "coffee shop"
    assert normalise_name("Mrs. Abernathy") == "mrs abernathy"


def test_an_alias_match_counts_once_and_a_split_character_costs_precision():
    truth = [{"name": "Elena", "aliases": ["Elena Ruiz"]}, {"name": "Marcus", "aliases": []}]
    predicted = [{"name": "Elena Ruiz"}, {"name": "Elena"}, {"name": "Priya"}]

    score, misses = match_entities(predicted, truth)

    assert (score.true_positives, score.predicted, score.expected) == (1, 3, 2)
    assert score.precision == 1 / 3
    assert score.recall == 0.5
    assert "missed: Marcus" in misses and "extra: Priya" in misses


def test_f1_of_a_perfect_and_an_empty_score():
    assert Score(3, 3, 3).f1 == 1.0
    assert Score(0, 2, 2).f1 == 0.0
    assert (Score(1, 2, 3) + Score(1, 1, 1)) == Score(2, 3, 4)


def test_card_boundaries_match_on_their_opening_words():
    cards = ["A narrow coffee shop wedged between a laundromat.", "Rain hammers the awning."]

    score = match_card_starts(cards, ["A narrow coffee shop", "A small flat", "Rain hammers"])

    assert (score.true_positives, score.predicted, score.expected) == (2, 2, 3)


def test_cards_with_invented_sentences_are_flagged_but_dialogue_labels_are_not():
    source = "ELENA\nI know which one it is.\nRain hammers the awning."
    cards = [
        'Elena: "I know which one it is."\n\nRain hammers the awning.',
        "Rain hammers the awning. A dragon lands on the roof of the shop.",
    ]

    assert unfaithful_cards(cards, source) == [2]


def test_evaluate_engine_scores_the_corpus_and_writes_json(tmp_path):
    out, report = io.StringIO(), tmp_path / "scores.json"

    call_command("evaluate_engine", str(PROJECT_DIR / "corpus"), json=report, stdout=out)

    scores = json.loads(report.read_text())
    assert "time-spent.fountain" in out.getvalue()
    time_spent = next(d for d in scores["documents"] if d["name"] == "time-spent.fountain")
    assert time_spent["characters"]["f1"] == 1.0
    assert time_spent["locations"]["recall"] == 1.0
    assert time_spent["unfaithfulCards"] == []
    assert "script" in scores["bySourceType"]


def test_the_engine_meets_the_step_4_targets_on_the_corpus(tmp_path):
    report = tmp_path / "scores.json"

    call_command("evaluate_engine", str(PROJECT_DIR / "corpus"), json=report, stdout=io.StringIO())

    scores = json.loads(report.read_text())
    by_type = scores["bySourceType"]
    for source_type in ("script", "transcript"):
        assert by_type[source_type]["characters"]["f1"] >= 0.90, source_type
    for source_type in ("article", "pdf", "pptx"):
        assert by_type[source_type]["characters"]["f1"] >= 0.80, source_type
    assert by_type["script"]["locations"]["recall"] >= 0.90
    assert all(not document["unfaithfulCards"] for document in scores["documents"])
