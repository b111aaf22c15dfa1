from django.urls import path

from assets import api, views

urlpatterns = [
    path("assets/<uuid:job_id>/<slug:role>", views.asset_file, name="asset-file"),
    path(
        "api/universes/<int:universe_id>/assets",
        api.UniverseAssetsApi.as_view(),
        name="api-universe-assets",
    ),
    path(
        "api/universes/<int:universe_id>/assets/regenerate",
        api.UniverseAssetsRegenerateApi.as_view(),
        name="api-universe-assets-regenerate",
    ),
    path(
        "api/universes/<int:universe_id>/characters/<slug:key>/portraits",
        api.CharacterPortraitsApi.as_view(),
        name="api-character-portraits",
    ),
    path(
        "api/universes/<int:universe_id>/portraits/<uuid:job_id>/favourite",
        api.PortraitFavouriteApi.as_view(),
        name="api-portrait-favourite",
    ),
]
