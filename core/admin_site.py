"""The staff cockpit's admin site: Django's, plus the queue health page."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.urls import path


class StoryEngineAdminSite(admin.AdminSite):
    site_header = "Story Engine staff"
    site_title = "Story Engine admin"

    def get_urls(self):
        from jobqueue.admin import queue_health_view

        # First, so the admin's catch-all pattern never shadows it.
        return [
            path("queue-health/", self.admin_view(queue_health_view), name="queue_health"),
            *super().get_urls(),
        ]


class StoryEngineAdminConfig(AdminConfig):
    default_site = "core.admin_site.StoryEngineAdminSite"
