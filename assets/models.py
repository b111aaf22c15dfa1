"""Asset jobs: one queue row per generated medium of a universe (DESIGN §5).

A row is both the job (claimed, leased and fenced like a transformation) and the
record of its result: the stored files by role, the data, the metadata. The
universe's `asset_generation_status` is rebuilt from these rows after every
transition (`assets.services.universe_asset_status_sync`).
"""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q
from django.utils import timezone

from jobqueue.models import QueueJob, QueueStatus


class AssetType(models.TextChoices):
    COVER = "cover", "Cover"
    CARD_IMAGE = "card_image", "Card image"
    PORTRAIT = "portrait", "Character portrait"
    NARRATION = "narration", "Narration"
    PDF = "pdf", "PDF storybook"
    ACTIVITIES = "activities", "Activities"


class AssetStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    GENERATING = "generating", "Generating"
    READY = "ready", "Ready"
    FAILED = "failed", "Failed"
    SKIPPED = "skipped", "Skipped"


PENDING_ASSET_STATUSES = (AssetStatus.QUEUED, AssetStatus.GENERATING)

# Claim order among asset jobs: the cover first (every page shows it), the PDF last
# (it embeds the images).
ASSET_PRIORITY = {
    AssetType.COVER: 30,
    AssetType.CARD_IMAGE: 20,
    AssetType.ACTIVITIES: 15,
    AssetType.NARRATION: 10,
    AssetType.PORTRAIT: 10,
    AssetType.PDF: 0,
}


def history_entry(status: str) -> dict:
    return {"status": status, "at": timezone.now().isoformat()}


class AssetJob(QueueJob):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    universe = models.ForeignKey(
        "universes.Universe", on_delete=models.CASCADE, related_name="asset_jobs"
    )
    card = models.ForeignKey(
        "universes.Card",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="asset_jobs",
    )
    character = models.ForeignKey(
        "universes.Character",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="asset_jobs",
    )
    asset_type = models.CharField(max_length=16, choices=AssetType.choices)
    # Unique per universe: "cover", "card_image:3", "portrait:elena:watercolor:<token>".
    key = models.CharField(max_length=160)
    asset_status = models.CharField(
        max_length=12, choices=AssetStatus.choices, default=AssetStatus.QUEUED
    )
    engine = models.CharField(max_length=16, default="local")
    options = models.JSONField(default=dict, blank=True)  # style, variants, run token
    # By role ("main", "captions", "variant-1"): {"path", "contentType", "size", "sha256"}.
    files = models.JSONField(default=dict, blank=True)
    data = models.JSONField(default=dict, blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    skipped_reason = models.TextField(blank=True, default="")
    history = models.JSONField(default=list, blank=True)  # [{"status", "at"}]
    favourite_variant = models.CharField(max_length=20, blank=True, default="")

    class Meta:
        ordering = ["universe", "-priority", "key"]
        constraints = [
            models.UniqueConstraint(fields=["universe", "key"], name="asset_unique_key"),
        ]
        indexes = [
            models.Index(
                fields=["-priority", "run_after", "created_at"],
                condition=Q(status=QueueStatus.QUEUED),
                name="asset_queued_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.key} of universe {self.universe_id} ({self.asset_status})"

    @property
    def is_pending(self) -> bool:
        return self.asset_status in PENDING_ASSET_STATUSES

    # Queue hooks: the asset's own status moves with the queue's.

    def _moved_to(self, status: str) -> dict:
        return {"asset_status": status, "history": [*self.history, history_entry(status)]}

    def rescue_changes(self, *, give_up: bool) -> dict:
        return self._moved_to(AssetStatus.FAILED if give_up else AssetStatus.QUEUED)

    def failure_changes(self, *, retrying: bool) -> dict:
        return self._moved_to(AssetStatus.QUEUED if retrying else AssetStatus.FAILED)

    def cancel_changes(self) -> dict:
        return self._moved_to(AssetStatus.FAILED)

    def on_transition(self) -> None:
        from assets.services import universe_asset_status_sync

        universe_asset_status_sync(universe_id=self.universe_id)
