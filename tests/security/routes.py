"""The project's routes, read from the URL configuration the way Django's resolver joins them."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.views import APIView

UNSAFE_METHODS = ("POST", "PUT", "PATCH", "DELETE")


@dataclass(frozen=True)
class Route:
    key: str  # the route's name (namespaced), or its pattern when it has none
    pattern: str  # the full pattern, joined as Django's resolver joins it
    callback: object

    @property
    def openapi_path(self) -> str:
        """`api/universes/<int:universe_id>` as the schema writes it."""
        return "/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", self.pattern)


def _join(prefix: str, pattern: str) -> str:
    # Django drops a child regex's leading "^" when it joins routes (URLResolver._join_route).
    return prefix + (pattern[1:] if pattern.startswith("^") else pattern)


def walk(patterns=None, prefix: str = "", namespace: str = "") -> list[Route]:
    """Every route, through every include (the admin's too)."""
    routes = []
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        pattern = _join(prefix, str(entry.pattern))
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            routes.extend(walk(entry.url_patterns, pattern, inner))
        elif isinstance(entry, URLPattern):
            key = f"{namespace}{entry.name}" if entry.name else pattern
            routes.append(Route(key, pattern, entry.callback))
    return routes


def api_view_class(callback) -> type[APIView] | None:
    cls = getattr(callback, "cls", None)
    return cls if isinstance(cls, type) and issubclass(cls, APIView) else None


def implemented_methods(callback) -> set[str]:
    """The HTTP methods a DRF view has a handler for (OPTIONS and HEAD left out)."""
    cls = api_view_class(callback)
    if cls is None:
        return set()
    return {method for method in ("GET", *UNSAFE_METHODS) if hasattr(cls, method.lower())}
