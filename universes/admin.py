"""Staff cockpit for universes: their cast, places and card schedule."""

from __future__ import annotations

import json
from collections import Counter

from django.contrib import admin, messages
from django.db.models import Count, IntegerField, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce, Now
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from assets.models import AssetStatus, AssetType
from assets.services import asset_regenerate
from core.errors import ApplicationError
from universes import models as universe_models
from universes.models import Card, CardStatus, Character, Location, Universe
from universes.services import universe_publish_now

# Cast control (Character.hidden, CastEdit) ships separately from this admin;
# the pages include it when the models have it and work the same without it.
HAS_CAST_CONTROL = hasattr(universe_models, "CastEdit")
CHARACTER_FLAG_FIELDS = ("hidden",) if HAS_CAST_CONTROL else ()

# What "Regenerate all assets" makes again. Portraits are left out: each is a
# creator's request for a style, not part of the universe's own media.
UNIVERSE_ASSET_TYPES = (
    AssetType.COVER,
    AssetType.CARD_IMAGE,
    AssetType.NARRATION,
    AssetType.ACTIVITIES,
    AssetType.PDF,
)


def child_count(model, *, related_field: str = "universe", extra: Q | None = None) -> Coalesce:
    """Count `model` rows pointing at the outer row, as a subquery.

    Subqueries rather than Count() joins: three joined counts would multiply
    characters × locations × cards rows for every universe.
    """
    rows = model.objects.filter(**{related_field: OuterRef("pk")})
    if extra is not None:
        rows = rows.filter(extra)
    counted = rows.order_by().values(related_field).annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def live_cards_q() -> Q:
    return Q(publish_at__lte=Now()) & ~Q(status=CardStatus.HIDDEN)


class CharacterInline(admin.TabularInline):
    model = Character
    extra = 0
    fields = ("key", "name", "tier", "importance", *CHARACTER_FLAG_FIELDS)
    show_change_link = True


class LocationInline(admin.TabularInline):
    model = Location
    extra = 0
    fields = ("key", "name", "int_ext")
    show_change_link = True


class CardInline(admin.TabularInline):
    model = Card
    extra = 0
    fields = ("day_index", "title", "status", "publish_at")
    ordering = ("day_index",)
    show_change_link = True


@admin.register(Universe)
class UniverseAdmin(admin.ModelAdmin):
    list_display = (
        "title",
        "owner",
        "genre",
        "source_type",
        "release_mode",
        "character_count",
        "location_count",
        "card_count",
        "live_card_count",
        "source_job_link",
        "created_at",
    )
    list_select_related = ("owner",)
    list_filter = ("release_mode", "source_type", "is_copy", "created_at")
    search_fields = ("title", "slug", "owner__username", "owner__email", "source_sha256__exact")
    search_help_text = "Title, slug, owner username or email, or source sha256."
    raw_id_fields = ("owner", "source_job")
    readonly_fields = ("created_at", "updated_at", "asset_summary")
    show_full_result_count = False
    actions = ("publish_scheduled_now", "regenerate_all_assets")
    inlines = (CharacterInline, LocationInline, CardInline)
    fieldsets = (
        (None, {"fields": ("title", "slug", "owner")}),
        (
            "Story",
            {
                "fields": (
                    "logline",
                    "theme",
                    "tone_tags",
                    "genre",
                    "structure_summary",
                    "voice_notes",
                )
            },
        ),
        ("Release", {"fields": ("release_mode", "hook_pack_count", "start_date")}),
        (
            "Source",
            {
                "fields": (
                    "source_type",
                    "source_sha256",
                    "is_copy",
                    # The raw-id widget links to the job's admin page.
                    "source_job",
                    "created_at",
                    "updated_at",
                )
            },
        ),
        ("Assets", {"fields": ("asset_summary",)}),
    )

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                character_total=child_count(Character),
                location_total=child_count(Location),
                card_total=child_count(Card),
                live_card_total=child_count(Card, extra=live_cards_q()),
            )
        )

    @admin.display(description="characters", ordering="character_total")
    def character_count(self, universe: Universe) -> int:
        return universe.character_total

    @admin.display(description="locations", ordering="location_total")
    def location_count(self, universe: Universe) -> int:
        return universe.location_total

    @admin.display(description="cards", ordering="card_total")
    def card_count(self, universe: Universe) -> int:
        return universe.card_total

    @admin.display(description="live cards", ordering="live_card_total")
    def live_card_count(self, universe: Universe) -> int:
        return universe.live_card_total

    @admin.display(description="source job")
    def source_job_link(self, universe: Universe):
        # Built from the id alone, so the list never loads the job rows.
        if universe.source_job_id is None:
            return "—"
        url = reverse(
            "admin:transformations_transformationjob_change", args=[universe.source_job_id]
        )
        return format_html('<a href="{}">{}</a>', url, universe.source_job_id.hex[:8])

    @admin.display(description="assets")
    def asset_summary(self, universe: Universe):
        # Read from the status the services keep in step, so the page costs no query.
        status = universe.asset_generation_status or {}
        assets = status.get("assets") or {}
        if not assets:
            return "No asset jobs yet."
        counts = Counter(entry.get("status") for entry in assets.values())
        jobs_url = reverse("admin:assets_assetjob_changelist")
        universe_query = f"universe__id__exact={universe.pk}"
        parts = format_html_join(
            " · ",
            '<a href="{}?{}&amp;asset_status__exact={}">{} {}</a>',
            (
                (jobs_url, universe_query, value, label.lower(), counts[value])
                for value, label in AssetStatus.choices
                if counts[value]
            ),
        )
        return format_html(
            '<strong>{}</strong> — {} (<a href="{}?{}">all {} asset jobs</a>)',
            status.get("overall", "—"),
            parts,
            jobs_url,
            universe_query,
            len(assets),
        )

    @admin.action(description="Publish all scheduled cards now", permissions=["change"])
    def publish_scheduled_now(self, request, queryset):
        now = timezone.now()
        published = sum(universe_publish_now(universe=u, now=now) for u in queryset)
        if published:
            self.message_user(
                request,
                f"Published {published} scheduled card(s) in {len(queryset)} universe(s).",
                messages.SUCCESS,
            )
        else:
            self.message_user(
                request,
                "Nothing to publish: every selected card is already live.",
                messages.WARNING,
            )

    def has_regenerate_assets_permission(self, request) -> bool:
        # The same permission as the asset cockpit's actions: the action writes asset jobs.
        return request.user.has_perm("assets.change_assetjob")

    @admin.action(description="Regenerate all assets", permissions=["regenerate_assets"])
    def regenerate_all_assets(self, request, queryset):
        requeued = regenerating = 0
        for universe in queryset:
            try:
                requeued += len(
                    asset_regenerate(
                        universe=universe, asset_types=[t.value for t in UNIVERSE_ASSET_TYPES]
                    )
                )
            except ApplicationError as exc:
                # One universe with a running asset must not stop the others.
                self.message_user(
                    request, f"Not regenerated: {universe}: {exc.message}", messages.WARNING
                )
            else:
                regenerating += 1
        if regenerating:
            self.message_user(
                request,
                f"Regenerating the assets of {regenerating} universe(s): {requeued} finished or "
                "failed asset(s) queued again; missing ones queued, queued ones left to run.",
                messages.SUCCESS,
            )


