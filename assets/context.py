"""The plain data a generator gets, read from the universe, its cards and characters."""

from __future__ import annotations

from assets.generators.base import AssetRequest, CardContext, CharacterContext, StoryContext
from assets.models import AssetJob, AssetStatus, AssetType
from assets.storage import file_read
from universes.models import Card, Universe

_NIGHT_WORDS = ("night", "midnight", "moonlit", "dark street")


def story_context(universe: Universe) -> StoryContext:
    from assets.generators.palette import story_palette

    return StoryContext(
        title=universe.title,
        logline=universe.logline,
        theme=universe.theme,
        tone_tags=tuple(universe.tone_tags),
        genre=universe.genre,
        palette=tuple(story_palette(universe.tone_tags, universe.genre)),
    )


def card_context(card: Card) -> CardContext:
    image = card.image_generation or {}
    parts = image.get("parts") or {}
    setting = f"{parts.get('setting', '')} {image.get('prompt', '')}".lower()
    location = card.location
    return CardContext(
        day_index=card.day_index,
        title=card.title,
        captions=tuple(card.captions),
        scene_text=card.scene_text,
        recap_text=card.recap_text,
        scene_description=card.scene_description,
        discussion_questions=tuple(card.discussion_questions),
        image_prompt=image.get("prompt", ""),
        image_parts=parts,
        location_name=location.name if location else "",
        location_description=location.description if location else "",
        int_ext=location.int_ext if location else "",
        time_of_day="NIGHT" if any(word in setting for word in _NIGHT_WORDS) else "DAY",
        characters=tuple(c.name for c in card.primary_characters.all() if not c.hidden),
    )


def _ready_images(universe: Universe, keys: list[str] | None = None) -> dict[str, bytes]:
    jobs = AssetJob.objects.filter(
        universe=universe,
        asset_type__in=(AssetType.COVER, AssetType.CARD_IMAGE),
        asset_status=AssetStatus.READY,
    )
    if keys is not None:
        jobs = jobs.filter(key__in=keys)
    images = {}
    for job in jobs:
        info = job.files.get("main")
        content = file_read(info) if info else None
        if content is not None:
            images[job.key] = content
    return images


def request_for(job: AssetJob) -> AssetRequest:
    universe = job.universe
    story = story_context(universe)
    # The key is unique per asset (and per run token for portraits): stable variation.
    seed = job.key
    if job.asset_type == AssetType.PDF:
        cards = universe.cards.select_related("location").prefetch_related("primary_characters")
        return AssetRequest(
            asset_type=job.asset_type,
            key=job.key,
            story=story,
            cards=tuple(card_context(card) for card in cards.order_by("day_index")),
            images=_ready_images(universe),
            seed=seed,
        )
    if job.asset_type == AssetType.PORTRAIT:
        character = job.character
        return AssetRequest(
            asset_type=job.asset_type,
            key=job.key,
            story=story,
            character=CharacterContext(
                key=character.key,
                name=character.name,
                description=character.description,
                visual_profile=character.visual_profile,
            ),
            style=job.options.get("style", "storybook"),
            variants=int(job.options.get("variants", 1)),
            seed=seed,
        )
    card = card_context(job.card) if job.card_id else None
    images = _ready_images(universe, ["cover"]) if job.asset_type == AssetType.CARD_IMAGE else {}
    return AssetRequest(
        asset_type=job.asset_type, key=job.key, story=story, card=card, images=images, seed=seed
    )
