from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from core.management.commands.wait_for_migrations import Command


@pytest.mark.django_db
def test_returns_at_once_when_every_migration_is_applied():
    out = StringIO()

    call_command("wait_for_migrations", "--timeout", "0", stdout=out)

    assert "Every migration is applied." in out.getvalue()


def test_waits_while_the_web_migrates_then_returns(monkeypatch):
    looks = iter([None, [("universes", "0099_new")], []])
    monkeypatch.setattr(Command, "pending_migrations", lambda self: next(looks))
    out = StringIO()

    call_command("wait_for_migrations", "--interval", "0", stdout=out)

    assert out.getvalue().splitlines() == [
        "Waiting for the database",
        "Waiting for 1 migration(s) to be applied",
        "Every migration is applied.",
    ]


def test_gives_up_after_the_timeout_naming_what_is_missing(monkeypatch):
    monkeypatch.setattr(Command, "pending_migrations", lambda self: [("universes", "0099_new")])

    with pytest.raises(CommandError, match=r"1 migration\(s\), first universes.0099_new"):
        call_command("wait_for_migrations", "--timeout", "0", stdout=StringIO())
