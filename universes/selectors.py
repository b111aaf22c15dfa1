"""Reads for universes and cards, scoped to what the user may see."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from universes.models import Card, CardStatus, CastEdit, Character, Universe


def universe_list_visible(*, user) -> QuerySet[Universe]:
    universes = Universe.objects.all()
    if user.is_staff:
        return universes
    return universes.filter(owner=user)


def card_list_visible(
    *, universe: Universe, user, include_scheduled: bool = False, now: datetime | None = None
) -> QuerySet[Card]:
    """Published cards for readers; owners (and staff) may also ask for scheduled ones."""
    cards = (
        universe.cards.select_related("location")
        .prefetch_related(
            # Hidden characters are false positives the creator dismissed: no card shows them.
            Prefetch("primary_characters", queryset=Character.objects.filter(hidden=False)),
            Prefetch("chat_unlocked_characters", queryset=Character.objects.filter(hidden=False)),
        )
        .order_by("day_index")
    )
    can_see_schedule = user.is_staff or universe.owner_id == user.pk
    if include_scheduled and can_see_schedule:
        return cards
    return cards.exclude(status=CardStatus.HIDDEN).filter(publish_at__lte=now or timezone.now())


# Cast control -----------------------------------------------------------------


def character_list_visible(*, universe: Universe) -> QuerySet[Character]:
    """The cast readers see: every character the creator has not hidden."""
    return universe.characters.filter(hidden=False)


def universe_list_editable(*, user) -> QuerySet[Universe]:
    """Universes the user may change: their own (staff may look, not edit)."""
    if not user.is_authenticated:
        return Universe.objects.none()
    return Universe.objects.filter(owner=user)


def character_list_for_cast(*, universe: Universe) -> QuerySet[Character]:
    """Every character, hidden ones included, with the day_index of each card they are in."""
    return universe.characters.prefetch_related(
        Prefetch(
            "primary_in_cards",
            queryset=Card.objects.only("id", "day_index").order_by("day_index"),
        )
    ).order_by("hidden", "-importance", "name")


def cast_edit_list(*, universe: Universe, limit: int = 50) -> list[CastEdit]:
    # The snapshots are only for undo; a long history should not load them all.
    edits = universe.cast_edits.select_related("created_by", "undone_by").defer("snapshot")
    return list(edits.order_by("-id")[:limit])


def cast_edit_latest_undoable(*, universe: Universe) -> CastEdit | None:
    """The one edit that may be undone: the newest that has not been undone yet."""
    return universe.cast_edits.filter(undone_at__isnull=True).order_by("-id").first()
