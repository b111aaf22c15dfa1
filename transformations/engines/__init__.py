"""Engine selection: the job's `config.engine`, else settings.STORY_ENGINE."""

from __future__ import annotations

from transformations.engines.base import StoryEngine
from transformations.pipeline.errors import StageFailed


def available_engines() -> list[str]:
    return ["local"]


def get_engine(name: str) -> StoryEngine:
    if name == "local":
        from transformations.engines.local import LocalEngine

        return LocalEngine()
    raise StageFailed(
        f"The story engine “{name}” is not available on this server. "
        "Choose the local engine, or ask the operator to configure it.",
        code="ENGINE_NOT_AVAILABLE",
    )
