"""The OpenAI engine (any OpenAI-compatible server): see `engine` for what it does."""

from transformations.engines.llm.config import ModelSettings
from transformations.engines.llm.engine import OpenAIEngine

__all__ = ["ModelSettings", "OpenAIEngine"]
