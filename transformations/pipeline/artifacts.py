"""What creators may see of each stage, built by allowlist from the private output.

Each function names every field it publishes. Nothing is copied wholesale from
private data, so a new private field (a prompt, a secret, model reasoning)
can never leak by accident.
"""

from __future__ import annotations

from transformations.pipeline.types import Document, Drafts, Identity, Plan, Reading, World


def normalise_artifact(document: Document) -> dict:
    return {
        "detectedType": document.source_type.value,
        "parseConfidence": round(document.parse_confidence, 2),
        "outlineSections": [section.title for section in document.sections],
    }


def read_artifact(reading: Reading) -> dict:
    return {"structureSummary": reading.structure_summary, "voiceNotes": reading.voice_notes}


def identify_artifact(identity: Identity) -> dict:
    return {"theme": identity.theme, "toneTags": list(identity.tone_tags), "genre": identity.genre}


def world_artifact(world: World) -> dict:
    return {
        "characters": [{"id": c.key, "name": c.name} for c in world.characters],
        "locations": [{"id": loc.key, "name": loc.name} for loc in world.locations],
    }


def moments_artifact(plan: Plan) -> dict:
    return {
        "cardsPlanned": len(plan.cards),
        "hookPack": [card.title for card in plan.cards[: plan.hook_pack_count]],
        "releaseMode": plan.release_mode,
    }


def craft_artifact(drafts: Drafts) -> dict:
    cards = drafts.cards
    return {
        "cardsDrafted": len(cards),
        "imagePromptsReady": sum(1 for card in cards if card.image_prompt),
        "chatPromptsReady": sum(1 for card in cards if card.chat_unlocked_keys),
        "discussionReady": sum(1 for card in cards if card.discussion_questions),
    }
