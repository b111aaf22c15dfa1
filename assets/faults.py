"""Fault injection for asset jobs, for tests and failure drills: settings.ASSET_FAULTS.

Entries are "<key pattern> <fault>[ <n>]", for example:
- "card_image:3 transient 2": the first 2 attempts fail with a retryable error;
- "narration:* fail": every attempt fails for good;
- "cover sleep 5": the generator starts 5 seconds late (deadlines, kills).
Patterns are shell-style (fnmatch) over the asset key. Empty in production; the
same system check as STORY_ENGINE_FAULTS warns when it is set outside DEBUG.
"""

from __future__ import annotations

import time
from fnmatch import fnmatchcase

from django.conf import settings

from jobqueue.errors import PermanentJobError, TransientJobError


def apply_asset_faults(key: str, attempt: int) -> None:
    for entry in settings.ASSET_FAULTS:
        pattern, kind, *value = entry.split()
        if not fnmatchcase(key, pattern):
            continue
        if kind == "sleep":
            time.sleep(float(value[0]))
        elif kind == "transient" and attempt <= int(value[0] if value else 1_000_000):
            raise TransientJobError(
                "A failure drill interrupted this asset; it will be retried.",
                code="INJECTED_FAULT",
                dev_message=f"ASSET_FAULTS: transient failure of {key} on attempt {attempt}",
            )
        elif kind == "fail":
            raise PermanentJobError(
                "This asset failed in a failure drill.",
                code="INJECTED_FAULT",
                dev_message=f"ASSET_FAULTS: permanent failure of {key}",
            )
        elif kind not in ("sleep", "transient"):
            raise ValueError(f"unknown fault {kind!r} in ASSET_FAULTS")
