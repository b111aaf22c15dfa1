"""Job types register here; the worker knows them only through this table."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from jobqueue.context import JobContext
    from jobqueue.models import QueueJob


@dataclass(frozen=True)
class JobKind:
    name: str
    model: type[QueueJob]
    # Runs one claimed job to a terminal state through the context's fenced writes.
    handler: Callable[[QueueJob, JobContext], None]
    # Higher runs first when several kinds have work.
    priority: int = 0
    retry_base_delay: float | None = None  # None: settings.JOB_RETRY_BASE_DELAY
    retry_max_delay: float | None = None


_kinds: dict[str, JobKind] = {}


def register_job_kind(kind: JobKind) -> None:
    _kinds[kind.name] = kind


def job_kinds() -> list[JobKind]:
    return sorted(_kinds.values(), key=lambda kind: (-kind.priority, kind.name))
