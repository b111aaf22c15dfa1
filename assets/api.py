"""Asset endpoints: the universe's asset status (ETag/304), regenerate, portraits."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from assets.models import AssetJob, AssetType
from assets.selectors import asset_entry, asset_generation_status, asset_status_etag
from assets.services import (
    PORTRAIT_STYLES,
    REGENERABLE_TYPES,
    asset_regenerate,
    portrait_favourite_set,
    portrait_request,
)
from core.api_schema import errors
from core.errors import ApplicationError
from universes.selectors import universe_list_visible


def _visible_universe(request, universe_id):
    return get_object_or_404(universe_list_visible(user=request.user), pk=universe_id)


def _owned_universe(request, universe_id, *, to: str):
    """The universe, for its owner only: staff may read it but change it in the admin."""
    universe = _visible_universe(request, universe_id)
    if universe.owner_id != request.user.pk:
        raise ApplicationError(
            f"Only the universe's owner can {to}.", code="NOT_OWNER", status_code=403
        )
    return universe


class AssetStatusSerializer(serializers.Serializer):
    overall = serializers.ChoiceField(choices=["generating", "ready", "partial", "failed"])
    assets = serializers.DictField(child=serializers.JSONField())


class AssetEntrySerializer(serializers.Serializer):
    """One asset as `asset_entry` describes it (docs/ASSETS.md); optional keys when they apply."""

    key = serializers.CharField()
    type = serializers.CharField()
    status = serializers.CharField()
    progress = serializers.IntegerField()
    startedAt = serializers.DateTimeField(allow_null=True)
    completedAt = serializers.DateTimeField(allow_null=True)
    history = serializers.ListField(child=serializers.JSONField())
    cardId = serializers.IntegerField(required=False)
    characterId = serializers.IntegerField(required=False)
    url = serializers.CharField(required=False)
    files = serializers.DictField(child=serializers.CharField(), required=False)
    data = serializers.JSONField(required=False)
    metadata = serializers.DictField(child=serializers.JSONField(), required=False)
    error = serializers.DictField(child=serializers.CharField(), required=False)
    skippedReason = serializers.CharField(required=False)
    favourite = serializers.CharField(required=False)


class UniverseAssetsApi(APIView):
    @extend_schema(responses={200: AssetStatusSerializer, 304: None, **errors(401, 404)})
    def get(self, request, universe_id):
        universe = _visible_universe(request, universe_id)
        current = asset_generation_status(universe)
        etag = asset_status_etag(current)
        if etag in request.headers.get("If-None-Match", ""):
            return Response(status=status.HTTP_304_NOT_MODIFIED, headers={"ETag": etag})
        return Response(current, headers={"ETag": etag})


class RegenerateInputSerializer(serializers.Serializer):
    assetTypes = serializers.ListField(
        child=serializers.ChoiceField(choices=REGENERABLE_TYPES), allow_empty=False
    )
    # Bounded like the keys they name (64-bit): past that SQLite overflowed (a 500).
    cardIds = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**63 - 1),
        required=False,
        max_length=1000,
    )


class RegenerateOutputSerializer(serializers.Serializer):
    queued = serializers.ListField(child=serializers.CharField())


class UniverseAssetsRegenerateApi(APIView):
    throttle_scope = "asset_regenerate"

    @extend_schema(
        request=RegenerateInputSerializer,
        responses={202: RegenerateOutputSerializer, **errors(400, 401, 403, 404, 409, 413, 429)},
    )
    def post(self, request, universe_id):
        universe = _owned_universe(request, universe_id, to="regenerate its assets")
        data = RegenerateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        jobs = asset_regenerate(
            universe=universe,
            asset_types=data.validated_data["assetTypes"],
            card_ids=data.validated_data.get("cardIds"),
        )
        return Response({"queued": [job.key for job in jobs]}, status=status.HTTP_202_ACCEPTED)


class PortraitInputSerializer(serializers.Serializer):
    style = serializers.ChoiceField(choices=PORTRAIT_STYLES)
    variants = serializers.IntegerField(required=False, min_value=1, max_value=6)
    runToken = serializers.RegexField(r"^[A-Za-z0-9_-]{1,40}$", required=False)


class CharacterPortraitsApi(APIView):
    throttle_scope = "portrait_request"

    @extend_schema(
        request=PortraitInputSerializer,
        responses={202: AssetEntrySerializer, **errors(400, 401, 403, 404, 413, 429)},
    )
    def post(self, request, universe_id, key):
        universe = _owned_universe(request, universe_id, to="ask for portraits")
        character = get_object_or_404(universe.characters, key=key, hidden=False)
        data = PortraitInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        job = portrait_request(
            character=character,
            style=data.validated_data["style"],
            variants=data.validated_data.get("variants"),
            run_token=data.validated_data.get("runToken", ""),
        )
        return Response({"key": job.key, **asset_entry(job)}, status=status.HTTP_202_ACCEPTED)


class FavouriteInputSerializer(serializers.Serializer):
    variant = serializers.RegexField(r"^variant-\d{1,2}$")


class PortraitFavouriteApi(APIView):
    @extend_schema(
        request=FavouriteInputSerializer,
        responses={200: AssetEntrySerializer, **errors(400, 401, 403, 404, 409, 413)},
    )
    def post(self, request, universe_id, job_id):
        universe = _owned_universe(request, universe_id, to="choose a favourite")
        job = get_object_or_404(
            AssetJob.objects.filter(universe=universe, asset_type=AssetType.PORTRAIT), pk=job_id
        )
        data = FavouriteInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        job = portrait_favourite_set(job=job, variant=data.validated_data["variant"])
        return Response({"key": job.key, **asset_entry(job)})
