"""The transformation job: one uploaded document on its way to a universe."""

from __future__ import annotations

import re
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from jobqueue.models import QueueJob, QueueStatus

STAGE_COUNT = 6
STAGE_NAMES = ("normalise", "read", "identify", "world", "moments", "craft")
# What creators read on the timeline: a label and a plain-language description per stage.
STAGE_LABELS = (
    ("Reading the file", "Detects what kind of document this is and finds its sections."),
    ("Reading the story", "Measures its structure and the voice it is told in."),
    ("Finding the theme", "Picks out the theme, the tone and the genre."),
    ("Meeting the characters", "Finds who is in the story and where it happens."),
    ("Planning the cards", "Shapes the story into cards and plans their release."),
    ("Drafting the cards", "Writes each card: captions, scene, recap and questions."),
)


class SourceType(models.TextChoices):
    SCRIPT = "script", "Screenplay"
    PDF = "pdf", "PDF"
    PPTX = "pptx", "Slide deck"
    ARTICLE = "article", "Article"
    TRANSCRIPT = "transcript", "Transcript"
    UNKNOWN = "unknown", "Unknown"


class StageStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


def initial_stage_statuses() -> dict[str, str]:
    return {str(i): StageStatus.PENDING for i in range(STAGE_COUNT)}


# A short, plain extension is kept so operators can tell files apart in storage.
SOURCE_EXTENSION = re.compile(r"\.[A-Za-z0-9]{1,10}$")


def source_upload_path(job: TransformationJob, filename: str) -> str:
    """Where a source is stored: a name of ours, never the creator's file name.

    The creator's name is only a label (`source_filename`). As a path, a long name in a
    non-Latin script passed the file system's 255-byte limit and a name of emoji alone was
    cleaned to nothing: both were 500s (tests/security/test_upload_fuzz.py).
    """
    match = SOURCE_EXTENSION.search(filename)
    return f"sources/{job.pk}/source{match.group(0).lower() if match else ''}"


class TransformationJob(QueueJob):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="transformation_jobs",
    )
    source_filename = models.CharField(max_length=255, blank=True, default="")
    source_mime = models.CharField(max_length=120, blank=True, default="")
    source_type = models.CharField(
        max_length=16, choices=SourceType.choices, blank=True, default=""
    )
    source_file = models.FileField(upload_to=source_upload_path, max_length=500)
    source_sha256 = models.CharField(max_length=64, db_index=True)
    source_size = models.PositiveBigIntegerField(default=0)
    current_stage = models.PositiveSmallIntegerField(default=0)
    stage_statuses = models.JSONField(default=initial_stage_statuses)
    # Private outputs each stage hands to the next; never shown to creators.
    stage_outputs = models.JSONField(default=dict, blank=True)
    # What creators see, built by allowlist per stage.
    artifacts = models.JSONField(default=dict, blank=True)
    # Per stage: attempt, start, finish and duration, for staff and for resume checks.
    stage_timings = models.JSONField(default=dict, blank=True)
    config = models.JSONField(default=dict, blank=True)
    output_universe = models.ForeignKey(
        "universes.Universe",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="transformation_jobs",
    )

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(
                fields=["-priority", "run_after", "created_at"],
                condition=Q(status=QueueStatus.QUEUED),
                name="transformation_queued_idx",
            ),
            models.Index(fields=["user", "-created_at"], name="transformation_user_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.source_filename or 'pasted text'} ({self.status})"

    def get_absolute_url(self) -> str:
        return f"/transformations/{self.pk}"

    # Queue hooks ------------------------------------------------------------

    def _statuses_with_current(self, status: str) -> dict[str, str]:
        statuses = dict(self.stage_statuses)
        if self.current_stage < STAGE_COUNT:
            statuses[str(self.current_stage)] = status
        return statuses

    def rescue_changes(self, *, give_up: bool) -> dict:
        failed_or_pending = StageStatus.FAILED if give_up else StageStatus.PENDING
        return {"stage_statuses": self._statuses_with_current(failed_or_pending)}

    def failure_changes(self, *, retrying: bool) -> dict:
        return self.rescue_changes(give_up=not retrying)

    def cancel_changes(self) -> dict:
        return {"stage_statuses": self._statuses_with_current(StageStatus.PENDING)}


class ModelCallStatus(models.TextChoices):
    OK = "ok", "answered"
    INVALID = "invalid", "invalid answer"
    REFUSED = "refused", "refused"
    BLOCKED = "blocked", "blocked by a content filter"
    ERROR = "error", "failed"


class ModelCall(models.Model):
    """One request to a language model and what came back, for staff only.

    Prompts and raw answers can hold the creator's text and the model's
    unfiltered output: they are shown in the admin and never in artifacts or
    the public API. A stored `ok` answer also lets a retried stage skip calls
    it already paid for (matched on `request_hash`).
    """

    job = models.ForeignKey(
        TransformationJob,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="model_calls",
    )
    # What a call outside a transformation served, e.g. "character:42" for a photo profile.
    subject = models.CharField(max_length=120, blank=True)
    stage = models.PositiveSmallIntegerField()
    attempt = models.PositiveIntegerField()
    purpose = models.CharField(max_length=120)
    model = models.CharField(max_length=120)
    request_hash = models.CharField(max_length=64)
    idempotency_key = models.CharField(max_length=200)
    messages = models.JSONField()
    response_text = models.TextField(blank=True)
    answer = models.JSONField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=ModelCallStatus.choices)
    error_code = models.CharField(max_length=64, blank=True)
    error = models.TextField(blank=True)
    prompt_tokens = models.PositiveIntegerField(default=0)
    completion_tokens = models.PositiveIntegerField(default=0)
    cost_usd = models.DecimalField(max_digits=12, decimal_places=6, null=True, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["job", "request_hash"], name="model_call_request_idx"),
            models.Index(fields=["subject", "request_hash"], name="model_call_subject_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.purpose} ({self.model}, {self.status})"
