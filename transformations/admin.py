"""Staff cockpit for transformation jobs: find, inspect and operate on them.

Rows are read-only here: a form save would write every column and could
overwrite a worker's fenced progress, so every change goes through the
services (retry, requeue, cancel) as actions.

Model calls (prompts, raw answers, tokens, cost) are private to staff and are
only ever shown here.
"""

from __future__ import annotations

import json
from datetime import datetime

from django.contrib import admin
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from jobqueue.admin import (
    WORKER_FIELDS,
    FailedTodayFilter,
    HealthSection,
    QueueJobAdminMixin,
    StuckFilter,
    apply_service_to_each,
    format_duration,
    register_health_section,
    status_badge_html,
)
from transformations.models import STAGE_COUNT, STAGE_NAMES, ModelCall, TransformationJob
from transformations.selectors import (
    STAGE_DURATION_SAMPLE_LIMIT,
    job_model_usage,
    job_stage_duration_summary,
)
from transformations.services import job_cancel, job_requeue, job_retry

# Private stage outputs can be megabytes (a whole parsed screenplay); the page
# shows this much and says so.
STAGE_OUTPUTS_DISPLAY_LIMIT = 100_000
# Artifact lists longer than this are cut, with a count of what was left out.
ARTIFACT_LIST_LIMIT = 12

STAGE_STATUS_COLOURS = {"pending": "#6b7280", "running": "#2563eb", "done": "#15803d"}


# Prompts and raw answers can be as long as the creator's text; lists and inlines skip them.
MODEL_CALL_TEXT_FIELDS = ("messages", "response_text", "answer")


def stage_label(index: int) -> str:
    return f"{index} · {STAGE_NAMES[index]}" if index < STAGE_COUNT else "finished"


def call_stage_label(index: int) -> str:
    # A call is always made during a stage, so an index past the last one is shown as is.
    return stage_label(index) if index < STAGE_COUNT else str(index)


def format_cost(cost_usd) -> str:
    # No price known for the model is not the same as free.
    return "unknown" if cost_usd is None else f"${cost_usd:,.6f}"


class EngineFilter(admin.SimpleListFilter):
    title = "engine"
    parameter_name = "engine"

    def lookups(self, request, model_admin):
        # The engines jobs actually asked for, including ones this server lacks.
        engines = (
            TransformationJob.objects.order_by().values_list("config__engine", flat=True).distinct()
        )
        return [(engine, engine) for engine in sorted(e for e in engines if e)]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(config__engine=self.value())
        return queryset


class StageFilter(admin.SimpleListFilter):
    title = "stage"
    parameter_name = "stage"

    def lookups(self, request, model_admin):
        return [(str(index), stage_label(index)) for index in range(STAGE_COUNT + 1)]

    def queryset(self, request, queryset):
        if self.value() is not None and self.value().isdigit():
            return queryset.filter(current_stage=int(self.value()))
        return queryset


class ModelCallInline(admin.TabularInline):
    """The job's model calls, one row each, linking to the call's page for prompt and answer."""

    model = ModelCall
    fields = (
        "purpose",
        "model",
        "stage_name",
        "attempt",
        "status",
        "prompt_tokens",
        "completion_tokens",
        "cost",
        "duration",
        "created_at",
    )
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True
    classes = ("collapse",)
    verbose_name_plural = "model calls (staff only)"

    def get_queryset(self, request):
        return super().get_queryset(request).defer(*MODEL_CALL_TEXT_FIELDS)

    # Calls are a record of what was asked and paid for: never written from a job's page.
    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description="stage")
    def stage_name(self, call: ModelCall) -> str:
        return call_stage_label(call.stage)

    @admin.display(description="cost (USD)")
    def cost(self, call: ModelCall) -> str:
        return format_cost(call.cost_usd)

    @admin.display(description="duration")
    def duration(self, call: ModelCall) -> str:
        return format_duration(call.duration_ms / 1000)


