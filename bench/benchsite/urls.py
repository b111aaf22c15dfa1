"""The product's URLs plus two minimal DRF endpoints: the ceiling the API load test compares to."""

from django.urls import path
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from storyengine.urls import urlpatterns as product_urlpatterns


class CeilingApi(APIView):
    """What DRF costs with nothing to do: no authentication, no database, a constant body."""

    authentication_classes = []
    permission_classes = [AllowAny]

    def get(self, request):
        return Response({"ok": True})


class AuthenticatedCeilingApi(APIView):
    """The same, behind the API's own authentication (token lookup) and permission."""

    def get(self, request):
        return Response({"ok": True})


urlpatterns = [
    path("bench/ceiling", CeilingApi.as_view()),
    path("bench/ceiling-auth", AuthenticatedCeilingApi.as_view()),
    *product_urlpatterns,
]
