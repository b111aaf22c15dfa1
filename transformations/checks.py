"""System checks for Story Engine misconfiguration."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, Warning, register

from transformations.engines import available_engines


@register()
def check_story_engine(app_configs, **kwargs):
    messages = []
    if settings.STORY_ENGINE not in available_engines():
        messages.append(
            Error(
                f"STORY_ENGINE={settings.STORY_ENGINE!r} is not an available engine.",
                hint=f"Use one of: {', '.join(available_engines())}.",
                id="transformations.E001",
            )
        )
    if settings.STORY_ENGINE_FAULTS and not settings.DEBUG:
        messages.append(
            Warning(
                "STORY_ENGINE_FAULTS is set: stages will fail or stall on purpose.",
                hint="Unset STORY_ENGINE_FAULTS outside tests and failure drills.",
                id="transformations.W001",
            )
        )
    return messages
