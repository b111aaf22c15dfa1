"""Where an engine keeps what it asked a model and what came back.

Engines stay free of the database: the runner hands them a journal. The job's
journal stores every call for staff (prompts, raw answers, token usage) and
answers a repeated request from the stored answer, so a retried stage resumes
after the last call that succeeded instead of paying for it again.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Protocol


class CallStatus:
    OK = "ok"
    INVALID = "invalid"  # the answer broke the schema or a rule of the stage
    REFUSED = "refused"
    BLOCKED = "blocked"  # a content-policy filter stopped the request or the answer
    ERROR = "error"  # no usable answer: HTTP errors, timeouts, authentication


@dataclass(frozen=True)
class ModelCallRecord:
    stage: int
    attempt: int
    purpose: str
    model: str
    request_hash: str
    idempotency_key: str
    messages: list[dict]
    status: str
    response_text: str = ""
    answer: dict | None = None
    error_code: str = ""
    error: str = ""
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: Decimal | None = None
    duration_ms: int = 0


class CallJournal(Protocol):
    def answer_for(self, request_hash: str) -> dict | None:
        """The stored answer to an identical earlier request that succeeded, if any."""

    def record(self, call: ModelCallRecord) -> None: ...


@dataclass
class MemoryJournal:
    """A journal for runs outside a job (evaluation, previews): kept in memory."""

    calls: list[ModelCallRecord] = field(default_factory=list)

    def answer_for(self, request_hash: str) -> dict | None:
        for call in reversed(self.calls):
            if call.request_hash == request_hash and call.status == CallStatus.OK:
                return call.answer
        return None

    def record(self, call: ModelCallRecord) -> None:
        self.calls.append(call)


# Called by engines after each unit of work: (done, total, what). It may raise to
# stop the stage (cancellation, lost lease, deadline).
StageProgress = Callable[[int, int, str], None]


@dataclass(frozen=True)
class EngineSession:
    """What an engine knows about the run it serves: which job, stage and attempt."""

    job_key: str
    stage: int
    attempt: int = 1
    journal: CallJournal = field(default_factory=MemoryJournal)
    progress: StageProgress | None = None

    @classmethod
    def detached(cls, stage: int = 0) -> EngineSession:
        return cls(job_key=f"detached-{uuid.uuid4().hex[:12]}", stage=stage)

    def report(self, done: int, total: int, what: str) -> None:
        if self.progress is not None:
            self.progress(done, total, what)
