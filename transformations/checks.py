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
    if settings.STORY_ENGINE == "openai" and not settings.OPENAI_API_KEY:
        messages.append(
            Warning(
                "STORY_ENGINE=openai but OPENAI_API_KEY is not set.",
                hint=(
                    "Set OPENAI_API_KEY, or OPENAI_BASE_URL for a server that needs no key; "
                    "until then new jobs cannot use the OpenAI engine."
                ),
                id="transformations.W002",
            )
        )
    if (settings.STORY_ENGINE_FAULTS or settings.ASSET_FAULTS) and not settings.DEBUG:
        messages.append(
            Warning(
                "STORY_ENGINE_FAULTS or ASSET_FAULTS is set: jobs will fail or stall on purpose.",
                hint="Unset them outside tests and failure drills.",
                id="transformations.W001",
            )
        )
    return messages
