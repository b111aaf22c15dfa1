"""What a job handler gets from the worker: fenced writes, progress and stop checks."""

from __future__ import annotations

import contextlib
import signal
import threading
import time
from collections.abc import Iterator
from typing import Any

from django.conf import settings

from jobqueue import queue
from jobqueue.errors import DeadlineExceeded, JobCancelled, LeaseLost, ShutdownRequested


class StopSignal:
    """Shared between the worker's signal handler and the running job.

    `requested_at` is set by the first SIGTERM; the job may keep running until
    `grace_deadline`, after which it must be handed back to the queue.
    """

    def __init__(self) -> None:
        self.requested_at: float | None = None
        self.grace_deadline: float | None = None

    def request(self, grace_seconds: float) -> None:
        if self.requested_at is None:
            self.requested_at = time.monotonic()
            self.grace_deadline = self.requested_at + grace_seconds

    @property
    def requested(self) -> bool:
        return self.requested_at is not None

    def grace_left(self) -> float | None:
        if self.grace_deadline is None:
            return None
        return self.grace_deadline - time.monotonic()

    def sleep(self, seconds: float) -> None:
        """Sleep up to `seconds`, returning early once a stop is requested.

        A plain time.sleep resumes after the signal handler runs (PEP 475), so a worker
        backing off from an unreachable database would ignore SIGTERM for up to 30 s.
        """
        until = time.monotonic() + seconds
        while not self.requested and (left := until - time.monotonic()) > 0:
            time.sleep(min(left, 0.1))


class JobContext:
    def __init__(self, lease: queue.Lease, *, stop: StopSignal | None = None) -> None:
        self.lease = lease
        self.stop = stop or StopSignal()
        # Set by the heartbeat thread when a renewal finds the lease gone.
        self.lease_lost = threading.Event()
        self._last_progress_write = 0.0
        self._last_cancel_check = 0.0
        self._stage_deadline: float | None = None
        self._interruptible = False

    # Writes ------------------------------------------------------------------

    def write(self, **changes: Any) -> None:
        """A fenced write; raises LeaseLost if another worker owns the job now.

        The interrupt timer is held off during the write so a deadline never
        fires halfway through a database round trip.
        """
        interruptible, self._interruptible = self._interruptible, False
        try:
            queue.fenced_update(self.lease, **changes)
        finally:
            self._interruptible = interruptible
        if interruptible:
            self.check_during_stage()
            self.arm_timer()

    def progress(self, percent: int, line: str = "", *, force: bool = False) -> None:
        """Record progress, at most about once per PROGRESS_WRITE_INTERVAL."""
        now = time.monotonic()
        if not force and now - self._last_progress_write < settings.PROGRESS_WRITE_INTERVAL:
            return
        self._last_progress_write = now
        self.write(progress=max(0, min(100, int(percent))), status_line=line[:200])

    # Stop checks -------------------------------------------------------------

    def check(self) -> None:
        """Between units of work: raise if the job must stop (lease lost, shutdown, cancel)."""
        if self.lease_lost.is_set():
            raise LeaseLost(f"lease on {self.lease.job_id} lost (heartbeat)")
        if self.stop.requested:
            raise ShutdownRequested()
        self._check_cancel(throttle=False)

    def check_during_stage(self, *, cancel: bool = False) -> None:
        """Inside a stage: stop only when shutdown's grace runs out, not at once.

        With `cancel=True` (between cards, say) also honour a cancellation,
        reading the flag at most once a second.
        """
        if self.lease_lost.is_set():
            raise LeaseLost(f"lease on {self.lease.job_id} lost (heartbeat)")
        left = self.stop.grace_left()
        if left is not None and left <= 0:
            raise ShutdownRequested()
        if self._stage_deadline is not None and time.monotonic() > self._stage_deadline:
            raise DeadlineExceeded()
        if cancel:
            self._check_cancel(throttle=True)

    def _check_cancel(self, *, throttle: bool) -> None:
        now = time.monotonic()
        if throttle and now - self._last_cancel_check < 1.0:
            return
        self._last_cancel_check = now
        row = self.lease.rows().values_list("cancel_requested", flat=True).first()
        if row is None:
            raise LeaseLost(f"lease on {self.lease.job_id} lost")
        if row:
            raise JobCancelled()

    @contextlib.contextmanager
    def stage_scope(self, deadline_seconds: float) -> Iterator[None]:
        """Run pure stage code that may be interrupted by its deadline or by shutdown.

        In the main thread a real-time timer interrupts even code that never
        calls back; elsewhere the cooperative checks in progress callbacks do.
        """
        self._stage_deadline = time.monotonic() + deadline_seconds
        use_timer = threading.current_thread() is threading.main_thread()
        previous = None
        if use_timer:
            previous = signal.signal(signal.SIGALRM, self._on_alarm)
            self._interruptible = True
            self.arm_timer()
        try:
            yield
        finally:
            self._interruptible = False
            if use_timer:
                signal.setitimer(signal.ITIMER_REAL, 0)
                signal.signal(signal.SIGALRM, previous or signal.SIG_DFL)
            self._stage_deadline = None

    def arm_timer(self) -> None:
        """(Re)arm the interrupt timer for the nearest of deadline and shutdown grace."""
        if not self._interruptible:
            return
        candidates = [self._stage_deadline - time.monotonic()] if self._stage_deadline else []
        left = self.stop.grace_left()
        if left is not None:
            candidates.append(left)
        if candidates:
            signal.setitimer(signal.ITIMER_REAL, max(min(candidates), 0.001))

    def _on_alarm(self, signum, frame) -> None:
        if not self._interruptible:
            return
        try:
            self.check_during_stage()
        finally:
            # Re-arm even after raising: library code that swallows every exception
            # (pypdf does around form text) must not disarm the deadline for good.
            self.arm_timer()
