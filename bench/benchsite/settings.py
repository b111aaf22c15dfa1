"""The product's settings, plus the bench app and the bench URL conf."""

from storyengine.settings import *  # noqa: F403
from storyengine.settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "benchsite.apps.BenchSiteConfig"]
ROOT_URLCONF = "benchsite.urls"
