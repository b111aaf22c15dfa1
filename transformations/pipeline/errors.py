"""Pipeline failures users can understand, each with its own code."""

from __future__ import annotations

from jobqueue.errors import (
    DeadlineExceeded,
    JobCancelled,
    JobError,
    LeaseLost,
    PermanentJobError,
    ShutdownRequested,
    TransientJobError,
)


class IngestError(PermanentJobError):
    """The source could not be read. `code` says why (EMPTY_FILE, ENCRYPTED_FILE, ...)."""

    code = "UNREADABLE_SOURCE"
    user_message = "This file could not be read."


class StageFailed(PermanentJobError):
    code = "STAGE_FAILED"
    user_message = "This stage could not finish."


class EngineUnavailable(TransientJobError):
    code = "ENGINE_UNAVAILABLE"
    user_message = "The story engine is temporarily unavailable; the job will be retried."


# Exceptions a parser must never turn into "this file is damaged": our own coded
# failures and the worker's signals (deadline, shutdown, lost lease, cancel).
NOT_ABOUT_THE_FILE = (JobError, DeadlineExceeded, ShutdownRequested, LeaseLost, JobCancelled)
