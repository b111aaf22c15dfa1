"""Errors a job handler raises to tell the worker what to do next."""

from __future__ import annotations


class JobError(Exception):
    """A failure with a friendly message for users and a machine-readable code.

    `retryable` decides the worker's reaction: transient failures (timeouts,
    rate limits, 5xx answers) are retried with backoff; permanent ones (bad
    input, refused content) fail the job at once.
    """

    retryable = False
    code = "JOB_FAILED"
    user_message = "Something went wrong while processing this job."

    def __init__(
        self,
        user_message: str | None = None,
        *,
        code: str | None = None,
        dev_message: str = "",
    ) -> None:
        if user_message is not None:
            self.user_message = user_message
        if code is not None:
            self.code = code
        self.dev_message = dev_message
        super().__init__(dev_message or self.user_message)


class PermanentJobError(JobError):
    retryable = False


class TransientJobError(JobError):
    retryable = True
    code = "TEMPORARY_FAILURE"
    user_message = "A temporary problem interrupted this job; it will be retried automatically."


class LeaseLost(Exception):
    """The worker no longer owns the job: another worker or the rescuer took it over."""


class JobCancelled(Exception):
    """The job's owner asked to cancel it; raised between units of work."""


class ShutdownRequested(Exception):
    """The worker is stopping (SIGTERM) and the job must go back to the queue."""


class DeadlineExceeded(Exception):
    """A single stage ran longer than its deadline."""