class CardVisibilityFilter(admin.SimpleListFilter):
    title = "visibility"
    parameter_name = "visibility"

    def lookups(self, request, model_admin):
        return [("live", "Live for readers"), ("scheduled", "Scheduled"), ("hidden", "Hidden")]

    def queryset(self, request, queryset):
        match self.value():
            case "live":
                return queryset.filter(live_cards_q())
            case "scheduled":
                return queryset.filter(publish_at__gt=Now()).exclude(status=CardStatus.HIDDEN)
            case "hidden":
                return queryset.filter(status=CardStatus.HIDDEN)
        return queryset


@admin.register(Card)
class CardAdmin(admin.ModelAdmin):
    list_display = ("title", "day_index", "universe", "status", "is_live", "publish_at", "location")
    list_display_links = ("title",)
    list_select_related = ("universe", "location")
    list_filter = (CardVisibilityFilter, "status", "universe__release_mode", "publish_at")
    search_fields = ("title", "universe__title", "recap_text")
    raw_id_fields = ("universe", "location", "primary_characters", "chat_unlocked_characters")
    date_hierarchy = "publish_at"
    show_full_result_count = False
    ordering = ("universe", "day_index")
    fieldsets = (
        (None, {"fields": ("universe", "day_index", "title", "status", "publish_at")}),
        (
            "Content",
            {
                "fields": (
                    "captions",
                    "scene_text",
                    "recap_text",
                    "scene_description",
                    "discussion_questions",
                )
            },
        ),
        (
            "Cast and place",
            {"fields": ("location", "primary_characters", "chat_unlocked_characters")},
        ),
        ("Image", {"fields": ("image_generation",)}),
    )

    @admin.display(description="live", boolean=True)
    def is_live(self, card: Card) -> bool:
        return card.is_published()


@admin.register(Character)
class CharacterAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "key",
        "universe",
        "tier",
        "importance",
        *CHARACTER_FLAG_FIELDS,
        "card_count",
    )
    list_select_related = ("universe",)
    list_filter = ("tier", *CHARACTER_FLAG_FIELDS)
    search_fields = ("name", "key", "universe__title")
    raw_id_fields = ("universe",)

    def get_queryset(self, request):
        # The through table of primary_characters, counted per character.
        appearances = child_count(Card.primary_characters.through, related_field="character")
        return super().get_queryset(request).annotate(card_total=appearances)

    @admin.display(description="cards", ordering="card_total")
    def card_count(self, character: Character) -> int:
        return character.card_total


@admin.register(Location)
class LocationAdmin(admin.ModelAdmin):
    list_display = ("name", "key", "universe", "int_ext", "card_count")
    list_select_related = ("universe",)
    list_filter = ("int_ext",)
    search_fields = ("name", "key", "universe__title")
    raw_id_fields = ("universe",)

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(card_total=child_count(Card, related_field="location"))
        )

    @admin.display(description="cards", ordering="card_total")
    def card_count(self, location: Location) -> int:
        return location.card_total


if HAS_CAST_CONTROL:

    @admin.register(universe_models.CastEdit)
    class CastEditAdmin(admin.ModelAdmin):
        """The creators' cast edit history. Read-only: undo replays the snapshot exactly."""

        list_display = ("summary", "kind", "universe", "created_by", "created_at", "undone_at")
        list_select_related = ("universe", "created_by")
        list_filter = ("kind", "created_at")
        search_fields = ("summary", "universe__title", "created_by__username")
        readonly_fields = ("snapshot_display",)
        exclude = ("snapshot",)

        def has_add_permission(self, request) -> bool:
            return False

        def has_change_permission(self, request, obj=None) -> bool:
            return False

        @admin.display(description="snapshot")
        def snapshot_display(self, edit):
            return format_html(
                '<pre style="white-space:pre-wrap;max-height:40em;overflow:auto">{}</pre>',
                json.dumps(edit.snapshot, indent=2, sort_keys=True, ensure_ascii=False),
            )
