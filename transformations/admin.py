from django.contrib import admin

from transformations.models import TransformationJob


@admin.register(TransformationJob)
class TransformationJobAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "user",
        "source_filename",
        "source_type",
        "status",
        "current_stage",
        "progress",
        "attempt",
        "created_at",
    )
    list_filter = ("status", "source_type", "current_stage")
    search_fields = ("id", "source_filename", "user__username", "source_sha256")
    raw_id_fields = ("user", "output_universe")
    readonly_fields = (
        "lease_owner",
        "lease_expires_at",
        "heartbeat_at",
        "attempt",
        "rescued_count",
        "version",
        "error_message_dev",
        "stage_timings",
    )
