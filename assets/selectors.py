"""Reads for assets: a universe's asset status, and the files a reader may fetch."""

from __future__ import annotations

import hashlib
import json

from django.db.models import QuerySet
from django.urls import reverse

from assets.models import PENDING_ASSET_STATUSES, AssetJob, AssetStatus, AssetType

# Metadata a creator may see; the rest (prompts, models) is for staff in the admin.
PUBLIC_METADATA = ("palette", "width", "height", "duration_ms", "page_count", "style", "voice")


def asset_jobs_of(universe) -> QuerySet[AssetJob]:
    return AssetJob.objects.filter(universe=universe).order_by("-priority", "key")


def asset_file_url(job: AssetJob, role: str = "main") -> str:
    """A stable address for the asset's current file; `v` changes when the file does."""
    info = job.files.get(role) or {}
    path = reverse("asset-file", kwargs={"job_id": job.pk, "role": role})
    return f"{path}?v={info.get('sha256', '')[:12]}"


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def asset_entry(job: AssetJob) -> dict:
    entry: dict = {
        "type": job.asset_type,
        "status": job.asset_status,
        "progress": 100 if job.asset_status == AssetStatus.READY else job.progress,
        "startedAt": _iso(job.started_at),
        "completedAt": _iso(job.finished_at) if not job.is_pending else None,
        "history": job.history,
    }
    if job.card_id:
        entry["cardId"] = job.card_id
    if job.character_id:
        entry["characterId"] = job.character_id
    if job.files and "main" in job.files:
        entry["url"] = asset_file_url(job)
    roles = sorted(role for role in job.files if role != "main")
    if roles:
        entry["files"] = {role: asset_file_url(job, role) for role in roles}
    if job.data:
        entry["data"] = job.data
    metadata = {k: job.metadata[k] for k in PUBLIC_METADATA if k in job.metadata}
    if metadata:
        entry["metadata"] = metadata
    if job.asset_status == AssetStatus.FAILED:
        entry["error"] = {"code": job.error_code, "message": job.error_message_user}
    if job.asset_status == AssetStatus.SKIPPED:
        entry["skippedReason"] = job.skipped_reason
    if job.favourite_variant:
        entry["favourite"] = job.favourite_variant
    return entry


def overall_status(statuses: list[str]) -> str:
    if not statuses:
        return AssetStatus.READY
    if any(status in PENDING_ASSET_STATUSES for status in statuses):
        return "generating"
    failed = sum(status == AssetStatus.FAILED for status in statuses)
    if failed == len(statuses):
        return "failed"
    return "partial" if failed else "ready"


def asset_generation_status(universe) -> dict:
    jobs = list(asset_jobs_of(universe))
    return {
        "overall": overall_status([job.asset_status for job in jobs]),
        "assets": {job.key: asset_entry(job) for job in jobs},
    }


def asset_status_etag(status: dict) -> str:
    return '"' + hashlib.sha256(json.dumps(status, sort_keys=True).encode()).hexdigest()[:32] + '"'


class PageAssets:
    """A universe's media as the pages show them, from the stored status (no query)."""

    def __init__(self, status: dict) -> None:
        self.overall = status.get("overall", "")
        self.entries = status.get("assets", {})
        self.cover = self.entries.get("cover")
        self.pdf = self.entries.get("pdf")
        self.ready = sum(e["status"] in ("ready", "skipped") for e in self.entries.values())
        self.total = len(self.entries)

    @property
    def generating(self) -> bool:
        return self.overall == "generating"

    def for_day(self, day: int) -> dict:
        return {
            kind: self.entries.get(f"{kind}:{day}")
            for kind in (AssetType.CARD_IMAGE, AssetType.NARRATION, AssetType.ACTIVITIES)
        }

    def image_url(self, day: int) -> str:
        entry = self.entries.get(f"card_image:{day}") or {}
        return entry.get("url", "") if entry.get("status") == AssetStatus.READY else ""


def page_assets(universe) -> PageAssets:
    return PageAssets(universe.asset_generation_status or {})
