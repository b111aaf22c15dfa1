"""The transform and seed_demo management commands, run for real."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError

from tests.helpers import SAMPLES_DIR
from transformations.models import TransformationJob
from universes.models import Universe

pytestmark = pytest.mark.django_db


def test_transform_runs_the_pipeline_in_process_and_prints_the_universe(user):
    out = io.StringIO()

    call_command(
        "transform",
        str(SAMPLES_DIR / "time-spent.fountain"),
        owner=user.username,
        release_mode="daily",
        stdout=out,
        stderr=io.StringIO(),
    )

    universe = Universe.objects.get(owner=user)
    printed = out.getvalue()
    assert universe.title in printed
    assert "Elena" in printed and "Marcus" in printed
    assert "Coffee Shop" in printed
    for card in universe.cards.all():
        assert f"{card.day_index:>2}. {card.title}" in printed
        assert card.publish_at.strftime("%Y-%m-%d %H:%M") in printed
    assert f"/api/universes/{universe.pk}" in printed
    assert TransformationJob.objects.get().status == "completed"


def test_transform_reports_an_unreadable_file_as_a_command_error(tmp_path):
    junk = tmp_path / "junk.bin"
    junk.write_bytes(b"\x00\x9f\x92\x96" * 200)

    with pytest.raises(CommandError, match="UNKNOWN_FORMAT"):
        call_command("transform", str(junk), stderr=io.StringIO())


def test_transform_refuses_an_unknown_owner():
    with pytest.raises(CommandError, match="No user named"):
        call_command("transform", str(SAMPLES_DIR / "time-spent.fountain"), owner="nobody")


def test_seed_demo_creates_accounts_and_queues_the_sample_once():
    call_command("seed_demo", stdout=io.StringIO())
    call_command("seed_demo", stdout=io.StringIO())

    users = get_user_model().objects
    assert users.get(username="demo").check_password("storyengine-demo")
    assert users.get(username="admin").is_staff
    assert TransformationJob.objects.filter(user__username="demo").count() == 1


def test_seed_demo_refuses_to_run_in_production(settings):
    settings.PRODUCTION = True

    with pytest.raises(CommandError, match="not in production"):
        call_command("seed_demo")
