"""Who may read and change what: every URL the project serves × five kinds of visitor.

The routes come from the URL configuration itself (`get_resolver()`, walked through every
include: pages, API, schema and docs, the admin). Each one needs a rule below saying what
an anonymous visitor, another user, the owner, a staff member and a superuser get, per
method. A new route without a rule fails `test_every_route_has_a_rule` with its name, so
nobody can add an endpoint without deciding who may use it.

Product rules the table encodes (docs/SECURITY.md):
- pages send anonymous visitors to the login page; the API answers them 401;
- a job or universe of another user is 404 (never 403), on pages and in the API;
- staff read every job and universe; changes to a universe (assets, portraits, cast) are
  the owner's alone (API: 403 NOT_OWNER for staff; cast pages: 404), and retrying or
  cancelling another creator's job takes the admin's permission to change jobs;
- an API method a view has no handler for is 405 (401 when anonymous), and every API
  refusal is {"detail", "code"};
- the admin is for staff; `is_staff` alone opens no model page (403), a superuser all.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.urls import resolve
from rest_framework.authtoken.models import Token

from assets.models import AssetJob, AssetType
from assets.services import portrait_request
from assets.views import asset_file
from jobqueue.models import WorkerHeartbeat
from tests.helpers import reload, token_client
from tests.security.routes import UNSAFE_METHODS, Route, api_view_class, implemented_methods, walk
from transformations.models import ModelCall
from universes.cast_services import character_rename

pytestmark = pytest.mark.django_db

ROLES = ("anonymous", "other", "owner", "staff", "superuser")


@dataclass(frozen=True)
class Redirect:
    """A 302 whose Location starts with `to`."""

    to: str

    def __str__(self) -> str:
        return f"302→{self.to}"


LOGIN = Redirect("/accounts/login/")
ADMIN_LOGIN = Redirect("/admin/login/")
ADMIN = Redirect("/admin/")
HOME = Redirect("/")


def each(anonymous, other, owner, staff, superuser=None) -> tuple:
    """Expected answers in ROLES order; a superuser gets what staff get unless told."""
    return (anonymous, other, owner, staff, staff if superuser is None else superuser)


def everyone(expected) -> tuple:
    return each(expected, expected, expected, expected)


# Reusable rows -----------------------------------------------------------------------------
OWNER_PAGE = {"GET": each(LOGIN, 404, 200, 200)}


def owner_action(*, owner, staff, superuser=None) -> dict:
    """A POST-only page action on the owner's object (GET answers 405 once logged in)."""
    return {"GET": each(LOGIN, 405, 405, 405), "POST": each(LOGIN, 404, owner, staff, superuser)}


API_OWNER_READ = {"GET": each(401, 404, 200, 200)}


def api_owner_change(*, owner) -> dict:
    # Staff may read a universe but not change it: 403 with code NOT_OWNER.
    return {"POST": each(401, 404, owner, 403)}


