"""Score the story engine against a ground-truth corpus: `manage.py evaluate_engine corpus/`.

Runs stage 0 and the engine's stages in-process (no database, no worker) on
every document that has a `<file>.truth.json`, and prints precision, recall
and F1 for characters, locations and card boundaries, per document and per
source type. `--json FILE` also writes the numbers for docs and CI.
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from transformations.engines import available_engines, get_engine
from transformations.evaluation import (
    EMPTY,
    DocumentScore,
    match_card_starts,
    match_entities,
    unfaithful_cards,
)
from transformations.pipeline import stages
from transformations.pipeline.stages import PlanOptions, SourceInput
from transformations.runner import ingest_limits_from_settings

# A fixed start date: scores must not depend on when they are computed.
_EPOCH = datetime(2026, 1, 1, tzinfo=UTC)


class Command(BaseCommand):
    help = "Score the story engine against hand-annotated ground truth."

    def add_arguments(self, parser):
        parser.add_argument("corpus", type=Path)
        parser.add_argument("--engine", choices=available_engines(), default=None)
        parser.add_argument("--json", type=Path, default=None, help="Also write scores here.")

    def handle(self, *args, **options):
        corpus: Path = options["corpus"]
        truths = sorted(corpus.glob("*.truth.json"))
        if not truths:
            raise CommandError(f"No *.truth.json files in {corpus}.")
        engine = get_engine(options["engine"] or settings.STORY_ENGINE)
        scores = [self._score(path, engine) for path in truths]
        self._print(scores)
        if options["json"]:
            options["json"].write_text(json.dumps(_as_json(scores), indent=2) + "\n")

    def _score(self, truth_path: Path, engine) -> DocumentScore:
        source = truth_path.with_name(truth_path.name.removesuffix(".truth.json"))
        if not source.exists():
            raise CommandError(f"{truth_path.name} has no document {source.name} beside it.")
        truth = json.loads(truth_path.read_text())
        document, _ = stages.stage_normalise(
            SourceInput(
                data=source.read_bytes(), filename=source.name, limits=ingest_limits_from_settings()
            )
        )
        reading, _ = stages.stage_read(document, engine)
        identity, _ = stages.stage_identify(document, reading, engine)
        world, _ = stages.stage_world(document, reading, identity, engine)
        plan, _ = stages.stage_moments(
            document,
            world,
            engine,
            PlanOptions(hook_pack_count=3, release_mode="hybrid", start=_EPOCH),
        )
        drafts, _ = stages.stage_craft(
            document, reading, identity, world, plan, engine, progress=lambda done, total: None
        )
        characters, character_misses = match_entities(
            [c.model_dump() for c in world.characters], truth.get("characters", [])
        )
        locations, location_misses = match_entities(
            [loc.model_dump() for loc in world.locations], truth.get("locations", [])
        )
        card_texts = [card.scene_text for card in drafts.cards]
        source_text = "\n".join(block.text for block in document.blocks)
        return DocumentScore(
            name=source.name,
            source_type=document.source_type.value,
            characters=characters,
            locations=locations,
            cards=match_card_starts(card_texts, truth["cardStarts"])
            if "cardStarts" in truth
            else EMPTY,
            unmatched={"characters": character_misses, "locations": location_misses},
            unfaithful_cards=unfaithful_cards(card_texts, source_text),
        )

    def _print(self, scores: list[DocumentScore]) -> None:
        write = self.stdout.write
        header = (
            f"{'document':34} {'type':10} {'characters P/R/F1':22} {'locations P/R/F1':22} cards F1"
        )
        write(header)
        write("-" * len(header))
        for s in scores:
            write(
                f"{s.name[:34]:34} {s.source_type:10} {_prf(s.characters):22} "
                f"{_prf(s.locations):22} {s.cards.f1:.2f}"
            )
            for kind, misses in s.unmatched.items():
                if misses:
                    write(f"    {kind}: {', '.join(misses)}")
            if s.unfaithful_cards:
                write(f"    cards with text not in the source: {s.unfaithful_cards}")
        write("")
        for source_type, total in _by_type(scores).items():
            write(
                f"{source_type:10} characters {_prf(total['characters'])}  "
                f"locations {_prf(total['locations'])}  cards F1 {total['cards'].f1:.2f}"
            )


def _prf(score) -> str:
    return f"{score.precision:.2f}/{score.recall:.2f}/{score.f1:.2f}"


def _by_type(scores: list[DocumentScore]) -> dict[str, dict]:
    totals: dict[str, dict] = defaultdict(
        lambda: {"characters": EMPTY, "locations": EMPTY, "cards": EMPTY}
    )
    for s in scores:
        bucket = totals[s.source_type]
        bucket["characters"] += s.characters
        bucket["locations"] += s.locations
        bucket["cards"] += s.cards
    return dict(sorted(totals.items()))


def _as_json(scores: list[DocumentScore]) -> dict:
    def numbers(score):
        return {"precision": score.precision, "recall": score.recall, "f1": score.f1}

    return {
        "documents": [
            {
                "name": s.name,
                "sourceType": s.source_type,
                "characters": numbers(s.characters),
                "locations": numbers(s.locations),
                "cards": numbers(s.cards),
                "unmatched": s.unmatched,
                "unfaithfulCards": s.unfaithful_cards,
            }
            for s in scores
        ],
        "bySourceType": {
            source_type: {kind: numbers(score) for kind, score in total.items()}
            for source_type, total in _by_type(scores).items()
        },
    }
