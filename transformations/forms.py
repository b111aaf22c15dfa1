from __future__ import annotations

from django import forms
from django.conf import settings

from transformations.engines import ready_engines
from universes.publishing import DEFAULT_HOOK_PACK_COUNT

RELEASE_MODE_CHOICES = [
    ("hybrid", "Hook pack, then one a day"),
    ("daily", "One a day from card 1"),
    ("binge", "All at once"),
]
RELEASE_MODE_HELP = {
    "hybrid": "The first cards arrive together to hook readers; the rest follow daily.",
    "daily": "Card 1 today, card 2 tomorrow, and so on: a slow, steady release.",
    "binge": "Every card is readable at once, like dropping a whole season.",
}


ENGINE_LABELS = {
    "local": (
        "Local engine",
        "Reads your story on this server, with no outside service. Same file, same result.",
    ),
    "openai": (
        "Language model",
        "Richer summaries, characters and cards written by a language model. Your text is "
        "sent to the model provider the operator configured.",
    ),
}


class TransformationForm(forms.Form):
    file = forms.FileField(
        required=False,
        help_text=(
            "Screenplay (Fountain or plain text), Markdown, prose, a transcript or a story pack."
        ),
    )
    text = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text="Or paste the text of your story here.",
        strip=False,
    )
    hook_pack_count = forms.IntegerField(
        min_value=1, max_value=10, initial=DEFAULT_HOOK_PACK_COUNT, label="Hook pack size"
    )
    release_mode = forms.ChoiceField(
        choices=RELEASE_MODE_CHOICES, initial="hybrid", widget=forms.RadioSelect
    )
    start_date = forms.DateTimeField(
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        help_text="When the first cards go live (your time). Leave empty for now.",
    )

    engine = forms.ChoiceField(required=False, widget=forms.RadioSelect)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        engines = ready_engines()
        self.fields["engine"].choices = [(name, ENGINE_LABELS[name][0]) for name in engines]
        default = settings.STORY_ENGINE if settings.STORY_ENGINE in engines else "local"
        self.fields["engine"].initial = default
        self.engine_help = {name: ENGINE_LABELS[name][1] for name in engines}

    @property
    def offers_engine_choice(self) -> bool:
        return len(self.fields["engine"].choices) > 1

    def clean(self):
        cleaned = super().clean()
        upload, text = cleaned.get("file"), (cleaned.get("text") or "").strip()
        if not upload and not text:
            self.add_error("file", "Choose a file or paste some text.")
        elif upload and text:
            self.add_error("text", "Use either a file or pasted text, not both.")
        if upload and upload.size > settings.UPLOAD_MAX_BYTES:
            limit = settings.UPLOAD_MAX_BYTES / 1_048_576
            self.add_error("file", f"This file is larger than the {limit:.0f} MB limit.")
        return cleaned
