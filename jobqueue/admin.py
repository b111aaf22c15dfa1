from django.contrib import admin

from jobqueue.models import WorkerHeartbeat


@admin.register(WorkerHeartbeat)
class WorkerHeartbeatAdmin(admin.ModelAdmin):
    list_display = (
        "worker_id",
        "hostname",
        "pid",
        "last_seen_at",
        "current_job",
        "jobs_processed",
        "rescues",
        "stopping",
    )
    readonly_fields = list_display
