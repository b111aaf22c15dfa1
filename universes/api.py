"""Universe endpoints: thin views over selectors. Private character fields never leave."""

from __future__ import annotations

from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api_schema import PAGINATION_PARAMETERS, ApiPagination, errors, paginated
from universes.models import Character
from universes.selectors import card_list_visible, universe_list_visible


class CharacterOutputSerializer(serializers.Serializer):
    id = serializers.CharField(source="key")
    name = serializers.CharField()
    description = serializers.CharField()
    aliases = serializers.JSONField()
    tier = serializers.CharField()
    importance = serializers.IntegerField()


class LocationOutputSerializer(serializers.Serializer):
    id = serializers.CharField(source="key")
    name = serializers.CharField()
    description = serializers.CharField()
    intExt = serializers.CharField(source="int_ext")


class UniverseSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    slug = serializers.CharField()
    title = serializers.CharField()
    logline = serializers.CharField()
    genre = serializers.CharField()
    sourceType = serializers.CharField(source="source_type")
    createdAt = serializers.DateTimeField(source="created_at")


class UniverseDetailSerializer(UniverseSummarySerializer):
    theme = serializers.CharField()
    toneTags = serializers.JSONField(source="tone_tags")
    structureSummary = serializers.CharField(source="structure_summary")
    voiceNotes = serializers.CharField(source="voice_notes")
    releaseMode = serializers.CharField(source="release_mode")
    hookPackCount = serializers.IntegerField(source="hook_pack_count")
    startDate = serializers.DateTimeField(source="start_date")
    isCopy = serializers.BooleanField(source="is_copy")
    characters = CharacterOutputSerializer(many=True)
    locations = LocationOutputSerializer(many=True)


class CardOutputSerializer(serializers.Serializer):
    dayIndex = serializers.IntegerField(source="day_index")
    title = serializers.CharField()
    captions = serializers.JSONField()
    sceneText = serializers.CharField(source="scene_text")
    recapText = serializers.CharField(source="recap_text")
    sceneDescription = serializers.CharField(source="scene_description")
    imagePrompt = serializers.SerializerMethodField()
    location = serializers.SerializerMethodField()
    primaryCharacters = serializers.SerializerMethodField()
    chatUnlockedCharacters = serializers.SerializerMethodField()
    discussionQuestions = serializers.JSONField(source="discussion_questions")
    publishAt = serializers.DateTimeField(source="publish_at")
    published = serializers.SerializerMethodField()

    def get_imagePrompt(self, card) -> str:
        return card.image_generation.get("prompt", "")

    def get_location(self, card) -> dict | None:
        if card.location is None:
            return None
        return {"id": card.location.key, "name": card.location.name}

    def get_primaryCharacters(self, card) -> list[dict]:
        return [{"id": c.key, "name": c.name} for c in card.primary_characters.all()]

    def get_chatUnlockedCharacters(self, card) -> list[dict]:
        return [{"id": c.key, "name": c.name} for c in card.chat_unlocked_characters.all()]

    def get_published(self, card) -> bool:
        return card.is_published()


class UniverseListApi(APIView):
    @extend_schema(
        operation_id="universes_list",
        parameters=PAGINATION_PARAMETERS,
        responses={
            200: paginated("PaginatedUniverseList", UniverseSummarySerializer(many=True)),
            **errors(400, 401),
        },
    )
    def get(self, request):
        paginator = ApiPagination()
        page = paginator.paginate_queryset(
            universe_list_visible(user=request.user), request, view=self
        )
        return paginator.get_paginated_response(UniverseSummarySerializer(page, many=True).data)


def _get_visible_universe(request, universe_id):
    return get_object_or_404(universe_list_visible(user=request.user), pk=universe_id)


class UniverseDetailApi(APIView):
    @extend_schema(responses={200: UniverseDetailSerializer, **errors(401, 404)})
    def get(self, request, universe_id):
        universe = get_object_or_404(
            universe_list_visible(user=request.user).prefetch_related(
                Prefetch("characters", queryset=Character.objects.filter(hidden=False)), "locations"
            ),
            pk=universe_id,
        )
        return Response(UniverseDetailSerializer(universe).data)


class UniverseCardsApi(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter(
                "include",
                str,
                description="`scheduled` to include cards not yet published (owner and staff).",
            )
        ],
        responses={
            200: inline_serializer("CardList", {"results": CardOutputSerializer(many=True)}),
            **errors(401, 404),
        },
    )
    def get(self, request, universe_id):
        universe = _get_visible_universe(request, universe_id)
        cards = card_list_visible(
            universe=universe,
            user=request.user,
            include_scheduled=request.query_params.get("include") == "scheduled",
        )
        return Response({"results": CardOutputSerializer(cards, many=True).data})
