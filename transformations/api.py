"""Transformation endpoints: thin views over services and selectors."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api_schema import PAGINATION_PARAMETERS, ApiPagination, errors, paginated
from core.errors import ApplicationError
from transformations.engines import ready_engines
from transformations.selectors import job_can_operate, job_etag, job_list_visible
from transformations.services import (
    job_cancel,
    job_config_build,
    job_create,
    job_retry,
    source_size_check,
)
from universes.publishing import RELEASE_MODES
from universes.services import DUPLICATE_POLICIES


class JobOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    status = serializers.CharField()
    currentStage = serializers.IntegerField(source="current_stage")
    stageStatuses = serializers.JSONField(source="stage_statuses")
    artifacts = serializers.JSONField()
    progress = serializers.IntegerField()
    statusLine = serializers.CharField(source="status_line")
    sourceType = serializers.CharField(source="source_type")
    sourceFilename = serializers.CharField(source="source_filename")
    outputUniverseId = serializers.IntegerField(source="output_universe_id", allow_null=True)
    errorCode = serializers.CharField(source="error_code")
    errorMessageUser = serializers.CharField(source="error_message_user")
    attempt = serializers.IntegerField()
    config = serializers.JSONField()
    createdAt = serializers.DateTimeField(source="created_at")
    updatedAt = serializers.DateTimeField(source="updated_at")


class JobCreateInputSerializer(serializers.Serializer):
    file = serializers.FileField(required=False)
    text = serializers.CharField(required=False, trim_whitespace=False)
    hookPackCount = serializers.IntegerField(required=False, min_value=1, max_value=10)
    releaseMode = serializers.ChoiceField(choices=RELEASE_MODES, required=False)
    startDate = serializers.DateTimeField(required=False)
    engine = serializers.CharField(required=False)
    onDuplicate = serializers.ChoiceField(choices=DUPLICATE_POLICIES, required=False)

    def validate_engine(self, value):
        if value not in ready_engines():
            raise serializers.ValidationError(
                f"Unknown or unavailable engine; choose one of: {', '.join(ready_engines())}."
            )
        return value

    def validate(self, attrs):
        if bool(attrs.get("file")) == bool(attrs.get("text")):
            raise serializers.ValidationError(
                {"file": "Send either a file or text (not both, not neither)."}
            )
        return attrs


class TransformationListCreateApi(APIView):
    parser_classes = [MultiPartParser, FormParser, JSONParser]
    throttle_scope = "transformation_create"  # POST only: core.quotas.WriteThrottle

    @extend_schema(
        operation_id="transformations_list",
        parameters=PAGINATION_PARAMETERS,
        responses={
            200: paginated("PaginatedJobOutputList", JobOutputSerializer(many=True)),
            **errors(400, 401),
        },
    )
    def get(self, request):
        jobs = job_list_visible(user=request.user)
        paginator = ApiPagination()
        page = paginator.paginate_queryset(jobs, request, view=self)
        return paginator.get_paginated_response(JobOutputSerializer(page, many=True).data)

    @extend_schema(
        request=JobCreateInputSerializer,
        responses={
            201: inline_serializer("JobCreated", {"jobId": serializers.UUIDField()}),
            **errors(400, 401, 413, 415, 429),
        },
    )
    def post(self, request):
        serializer = JobCreateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        upload = data.get("file")
        if upload is not None:
            # Refuse before reading an oversized upload into memory.
            source_size_check(size=upload.size)
            payload, name, mime = upload.read(), upload.name, upload.content_type or ""
        else:
            payload, name, mime = data["text"].encode("utf-8"), "", "text/plain"
        job = job_create(
            user=request.user,
            data=payload,
            filename=name,
            mime=mime,
            config=job_config_build(
                hook_pack_count=data.get("hookPackCount"),
                release_mode=data.get("releaseMode"),
                start_date=data.get("startDate"),
                engine=data.get("engine"),
                on_duplicate=data.get("onDuplicate"),
            ),
        )
        return Response(
            {"jobId": str(job.pk)},
            status=status.HTTP_201_CREATED,
            headers={"Location": f"/api/transformations/{job.pk}"},
        )


def _get_visible_job(request, job_id):
    return get_object_or_404(job_list_visible(user=request.user), pk=job_id)


def _get_operable_job(request, job_id):
    """As for universes, staff read every job but change only with the admin's permission."""
    job = _get_visible_job(request, job_id)
    if not job_can_operate(job=job, user=request.user):
        raise ApplicationError(
            "Only the job's owner can retry or cancel it.", code="NOT_OWNER", status_code=403
        )
    return job


class TransformationDetailApi(APIView):
    @extend_schema(responses={200: JobOutputSerializer, 304: None, **errors(401, 404)})
    def get(self, request, job_id):
        job = _get_visible_job(request, job_id)
        etag = job_etag(job)
        if etag in request.headers.get("If-None-Match", ""):
            return Response(status=status.HTTP_304_NOT_MODIFIED, headers={"ETag": etag})
        return Response(JobOutputSerializer(job).data, headers={"ETag": etag})


class TransformationRetryApi(APIView):
    throttle_scope = "transformation_retry"

    @extend_schema(
        request=None, responses={202: JobOutputSerializer, **errors(401, 403, 404, 409, 429)}
    )
    def post(self, request, job_id):
        job = job_retry(job=_get_operable_job(request, job_id))
        return Response(JobOutputSerializer(job).data, status=status.HTTP_202_ACCEPTED)


class TransformationCancelApi(APIView):
    @extend_schema(request=None, responses={202: JobOutputSerializer, **errors(401, 403, 404, 409)})
    def post(self, request, job_id):
        job = job_cancel(job=_get_operable_job(request, job_id))
        return Response(JobOutputSerializer(job).data, status=status.HTTP_202_ACCEPTED)