@admin.register(TransformationJob)
class TransformationJobAdmin(QueueJobAdminMixin, admin.ModelAdmin):
    list_display = (
        "short_id",
        "owner",
        "source_filename",
        "source_type",
        "status_badge",
        "stage",
        "progress_bar",
        "attempts",
        "lease_holder",
        "age",
        "run_duration",
    )
    list_select_related = ("user",)
    list_filter = (
        "status",
        "source_type",
        EngineFilter,
        StuckFilter,
        FailedTodayFilter,
        StageFilter,
    )
    # id__exact validates the term as a UUID first, so free text never hits the pk.
    search_fields = (
        "id__exact",
        "source_sha256__exact",
        "source_filename",
        "user__username",
        "user__email",
    )
    search_help_text = "Job id (full UUID), file name, owner username or email, or sha256."
    list_per_page = 50
    show_full_result_count = False
    actions = ("retry_jobs", "requeue_jobs", "cancel_jobs")
    fieldsets = (
        (
            None,
            {
                "fields": (
                    ("id", "owner_link"),
                    ("status_display", "stage", "progress"),
                    "status_line",
                    "universe_link",
                )
            },
        ),
        (
            "Source",
            {
                "fields": (
                    "source_filename",
                    "source_type",
                    "source_mime",
                    "source_size",
                    "source_sha256",
                    "source_file",
                    "config_display",
                )
            },
        ),
        ("Stages", {"fields": ("stage_table", "artifacts_display")}),
        ("Model usage (staff only)", {"fields": ("model_usage_display",)}),
        ("Errors", {"fields": ("error_code", "error_message_user", "error_message_dev_display")}),
        ("Worker", {"fields": WORKER_FIELDS}),
        (
            "Private stage outputs (staff only)",
            {"classes": ("collapse",), "fields": ("stage_outputs_display",)},
        ),
    )
    readonly_fields = (
        "owner_link",
        "status_display",
        "stage",
        "universe_link",
        "config_display",
        "stage_table",
        "artifacts_display",
        "model_usage_display",
        "error_message_dev_display",
        "stage_outputs_display",
    )
    inlines = (ModelCallInline,)

    def get_queryset(self, request):
        # Stage outputs are the big column; only the detail page reads them (lazily).
        return super().get_queryset(request).defer("stage_outputs")

    def has_add_permission(self, request) -> bool:
        # Jobs start from an upload, which stores the source file and its hash.
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_operate_permission(self, request) -> bool:
        """Retry, requeue and cancel: for staff who may change jobs, even with no form."""
        opts = self.opts
        return request.user.has_perm(f"{opts.app_label}.change_{opts.model_name}")

    # Changelist columns ------------------------------------------------------

    @admin.display(description="id", ordering="id")
    def short_id(self, job: TransformationJob) -> str:
        return job.pk.hex[:8]

    @admin.display(description="owner", ordering="user__username")
    def owner(self, job: TransformationJob) -> str:
        return job.user.get_username() if job.user else "—"

    @admin.display(description="stage", ordering="current_stage")
    def stage(self, job: TransformationJob) -> str:
        return stage_label(job.current_stage)

    # Detail fields -----------------------------------------------------------

    @admin.display(description="owner")
    def owner_link(self, job: TransformationJob):
        if job.user is None:
            return "—"
        opts = job.user._meta
        url = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[job.user_id])
        return format_html('<a href="{}">{}</a>', url, job.user.get_username())

    @admin.display(description="status")
    def status_display(self, job: TransformationJob):
        badge = status_badge_html(job.status, job.get_status_display())
        if job.cancel_requested and not job.is_terminal:
            return format_html("{} (cancel requested)", badge)
        return badge

    @admin.display(description="universe")
    def universe_link(self, job: TransformationJob):
        if job.output_universe_id is None:
            return "—"
        url = reverse("admin:universes_universe_change", args=[job.output_universe_id])
        return format_html('<a href="{}">{}</a>', url, job.output_universe)

    @admin.display(description="config")
    def config_display(self, job: TransformationJob):
        return _pre(json.dumps(job.config, indent=2, sort_keys=True))

    @admin.display(description="stage statuses and timings")
    def stage_table(self, job: TransformationJob):
        rows = []
        for index in range(STAGE_COUNT):
            key = str(index)
            status = job.stage_statuses.get(key, "pending")
            timing = job.stage_timings.get(key, {})
            duration = timing.get("durationMs")
            rows.append(
                (
                    stage_label(index),
                    STAGE_STATUS_COLOURS.get(status, "#b91c1c"),
                    status,
                    timing.get("attempt", "—"),
                    _timestamp(timing.get("startedAt")),
                    _timestamp(timing.get("finishedAt")),
                    format_duration(duration / 1000) if duration is not None else "—",
                )
            )
        body = format_html_join(
            "",
            '<tr><th scope="row">{}</th><td style="color:{}">{}</td><td>{}</td>'
            "<td>{}</td><td>{}</td><td>{}</td></tr>",
            rows,
        )
        return format_html(
            "<table><thead><tr><th>Stage</th><th>Status</th><th>Attempt</th><th>Started</th>"
            "<th>Finished</th><th>Duration</th></tr></thead><tbody>{}</tbody></table>",
            body,
        )

    @admin.display(description="artifacts (what the creator sees)")
    def artifacts_display(self, job: TransformationJob):
        if not job.artifacts:
            return "—"
        rows = []
        for key in sorted(job.artifacts, key=lambda k: int(k) if k.isdigit() else 99):
            artifact = job.artifacts[key]
            items = artifact.items() if isinstance(artifact, dict) else [("value", artifact)]
            title = stage_label(int(key)) if key.isdigit() else key
            for position, (name, value) in enumerate(items):
                rows.append((title if position == 0 else "", name, _readable(value)))
        body = format_html_join(
            "",
            '<tr><th scope="row" style="white-space:nowrap">{}</th><td>{}</td><td>{}</td></tr>',
            rows,
        )
        return format_html(
            "<table><thead><tr><th>Stage</th><th>Field</th><th>Value</th></tr></thead>"
            "<tbody>{}</tbody></table>",
            body,
        )

    @admin.display(description="calls, tokens and estimated cost")
    def model_usage_display(self, job: TransformationJob):
        usage = job_model_usage(job)
        if not usage:
            return "No model calls (local engine)"
        rows = format_html_join(
            "",
            '<tr><th scope="row">{}</th><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>',
            (
                (
                    row.label if row.stage is None else call_stage_label(row.stage),
                    f"{row.calls:,}",
                    f"{row.prompt_tokens:,}",
                    f"{row.completion_tokens:,}",
                    format_cost(row.cost_usd),
                )
                for row in usage
            ),
        )
        return format_html(
            '<table class="model-usage"><thead><tr><th>Stage</th><th>Calls</th>'
            "<th>Prompt tokens</th><th>Completion tokens</th><th>Estimated cost</th></tr>"
            "</thead><tbody>{}</tbody></table>",
            rows,
        )

    @admin.display(description="error message (staff)")
    def error_message_dev_display(self, job: TransformationJob):
        return _pre(job.error_message_dev) if job.error_message_dev else "—"

    @admin.display(description="stage outputs")
    def stage_outputs_display(self, job: TransformationJob):
        text = json.dumps(job.stage_outputs, indent=2, sort_keys=True, ensure_ascii=False)
        if len(text) <= STAGE_OUTPUTS_DISPLAY_LIMIT:
            return _pre(text)
        return format_html(
            "<p><strong>Showing the first {} of {} characters.</strong></p>{}",
            f"{STAGE_OUTPUTS_DISPLAY_LIMIT:,}",
            f"{len(text):,}",
            _pre(text[:STAGE_OUTPUTS_DISPLAY_LIMIT] + "\n…"),
        )

    # Actions ------------------------------------------------------------------

    @admin.action(description="Retry selected failed jobs", permissions=["operate"])
    def retry_jobs(self, request, queryset):
        apply_service_to_each(self, request, queryset, job_retry, success="Retried {jobs}.")

    @admin.action(
        description="Requeue selected failed, cancelled or stuck jobs", permissions=["operate"]
    )
    def requeue_jobs(self, request, queryset):
        apply_service_to_each(self, request, queryset, job_requeue, success="Requeued {jobs}.")

    @admin.action(description="Cancel selected jobs", permissions=["operate"])
    def cancel_jobs(self, request, queryset):
        apply_service_to_each(
            self,
            request,
            queryset,
            job_cancel,
            success="Cancelled {jobs} (running ones stop at their next check).",
        )


