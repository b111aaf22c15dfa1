"""Asset files in Django's storage (local MEDIA_ROOT, or S3-compatible storage when set).

Names are deterministic: the asset's place plus a hash of the content,
`universes/<id>/assets/<key path>/<role>-<sha256[:12]>.<ext>`. A retried job that
makes the same bytes writes the same name (overwriting a half-written file a
killed worker left), and a regenerated asset gets a new name, so the page keeps
the old file until the row points at the new one; the old file is deleted after.
"""

from __future__ import annotations

import hashlib
import logging
import posixpath

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from assets.generators.base import GeneratedFile
from assets.models import AssetJob

logger = logging.getLogger("assets.storage")


def asset_directory(job: AssetJob) -> str:
    return posixpath.join("universes", str(job.universe_id), "assets", *job.key.split(":")).replace(
        "..", "_"
    )


def file_store(job: AssetJob, role: str, generated: GeneratedFile) -> dict:
    digest = hashlib.sha256(generated.content).hexdigest()
    name = posixpath.join(asset_directory(job), f"{role}-{digest[:12]}.{generated.extension}")
    if default_storage.exists(name):
        if default_storage.size(name) == len(generated.content):
            return _info(name, generated, digest)
        default_storage.delete(name)  # a partial write by a worker that was killed
    saved = default_storage.save(name, ContentFile(generated.content))
    if saved != name:  # storage renamed it: a race with another writer of the same bytes
        default_storage.delete(saved)
    return _info(name, generated, digest)


def _info(name: str, generated: GeneratedFile, digest: str) -> dict:
    return {
        "path": name,
        "contentType": generated.content_type,
        "size": len(generated.content),
        "sha256": digest,
    }


def files_delete_unreferenced(job: AssetJob) -> int:
    """Delete files in the asset's directory that the row no longer points at.

    Run after the row's new files are committed: old versions and leftovers of
    attempts a worker did not finish.
    """
    directory = asset_directory(job)
    keep = {info["path"] for info in job.files.values()}
    try:
        _, names = default_storage.listdir(directory)
    except FileNotFoundError:
        return 0
    deleted = 0
    for filename in names:
        path = posixpath.join(directory, filename)
        if path not in keep:
            default_storage.delete(path)
            deleted += 1
    return deleted


def file_read(info: dict) -> bytes | None:
    try:
        with default_storage.open(info["path"], "rb") as handle:
            return handle.read()
    except (FileNotFoundError, OSError):
        logger.warning("asset file missing: %s", info.get("path"))
        return None
