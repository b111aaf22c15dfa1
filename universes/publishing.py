"""Release schedules: when each card of a universe becomes readable (pure functions)."""

from __future__ import annotations

from datetime import datetime, timedelta

DEFAULT_HOOK_PACK_COUNT = 3
RELEASE_MODES = ("hybrid", "daily", "binge")


def publish_schedule(
    card_count: int, *, release_mode: str, start: datetime, hook_pack_count: int
) -> list[datetime]:
    """The publish time of each card, in order.

    - hybrid: the first `hook_pack_count` cards at `start`, then one a day.
    - daily: card 1 at `start`, then one a day.
    - binge: every card at `start`.
    """
    if release_mode not in RELEASE_MODES:
        raise ValueError(f"unknown release mode {release_mode!r}")
    if release_mode == "binge":
        return [start] * card_count
    if release_mode == "daily":
        return [start + timedelta(days=i) for i in range(card_count)]
    hook = max(1, min(hook_pack_count, card_count)) if card_count else 0
    return [start if i < hook else start + timedelta(days=i - hook + 1) for i in range(card_count)]
