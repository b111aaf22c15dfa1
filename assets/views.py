"""Asset files for readers: streamed through Django so only who may read the universe can."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_GET

from assets.models import AssetJob
from universes.selectors import universe_list_visible

_DOWNLOAD_NAMES = {"pdf": "storybook.pdf"}


@require_GET
@login_required
def asset_file(request, job_id, role):
    job = get_object_or_404(
        AssetJob.objects.filter(universe__in=universe_list_visible(user=request.user)),
        pk=job_id,
    )
    info = job.files.get(role)
    if not info:
        raise Http404("This asset has no such file yet.")
    try:
        handle = default_storage.open(info["path"], "rb")
    except (FileNotFoundError, OSError) as exc:
        raise Http404("This file is being replaced; reload the page.") from exc
    response = FileResponse(
        handle,
        content_type=info.get("contentType") or "application/octet-stream",
        as_attachment=job.asset_type == "pdf",
        filename=_DOWNLOAD_NAMES.get(job.asset_type, ""),
    )
    # The address carries the content hash (?v=), so a browser may keep the file.
    response["Cache-Control"] = "private, max-age=86400"
    response["ETag"] = f'"{info.get("sha256", "")[:32]}"'
    return response
