from __future__ import annotations

import random


def retry_delay(
    attempt: int, *, base: float, cap: float, rng: random.Random | None = None
) -> float:
    """Exponential backoff with full jitter: a random delay in [base/2, base * 2**(attempt-1)]."""
    rng = rng or random.Random()
    ceiling = min(cap, base * 2 ** max(attempt - 1, 0))
    return rng.uniform(min(base / 2, ceiling), ceiling)
