from django.urls import include, path

from universes import views

urlpatterns = [
    path("universes/<int:universe_id>", views.universe_detail, name="universe-detail"),
    path(
        "universes/<int:universe_id>/cards/<int:day_index>",
        views.card_detail,
        name="card-detail",
    ),
    path(
        "universes/<int:universe_id>/characters/<slug:key>",
        views.character_detail,
        name="character-detail",
    ),
    path(
        "universes/<int:universe_id>/locations/<slug:key>",
        views.location_detail,
        name="location-detail",
    ),
    path("", include("universes.cast_urls")),
]
