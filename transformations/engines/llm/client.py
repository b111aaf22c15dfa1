"""The one seam to the model server: every call of the OpenAI engine goes through here.

A call sends a system prompt and a JSON payload, asks for an answer matching a
pydantic schema, and returns the validated answer. On the way it:

- answers an identical request a previous attempt already paid for from the
  journal (a retried stage resumes after its last successful call);
- carries an `Idempotency-Key` derived from job, stage, attempt and request;
- lets the openai client retry 429, 408/409, 5xx and timeouts with exponential
  backoff and jitter, honouring Retry-After (`OPENAI_MAX_RETRIES`);
- turns refusals, content filters and HTTP failures into coded job errors;
- asks once more, with the validation error, when an answer breaks the schema;
- records the prompt, raw answer and token usage of every call for staff.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable

import openai
from pydantic import ValidationError

from transformations.engines.journal import CallStatus, EngineSession, ModelCallRecord
from transformations.engines.llm import errors
from transformations.engines.llm.budget import fit_text, request_tokens
from transformations.engines.llm.config import ModelSettings
from transformations.engines.llm.schemas import Answer, response_format
from transformations.pipeline.errors import StageFailed

# Tokens every request keeps free for a correction after an invalid answer.
CORRECTION_TOKENS = 200

logger = logging.getLogger("transformations.engines.llm")


def user_content(payload: dict, images: list[str]) -> str | list[dict]:
    text = json.dumps(payload, ensure_ascii=False, indent=1)
    if not images:
        return text
    return [{"type": "text", "text": text}] + [
        {"type": "image_url", "image_url": {"url": url}} for url in images
    ]


def _problem(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        lines = [
            f"{'.'.join(str(p) for p in error['loc']) or 'answer'}: {error['msg']}"
            for error in exc.errors()[:8]
        ]
        return "; ".join(lines)
    return str(exc)


class ModelClient:
    def __init__(self, config: ModelSettings, session: EngineSession, stage_name: str) -> None:
        self.config = config
        self.session = session
        self.model = config.model_for(stage_name)
        self._client = openai.OpenAI(
            # Local model servers accept any key; the client insists on one.
            api_key=config.api_key or "not-needed",
            base_url=config.base_url or None,
            timeout=config.timeout,
            max_retries=config.max_retries,
        )

    def ask[A: Answer](
        self,
        answer_type: type[A],
        *,
        system: str,
        payload: dict,
        purpose: str,
        check: Callable[[A], None] | None = None,
        images: list[str] | None = None,
    ) -> A:
        """The model's answer to `payload`, validated as `answer_type` and by `check`.

        `check` raises ValueError for rules a schema cannot express.
        """
        messages = [
            {"role": "system", "content": system},
            {"role": "user", "content": user_content(payload, images or [])},
        ]
        schema = response_format(answer_type)
        needed = request_tokens(messages, schema) + CORRECTION_TOKENS
        if needed > self.config.input_budget:
            raise StageFailed(
                "The story model's context window is too small for this request. Staff have "
                "to raise OPENAI_CONTEXT_TOKENS (or lower OPENAI_MAX_OUTPUT_TOKENS). "
                + errors.KEEP,
                code="MODEL_CONTEXT_TOO_SMALL",
                dev_message=f"{purpose}: needs {needed} tokens of {self.config.input_budget}",
            )
        request_hash = hashlib.sha256(
            json.dumps([self.model, messages, schema], sort_keys=True).encode()
        ).hexdigest()
        stored = self.session.journal.answer_for(request_hash)
        if stored is not None:
            return answer_type.model_validate(stored)

        conversation = messages
        problem = ""
        for try_number in (1, 2):
            if problem:
                correction = fit_text(
                    f"Your previous answer could not be used: {problem}. Answer again with "
                    "JSON that matches the schema and follows every rule above.",
                    CORRECTION_TOKENS,
                )
                conversation = [*messages, {"role": "user", "content": correction}]
            call = _Call(self, conversation, schema, request_hash, purpose, try_number)
            text = call.send()
            try:
                answer = answer_type.model_validate_json(text)
                if check is not None:
                    check(answer)
            except (ValidationError, ValueError) as exc:
                problem = call.problem or _problem(exc)
                call.record(CallStatus.INVALID, error_code="INVALID_ANSWER", error=problem)
                continue
            call.record(CallStatus.OK, answer=answer.model_dump(mode="json"))
            return answer
        raise errors.model_invalid_answer(purpose, problem)


class _Call:
    """One request and its record."""

    def __init__(self, client, messages, schema, request_hash, purpose, try_number) -> None:
        self.client = client
        self.messages = messages
        self.schema = schema
        self.request_hash = request_hash
        self.purpose = purpose
        session = client.session
        self.idempotency_key = (
            f"storyengine-{session.job_key}-s{session.stage}-a{session.attempt}"
            f"-{request_hash[:16]}-{try_number}"
        )
        self.text = ""
        self.problem = ""
        self.usage = (0, 0)
        self.started = time.monotonic()

    def send(self) -> str:
        client = self.client
        try:
            completion = client._client.chat.completions.create(
                model=client.model,
                messages=self.messages,
                response_format=self.schema,
                max_completion_tokens=client.config.max_output_tokens,
                extra_headers={"Idempotency-Key": self.idempotency_key},
            )
        except openai.OpenAIError as exc:
            error = errors.classify(exc, model=client.model)
            self.record(CallStatus.ERROR, error_code=error.code, error=error.dev_message)
            raise error from exc
        if completion.usage is not None:
            self.usage = (
                completion.usage.prompt_tokens or 0,
                completion.usage.completion_tokens or 0,
            )
        if not completion.choices:
            self.record(CallStatus.ERROR, error_code="MODEL_ERROR", error="no choices")
            raise StageFailed(
                f"The story model sent an empty answer. {errors.LOCAL_ADVICE} {errors.KEEP}",
                code="MODEL_ERROR",
                dev_message=f"{self.purpose}: completion without choices",
            )
        choice = completion.choices[0]
        message = choice.message
        self.text = message.content or ""
        if message.refusal:
            self.text = message.refusal
            self.record(CallStatus.REFUSED, error_code="MODEL_REFUSED", error=message.refusal)
            raise errors.model_refused(message.refusal)
        if choice.finish_reason == "content_filter":
            self.record(CallStatus.BLOCKED, error_code="MODEL_CONTENT_BLOCKED")
            raise errors.model_blocked(f"{self.purpose}: finish_reason=content_filter")
        if choice.finish_reason == "length":
            self.problem = (
                f"it was cut off at the {client.config.max_output_tokens}-token limit; "
                "answer more briefly"
            )
        return self.text

    def record(self, status: str, **fields) -> None:
        client = self.client
        session = client.session
        prompt_tokens, completion_tokens = self.usage
        duration_ms = int((time.monotonic() - self.started) * 1000)
        logger.info(
            "job=%s stage=%s attempt=%s call=%r model=%s status=%s tokens=%d+%d duration_ms=%d",
            session.job_key,
            session.stage,
            session.attempt,
            self.purpose,
            client.model,
            status,
            prompt_tokens,
            completion_tokens,
            duration_ms,
        )
        session.journal.record(
            ModelCallRecord(
                stage=session.stage,
                attempt=session.attempt,
                purpose=self.purpose,
                model=client.model,
                request_hash=self.request_hash,
                idempotency_key=self.idempotency_key,
                messages=self.messages,
                status=status,
                response_text=self.text,
                prompt_tokens=prompt_tokens,
                completion_tokens=completion_tokens,
                cost_usd=client.config.cost_usd(client.model, prompt_tokens, completion_tokens),
                duration_ms=duration_ms,
                **fields,
            )
        )
