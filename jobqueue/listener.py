"""LISTEN/NOTIFY wake-up for idle workers on PostgreSQL.

A notification is only a hint that work may exist; polling stays the source
of truth, so a lost notification (a pooler, a dropped socket) costs at most
one poll interval.
"""

from __future__ import annotations

import contextlib
import logging
import time

import psycopg
from django.db import connection

from jobqueue.queue import NOTIFY_CHANNEL

logger = logging.getLogger("jobqueue.listener")


class Listener:
    def __init__(self, channel: str = NOTIFY_CHANNEL) -> None:
        self.channel = channel
        self._conn: psycopg.Connection | None = None
        self._failures = 0

    def _connect(self) -> psycopg.Connection:
        params = connection.get_connection_params()
        for key in ("cursor_factory", "context", "prepare_threshold", "server_side_binding"):
            params.pop(key, None)
        options = params.pop("options", None)
        if options:
            params["options"] = options
        params["application_name"] = "run_worker-listen"
        conn = psycopg.connect(**params, autocommit=True)
        conn.execute(psycopg.sql.SQL("LISTEN {}").format(psycopg.sql.Identifier(self.channel)))
        return conn

    def wait(self, timeout: float) -> bool:
        """Block up to `timeout` seconds; True when a notification arrived."""
        try:
            if self._conn is None or self._conn.closed:
                self._conn = self._connect()
                self._failures = 0
            # Exhaust each generator: a suspended one keeps the connection locked.
            woke = bool(list(self._conn.notifies(timeout=timeout, stop_after=1)))
            if woke:
                # Drain any burst so one enqueue of many jobs wakes the worker once.
                list(self._conn.notifies(timeout=0))
            return woke
        except psycopg.Error:
            self._failures += 1
            logger.warning("LISTEN connection failed (%s); polling meanwhile", self._failures)
            self.close()
            time.sleep(min(timeout, 0.5 * self._failures))
            return False

    def close(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(psycopg.Error):
                self._conn.close()
            self._conn = None
