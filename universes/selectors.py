"""Reads for universes and cards, scoped to what the user may see."""

from __future__ import annotations

from datetime import datetime

from django.db.models import QuerySet
from django.utils import timezone

from universes.models import Card, CardStatus, Universe


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
        .prefetch_related("primary_characters", "chat_unlocked_characters")
        .order_by("day_index")
    )
    can_see_schedule = user.is_staff or universe.owner_id == user.pk
    if include_scheduled and can_see_schedule:
        return cards
    return cards.exclude(status=CardStatus.HIDDEN).filter(publish_at__lte=now or timezone.now())