RULES: dict[str, dict[str, tuple]] = {
    # Site pages and accounts.
    "home": {"GET": everyone(200)},
    "healthz": {"GET": everyone(200)},
    # Staff (or a METRICS_TOKEN bearer); everyone else gets the ordinary 404.
    "metrics": {"GET": each(404, 404, 404, 200)},
    "login": {"GET": everyone(200), "POST": everyone(200)},
    "logout": {"GET": everyone(405), "POST": everyone(HOME)},
    "signup": {"GET": each(200, HOME, HOME, HOME), "POST": each(200, HOME, HOME, HOME)},
    # Creator pages: transformations.
    "transformation-new": {"GET": each(LOGIN, 200, 200, 200), "POST": each(LOGIN, 200, 200, 200)},
    "transformation-detail": OWNER_PAGE,
    # A completed job can be neither retried nor cancelled: the page says so and redirects.
    # Staff need the admin's permission to change jobs (a superuser has it).
    "transformation-retry": owner_action(owner=302, staff=404, superuser=302),
    "transformation-cancel": owner_action(owner=302, staff=404, superuser=302),
    # Creator pages: universes.
    "universe-detail": OWNER_PAGE,
    "card-detail": OWNER_PAGE,
    "character-detail": OWNER_PAGE,
    "location-detail": OWNER_PAGE,
    "universe-cast": OWNER_PAGE,
    "universe-breakdown": OWNER_PAGE,
    "universe-breakdown-csv": OWNER_PAGE,
    # Cast edits: the owner's empty form is refused with 400; staff may look, not edit.
    "universe-cast-merge": owner_action(owner=400, staff=404),
    "universe-cast-split": owner_action(owner=400, staff=404),
    "universe-cast-rename": owner_action(owner=400, staff=404),
    "universe-cast-hide": owner_action(owner=302, staff=404),
    "universe-cast-unhide": owner_action(owner=302, staff=404),
    "universe-cast-undo": owner_action(owner=302, staff=404),
    # Asset files: streamed only to who may read the universe (GET only, even anonymous).
    "asset-file": {"GET": each(LOGIN, 404, 200, 200), "POST": everyone(405)},
    # API.
    "api-transformations": {"GET": each(401, 200, 200, 200), "POST": each(401, 400, 400, 400)},
    "api-transformation": API_OWNER_READ,
    # Completed jobs: 409, which proves the owner got past the permission check. Staff read
    # every job but change one only with the admin's permission (a superuser has it).
    "api-transformation-retry": {"POST": each(401, 404, 409, 403, 409)},
    "api-transformation-cancel": {"POST": each(401, 404, 409, 403, 409)},
    "api-universes": {"GET": each(401, 200, 200, 200)},
    "api-universe": API_OWNER_READ,
    "api-universe-cards": API_OWNER_READ,
    "api-universe-assets": API_OWNER_READ,
    # Empty bodies: the owner's request is refused as invalid (400), after authorisation.
    "api-universe-assets-regenerate": api_owner_change(owner=400),
    "api-character-portraits": api_owner_change(owner=400),
    "api-portrait-favourite": api_owner_change(owner=400),
    # The schema and its docs page are public and read-only: they describe the API and hold
    # no data.
    "api-schema": {"GET": everyone(200), **dict.fromkeys(UNSAFE_METHODS, everyone(405))},
    "api-docs": {"GET": everyone(200), **dict.fromkeys(UNSAFE_METHODS, everyone(405))},
    # Admin site pages.
    "admin:index": {"GET": each(ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, 200)},
    "admin:queue_health": {"GET": each(ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, 200)},
    # A logged-in non-staff user sees the login form with "not authorised"; staff go in.
    "admin:login": {
        "GET": each(200, 200, 200, Redirect("/admin/")),
        "POST": everyone(200),
    },
    # Logged out already, or never staff: sent to the admin index (and from there to log in).
    "admin:logout": {
        "GET": each(ADMIN, ADMIN, ADMIN, 405),
        "POST": each(ADMIN, ADMIN, ADMIN, HOME),
    },
    "admin:password_change": {
        "GET": each(ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, 200),
        "POST": each(ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, 200),
    },
    "admin:password_change_done": {"GET": each(ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, 200)},
    # Without a model and field to search, autocomplete refuses even a superuser.
    "admin:autocomplete": {"GET": each(ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, 403)},
    "admin:jsi18n": {"GET": each(ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, 200)},
    # "View on site" from the admin: a redirect to the universe's own page (which checks).
    "admin:view_on_site": {"GET": each(ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, 302)},
    # An app's index is empty (404) for staff with no permission on its models.
    "admin:app_list": {"GET": each(ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, 404, 200)},
    "admin/(?P<url>.*)$": {"GET": each(ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, 404)},
}

