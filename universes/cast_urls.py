# Cast control and the scene breakdown report (merge, split, rename, hide, undo; CSV).
from django.urls import path

from universes import cast_views

urlpatterns = [
    path("universes/<int:universe_id>/cast", cast_views.universe_cast, name="universe-cast"),
    path(
        "universes/<int:universe_id>/cast/merge",
        cast_views.universe_cast_merge,
        name="universe-cast-merge",
    ),
    path(
        "universes/<int:universe_id>/cast/split",
        cast_views.universe_cast_split,
        name="universe-cast-split",
    ),
    path(
        "universes/<int:universe_id>/cast/rename",
        cast_views.universe_cast_rename,
        name="universe-cast-rename",
    ),
    path(
        "universes/<int:universe_id>/cast/characters/<int:character_id>/hide",
        cast_views.universe_cast_hide,
        name="universe-cast-hide",
    ),
    path(
        "universes/<int:universe_id>/cast/characters/<int:character_id>/unhide",
        cast_views.universe_cast_unhide,
        name="universe-cast-unhide",
    ),
    path(
        "universes/<int:universe_id>/cast/edits/<int:edit_id>/undo",
        cast_views.universe_cast_undo,
        name="universe-cast-undo",
    ),
    path(
        "universes/<int:universe_id>/breakdown",
        cast_views.universe_breakdown,
        name="universe-breakdown",
    ),
    path(
        "universes/<int:universe_id>/breakdown.csv",
        cast_views.universe_breakdown_csv,
        name="universe-breakdown-csv",
    ),
]
