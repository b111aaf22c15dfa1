"""Fault injection for tests and failure drills, driven by settings.STORY_ENGINE_FAULTS.

Entries look like "2:fail", "2:transient" or "3:sleep=5" (stage, then what
happens when that stage starts). Empty in production; a system check warns
when it is set outside DEBUG.
"""

from __future__ import annotations

import time

from django.conf import settings

from jobqueue.errors import TransientJobError
from transformations.pipeline.errors import StageFailed


def parse_faults(entries: list[str]) -> dict[int, list[tuple[str, str]]]:
    faults: dict[int, list[tuple[str, str]]] = {}
    for entry in entries:
        stage, _, action = entry.strip().partition(":")
        kind, _, value = action.partition("=")
        faults.setdefault(int(stage), []).append((kind, value))
    return faults


def apply_faults(stage: int) -> None:
    for kind, value in parse_faults(settings.STORY_ENGINE_FAULTS).get(stage, []):
        if kind == "sleep":
            time.sleep(float(value))
        elif kind == "fail":
            raise StageFailed(
                "This stage failed in a failure drill. Retry the job to continue.",
                code="INJECTED_FAULT",
                dev_message=f"STORY_ENGINE_FAULTS injected a permanent failure in stage {stage}",
            )
        elif kind == "transient":
            raise TransientJobError(
                dev_message=f"STORY_ENGINE_FAULTS injected a transient failure in stage {stage}"
            )
        else:
            raise ValueError(f"unknown fault {kind!r} in STORY_ENGINE_FAULTS")
