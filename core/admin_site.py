"""The staff cockpit's admin site: Django's, plus the queue health page."""

from __future__ import annotations

from django.conf import settings
from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.urls import path
from django.utils.csp import CSP
from django.views.decorators.csp import csp_override


class StoryEngineAdminSite(admin.AdminSite):
    site_header = "Story Engine staff"
    site_title = "Story Engine admin"

    def admin_view(self, view, cacheable=False):
        # The model admins colour status badges and lay out traces with style attributes,
        # so staff pages allow inline styles; scripts stay files from this origin.
        policy = dict(settings.SECURE_CSP)
        policy["style-src"] = [*policy.get("style-src", [CSP.SELF]), CSP.UNSAFE_INLINE]
        return csp_override(policy)(super().admin_view(view, cacheable))

    def get_urls(self):
        from jobqueue.admin import queue_health_view

        # First, so the admin's catch-all pattern never shadows it.
        return [
            path("queue-health/", self.admin_view(queue_health_view), name="queue_health"),
            *super().get_urls(),
        ]


class StoryEngineAdminConfig(AdminConfig):
    default_site = "core.admin_site.StoryEngineAdminSite"