# Admin model pages, generated per registered model from what a superuser may do there:
# may add, may delete, and the answer to an empty POST on the change page (200: the form
# comes back with its errors; 302: nothing on it is editable, so it saves as it was; 403: a
# read-only admin). Jobs, model calls and asset jobs are read-only so a form save never
# overwrites what a worker writes; model calls (the spend record) only a superuser deletes.
ADMIN_MODELS: dict[str, dict[str, bool | int]] = {
    "auth.group": {"add": True, "delete": True, "change_post": 200},
    "auth.user": {"add": True, "delete": True, "change_post": 200},
    "authtoken.tokenproxy": {"add": True, "delete": True, "change_post": 200},
    "jobqueue.workerheartbeat": {"add": False, "delete": True, "change_post": 302},
    "transformations.transformationjob": {"add": False, "delete": True, "change_post": 403},
    "transformations.modelcall": {"add": False, "delete": True, "change_post": 403},
    "universes.universe": {"add": True, "delete": True, "change_post": 200},
    "universes.card": {"add": True, "delete": True, "change_post": 200},
    "universes.character": {"add": True, "delete": True, "change_post": 200},
    "universes.location": {"add": True, "delete": True, "change_post": 200},
    "universes.castedit": {"add": False, "delete": True, "change_post": 403},
    "assets.assetjob": {"add": False, "delete": False, "change_post": 403},
}


def admin_model_rules() -> dict[str, dict[str, tuple]]:
    """Rules for each registered model's admin pages.

    Logged-in non-staff users are sent to the admin login like anonymous visitors;
    staff without model permissions get 403; a superuser gets the page (200, an empty
    POST re-renders the form or the delete confirmation) unless the admin forbids it.
    """
    rules = {}
    for model in admin.site._registry:
        label = model._meta.label_lower
        allowed = ADMIN_MODELS.get(label)
        if allowed is None:
            continue  # reported by test_every_admin_model_has_a_rule
        prefix = f"admin:{model._meta.app_label}_{model._meta.model_name}"

        def staff_only(superuser: int) -> tuple:
            return each(ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, 403, superuser)

        def ok(flag: bool) -> int:
            return 200 if flag else 403

        rules[f"{prefix}_changelist"] = {"GET": staff_only(200), "POST": staff_only(200)}
        rules[f"{prefix}_add"] = {
            "GET": staff_only(ok(allowed["add"])),
            "POST": staff_only(ok(allowed["add"])),
        }
        rules[f"{prefix}_history"] = {"GET": staff_only(200)}
        rules[f"{prefix}_change"] = {
            "GET": staff_only(200),
            "POST": staff_only(allowed["change_post"]),
        }
        rules[f"{prefix}_delete"] = {
            "GET": staff_only(ok(allowed["delete"])),
            "POST": staff_only(ok(allowed["delete"])),
        }
        # The bare object address only redirects to its change page (which checks).
        rules[f"admin/{model._meta.app_label}/{model._meta.model_name}/<path:object_id>/"] = {
            "GET": each(ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, 302)
        }
    rules["admin:auth_user_password_change"] = {
        "GET": each(ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, 403, 200),
        "POST": each(ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, 403, 200),
    }
    return rules


def all_rules() -> dict[str, dict[str, tuple]]:
    rules = {**RULES, **admin_model_rules()}
    # A method an API view has no handler for is 405 once authenticated: never a 404 that
    # would tell another user whether the object exists. Anonymous callers get 401 first.
    for route in walk():
        if api_view_class(route.callback) is None or route.key not in rules:
            continue
        for method in UNSAFE_METHODS:
            if method not in implemented_methods(route.callback):
                rules[route.key] = {method: each(401, 405, 405, 405), **rules[route.key]}
    return rules


# The world the rules are checked in --------------------------------------------------------


@dataclass
class World:
    users: dict  # role → user (None for the anonymous visitor)
    kwargs: dict  # URL keyword → value, where one value fits every route
    job_ids: dict  # which job a `job_id` means: "transformation", "asset", "portrait"
    keys: dict  # which slug a `key` means: "character", "location"
    admin_objects: dict  # model label → the primary key its admin pages are opened with


