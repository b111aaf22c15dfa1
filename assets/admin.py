"""Staff cockpit for asset jobs: find a universe's media, inspect them, make them again.

Rows are read-only here, as for transformation jobs: a form save would write every
column over a worker's fenced progress and skip the universe's status sync, so every
change goes through `assets.services.asset_regenerate` as an action.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from datetime import datetime

from django.contrib import admin, messages
from django.db.models import Count, Min, Q
from django.db.models.functions import Now
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from assets.models import AssetJob, AssetStatus, AssetType
from assets.selectors import asset_file_url
from assets.services import PER_CARD_TYPES, asset_regenerate
from core.errors import ApplicationError, ConflictError
from jobqueue.admin import (
    WORKER_FIELDS,
    FailedTodayFilter,
    HealthSection,
    QueueJobAdminMixin,
    StuckFilter,
    format_duration,
    register_health_section,
    status_badge_html,
)
from jobqueue.models import QueueStatus

# Asset statuses drawn in the colours of the queue statuses they mirror, so both
# cockpits read the same at a glance.
ASSET_BADGE_COLOUR_OF = {
    AssetStatus.QUEUED: QueueStatus.QUEUED,
    AssetStatus.GENERATING: QueueStatus.RUNNING,
    AssetStatus.READY: QueueStatus.COMPLETED,
    AssetStatus.FAILED: QueueStatus.FAILED,
    AssetStatus.SKIPPED: QueueStatus.CANCELLED,
}
THUMBNAIL_TYPES = ("image/png",)
# asset_regenerate has no per-character or per-job filter: asked for portraits it would
# redo every portrait of the universe, each a paid image call on a remote engine.
NOT_REGENERABLE_HERE = (AssetType.PORTRAIT,)


def asset_badge_html(status: str):
    return status_badge_html(ASSET_BADGE_COLOUR_OF.get(status, ""), AssetStatus(status).label)


def plural_assets(count: int) -> str:
    return f"{count} asset" if count == 1 else f"{count} assets"


def format_size(size) -> str:
    if not isinstance(size, int):
        return "—"
    if size < 1024:
        return f"{size:,} bytes"
    if size < 1024 * 1024:
        return f"{size / 1024:,.1f} KB"
    return f"{size / 1024 / 1024:,.1f} MB"


def status_cell(status: str):
    # History written by older code may hold a status this version no longer knows.
    return asset_badge_html(status) if status in AssetStatus.values else status or "—"


def _pre_json(value):
    if value in ({}, [], None):
        return "—"
    return format_html(
        '<pre style="white-space:pre-wrap;max-height:40em;overflow:auto;margin:0">{}</pre>',
        json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False),
    )


def _moment(iso: str | None) -> str:
    if not iso:
        return "—"
    try:
        moment = datetime.fromisoformat(iso)
    except ValueError:
        return iso
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M:%S")


# Actions ----------------------------------------------------------------------------


def regenerate_each_group(model_admin, request, jobs: list[AssetJob]) -> None:
    """Requeue the selected asset jobs through `asset_regenerate` and report what happened.

    One service call per universe and asset type, naming only the selected cards: one
    call for the whole universe would redo every card of every selected type. The
    service refuses a whole call when one of its assets is running, so a refused group
    is tried again job by job, and only the running ones are reported as conflicts.
    """
    requeued = already_queued = 0
    refusals: list[str] = []
    groups: dict[tuple, list[AssetJob]] = defaultdict(list)
    for job in jobs:
        groups[(job.universe_id, job.asset_type)].append(job)

    def regenerate(members: list[AssetJob]) -> None:
        nonlocal requeued, already_queued
        first = members[0]
        card_ids = None
        if first.asset_type in PER_CARD_TYPES:
            card_ids = sorted({job.card_id for job in members if job.card_id is not None})
        done = asset_regenerate(
            universe=first.universe, asset_types=[first.asset_type], card_ids=card_ids
        )
        requeued += len(done)
        already_queued += len(members) - len(done)

    for members in groups.values():
        universe = members[0].universe
        try:
            regenerate(members)
        except ConflictError as exc:
            if len(members) == 1:
                refusals.append(f"{universe}: {exc.message}")
                continue
            for job in members:
                try:
                    regenerate([job])
                except ApplicationError as job_exc:
                    refusals.append(f"{universe}: {job_exc.message}")
        except ApplicationError as exc:
            refusals.append(f"{universe}: {exc.message}")

    if requeued:
        model_admin.message_user(
            request, f"Queued {plural_assets(requeued)} again.", messages.SUCCESS
        )
    if already_queued:
        model_admin.message_user(
            request, f"{plural_assets(already_queued)} already queued: left as they are."
        )
    for refusal in refusals:
        model_admin.message_user(request, f"Not regenerated: {refusal}", messages.WARNING)


def split_portraits(model_admin, request, jobs: list[AssetJob]) -> list[AssetJob]:
    kept = [job for job in jobs if job.asset_type not in NOT_REGENERABLE_HERE]
    if skipped := len(jobs) - len(kept):
        model_admin.message_user(
            request,
            f"Skipped {plural_assets(skipped)}: portraits are made per creator request and "
            "cannot be regenerated one by one from here.",
            messages.WARNING,
        )
    return kept


# Filters ----------------------------------------------------------------------------


class EngineFilter(admin.SimpleListFilter):
    title = "engine"
    parameter_name = "engine"

    def lookups(self, request, model_admin):
        engines = AssetJob.objects.order_by().values_list("engine", flat=True).distinct()
        return [(engine, engine) for engine in sorted(e for e in engines if e)]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(engine=self.value())
        return queryset


# The admin ----------------------------------------------------------------------------


@admin.register(AssetJob)
class AssetJobAdmin(QueueJobAdminMixin, admin.ModelAdmin):
    list_display = (
        "key",
        "universe_link",
        "asset_type",
        "asset_status_badge",
        "status_badge",
        "engine",
        "attempts",
        "progress_bar",
        "error_code",
        "started_at",
        "finished_at",
        "run_duration",
    )
    list_display_links = ("key",)
    list_select_related = ("universe",)
    list_filter = (
        "asset_type",
        "asset_status",
        # The queue status too: the health page links its counts here by it.
        "status",
        EngineFilter,
        StuckFilter,
        FailedTodayFilter,
    )
    # id__exact validates the term as a UUID first, so free text never hits the pk.
    search_fields = ("key", "universe__title", "id__exact", "error_code")
    search_help_text = "Asset key, universe title, error code or job id (full UUID)."
    list_per_page = 50
    show_full_result_count = False
    actions = ("regenerate_assets", "retry_failed_assets")
    fieldsets = (
        (
            None,
            {
                "fields": (
                    ("id", "universe_link"),
                    ("asset_type", "key", "subject_link"),
                    ("asset_status_display", "progress"),
                    "status_line",
                    ("engine", "favourite_variant"),
                    "options_display",
                )
            },
        ),
        ("History", {"fields": ("history_table",)}),
        ("Files", {"fields": ("files_display",)}),
        ("Data and metadata (staff only)", {"fields": ("data_display", "metadata_display")}),
        (
            "Errors",
            {
                "fields": (
                    "error_code",
                    "error_message_user",
                    "error_message_dev_display",
                    "skipped_reason",
                )
            },
        ),
        ("Worker", {"fields": ("status", *WORKER_FIELDS)}),
    )
    readonly_fields = (
        "universe_link",
        "subject_link",
        "asset_status_display",
        "options_display",
        "history_table",
        "files_display",
        "data_display",
        "metadata_display",
        "error_message_dev_display",
    )

    def get_queryset(self, request):
        # The universe's status holds every asset's entry; the rows only need its title.
        return super().get_queryset(request).defer("universe__asset_generation_status")

    def has_add_permission(self, request) -> bool:
        # Asset jobs are queued for a universe by the services, never typed in.
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        # A deleted row would orphan its files and leave the universe's asset status stale.
        return False

    def has_operate_permission(self, request) -> bool:
        """Regenerate and retry: for staff who may change asset jobs, even with no form."""
        opts = self.opts
        return request.user.has_perm(f"{opts.app_label}.change_{opts.model_name}")

    # Changelist columns ------------------------------------------------------

    @admin.display(description="universe", ordering="universe__title")
    def universe_link(self, job: AssetJob):
        url = reverse("admin:universes_universe_change", args=[job.universe_id])
        return format_html('<a href="{}">{}</a>', url, job.universe)

    @admin.display(description="asset status", ordering="asset_status")
    def asset_status_badge(self, job: AssetJob):
        return asset_badge_html(job.asset_status)

    # Detail fields -----------------------------------------------------------

    @admin.display(description="for")
    def subject_link(self, job: AssetJob):
        if job.card_id is not None:
            url = reverse("admin:universes_card_change", args=[job.card_id])
            return format_html('<a href="{}">card {}</a>', url, job.card)
        if job.character_id is not None:
            url = reverse("admin:universes_character_change", args=[job.character_id])
            return format_html('<a href="{}">character {}</a>', url, job.character)
        return "the whole universe"

    @admin.display(description="status")
    def asset_status_display(self, job: AssetJob):
        badge = asset_badge_html(job.asset_status)
        queue = f"queue: {job.get_status_display().lower()}"
        if job.cancel_requested and not job.is_terminal:
            queue += ", cancel requested"
        return format_html("{} ({})", badge, queue)

    @admin.display(description="options")
    def options_display(self, job: AssetJob):
        return _pre_json(job.options)

    @admin.display(description="status history")
    def history_table(self, job: AssetJob):
        if not job.history:
            return "—"
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td></tr>",
            (
                (_moment(entry.get("at")), status_cell(entry.get("status", "")))
                for entry in job.history
            ),
        )
        return format_html(
            '<table class="asset-history"><thead><tr><th>At</th><th>Status</th></tr></thead>'
            "<tbody>{}</tbody></table>",
            rows,
        )

    @admin.display(description="files")
    def files_display(self, job: AssetJob):
        if not job.files:
            return "—"
        # "main" first: it is the file the creator sees; the others are variants and extras.
        roles = sorted(job.files, key=lambda role: (role != "main", role))
        rows = []
        for role in roles:
            info = job.files[role] if isinstance(job.files[role], dict) else {}
            url = asset_file_url(job, role)
            content_type = info.get("contentType", "")
            thumbnail = (
                format_html(
                    '<img src="{}" alt="{} {}" loading="lazy" '
                    'style="max-width:160px;max-height:160px">',
                    url,
                    job.key,
                    role,
                )
                if content_type in THUMBNAIL_TYPES
                else ""
            )
            rows.append(
                (
                    role,
                    url,
                    info.get("path", role),
                    content_type or "—",
                    format_size(info.get("size")),
                    (info.get("sha256") or "—")[:16],
                    thumbnail,
                )
            )
        body = format_html_join(
            "",
            '<tr><th scope="row">{}</th><td><a href="{}">{}</a></td><td>{}</td><td>{}</td>'
            "<td><code>{}</code></td><td>{}</td></tr>",
            rows,
        )
        return format_html(
            '<table class="asset-files"><thead><tr><th>Role</th><th>File</th><th>Type</th>'
            "<th>Size</th><th>sha256</th><th>Preview</th></tr></thead><tbody>{}</tbody></table>",
            body,
        )

    @admin.display(description="data")
    def data_display(self, job: AssetJob):
        return _pre_json(job.data)

    @admin.display(description="metadata")
    def metadata_display(self, job: AssetJob):
        return _pre_json(job.metadata)

    @admin.display(description="error message (staff)")
    def error_message_dev_display(self, job: AssetJob):
        if not job.error_message_dev:
            return "—"
        return format_html(
            '<pre style="white-space:pre-wrap;max-height:40em;overflow:auto;margin:0">{}</pre>',
            job.error_message_dev,
        )

    # Actions ------------------------------------------------------------------

    @admin.action(description="Regenerate selected assets", permissions=["operate"])
    def regenerate_assets(self, request, queryset):
        jobs = split_portraits(self, request, list(queryset.select_related("universe")))
        regenerate_each_group(self, request, jobs)

    @admin.action(description="Retry selected failed assets", permissions=["operate"])
    def retry_failed_assets(self, request, queryset):
        jobs = split_portraits(self, request, list(queryset.select_related("universe")))
        failed = [job for job in jobs if job.asset_status == AssetStatus.FAILED]
        if skipped := len(jobs) - len(failed):
            self.message_user(
                request,
                f"Skipped {plural_assets(skipped)}: only failed assets are retried.",
                messages.WARNING,
            )
        regenerate_each_group(self, request, failed)


# Queue health page ----------------------------------------------------------------------


def _failures_text(by_code: Counter) -> str:
    return ", ".join(f"{code} ×{n}" for code, n in by_code.most_common()) or "—"


@register_health_section
def asset_health_section() -> HealthSection:
    # One grouped query for the whole table: the health page's query count is bounded.
    runnable = Q(status=QueueStatus.QUEUED, run_after__lte=Now())
    counts: dict[str, Counter] = defaultdict(Counter)
    failures: dict[str, Counter] = defaultdict(Counter)
    oldest: dict[str, datetime] = {}
    for row in (
        AssetJob.objects.order_by()
        .values("asset_type", "asset_status", "error_code")
        .annotate(n=Count("pk"), oldest=Min("run_after", filter=runnable))
    ):
        asset_type = row["asset_type"]
        counts[asset_type][row["asset_status"]] += row["n"]
        if row["asset_status"] == AssetStatus.FAILED:
            failures[asset_type][row["error_code"] or "(no code)"] += row["n"]
        if row["oldest"] and (asset_type not in oldest or row["oldest"] < oldest[asset_type]):
            oldest[asset_type] = row["oldest"]

    now = timezone.now()

    def row_of(label: str, by_status: Counter, waited, by_code: Counter) -> tuple:
        return (
            label,
            *(by_status[status] for status in AssetStatus),
            by_status.total(),
            format_duration(now - waited) if waited else "—",
            _failures_text(by_code),
        )

    rows = [
        row_of(asset_type.label, counts[asset_type], oldest.get(asset_type), failures[asset_type])
        for asset_type in AssetType
        if asset_type in counts
    ]
    if len(rows) > 1:
        rows.append(
            row_of(
                "All types",
                sum(counts.values(), Counter()),
                min(oldest.values(), default=None),
                sum(failures.values(), Counter()),
            )
        )
    return HealthSection(
        title="Asset jobs by type and status",
        headers=(
            "Type",
            *AssetStatus.labels,
            "Total",
            "Oldest runnable wait",
            "Failed, by error code",
        ),
        rows=rows,
        note="Oldest runnable wait: how long the queued asset that has waited longest since "
        "it became runnable (its retry backoff over) has been waiting for a worker.",
    )
