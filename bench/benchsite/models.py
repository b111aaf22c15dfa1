"""A no-op job on the product's queue: what the queue itself costs, without a pipeline."""

from django.db import models
from django.db.models import Q

from jobqueue.models import QueueJob, QueueStatus


class NoopJob(QueueJob):
    # Written by the three fenced stage writes, like a transformation's runner does.
    current_stage = models.PositiveSmallIntegerField(default=0)
    stage_statuses = models.JSONField(default=dict)

    class Meta:
        indexes = [
            # The same partial index the product's job tables claim through.
            models.Index(
                fields=["-priority", "run_after", "created_at"],
                condition=Q(status=QueueStatus.QUEUED),
                name="bench_noop_queued_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"noop {self.pk}"