@pytest.fixture
def world(finished_universe, user, other_user, staff_user, superuser) -> World:
    universe = finished_universe
    characters = list(universe.characters.filter(hidden=False).order_by("-importance", "key"))
    # Pages and portraits use the lead; hide, unhide and undo act on a minor character, so
    # the owner's hide cannot turn the lead's page into a 404 halfway through the matrix.
    lead, minor = characters[0], characters[-1]
    assert lead != minor
    edit = character_rename(universe=universe, character=minor, name="Renamed Minor", user=user)
    cover = AssetJob.objects.get(universe=universe, key="cover")
    portrait = portrait_request(character=lead, style="watercolor", variants=1, run_token="matrix")
    assert portrait.asset_type == AssetType.PORTRAIT
    location = universe.locations.first()
    Token.objects.get_or_create(user=user)
    heartbeat = WorkerHeartbeat.objects.create(worker_id="host:1:matrix", hostname="host", pid=1)
    call = ModelCall.objects.create(
        job=universe.source_job,
        stage=1,
        attempt=1,
        purpose="read",
        model="gpt-4o-mini",
        request_hash="0" * 64,
        idempotency_key="matrix",
        messages=[{"role": "user", "content": "a prompt only staff may see"}],
        status="ok",
    )
    return World(
        users={
            "anonymous": None,
            "other": other_user,
            "owner": user,
            "staff": staff_user,
            "superuser": superuser,
        },
        kwargs={
            "universe_id": universe.pk,
            "day_index": universe.cards.order_by("day_index").first().day_index,
            "character_id": minor.pk,
            "edit_id": edit.pk,
            "role": "main",
            "app_label": "transformations",
            "url": "no-such-page/",
            "content_type_id": ContentType.objects.get_for_model(universe).pk,
            "id": user.pk,  # the user admin's password page
        },
        job_ids={
            "transformation": universe.source_job_id,
            "asset": cover.pk,
            "portrait": portrait.pk,
        },
        keys={"character": lead.key, "location": location.key},
        admin_objects={
            "auth.group": Group.objects.create(name="Editors").pk,
            "auth.user": user.pk,
            "authtoken.tokenproxy": user.pk,
            "jobqueue.workerheartbeat": heartbeat.pk,
            "transformations.transformationjob": universe.source_job_id,
            "transformations.modelcall": call.pk,
            "universes.universe": universe.pk,
            "universes.card": universe.cards.first().pk,
            "universes.character": lead.pk,
            "universes.location": location.pk,
            "universes.castedit": edit.pk,
            "assets.assetjob": cover.pk,
        },
    )


def route_kwargs(route: Route, world: World) -> dict:
    """Fill the route's keyword arguments from the world's objects."""
    values = {}
    for converted, grouped in re.findall(r"<(?:\w+:)?(\w+)>|\(\?P<(\w+)>", route.pattern):
        name = converted or grouped
        if name == "job_id":
            if route.callback is asset_file:
                values[name] = world.job_ids["asset"]
            elif route.key == "api-portrait-favourite":
                values[name] = world.job_ids["portrait"]
            else:
                values[name] = world.job_ids["transformation"]
        elif name == "key":
            kind = "location" if route.key == "location-detail" else "character"
            values[name] = world.keys[kind]
        elif name == "object_id":
            # "View on site" takes any object; the model pages take one of their model.
            label = "universes.universe" if route.key == "admin:view_on_site" else None
            values[name] = world.admin_objects[label or admin_label_of(route)]
        else:
            values[name] = world.kwargs[name]
    return values


def admin_label_of(route: Route) -> str:
    match = re.match(r"admin/(\w+)/(\w+)/", route.pattern)
    assert match, f"no model in admin route {route.pattern}"
    return f"{match[1]}.{match[2]}"


def route_url(route: Route, kwargs: dict) -> str:
    def fill(match: re.Match) -> str:
        return str(kwargs[match[1] or match[2]])

    path = re.sub(r"<(?:\w+:)?(\w+)>|\(\?P<(\w+)>[^)]*\)", fill, route.pattern)
    return "/" + path.replace("^", "").replace("$", "")


def client_for(role: str, world: World, url: str) -> Client:
    user = world.users[role]
    if user is None:
        return Client()
    if url.startswith("/api/"):
        return token_client(user)
    client = Client()
    client.force_login(user)
    return client


def send(client: Client, method: str, url: str):
    if method == "GET":
        return client.get(url)
    if url.startswith("/api/"):
        return client.generic(method, url, b"{}", content_type="application/json")
    return client.generic(method, url, b"", content_type="application/x-www-form-urlencoded")


