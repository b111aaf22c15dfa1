"""Creator control of the cast: merge, split, rename, hide, and undo the latest edit.

Every edit runs in one transaction with the universe row locked (so two tabs cannot
interleave edits), and records a CastEdit whose snapshot holds the state before the
edit of every character row it touched, card links included:

    {"characters": [{"id", <field>: <value>..., "primary_card_ids", "chat_card_ids"}],
     "created_ids": [ids of rows the edit created],
     "result_ids": [ids of rows the edit left behind]}

Undo deletes the created rows and writes the snapshot rows back (same ids), which
restores the cast exactly; `result_ids` lets it notice that the cast changed some other
way since (a re-import replaces every row) and refuse rather than guess.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from core.errors import ApplicationError, ConflictError
from jobqueue.errors import JobError
from transformations.engines.journal import EngineSession
from transformations.engines.llm import vision
from transformations.journal import DatabaseCallJournal
from universes.models import Card, CastEdit, CastEditKind, Character, Universe
from universes.selectors import cast_edit_latest_undoable
from universes.source_document import TEXT_KINDS, NameMatcher, source_story_for

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser as User

# Everything a character row holds besides its id and universe, as the snapshot keeps it.
SNAPSHOT_FIELDS = (
    "key",
    "name",
    "description",
    "aliases",
    "tier",
    "importance",
    "secret_info",
    "chat_persona",
    "hidden",
)
NAME_MAX_LENGTH = Character._meta.get_field("name").max_length
KEY_MAX_LENGTH = Character._meta.get_field("key").max_length
SUMMARY_MAX_LENGTH = CastEdit._meta.get_field("summary").max_length
TIER_RANK = {"main": 2, "supporting": 1}

PrimaryLink = Card.primary_characters.through
ChatLink = Card.chat_unlocked_characters.through

# The model server failing is not the creator's mistake: 502/503 unless the photo is.
PHOTO_ERROR_STATUS = {
    "PHOTO_UNREADABLE": 400,
    "PHOTO_TOO_LARGE": 413,
    "MODEL_REFUSED": 422,
    "MODEL_CONTENT_BLOCKED": 422,
    "ENGINE_NOT_AVAILABLE": 503,
}


@transaction.atomic
def character_merge(
    *, universe: Universe, source: Character, target: Character, user: User | None
) -> CastEdit:
    """Fold `source` into `target`: one person the extraction saw as two.

    The target keeps its name and gains the source's name and aliases as aliases, its
    card links (primary and chat-unlocked, without duplicates), its importance (lines
    add up), the higher tier and, when it had none, the description. The source row is
    deleted; undo brings it back with the same id and key.
    """
    _lock(universe)
    source = _fresh_character(universe, source)
    target = _fresh_character(universe, target)
    if source.pk == target.pk:
        raise ApplicationError(
            f"“{source.name}” cannot be merged into itself. Choose two different characters.",
            code="CANNOT_MERGE_INTO_SELF",
        )
    snapshot = _snapshot([source, target])

    target.aliases = _unique_names(
        [*target.aliases, source.name, *source.aliases], excluding=target.name
    )
    target.importance += source.importance
    if TIER_RANK.get(source.tier, 0) > TIER_RANK.get(target.tier, 0):
        target.tier = source.tier
    target.description = target.description or source.description
    target.save()
    for through in (PrimaryLink, ChatLink):
        already = set(
            through.objects.filter(character_id=target.pk).values_list("card_id", flat=True)
        )
        moved = set(
            through.objects.filter(character_id=source.pk).values_list("card_id", flat=True)
        )
        through.objects.bulk_create(
            through(card_id=card_id, character_id=target.pk) for card_id in moved - already
        )
    source.delete()  # its links go with it (the snapshot keeps them)

    return _record(
        universe,
        user,
        CastEditKind.MERGE,
        f"Merged “{source.name}” into “{target.name}”",
        snapshot,
        result_ids=[target.pk],
    )


@transaction.atomic
def character_split_alias(
    *, universe: Universe, character: Character, alias: str, user: User | None
) -> CastEdit:
    """Make one of a character's aliases a character of its own.

    1. The alias leaves `character.aliases` and names a new character (key slugified,
       unique in the universe; importance = the lines spoken under that name).
    2. Each card whose text speaks or names the alias (the source Document's blocks for
       the card, else the card's scene_text) gets the new character as a primary one.
    3. On those cards where none of the character's remaining names occur, the
       character's own links (primary and chat-unlocked) move to the new character.
    """
    _lock(universe)
    character = _fresh_character(universe, character)
    wanted = " ".join(alias.split()).casefold()
    matching = [a for a in character.aliases if " ".join(a.split()).casefold() == wanted]
    if not wanted or not matching:
        known = ", ".join(f"“{a}”" for a in character.aliases) or "none"
        raise ApplicationError(
            f"“{alias}” is not an alias of “{character.name}” (its aliases: {known}).",
            code="ALIAS_NOT_FOUND",
        )
    alias = matching[0]
    new_name = _valid_name(alias)
    _ensure_name_free(universe, new_name, allowed=character)
    snapshot = _snapshot([character])

    remaining_forms = [character.name, *(a for a in character.aliases if a not in matching)]
    cards = list(universe.cards.only("id", "day_index", "scene_text"))
    with_alias, with_remaining, spoken_lines = _cards_naming(
        universe, cards, alias=alias, remaining_forms=remaining_forms
    )

    character.aliases = [a for a in character.aliases if a not in matching]
    character.importance = max(0, character.importance - spoken_lines)
    character.save()
    new_character = Character.objects.create(
        universe=universe,
        key=_unique_key(universe, new_name),
        name=new_name,
        tier="supporting",
        importance=spoken_lines,
    )
    moved_away = with_alias - with_remaining
    PrimaryLink.objects.bulk_create(
        PrimaryLink(card_id=card_id, character_id=new_character.pk) for card_id in with_alias
    )
    chat_cards = set(
        ChatLink.objects.filter(character_id=character.pk, card_id__in=moved_away).values_list(
            "card_id", flat=True
        )
    )
    ChatLink.objects.bulk_create(
        ChatLink(card_id=card_id, character_id=new_character.pk) for card_id in chat_cards
    )
    for through in (PrimaryLink, ChatLink):
        through.objects.filter(character_id=character.pk, card_id__in=moved_away).delete()

    return _record(
        universe,
        user,
        CastEditKind.SPLIT,
        f"Split “{new_name}” from “{character.name}”",
        snapshot,
        created_ids=[new_character.pk],
        result_ids=[character.pk, new_character.pk],
    )


@transaction.atomic
def character_rename(
    *, universe: Universe, character: Character, name: str, user: User | None
) -> CastEdit:
    """Give a character a new display name; the old one stays as an alias (key unchanged,
    so links to the character's page keep working)."""
    _lock(universe)
    character = _fresh_character(universe, character)
    name = _valid_name(name)
    if name == character.name:
        raise ApplicationError(f"“{character.name}” already has that name.", code="NAME_UNCHANGED")
    _ensure_name_free(universe, name, allowed=character)
    snapshot = _snapshot([character])
    old_name = character.name
    character.name = name
    character.aliases = _unique_names([*character.aliases, old_name], excluding=name)
    character.save()
    return _record(
        universe,
        user,
        CastEditKind.RENAME,
        f"Renamed “{old_name}” to “{name}”",
        snapshot,
        result_ids=[character.pk],
    )


@transaction.atomic
def character_hide(*, universe: Universe, character: Character, user: User | None) -> CastEdit:
    """Hide a false positive from readers; its card links stay for unhide and undo."""
    return _set_hidden(universe, character, user, hidden=True)


@transaction.atomic
def character_unhide(*, universe: Universe, character: Character, user: User | None) -> CastEdit:
    return _set_hidden(universe, character, user, hidden=False)


@transaction.atomic
def cast_edit_undo(*, universe: Universe, edit: CastEdit, user: User | None) -> CastEdit:
    """Undo the universe's latest edit that is not undone yet, restoring the cast exactly.

    Edits form a stack: undoing an older one while a newer one stands could restore rows
    the newer edit depends on, so it is refused with the name of the edit to undo first.
    """
    _lock(universe)
    stored = universe.cast_edits.filter(pk=edit.pk).first()  # the caller's copy may be stale
    if stored is None:
        raise ApplicationError(
            "That change is not part of this universe's history.",
            code="CAST_EDIT_NOT_FOUND",
            status_code=404,
        )
    latest = cast_edit_latest_undoable(universe=universe)
    if latest is None:
        raise ConflictError(
            "There is nothing to undo: every change has already been undone.",
            code="NOTHING_TO_UNDO",
        )
    if latest.pk != stored.pk:
        if stored.undone_at is not None:
            raise ConflictError(
                f"That change was already undone: {stored.summary}.", code="ALREADY_UNDONE"
            )
        raise ConflictError(
            f"Only the most recent change can be undone; undo this one first: {latest.summary}.",
            code="NOT_LATEST_EDIT",
        )
    edit = latest
    _restore(universe, edit.snapshot)
    edit.undone_at = timezone.now()
    edit.undone_by = _actor(user)
    edit.save(update_fields=["undone_at", "undone_by"])
    return edit


def character_profile_from_photo(*, character: Character, photo: bytes) -> Character:
    """Describe `character` from a reference photo, for portraits, in `visual_profile`.

    The photo itself is not stored: only the model's description is, and the call
    (the photo replaced by its digest) is kept for staff as ModelCall "character:<pk>".
    Not a cast edit: a new photo replaces the profile, and undo leaves it alone.
    Runs outside a transaction so no row stays locked while the model answers.
    """
    subject = f"character:{character.pk}"
    session = EngineSession(
        job_key=f"character-{character.pk}",
        stage=0,
        journal=DatabaseCallJournal(subject=subject),
    )
    try:
        profile = vision.character_profile_from_photo(
            photo, name=character.name, description=character.description, session=session
        )
    except JobError as error:
        raise ApplicationError(
            error.user_message,
            code=error.code,
            status_code=PHOTO_ERROR_STATUS.get(error.code, 503 if error.retryable else 502),
        ) from error
    visual_profile = {**profile.model_dump(mode="json"), "source": "photo"}
    with transaction.atomic():
        # Under the cast-edit lock, so an edit saving the whole row cannot write back the
        # profile it read before; an update, as the character may be gone (merged away,
        # re-imported) after the model's answer, and the caller's copy may be stale.
        _lock(character.universe)
        updated = Character.objects.filter(pk=character.pk).update(visual_profile=visual_profile)
    if not updated:
        raise ApplicationError(
            f"“{character.name}” is no longer in this universe's cast.",
            code="CHARACTER_NOT_FOUND",
            status_code=404,
        )
    character.visual_profile = visual_profile
    return character


# Steps shared by the edits ------------------------------------------------------------


def _lock(universe: Universe) -> None:
    # Serialises cast edits per universe (a no-op on SQLite, which locks the whole file).
    list(Universe.objects.select_for_update().filter(pk=universe.pk).values_list("pk"))


def _fresh_character(universe: Universe, character: Character) -> Character:
    """The character as stored now (the caller's copy may be stale), or a 404-style error."""
    fresh = universe.characters.filter(pk=character.pk).first()
    if fresh is None:
        raise ApplicationError(
            f"“{character.name}” is no longer in this universe's cast.",
            code="CHARACTER_NOT_FOUND",
            status_code=404,
        )
    return fresh


def _set_hidden(universe: Universe, character: Character, user, *, hidden: bool) -> CastEdit:
    _lock(universe)
    character = _fresh_character(universe, character)
    if character.hidden == hidden:
        state = "hidden" if hidden else "visible"
        raise ConflictError(
            f"“{character.name}” is already {state}.",
            code="ALREADY_HIDDEN" if hidden else "NOT_HIDDEN",
        )
    snapshot = _snapshot([character])
    character.hidden = hidden
    character.save(update_fields=["hidden"])
    if hidden:
        kind, summary = CastEditKind.HIDE, f"Hid “{character.name}”"
    else:
        kind, summary = CastEditKind.UNHIDE, f"Showed “{character.name}” again"
    return _record(universe, user, kind, summary, snapshot, result_ids=[character.pk])


def _valid_name(name: str) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise ApplicationError("Enter a name.", code="NAME_REQUIRED")
    if len(name) > NAME_MAX_LENGTH:
        raise ApplicationError(
            f"Names are at most {NAME_MAX_LENGTH} characters long.", code="NAME_TOO_LONG"
        )
    return name


def _ensure_name_free(universe: Universe, name: str, *, allowed: Character) -> None:
    """Two characters answering to one name would make every later match ambiguous."""
    wanted = name.casefold()
    for other in universe.characters.exclude(pk=allowed.pk).only("name", "aliases"):
        if other.name.casefold() == wanted:
            raise ApplicationError(
                f"“{other.name}” is already a character in this universe; merge the two instead.",
                code="NAME_TAKEN",
            )
        if any(alias.casefold() == wanted for alias in other.aliases):
            raise ApplicationError(
                f"“{name}” is already an alias of “{other.name}”; split it off or merge "
                "the two instead.",
                code="NAME_TAKEN",
            )


def _unique_names(names: list[str], *, excluding: str) -> list[str]:
    """Keep the first spelling of each name (case-insensitively), minus `excluding`."""
    seen = {excluding.casefold()}
    kept = []
    for name in names:
        folded = name.casefold()
        if name.strip() and folded not in seen:
            seen.add(folded)
            kept.append(name)
    return kept


def _unique_key(universe: Universe, name: str) -> str:
    base = slugify(name)[: KEY_MAX_LENGTH - 4] or "character"
    taken = set(universe.characters.filter(key__startswith=base).values_list("key", flat=True))
    key, n = base, 2
    while key in taken:
        key, n = f"{base}-{n}", n + 1
    return key


def _cards_naming(
    universe: Universe, cards: list[Card], *, alias: str, remaining_forms: list[str]
) -> tuple[set[int], set[int], int]:
    """Which cards speak or name the alias, which still name the character, and how many
    lines the alias speaks in the source."""
    alias_matcher = NameMatcher([("alias", [alias]), ("rest", remaining_forms)])
    story = source_story_for(universe=universe)
    blocks_by_day = story.card_blocks() if story is not None else {}
    with_alias: set[int] = set()
    with_remaining: set[int] = set()
    for card in cards:
        blocks = blocks_by_day.get(card.day_index)
        if blocks is not None:
            found = alias_matcher.present(blocks, kinds=TEXT_KINDS)
        else:
            found = alias_matcher.named([card.scene_text])
        if "alias" in found:
            with_alias.add(card.pk)
        if "rest" in found:
            with_remaining.add(card.pk)
    spoken_lines = 0
    if story is not None:
        alias_only = NameMatcher([("alias", [alias])])
        spoken_lines = sum(
            1
            for block in story.document.blocks
            if block.kind in TEXT_KINDS and alias_only.speakers([block])
        )
    return with_alias, with_remaining, spoken_lines


def _snapshot(characters: list[Character]) -> dict:
    ids = [c.pk for c in characters]
    primary = _card_ids_by_character(PrimaryLink, ids)
    chat = _card_ids_by_character(ChatLink, ids)
    return {
        "characters": [
            {
                "id": c.pk,
                **{field: getattr(c, field) for field in SNAPSHOT_FIELDS},
                "visual_profile": c.visual_profile,
                "primary_card_ids": primary.get(c.pk, []),
                "chat_card_ids": chat.get(c.pk, []),
            }
            for c in characters
        ]
    }


def _card_ids_by_character(through, character_ids: list[int]) -> dict[int, list[int]]:
    by_character: dict[int, list[int]] = {}
    rows = through.objects.filter(character_id__in=character_ids).order_by("card_id")
    for character_id, card_id in rows.values_list("character_id", "card_id"):
        by_character.setdefault(character_id, []).append(card_id)
    return by_character


def _record(
    universe: Universe,
    user,
    kind: str,
    summary: str,
    snapshot: dict,
    *,
    created_ids: list[int] | None = None,
    result_ids: list[int],
) -> CastEdit:
    snapshot = {**snapshot, "created_ids": created_ids or [], "result_ids": result_ids}
    if len(summary) > SUMMARY_MAX_LENGTH:
        summary = summary[: SUMMARY_MAX_LENGTH - 1] + "…"
    return CastEdit.objects.create(
        universe=universe,
        kind=kind,
        snapshot=snapshot,
        summary=summary,
        created_by=_actor(user),
    )


def _actor(user: User | None) -> User | None:
    # Management commands and tests may act without a signed-in user.
    return user if getattr(user, "is_authenticated", False) else None


def _restore(universe: Universe, snapshot: dict) -> None:
    """Write the snapshot's rows back exactly (same ids, fields and card links).

    1. Refuse if the rows the edit left behind are gone, or a row to bring back would
       collide with a key taken since: the cast changed outside this history.
    2. Delete the rows the edit created (their links go with them).
    3. Save each snapshot row by id (update, or insert when the edit deleted it) and
       replace its links with the recorded ones, skipping cards deleted since.
    """
    rows = snapshot.get("characters", [])
    restore_ids = {row["id"] for row in rows}
    existing = dict(universe.characters.values_list("pk", "key"))
    result_ids = set(snapshot.get("result_ids", []))
    key_owner = {key: pk for pk, key in existing.items()}
    created_ids = set(snapshot.get("created_ids", []))
    collides = any(
        key_owner.get(row["key"], row["id"]) not in (row["id"], *created_ids) for row in rows
    )
    if not result_ids <= set(existing) or collides:
        raise ConflictError(
            "The cast has changed since this edit (the story may have been re-imported), "
            "so it can no longer be undone.",
            code="EDIT_STALE",
        )
    universe.characters.filter(pk__in=created_ids).delete()
    card_ids = set(universe.cards.values_list("pk", flat=True))
    # The photo profile is not cast history: a row still here keeps its current one (a
    # newer photo must survive the undo); a row the edit deleted gets back its own.
    profiles = dict(
        universe.characters.filter(pk__in=restore_ids).values_list("pk", "visual_profile")
    )
    for row in rows:
        Character(
            pk=row["id"],
            universe=universe,
            visual_profile=profiles.get(row["id"], row.get("visual_profile", {})),
            **{f: row[f] for f in SNAPSHOT_FIELDS},
        ).save()
    for through, field in ((PrimaryLink, "primary_card_ids"), (ChatLink, "chat_card_ids")):
        through.objects.filter(character_id__in=restore_ids).delete()
        through.objects.bulk_create(
            through(card_id=card_id, character_id=row["id"])
            for row in rows
            for card_id in row[field]
            if card_id in card_ids
        )
