"""Forms for the cast page. Choices come from the cast the page already loaded, so
rendering and validating them costs no queries; the services re-check everything."""

from __future__ import annotations

from django import forms

from universes.models import Character


class _CastForm(forms.Form):
    def __init__(self, *args, characters: list[Character], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.characters_by_id = {str(c.pk): c for c in characters}

    @staticmethod
    def label_for(character: Character) -> str:
        return f"{character.name} (hidden)" if character.hidden else character.name

    def character_choices(self) -> list[tuple[str, str]]:
        return [("", "Choose…")] + [
            (pk, self.label_for(c)) for pk, c in self.characters_by_id.items()
        ]

    def character_from(self, field: str) -> Character:
        character = self.characters_by_id.get(self.cleaned_data[field])
        if character is None:
            raise forms.ValidationError("Choose a character from the list.")
        return character


class MergeForm(_CastForm):
    source = forms.ChoiceField(
        label="Merge this character",
        help_text="Its name and aliases become aliases of the one below; it leaves the cast.",
    )
    target = forms.ChoiceField(label="Into this character", help_text="Keeps its name.")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["source"].choices = self.fields["target"].choices = self.character_choices()

    def clean_source(self) -> Character:
        return self.character_from("source")

    def clean_target(self) -> Character:
        return self.character_from("target")


class SplitForm(_CastForm):
    alias = forms.ChoiceField(
        label="Alias to make a character of its own",
        help_text="Grouped by the character that has it now. The new character joins the "
        "cards where that name speaks or is mentioned.",
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # One select with a group per character: the choice names both the character
        # and the alias, so it works without JavaScript.
        self.fields["alias"].choices = [("", "Choose…")] + [
            (self.label_for(c), [(f"{pk}:{alias}", alias) for alias in c.aliases])
            for pk, c in self.characters_by_id.items()
            if c.aliases
        ]

    def clean_alias(self) -> tuple[Character, str]:
        pk, _, alias = self.cleaned_data["alias"].partition(":")
        character = self.characters_by_id.get(pk)
        if character is None:
            raise forms.ValidationError("Choose an alias from the list.")
        return character, alias


class RenameForm(_CastForm):
    character = forms.ChoiceField(label="Character to rename")
    name = forms.CharField(
        label="New name",
        max_length=Character._meta.get_field("name").max_length,
        help_text="The old name is kept as an alias.",
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["character"].choices = self.character_choices()

    def clean_character(self) -> Character:
        return self.character_from("character")
