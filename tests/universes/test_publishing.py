from datetime import UTC, datetime, timedelta

import pytest

from universes.publishing import publish_schedule

START = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
DAY = timedelta(days=1)


def test_hybrid_publishes_the_hook_pack_at_once_then_one_a_day():
    schedule = publish_schedule(5, release_mode="hybrid", start=START, hook_pack_count=3)

    assert schedule == [START, START, START, START + DAY, START + 2 * DAY]


def test_daily_publishes_one_a_day_from_card_one():
    schedule = publish_schedule(3, release_mode="daily", start=START, hook_pack_count=3)

    assert schedule == [START, START + DAY, START + 2 * DAY]


def test_binge_publishes_everything_at_the_start():
    assert publish_schedule(4, release_mode="binge", start=START, hook_pack_count=1) == [START] * 4


def test_a_hook_pack_larger_than_the_story_publishes_everything_at_once():
    schedule = publish_schedule(2, release_mode="hybrid", start=START, hook_pack_count=5)

    assert schedule == [START, START]


def test_unknown_release_modes_are_refused():
    with pytest.raises(ValueError, match="weekly"):
        publish_schedule(2, release_mode="weekly", start=START, hook_pack_count=1)
