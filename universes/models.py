"""A universe and what lives in it: characters, locations and scheduled cards."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class ReleaseMode(models.TextChoices):
    HYBRID = "hybrid", "Hook pack, then one a day"
    DAILY = "daily", "One a day from card 1"
    BINGE = "binge", "All at once"


class Universe(models.Model):
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="universes",
    )
    slug = models.SlugField(max_length=120)
    title = models.CharField(max_length=200)
    logline = models.TextField(blank=True, default="")
    theme = models.TextField(blank=True, default="")
    tone_tags = models.JSONField(default=list, blank=True)
    genre = models.CharField(max_length=80, blank=True, default="")
    structure_summary = models.TextField(blank=True, default="")
    voice_notes = models.TextField(blank=True, default="")
    source_type = models.CharField(max_length=16, blank=True, default="")
    source_sha256 = models.CharField(max_length=64, blank=True, default="", db_index=True)
    is_copy = models.BooleanField(default=False)
    release_mode = models.CharField(
        max_length=10, choices=ReleaseMode.choices, default=ReleaseMode.HYBRID
    )
    hook_pack_count = models.PositiveSmallIntegerField(default=3)
    start_date = models.DateTimeField(default=timezone.now)
    # {"overall": generating|ready|partial|failed, "assets": {key: {...}}}, rebuilt from
    # the universe's asset jobs after each of their transitions (assets.services).
    asset_generation_status = models.JSONField(default=dict, blank=True)
    source_job = models.OneToOneField(
        "transformations.TransformationJob",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="created_universe",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "slug"], name="universe_unique_slug_per_owner"
            ),
            # One original import per source per owner; copies are explicit.
            models.UniqueConstraint(
                fields=["owner", "source_sha256"],
                condition=Q(is_copy=False) & ~Q(source_sha256=""),
                name="universe_unique_source_per_owner",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return f"/universes/{self.pk}"


class Character(models.Model):
    universe = models.ForeignKey(Universe, on_delete=models.CASCADE, related_name="characters")
    key = models.SlugField(max_length=80)
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True, default="")
    aliases = models.JSONField(default=list, blank=True)
    tier = models.CharField(max_length=16, default="supporting")
    importance = models.PositiveIntegerField(default=0)
    # Private: never serialised for readers.
    secret_info = models.TextField(blank=True, default="")
    chat_persona = models.TextField(blank=True, default="")
    # A false positive the creator hid: kept (with its card links) so unhiding or
    # undoing restores it, but left out of every reader-facing list.
    hidden = models.BooleanField(default=False)
    # What portraits must keep (appearance, palette, do_not_change), from a reference
    # photo; private to the owner and staff: it describes a real person's looks.
    visual_profile = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-importance", "name"]
        constraints = [
            models.UniqueConstraint(fields=["universe", "key"], name="character_unique_key"),
        ]

    def __str__(self) -> str:
        return self.name


class Location(models.Model):
    universe = models.ForeignKey(Universe, on_delete=models.CASCADE, related_name="locations")
    key = models.SlugField(max_length=80)
    name = models.CharField(max_length=160)
    description = models.TextField(blank=True, default="")
    int_ext = models.CharField(max_length=10, blank=True, default="")

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["universe", "key"], name="location_unique_key"),
        ]

    def __str__(self) -> str:
        return self.name


class CardStatus(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    PUBLISHED = "published", "Published"
    HIDDEN = "hidden", "Hidden"


class Card(models.Model):
    universe = models.ForeignKey(Universe, on_delete=models.CASCADE, related_name="cards")
    day_index = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    captions = models.JSONField(default=list, blank=True)
    scene_text = models.TextField(blank=True, default="")
    recap_text = models.TextField(blank=True, default="")
    scene_description = models.TextField(blank=True, default="")
    image_generation = models.JSONField(default=dict, blank=True)
    primary_characters = models.ManyToManyField(
        Character, blank=True, related_name="primary_in_cards"
    )
    chat_unlocked_characters = models.ManyToManyField(
        Character, blank=True, related_name="chat_unlocked_in_cards"
    )
    location = models.ForeignKey(
        Location, null=True, blank=True, on_delete=models.SET_NULL, related_name="cards"
    )
    discussion_questions = models.JSONField(default=list, blank=True)
    # "scheduled" until publish_at passes; readers filter on publish_at, so
    # visibility never depends on a job flipping this flag in time.
    status = models.CharField(
        max_length=12, choices=CardStatus.choices, default=CardStatus.SCHEDULED
    )
    publish_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["day_index"]
        constraints = [
            models.UniqueConstraint(fields=["universe", "day_index"], name="card_unique_day"),
        ]

    def __str__(self) -> str:
        return f"{self.day_index}. {self.title}"

    def get_absolute_url(self) -> str:
        return f"/universes/{self.universe_id}/cards/{self.day_index}"

    def is_published(self, *, now=None) -> bool:
        return self.status != CardStatus.HIDDEN and self.publish_at <= (now or timezone.now())


class CastEditKind(models.TextChoices):
    MERGE = "merge", "Merge"
    SPLIT = "split", "Split"
    RENAME = "rename", "Rename"
    HIDE = "hide", "Hide"
    UNHIDE = "unhide", "Unhide"


class CastEdit(models.Model):
    """One creator edit of the cast, with what it changed, so it can be undone exactly."""

    universe = models.ForeignKey(Universe, on_delete=models.CASCADE, related_name="cast_edits")
    kind = models.CharField(max_length=10, choices=CastEditKind.choices)
    # The state before the edit of every character row it changed or deleted (all fields
    # and card links), plus the ids of rows it created; see universes.cast_services.
    snapshot = models.JSONField(default=dict, blank=True)
    summary = models.CharField(max_length=300)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="cast_edits",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    undone_at = models.DateTimeField(null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        # Newest first; the id breaks ties between edits made in the same instant.
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["universe", "-id"], name="cast_edit_universe_idx")]

    def __str__(self) -> str:
        return self.summary
