"""Run one document through the pipeline in this process and print the universe it made.

python manage.py transform samples/time-spent/time-spent.fountain --owner demo
"""

from __future__ import annotations

import logging
import mimetypes
import sys
import threading
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from core.errors import ApplicationError
from jobqueue import queue
from jobqueue.registry import job_kinds
from jobqueue.worker import Worker
from transformations.engines import available_engines
from transformations.models import TransformationJob
from transformations.services import job_config_build, job_create
from universes.publishing import RELEASE_MODES
from universes.services import DUPLICATE_POLICIES


class Command(BaseCommand):
    help = "Transform a document into a universe, in-process, with a progress bar."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--engine", choices=available_engines(), default=None)
        parser.add_argument("--hook-pack", type=int, default=3)
        parser.add_argument("--release-mode", choices=RELEASE_MODES, default="hybrid")
        parser.add_argument("--owner", default=None, help="Username that will own the universe.")
        parser.add_argument("--on-duplicate", choices=DUPLICATE_POLICIES, default="reuse")

    def handle(self, *args, **options):
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        owner = None
        if options["owner"]:
            try:
                owner = get_user_model().objects.get(username=options["owner"])
            except get_user_model().DoesNotExist as exc:
                raise CommandError(f"No user named {options['owner']!r}.") from exc
        try:
            job = job_create(
                user=owner,
                data=path.read_bytes(),
                filename=path.name,
                mime=mimetypes.guess_type(path.name)[0] or "",
                config=job_config_build(
                    hook_pack_count=options["hook_pack"],
                    release_mode=options["release_mode"],
                    engine=options["engine"],
                    on_duplicate=options["on_duplicate"],
                ),
            )
        except ApplicationError as exc:
            raise CommandError(f"{exc.message} [{exc.code}]") from exc

        kind = next(k for k in job_kinds() if k.model is TransformationJob)
        worker = Worker()
        lease = queue.claim_job(
            TransformationJob,
            job.pk,
            owner=worker.worker_id,
            lease_seconds=settings.WORKER_LEASE_SECONDS,
        )
        if sys.stderr.isatty():
            self._run_with_progress_bar(worker, kind, lease, job.pk)
        else:
            worker.run(kind, lease)
        job.refresh_from_db()
        if job.status != "completed":
            raise CommandError(f"{job.error_message_user} [{job.error_code}]")
        self._print_universe(job.output_universe)

    def _run_with_progress_bar(self, worker, kind, lease, job_id) -> None:
        # On a terminal the bar replaces the per-stage log lines.
        for name in ("transformations.runner", "jobqueue.worker"):
            logging.getLogger(name).setLevel(logging.WARNING)
        done = threading.Event()
        bar = threading.Thread(target=self._draw_progress, args=(job_id, done), daemon=True)
        bar.start()
        try:
            worker.run(kind, lease)
        finally:
            done.set()
            bar.join()

    def _draw_progress(self, job_id, done: threading.Event) -> None:
        try:
            while True:
                finished = done.wait(0.1)
                row = TransformationJob.objects.filter(pk=job_id).values("progress", "status_line")[
                    0
                ]
                filled = row["progress"] * 30 // 100
                sys.stderr.write(
                    f"\r[{'#' * filled}{'.' * (30 - filled)}] {row['progress']:3d}% "
                    f"{row['status_line'][:50]:<50}"
                )
                sys.stderr.flush()
                if finished:
                    sys.stderr.write("\n")
                    return
        finally:
            connection.close()

    def _print_universe(self, universe) -> None:
        write = self.stdout.write
        write(self.style.SUCCESS(f"\n{universe.title}"))
        if universe.logline:
            write(universe.logline)
        write(f"\nTheme: {universe.theme}\nGenre: {universe.genre}")
        write(f"Tone: {', '.join(universe.tone_tags)}")
        write("\nCharacters:")
        for character in universe.characters.filter(hidden=False):
            write(f"  - {character.name} ({character.tier}, {character.importance})")
        write("\nLocations:")
        for location in universe.locations.all():
            write(f"  - {location.name}")
        write(f"\nCards ({universe.get_release_mode_display()}):")
        for card in universe.cards.order_by("day_index"):
            write(f"  {card.day_index:>2}. {card.title}  — {card.publish_at:%Y-%m-%d %H:%M} UTC")
        base = settings.SITE_URL.rstrip("/")
        write(f"\n{base}/api/universes/{universe.pk}")
