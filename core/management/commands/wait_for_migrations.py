"""Wait until the database has every migration this code knows: `manage.py wait_for_migrations`.

On Render the web service's pre-deploy command migrates and the worker never does. The two
services deploy side by side, so the worker's pre-deploy command runs this: new worker code
starts only once the schema it expects is there, and until then the old worker keeps
working on the old schema. If the web's migration fails, this times out and the worker's
deploy fails with it, which is the safe outcome.
"""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, close_old_connections, connection
from django.db.migrations.executor import MigrationExecutor


class Command(BaseCommand):
    help = "Wait until every migration is applied (the worker waits for the web's migrate)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--timeout", type=float, default=900.0, help="Give up after this many seconds."
        )
        parser.add_argument(
            "--interval", type=float, default=5.0, help="Seconds between two looks."
        )

    def handle(self, *args, timeout: float, interval: float, **options):
        deadline = time.monotonic() + timeout
        while True:
            pending = self.pending_migrations()
            if pending == []:
                self.stdout.write("Every migration is applied.")
                return
            if time.monotonic() >= deadline:
                waiting_for = (
                    "the database to answer"
                    if pending is None
                    else f"{len(pending)} migration(s), first {pending[0][0]}.{pending[0][1]}"
                )
                raise CommandError(f"Still waiting after {timeout:.0f} s for {waiting_for}.")
            self.stdout.write(
                "Waiting for the database"
                if pending is None
                else f"Waiting for {len(pending)} migration(s) to be applied"
            )
            time.sleep(interval)

    def pending_migrations(self) -> list[tuple[str, str]] | None:
        """What `migrate` would apply; None while the database cannot be reached."""
        try:
            # A fresh loader each time: it reads django_migrations again.
            executor = MigrationExecutor(connection)
            plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
        except DatabaseError:
            close_old_connections()
            return None
        return [(migration.app_label, migration.name) for migration, _ in plan]
