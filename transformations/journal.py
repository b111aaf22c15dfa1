"""Call journals kept in the database: the storage side of `engines.journal.CallJournal`."""

from __future__ import annotations

from dataclasses import asdict

from transformations.engines.journal import ModelCallRecord
from transformations.models import TransformationJob
from transformations.selectors import model_call_answer
from transformations.services import model_call_record


class DatabaseCallJournal:
    """Calls made for a transformation job, or for another `subject` ("character:42")."""

    def __init__(self, job: TransformationJob | None = None, subject: str = "") -> None:
        if job is None and not subject:
            raise ValueError("a journal needs a job or a subject")
        self.job = job
        self.subject = subject

    def answer_for(self, request_hash: str) -> dict | None:
        return model_call_answer(job=self.job, subject=self.subject, request_hash=request_hash)

    def record(self, call: ModelCallRecord) -> None:
        model_call_record(job=self.job, subject=self.subject, **asdict(call))
