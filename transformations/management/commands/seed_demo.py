"""Create the local demo: a creator account, a staff account and the Time Spent universe.

Safe to run again: existing accounts keep their passwords changed back to the
demo ones, and the sample is queued only if the demo creator does not have it.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from transformations.models import TransformationJob
from transformations.services import job_config_build, job_create
from universes.models import Universe

SAMPLE_PATH = ("samples", "time-spent", "time-spent.fountain")
DEMO_PASSWORD = "storyengine-demo"


class Command(BaseCommand):
    help = "Create demo accounts and queue the Time Spent sample (local use only)."

    def handle(self, *args, **options):
        if settings.PRODUCTION:
            raise CommandError(
                "seed_demo creates accounts with known passwords; not in production."
            )
        users = get_user_model().objects
        creator, _ = users.get_or_create(username="demo", defaults={"email": "demo@example.com"})
        creator.set_password(DEMO_PASSWORD)
        creator.save()
        staff, _ = users.get_or_create(
            username="admin",
            defaults={"email": "admin@example.com", "is_staff": True, "is_superuser": True},
        )
        staff.set_password(DEMO_PASSWORD)
        staff.save()

        sample = Path(settings.BASE_DIR).joinpath(*SAMPLE_PATH)
        data = sample.read_bytes()
        sha = hashlib.sha256(data).hexdigest()
        pending_or_done = TransformationJob.objects.filter(
            user=creator, source_sha256=sha, status__in=["queued", "running", "completed"]
        )
        if Universe.objects.filter(owner=creator, source_sha256=sha).exists():
            self.stdout.write("The Time Spent universe is already there.")
        elif pending_or_done.exists():
            self.stdout.write("The Time Spent sample is already queued.")
        else:
            job_create(
                user=creator,
                data=data,
                filename=sample.name,
                mime="text/plain",
                config=job_config_build(),
            )
            self.stdout.write("Queued the Time Spent sample; the worker turns it into a universe.")
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo creator: demo / {DEMO_PASSWORD}    Staff (admin): admin / {DEMO_PASSWORD}"
            )
        )
