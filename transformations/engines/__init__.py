"""Engine selection: the job's `config.engine`, else settings.STORY_ENGINE.

`available_engines()` names every engine this code has; `engine_ready()` says
whether one can run on this server (the OpenAI engine needs a key or a base URL).
"""

from __future__ import annotations

from transformations.engines.base import StoryEngine
from transformations.engines.journal import EngineSession
from transformations.pipeline.errors import StageFailed

ENGINES = ("local", "openai")


def available_engines() -> list[str]:
    return list(ENGINES)


def engine_ready(name: str) -> bool:
    if name == "local":
        return True
    if name == "openai":
        from transformations.engines.llm import ModelSettings

        return ModelSettings.from_settings().configured
    return False


def ready_engines() -> list[str]:
    return [name for name in ENGINES if engine_ready(name)]


def get_engine(name: str, session: EngineSession | None = None) -> StoryEngine:
    if name == "local":
        from transformations.engines.local import LocalEngine

        return LocalEngine()
    if name == "openai" and engine_ready(name):
        from transformations.engines.llm import OpenAIEngine

        return OpenAIEngine(session=session)
    raise StageFailed(
        f"The story engine “{name}” is not available on this server. "
        "Choose the local engine, or ask the operator to configure it.",
        code="ENGINE_NOT_AVAILABLE",
    )
