"""Run a Story Engine worker: `python manage.py run_worker`.

Claims queued jobs of every registered kind, one at a time, until stopped.
SIGTERM (a deploy) stops claiming, lets the current stage finish if it fits
WORKER_SHUTDOWN_GRACE, otherwise hands the job back to the queue, and exits 0.
A second SIGTERM or SIGINT exits at once; the rescuer recovers the job.
A database outage (a restart, a failover) is waited out with backoff, 0.5 s
doubling to 30 s; the worker itself keeps running.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import Error, close_old_connections, connection

from jobqueue.context import StopSignal
from jobqueue.listener import Listener
from jobqueue.worker import Worker

logger = logging.getLogger("jobqueue.worker")


class Command(BaseCommand):
    help = "Process transformation and asset jobs from the database queue."

    def add_arguments(self, parser):
        parser.add_argument(
            "--once", action="store_true", help="Process what is queued now, then exit."
        )
        parser.add_argument("--max-jobs", type=int, default=0, help="Exit after N jobs.")
        parser.add_argument(
            "--poll-interval",
            type=float,
            default=None,
            help="Seconds between polls when idle (default WORKER_POLL_INTERVAL).",
        )
        parser.add_argument(
            "--lease-seconds",
            type=float,
            default=None,
            help="Lease length renewed by the heartbeat (default WORKER_LEASE_SECONDS).",
        )
        parser.add_argument(
            "--no-listen", action="store_true", help="Poll only; do not LISTEN on PostgreSQL."
        )

    def handle(self, *args, **options):
        if options["lease_seconds"]:
            settings.WORKER_LEASE_SECONDS = options["lease_seconds"]
        poll = options["poll_interval"] or settings.WORKER_POLL_INTERVAL
        self.stop = StopSignal()
        self.worker = Worker(stop=self.stop)
        signal.signal(signal.SIGTERM, self.on_signal)
        signal.signal(signal.SIGINT, self.on_signal)

        use_listen = (
            connection.vendor == "postgresql"
            and settings.WORKER_LISTEN
            and not options["no_listen"]
        )
        listener = Listener() if use_listen else None
        self.stdout.write(
            f"worker {self.worker.worker_id} started "
            f"(db={connection.vendor}, wake-up={'listen+poll' if listener else 'poll'} {poll}s)"
        )
        self.worker.start_heartbeat()
        failures = 0
        try:
            while not self.stop.requested:
                try:
                    found = self.worker.handle_one()
                except Error as exc:
                    # Any database error, InterfaceError included (not a DatabaseError).
                    failures += 1
                    delay = min(30.0, 0.5 * 2 ** (failures - 1))
                    # The whole trace once; then one line per retry, not a page.
                    logger.warning(
                        "database unavailable (failure %s); retrying in %.1fs: %s",
                        failures,
                        delay,
                        exc,
                        exc_info=failures == 1,
                    )
                    # The server dropped this connection: the next attempt needs a new one.
                    with contextlib.suppress(Error):
                        connection.close()
                    self.stop.sleep(delay)
                    continue
                if failures:
                    logger.info("database reachable again after %s failure(s)", failures)
                    failures = 0
                if options["max_jobs"] and self.worker.jobs_processed >= options["max_jobs"]:
                    break
                if found:
                    continue
                if options["once"]:
                    break
                if listener is not None:
                    listener.wait(poll)
                else:
                    self.stop.sleep(poll)
        finally:
            if listener is not None:
                listener.close()
            self.worker.stop_heartbeat()
            with contextlib.suppress(Error):
                close_old_connections()
        self.stdout.write(f"worker {self.worker.worker_id} stopped")

    def on_signal(self, signum, frame):
        if self.stop.requested:
            self.stderr.write(f"{signal.Signals(signum).name} again, exiting now")
            os._exit(1)
        self.stderr.write(f"{signal.Signals(signum).name}, finishing...")
        self.stop.request(settings.WORKER_SHUTDOWN_GRACE)
        ctx = self.worker.current
        if ctx is not None:
            ctx.arm_timer()
