"""The OpenAI engine's settings, read once from Django settings into plain data."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings


def parse_prices(text: str) -> dict[str, tuple[Decimal, Decimal]]:
    """`"gpt-4o-mini=0.15/0.60,..."` → {model: (input, output) USD per million tokens}.

    Malformed entries are skipped: a typo in a price must not stop a stage.
    """
    prices = {}
    for entry in text.split(","):
        model, _, pair = entry.strip().partition("=")
        given, _, produced = pair.partition("/")
        try:
            prices[model.strip()] = (Decimal(given), Decimal(produced))
        except ArithmeticError:
            continue
    return prices


@dataclass(frozen=True)
class ModelSettings:
    api_key: str = ""
    base_url: str = ""
    model: str = "gpt-4o-mini"
    stage_models: dict[str, str] = field(default_factory=dict)
    timeout: float = 60.0
    max_retries: int = 3
    context_tokens: int = 16_000
    max_output_tokens: int = 2_000
    prices: dict[str, tuple[Decimal, Decimal]] = field(default_factory=dict)

    @classmethod
    def from_settings(cls) -> ModelSettings:
        return cls(
            api_key=settings.OPENAI_API_KEY,
            base_url=settings.OPENAI_BASE_URL,
            model=settings.OPENAI_MODEL,
            stage_models={k: v for k, v in settings.OPENAI_STAGE_MODELS.items() if v},
            timeout=settings.OPENAI_TIMEOUT,
            max_retries=settings.OPENAI_MAX_RETRIES,
            context_tokens=settings.OPENAI_CONTEXT_TOKENS,
            max_output_tokens=settings.OPENAI_MAX_OUTPUT_TOKENS,
            prices=parse_prices(settings.OPENAI_PRICES),
        )

    @property
    def configured(self) -> bool:
        """A key, or a server of our own (local model servers often need no key)."""
        return bool(self.api_key or self.base_url)

    @property
    def input_budget(self) -> int:
        """Tokens one request may carry: the context window less the answer's share."""
        return self.context_tokens - self.max_output_tokens

    def model_for(self, stage_name: str) -> str:
        return self.stage_models.get(stage_name) or self.model

    def cost_usd(self, model: str, prompt_tokens: int, completion_tokens: int) -> Decimal | None:
        price = self.prices.get(model)
        if price is None:
            return None
        given, produced = price
        return (given * prompt_tokens + produced * completion_tokens) / Decimal(1_000_000)
