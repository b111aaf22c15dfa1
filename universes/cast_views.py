"""Creator pages for the cast (merge, split, rename, hide, undo) and the scene breakdown.

The owner edits; staff may look. Every edit is a POST that calls one service and
redirects back with a message; a refused edit re-renders the page with the error next
to the field it concerns.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from core.errors import ApplicationError
from universes.breakdown import scene_breakdown, scene_breakdown_csv
from universes.cast_forms import MergeForm, RenameForm, SplitForm
from universes.cast_services import (
    cast_edit_undo,
    character_hide,
    character_merge,
    character_rename,
    character_split_alias,
    character_unhide,
)
from universes.selectors import (
    cast_edit_latest_undoable,
    cast_edit_list,
    character_list_for_cast,
    universe_list_editable,
    universe_list_visible,
)

# Which form field a refused edit is about, so the message can sit next to it.
ERROR_FIELDS = {
    "CANNOT_MERGE_INTO_SELF": "target",
    "ALIAS_NOT_FOUND": "alias",
    "NAME_TAKEN": "name",
    "NAME_REQUIRED": "name",
    "NAME_TOO_LONG": "name",
    "NAME_UNCHANGED": "name",
}


@login_required
def universe_cast(request, universe_id):
    universe = get_object_or_404(universe_list_visible(user=request.user), pk=universe_id)
    return _render_cast(request, universe)


@login_required
@require_POST
def universe_cast_merge(request, universe_id):
    return _submit(
        request,
        universe_id,
        MergeForm,
        lambda universe, data: character_merge(
            universe=universe, source=data["source"], target=data["target"], user=request.user
        ),
    )


@login_required
@require_POST
def universe_cast_split(request, universe_id):
    def split(universe, data):
        character, alias = data["alias"]
        return character_split_alias(
            universe=universe, character=character, alias=alias, user=request.user
        )

    return _submit(request, universe_id, SplitForm, split)


@login_required
@require_POST
def universe_cast_rename(request, universe_id):
    return _submit(
        request,
        universe_id,
        RenameForm,
        lambda universe, data: character_rename(
            universe=universe, character=data["character"], name=data["name"], user=request.user
        ),
    )


@login_required
@require_POST
def universe_cast_hide(request, universe_id, character_id):
    return _press(request, universe_id, character_id, character_hide)


@login_required
@require_POST
def universe_cast_unhide(request, universe_id, character_id):
    return _press(request, universe_id, character_id, character_unhide)


@login_required
@require_POST
def universe_cast_undo(request, universe_id, edit_id):
    universe = get_object_or_404(universe_list_editable(user=request.user), pk=universe_id)
    edit = get_object_or_404(universe.cast_edits, pk=edit_id)
    try:
        cast_edit_undo(universe=universe, edit=edit, user=request.user)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"Undid: {edit.summary}.")
    return redirect("universe-cast", universe_id=universe.pk)


@login_required
def universe_breakdown(request, universe_id):
    universe = get_object_or_404(universe_list_visible(user=request.user), pk=universe_id)
    return render(
        request,
        "universes/breakdown.html",
        {"universe": universe, "rows": scene_breakdown(universe=universe)},
    )


@login_required
def universe_breakdown_csv(request, universe_id):
    universe = get_object_or_404(universe_list_visible(user=request.user), pk=universe_id)
    response = HttpResponse(
        scene_breakdown_csv(scene_breakdown(universe=universe)),
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="{universe.slug}-breakdown.csv"'
    return response


def _submit(request, universe_id, form_class, apply):
    """Validate a cast form and apply it; on refusal, show the page with the error."""
    universe = get_object_or_404(universe_list_editable(user=request.user), pk=universe_id)
    characters = list(character_list_for_cast(universe=universe))
    form = form_class(request.POST, characters=characters)
    status = 400
    if form.is_valid():
        try:
            edit = apply(universe, form.cleaned_data)
        except ApplicationError as error:
            field = ERROR_FIELDS.get(error.code)
            form.add_error(field if field in form.fields else None, error.message)
            status = error.status_code
        else:
            messages.success(request, f"{edit.summary}.")
            return redirect("universe-cast", universe_id=universe.pk)
    messages.error(request, "That change was not made: see the form below.")
    return _render_cast(request, universe, characters, bound_form=form, status=status)


def _press(request, universe_id, character_id, apply):
    """A one-button edit on one character (hide, unhide)."""
    universe = get_object_or_404(universe_list_editable(user=request.user), pk=universe_id)
    character = get_object_or_404(universe.characters, pk=character_id)
    try:
        edit = apply(universe=universe, character=character, user=request.user)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"{edit.summary}.")
    return redirect("universe-cast", universe_id=universe.pk)


def _render_cast(request, universe, characters=None, *, bound_form=None, status=200):
    if characters is None:
        characters = list(character_list_for_cast(universe=universe))
    forms = {
        form_class: form_class(characters=characters)
        for form_class in (MergeForm, SplitForm, RenameForm)
    }
    if bound_form is not None:
        forms[type(bound_form)] = bound_form
    return render(
        request,
        "universes/cast.html",
        {
            "universe": universe,
            "characters": characters,
            "can_edit": universe.owner_id == request.user.pk,
            "merge_form": forms[MergeForm],
            "split_form": forms[SplitForm],
            "rename_form": forms[RenameForm],
            "edits": cast_edit_list(universe=universe),
            "latest_undoable": cast_edit_latest_undoable(universe=universe),
        },
        status=status,
    )
