from django.contrib import admin

from universes.models import Card, Character, Location, Universe


class CharacterInline(admin.TabularInline):
    model = Character
    extra = 0
    fields = ("key", "name", "tier", "importance")


class LocationInline(admin.TabularInline):
    model = Location
    extra = 0
    fields = ("key", "name", "int_ext")


@admin.register(Universe)
class UniverseAdmin(admin.ModelAdmin):
    list_display = ("title", "owner", "slug", "genre", "release_mode", "created_at")
    search_fields = ("title", "slug", "owner__username")
    raw_id_fields = ("owner", "source_job")
    inlines = [CharacterInline, LocationInline]


@admin.register(Card)
class CardAdmin(admin.ModelAdmin):
    list_display = ("title", "universe", "day_index", "status", "publish_at")
    list_filter = ("status",)
    search_fields = ("title", "universe__title")
    raw_id_fields = ("universe", "location")