@admin.register(ModelCall)
class ModelCallAdmin(admin.ModelAdmin):
    """Every language-model request and its answer: view only, staff only."""

    list_display = (
        "created_at",
        "job_link",
        "subject",
        "stage_name",
        "purpose",
        "model",
        "status",
        "error_code",
        "prompt_tokens",
        "completion_tokens",
        "cost",
        "duration",
    )
    list_filter = ("status", "model", "stage")
    # job__id__exact validates the term as a UUID first, so free text never hits the key.
    search_fields = ("purpose", "error_code", "job__id__exact")
    search_help_text = "Purpose, error code or job id (full UUID)."
    date_hierarchy = "created_at"
    list_select_related = ("job",)
    list_per_page = 100
    show_full_result_count = False
    fieldsets = (
        (
            None,
            {
                "fields": (
                    ("job_link", "subject"),
                    ("stage_name", "attempt", "purpose"),
                    ("model", "status", "created_at"),
                    ("error_code", "error"),
                )
            },
        ),
        (
            "Usage",
            {"fields": (("prompt_tokens", "completion_tokens", "cost", "duration"),)},
        ),
        ("Request", {"fields": ("messages_display", "request_hash", "idempotency_key")}),
        ("Answer", {"fields": ("response_text_display", "answer_display")}),
    )
    readonly_fields = (
        "job_link",
        "stage_name",
        "cost",
        "duration",
        "messages_display",
        "response_text_display",
        "answer_display",
    )

    def get_queryset(self, request):
        # The list never shows the text columns, nor the job's stage outputs; the
        # call's own page reads its text lazily.
        return (
            super()
            .get_queryset(request)
            .defer(*MODEL_CALL_TEXT_FIELDS, "job__stage_outputs", "job__artifacts")
        )

    def has_add_permission(self, request) -> bool:
        # Only the engine records calls, as it makes them.
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        # Calls are the spend record, and a retried stage reuses their answers instead of
        # paying again; only superusers may clear them out.
        return request.user.is_superuser

    @admin.display(description="job", ordering="job__created_at")
    def job_link(self, call: ModelCall):
        if call.job_id is None:
            return "—"
        url = reverse("admin:transformations_transformationjob_change", args=[call.job_id])
        return format_html(
            '<a href="{}">{}</a> {}', url, call.job_id.hex[:8], call.job.source_filename
        )

    @admin.display(description="stage", ordering="stage")
    def stage_name(self, call: ModelCall) -> str:
        return call_stage_label(call.stage)

    @admin.display(description="cost (USD)", ordering="cost_usd")
    def cost(self, call: ModelCall) -> str:
        return format_cost(call.cost_usd)

    @admin.display(description="duration", ordering="duration_ms")
    def duration(self, call: ModelCall) -> str:
        return format_duration(call.duration_ms / 1000)

    @admin.display(description="messages (the prompt)")
    def messages_display(self, call: ModelCall):
        return _pre(json.dumps(call.messages, indent=2, ensure_ascii=False))

    @admin.display(description="raw answer")
    def response_text_display(self, call: ModelCall):
        return _pre(call.response_text) if call.response_text else "—"

    @admin.display(description="parsed answer")
    def answer_display(self, call: ModelCall):
        if call.answer is None:
            return "—"
        return _pre(json.dumps(call.answer, indent=2, sort_keys=True, ensure_ascii=False))


