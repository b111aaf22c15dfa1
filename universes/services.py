"""Writes for universes: creating one from a finished story, slugs, duplicates."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from universes.models import Card, Character, Location, Universe

DUPLICATE_POLICIES = ("reuse", "replace", "copy")


def universe_unique_slug(*, owner, title: str, exclude_pk: int | None = None) -> str:
    base = slugify(title)[:100] or "universe"
    taken = set(
        Universe.objects.filter(owner=owner, slug__startswith=base)
        .exclude(pk=exclude_pk)
        .values_list("slug", flat=True)
    )
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


@transaction.atomic
def universe_create_from_story(
    *,
    owner,
    source_job,
    source_sha256: str,
    source_type: str,
    title: str,
    fallback_title: str,
    logline: str,
    theme: str,
    tone_tags: list[str],
    genre: str,
    structure_summary: str,
    voice_notes: str,
    release_mode: str,
    hook_pack_count: int,
    start_date: datetime,
    characters: list[dict],
    locations: list[dict],
    cards: list[dict],
    on_duplicate: str = "reuse",
) -> Universe:
    """Create (or reuse, or replace) the universe a transformation produced.

    `on_duplicate` decides what happens when the owner already imported the
    same source (same sha256): "reuse" returns the existing universe untouched,
    "replace" rewrites it in place (same id and slug), "copy" makes a new one.
    """
    if on_duplicate not in DUPLICATE_POLICIES:
        raise ValueError(f"unknown duplicate policy {on_duplicate!r}")
    existing = (
        Universe.objects.select_for_update()
        .filter(owner=owner, source_sha256=source_sha256, is_copy=False)
        .first()
    )
    if existing is not None and on_duplicate == "reuse":
        return existing

    fields = {
        "title": (title or _title_from_filename(fallback_title))[:200],
        "logline": logline,
        "theme": theme,
        "tone_tags": tone_tags,
        "genre": genre,
        "structure_summary": structure_summary,
        "voice_notes": voice_notes,
        "source_type": source_type,
        "release_mode": release_mode,
        "hook_pack_count": hook_pack_count,
        "start_date": start_date,
    }
    if existing is not None and on_duplicate == "replace":
        universe = existing
        for name, value in fields.items():
            setattr(universe, name, value)
        universe.source_job = source_job
        universe.save()
        universe.cards.all().delete()
        universe.characters.all().delete()
        # Past cast edits describe rows that no longer exist; they cannot be undone.
        universe.cast_edits.all().delete()
        universe.locations.all().delete()
    else:
        universe = Universe.objects.create(
            owner=owner,
            slug=universe_unique_slug(owner=owner, title=fields["title"]),
            source_sha256=source_sha256,
            is_copy=existing is not None,
            source_job=source_job,
            **fields,
        )
    _create_children(universe, characters=characters, locations=locations, cards=cards)
    return universe


@transaction.atomic
def universe_publish_now(*, universe: Universe, now: datetime | None = None) -> int:
    """Publish every scheduled card of the universe at once; returns how many moved."""
    now = now or timezone.now()
    return universe.cards.filter(publish_at__gt=now).update(publish_at=now)


def _title_from_filename(filename: str) -> str:
    stem = filename.rsplit("/", 1)[-1].rsplit(".", 1)[0].replace("_", " ").replace("-", " ")
    return stem.strip().title() or "Untitled story"


def _create_children(universe: Universe, *, characters, locations, cards) -> None:
    created_characters = Character.objects.bulk_create(
        Character(
            universe=universe,
            key=c["key"],
            name=c["name"],
            description=c.get("description", ""),
            aliases=c.get("aliases", []),
            tier=c.get("tier", "supporting"),
            importance=c.get("importance", 0),
            secret_info=c.get("secret_info", ""),
            chat_persona=c.get("chat_persona", ""),
        )
        for c in characters
    )
    created_locations = Location.objects.bulk_create(
        Location(
            universe=universe,
            key=loc["key"],
            name=loc["name"],
            description=loc.get("description", ""),
            int_ext=loc.get("int_ext", ""),
        )
        for loc in locations
    )
    character_by_key = {c.key: c for c in created_characters}
    location_by_key = {loc.key: loc for loc in created_locations}

    created_cards = Card.objects.bulk_create(
        Card(
            universe=universe,
            day_index=card["day_index"],
            title=card["title"][:200],
            captions=card.get("captions", []),
            scene_text=card.get("scene_text", ""),
            recap_text=card.get("recap_text", ""),
            scene_description=card.get("scene_description", ""),
            image_generation={
                "prompt": card.get("image_prompt", ""),
                "style": card.get("image_style", ""),
                "parts": card.get("image") or {},
                "status": "pending",
            },
            location=location_by_key.get(card.get("location_key", "")),
            discussion_questions=card.get("discussion_questions", []),
            publish_at=datetime.fromisoformat(card["publish_at"]),
        )
        for card in cards
    )
    _link_characters(
        Card.primary_characters.through,
        created_cards,
        cards,
        "primary_character_keys",
        character_by_key,
    )
    _link_characters(
        Card.chat_unlocked_characters.through,
        created_cards,
        cards,
        "chat_unlocked_keys",
        character_by_key,
    )


def _link_characters(through, card_rows, cards: list[dict], keys_field: str, by_key) -> None:
    through.objects.bulk_create(
        through(card_id=row.pk, character_id=by_key[key].pk)
        for row, card in zip(card_rows, cards, strict=True)
        for key in card.get(keys_field, [])
        if key in by_key
    )
