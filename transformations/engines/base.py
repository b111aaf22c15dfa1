"""The interface every story engine implements.

Stages call these methods with plain data and get plain data back; an engine
never touches the database. Stage 0 (normalise) is engine-independent.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from transformations.pipeline.types import (
    CardPlan,
    Document,
    DraftedCard,
    Identity,
    Plan,
    Reading,
    World,
)

# Called by long stages after each unit of work: (done, total). It may raise
# to stop the stage (cancellation, lost lease, deadline).
ProgressCallback = Callable[[int, int], None]


class StoryEngine(Protocol):
    name: str

    def read(self, document: Document) -> Reading: ...

    def identify(self, document: Document, reading: Reading) -> Identity: ...

    def build_world(self, document: Document, reading: Reading, identity: Identity) -> World: ...

    def plan_moments(
        self, document: Document, world: World, *, hook_pack_count: int
    ) -> list[CardPlan]: ...

    def draft_card(
        self,
        document: Document,
        reading: Reading,
        identity: Identity,
        world: World,
        plan: Plan,
        card: CardPlan,
        previous: list[DraftedCard],
    ) -> DraftedCard: ...
