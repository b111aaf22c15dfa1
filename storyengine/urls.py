from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from core import views as core_views
from transformations import api as transformation_api
from universes import api as universe_api

api_patterns = [
    path(
        "api/transformations",
        transformation_api.TransformationListCreateApi.as_view(),
        name="api-transformations",
    ),
    path(
        "api/transformations/<uuid:job_id>",
        transformation_api.TransformationDetailApi.as_view(),
        name="api-transformation",
    ),
    path(
        "api/transformations/<uuid:job_id>/retry",
        transformation_api.TransformationRetryApi.as_view(),
        name="api-transformation-retry",
    ),
    path(
        "api/transformations/<uuid:job_id>/cancel",
        transformation_api.TransformationCancelApi.as_view(),
        name="api-transformation-cancel",
    ),
    path("api/universes", universe_api.UniverseListApi.as_view(), name="api-universes"),
    path(
        "api/universes/<int:universe_id>",
        universe_api.UniverseDetailApi.as_view(),
        name="api-universe",
    ),
    path(
        "api/universes/<int:universe_id>/cards",
        universe_api.UniverseCardsApi.as_view(),
        name="api-universe-cards",
    ),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves its start-up script as a file: no inline script for the CSP.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
]

urlpatterns = [
    path("", core_views.home, name="home"),
    path("healthz", core_views.healthz, name="healthz"),
    path("metrics", core_views.metrics, name="metrics"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/signup/", core_views.signup, name="signup"),
    path("admin/", admin.site.urls),
    *api_patterns,
    path("", include("transformations.urls")),
    path("", include("universes.urls")),
    path("", include("assets.urls")),
]

# Unknown addresses under /api/ answer in the API's error shape (core/error_pages.py).
handler404 = "core.error_pages.page_not_found"
