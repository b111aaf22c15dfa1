"""Creator pages for a universe: its cards, characters and locations."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from assets.selectors import page_assets
from universes.selectors import (
    card_list_visible,
    character_list_visible,
    universe_list_visible,
)


def _visible_universe(request, universe_id):
    return get_object_or_404(universe_list_visible(user=request.user), pk=universe_id)


@login_required
def universe_detail(request, universe_id):
    universe = _visible_universe(request, universe_id)
    now = timezone.now()
    all_cards = list(
        card_list_visible(universe=universe, user=request.user, include_scheduled=True, now=now)
    )
    published = [card for card in all_cards if card.is_published(now=now)]
    scheduled = [card for card in all_cards if not card.is_published(now=now)]
    assets = page_assets(universe)
    for card in all_cards:
        card.image_url = assets.image_url(card.day_index)
    return render(
        request,
        "universes/detail.html",
        {
            "universe": universe,
            "published": published,
            "scheduled": scheduled,
            "next_card": scheduled[0] if scheduled else None,
            "characters": character_list_visible(universe=universe),
            "locations": universe.locations.all(),
            "source_job": universe.source_job,
            "assets": assets,
        },
    )


@login_required
def card_detail(request, universe_id, day_index):
    universe = _visible_universe(request, universe_id)
    readable = list(
        card_list_visible(universe=universe, user=request.user).values_list("day_index", flat=True)
    )
    card = get_object_or_404(
        card_list_visible(
            universe=universe, user=request.user, include_scheduled=True
        ).select_related("location"),
        day_index=day_index,
    )
    is_owner_view = universe.owner_id == request.user.pk or request.user.is_staff
    if day_index not in readable and not is_owner_view:
        raise Http404("This card is not published yet.")
    earlier = [d for d in readable if d < day_index]
    later = [d for d in readable if d > day_index]
    return render(
        request,
        "universes/card.html",
        {
            "universe": universe,
            "card": card,
            "published": day_index in readable,
            "previous_day": earlier[-1] if earlier else None,
            "next_day": later[0] if later else None,
            "chat_characters": card.chat_unlocked_characters.all(),
            "assets": page_assets(universe),
            "card_assets": page_assets(universe).for_day(card.day_index),
        },
    )


@login_required
def character_detail(request, universe_id, key):
    universe = _visible_universe(request, universe_id)
    character = get_object_or_404(character_list_visible(universe=universe), key=key)
    cards = card_list_visible(universe=universe, user=request.user).filter(
        primary_characters=character
    )
    return render(
        request,
        "universes/character.html",
        {"universe": universe, "character": character, "cards": cards},
    )


@login_required
def location_detail(request, universe_id, key):
    universe = _visible_universe(request, universe_id)
    location = get_object_or_404(universe.locations, key=key)
    cards = card_list_visible(universe=universe, user=request.user).filter(location=location)
    return render(
        request,
        "universes/location.html",
        {"universe": universe, "location": location, "cards": cards},
    )