def outcome(response) -> str:
    if response.status_code in (301, 302):
        return f"{response.status_code}→{response['Location']}"
    return str(response.status_code)


def matches(expected, response) -> bool:
    if isinstance(expected, Redirect):
        return response.status_code == 302 and response["Location"].startswith(expected.to)
    return response.status_code == expected


# Tests ---------------------------------------------------------------------------------------


def test_every_route_has_a_rule():
    rules = all_rules()
    missing = [route.key for route in walk() if route.key not in rules]
    assert not missing, (
        "Routes without an authorisation rule (add them to RULES in "
        f"tests/security/test_authorization_matrix.py): {missing}"
    )


def test_every_rule_names_a_route_that_exists():
    routes = {route.key for route in walk()}
    stale = [key for key in all_rules() if key not in routes]
    assert not stale, f"Rules for routes that no longer exist: {stale}"


def test_every_admin_model_has_a_rule():
    registered = {model._meta.label_lower for model in admin.site._registry}
    assert not registered - set(ADMIN_MODELS), (
        f"Admin models without a rule in ADMIN_MODELS: {sorted(registered - set(ADMIN_MODELS))}"
    )
    assert not set(ADMIN_MODELS) - registered


def test_every_method_an_api_view_implements_has_a_rule():
    rules = all_rules()
    missing = [
        f"{method} {route.key}"
        for route in walk()
        for method in implemented_methods(route.callback)
        if method not in rules.get(route.key, {})
    ]
    assert not missing, f"API methods without a rule: {missing}"


def test_every_route_answers_each_kind_of_visitor_as_its_rule_says(world):
    rules = all_rules()
    # The schema answers in its own format (YAML by default), refusals included.
    api_data_routes = {
        route.key
        for route in walk()
        if route.pattern.startswith("api/") and route.key not in ("api-schema", "api-docs")
    }
    failures = []
    for route in walk():
        rule = rules.get(route.key)
        if rule is None:
            continue  # reported by test_every_route_has_a_rule
        url = route_url(route, route_kwargs(route, world))
        assert resolve(url.split("?")[0]).route == route.pattern, f"{url} is not {route.key}"
        for method, expected_by_role in rule.items():
            for role, expected in zip(ROLES, expected_by_role, strict=True):
                response = send(client_for(role, world, url), method, url)
                if not matches(expected, response):
                    failures.append(
                        f"{method} {url} ({route.key}) as {role}: "
                        f"expected {expected}, got {outcome(response)}"
                    )
                elif route.key in api_data_routes and response.status_code >= 400:
                    # Every refusal in the API is {"detail", "code"}, whoever asks, and a 401
                    # says how to authenticate.
                    body = response.json()
                    if not (
                        isinstance(body.get("detail"), str) and isinstance(body.get("code"), str)
                    ):
                        failures.append(f"{method} {url} as {role}: error body {body}")
                    if response.status_code == 401 and "WWW-Authenticate" not in response:
                        failures.append(f"{method} {url} as {role}: 401 without WWW-Authenticate")
    assert not failures, "\n".join(failures)


def test_staff_who_may_change_jobs_in_the_admin_may_cancel_any_job_in_the_api(
    make_job, staff_user, client
):
    """The permission the admin's retry and cancel actions need opens the API's and the
    timeline's as well; without it, staff only read."""
    first, second = (
        make_job(b"INT. ROOM - DAY\n\nBOB\nHi."),
        make_job(b"INT. HALL - DAY\n\nAL\nHo."),
    )
    api = token_client(staff_user)
    assert api.post(f"/api/transformations/{first.pk}/cancel").status_code == 403

    staff_user.user_permissions.add(Permission.objects.get(codename="change_transformationjob"))
    staff_user = type(staff_user).objects.get(pk=staff_user.pk)  # a fresh permission cache

    assert (
        token_client(staff_user).post(f"/api/transformations/{first.pk}/cancel").json()["status"]
        == "cancelled"
    )
    client.force_login(staff_user)
    assert client.post(f"/transformations/{second.pk}/cancel").status_code == 302
    assert reload(second).status == "cancelled"
