from django.apps import AppConfig


class UniversesConfig(AppConfig):
    name = "universes"