def _pre(text: str):
    return format_html(
        '<pre style="white-space:pre-wrap;max-height:40em;overflow:auto;margin:0">{}</pre>', text
    )


def _timestamp(iso: str | None) -> str:
    if not iso:
        return "—"
    try:
        moment = datetime.fromisoformat(iso)
    except ValueError:
        return iso
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]


def _readable(value) -> str:
    """One line of text for an artifact value: names for lists of objects, lists cut short."""
    if isinstance(value, list):
        shown = [
            item.get("name") or item.get("id") or json.dumps(item)
            if isinstance(item, dict)
            else str(item)
            for item in value[:ARTIFACT_LIST_LIMIT]
        ]
        more = len(value) - len(shown)
        text = ", ".join(shown) or "—"
        return f"{text} … and {more} more" if more else text
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, float):
        return f"{value:g}"
    return str(value) if value not in (None, "") else "—"


@register_health_section
def stage_duration_section() -> HealthSection:
    return HealthSection(
        title="Transformation stage durations",
        headers=("Stage", "Average", "Longest", "Samples"),
        rows=[
            (
                stage_label(summary.index),
                format_duration(summary.average_ms / 1000)
                if summary.average_ms is not None
                else "—",
                format_duration(summary.max_ms / 1000) if summary.max_ms is not None else "—",
                summary.samples,
            )
            for summary in job_stage_duration_summary()
        ],
        note=f"Finished stages of the {STAGE_DURATION_SAMPLE_LIMIT} most recently started jobs.",
    )
