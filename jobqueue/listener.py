"""LISTEN/NOTIFY wake-up for idle workers on PostgreSQL.

A notification is only a hint that work may exist; polling stays the source
of truth, so a lost notification (a pooler, a dropped socket) costs at most
one poll interval. A dropped connection is replaced at the next wait.
"""

from __future__ import annotations

import contextlib
import logging
import time

import psycopg
from django.db import connection

from jobqueue.queue import NOTIFY_CHANNEL

logger = logging.getLogger("jobqueue.listener")

APPLICATION_NAME = "run_worker-listen"

# The connection only waits, so nothing would notice a peer that vanished without closing
# the socket (a failover, a NAT timeout): TCP keepalives make the kernel notice within about
# a minute, and the next wait reconnects. A timeout keeps a connect to an unreachable host
# from holding up polling.
CONNECTION_PARAMS = {
    "keepalives": 1,
    "keepalives_idle": 30,
    "keepalives_interval": 10,
    "keepalives_count": 3,
    "connect_timeout": 5,
}


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
        params["application_name"] = APPLICATION_NAME
        for key, value in CONNECTION_PARAMS.items():
            params.setdefault(key, value)
        conn = psycopg.connect(**params, autocommit=True)
        try:
            conn.execute(psycopg.sql.SQL("LISTEN {}").format(psycopg.sql.Identifier(self.channel)))
        except BaseException:
            conn.close()
            raise
        return conn

    def wait(self, timeout: float) -> bool:
        """Block up to `timeout` seconds; True when a notification arrived.

        Never raises: on any failure the worker simply polls, and the next call
        tries a new connection.
        """
        try:
            if self._conn is None or self._conn.closed:
                self._conn = self._connect()
                if self._failures:
                    logger.info(
                        "LISTEN again on %s (backend pid %s) after %s failed attempt(s)",
                        self.channel,
                        self._conn.info.backend_pid,
                        self._failures,
                    )
                self._failures = 0
            # Exhaust each generator: a suspended one keeps the connection locked.
            woke = bool(list(self._conn.notifies(timeout=timeout, stop_after=1)))
            if woke:
                # Drain any burst so one enqueue of many jobs wakes the worker once.
                list(self._conn.notifies(timeout=0))
            return woke
        except Exception as exc:
            self._failures += 1
            if self._failures == 1:
                logger.warning(
                    "LISTEN connection lost (%s); polling every %.1fs until it is back",
                    _first_line(exc),
                    timeout,
                    exc_info=not isinstance(exc, psycopg.Error),
                )
            else:
                logger.debug("LISTEN reconnect failed (%s): %s", self._failures, exc)
            self.close()
            # At once it would spin while the database is down; longer would delay the poll.
            time.sleep(min(timeout, 0.5 * self._failures))
            return False

    def close(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(Exception):
                self._conn.close()
            self._conn = None


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__
