"""Creator pages for transformations: the upload form and the live timeline."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from core.errors import ApplicationError
from transformations.forms import RELEASE_MODE_HELP, TransformationForm
from transformations.models import STAGE_COUNT, TransformationJob
from transformations.selectors import job_can_operate, job_etag, job_list_visible, job_timeline
from transformations.services import job_cancel, job_config_build, job_create, job_retry


@login_required
def transformation_new(request):
    form = TransformationForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        upload = data["file"]
        try:
            job = job_create(
                user=request.user,
                data=upload.read() if upload else data["text"].encode("utf-8"),
                filename=upload.name if upload else "",
                mime=(upload.content_type or "") if upload else "text/plain",
                config=job_config_build(
                    hook_pack_count=data["hook_pack_count"],
                    release_mode=data["release_mode"],
                    start_date=data["start_date"],
                    engine=data["engine"] or None,
                ),
            )
        except ApplicationError as error:
            form.add_error("file" if upload else "text", f"{error.message}")
        else:
            return redirect("transformation-detail", job_id=job.pk)
    return render(
        request,
        "transformations/new.html",
        {
            "form": form,
            "release_mode_help": RELEASE_MODE_HELP,
            "max_upload_bytes": settings.UPLOAD_MAX_BYTES,
        },
    )


def _visible_job(request, job_id) -> TransformationJob:
    return get_object_or_404(job_list_visible(user=request.user), pk=job_id)


def _operable_job(request, job_id) -> TransformationJob:
    """Staff who may only read get the same 404 as everyone else who may not act."""
    job = _visible_job(request, job_id)
    if not job_can_operate(job=job, user=request.user):
        raise Http404("Only the job's owner can do this.")
    return job


@login_required
def transformation_detail(request, job_id):
    """The timeline page; `?fragment=1` answers only the live part, with ETag/304."""
    job = _visible_job(request, job_id)
    etag = job_etag(job)
    context = {
        "job": job,
        "stages": job_timeline(job),
        "stage_count": STAGE_COUNT,
        # Read-only staff may watch a job but not retry or cancel it.
        "can_operate": job_can_operate(job=job, user=request.user),
    }
    if request.GET.get("fragment"):
        if etag in request.headers.get("If-None-Match", ""):
            response = HttpResponse(status=304)
        else:
            response = render(request, "transformations/detail.html#timeline", context)
        response["ETag"] = etag
        response["Cache-Control"] = "no-cache"
        return response
    return render(request, "transformations/detail.html", context)


@login_required
@require_POST
def transformation_retry(request, job_id):
    try:
        job_retry(job=_operable_job(request, job_id))
        messages.success(request, "Retrying from the step that failed.")
    except ApplicationError as error:
        messages.error(request, error.message)
    return redirect("transformation-detail", job_id=job_id)


@login_required
@require_POST
def transformation_cancel(request, job_id):
    try:
        job_cancel(job=_operable_job(request, job_id))
        messages.success(request, "Cancelling this transformation.")
    except ApplicationError as error:
        messages.error(request, error.message)
    return redirect("transformation-detail", job_id=job_id)
