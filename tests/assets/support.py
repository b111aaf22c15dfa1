"""Helpers for asset tests."""

from __future__ import annotations

from datetime import UTC, datetime

from assets.models import AssetJob
from jobqueue.models import QueueStatus
from jobqueue.worker import Worker


def run_assets(*, rounds: int = 200) -> None:
    """Run asset jobs until none is left, skipping retry backoff and the PDF's wait."""
    worker = Worker()
    for _ in range(rounds):
        if not worker.handle_one():
            waiting = AssetJob.objects.filter(status=QueueStatus.QUEUED)
            if not waiting.exists():
                return
            waiting.update(run_after=datetime(2000, 1, 1, tzinfo=UTC))
    raise AssertionError("asset jobs still running")
