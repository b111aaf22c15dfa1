from django.urls import path

from transformations import views

urlpatterns = [
    path("transformations/new", views.transformation_new, name="transformation-new"),
    path(
        "transformations/<uuid:job_id>",
        views.transformation_detail,
        name="transformation-detail",
    ),
    path(
        "transformations/<uuid:job_id>/retry",
        views.transformation_retry,
        name="transformation-retry",
    ),
    path(
        "transformations/<uuid:job_id>/cancel",
        views.transformation_cancel,
        name="transformation-cancel",
    ),
]
