"""Fixtures for the security tests: a finished universe made by the real pipeline."""

from __future__ import annotations

import pytest

from assets.models import AssetJob
from jobqueue.models import QueueStatus
from tests.assets.support import run_assets
from tests.helpers import reload, run_until_idle


@pytest.fixture
def superuser(django_user_model):
    return django_user_model.objects.create_superuser(
        "root", email="root@example.com", password="pw-root-123"
    )


@pytest.fixture
def finished_universe(settings, make_job, time_spent_script):
    """The owner's Time Spent universe with every asset job run, so asset URLs exist.

    Narration is skipped on purpose (no synthesiser), so the run does not depend on
    whether espeak-ng happens to be installed.
    """
    settings.ASSETS_AUTO_GENERATE = True
    settings.ESPEAK_BINARY = "espeak-ng-is-not-installed-here"
    job = make_job(time_spent_script)
    run_until_idle()
    run_assets()
    job = reload(job)
    assert job.status == QueueStatus.COMPLETED, job.error_message_dev
    universe = job.output_universe
    assert AssetJob.objects.filter(universe=universe, status=QueueStatus.COMPLETED).exists()
    return universe


@pytest.fixture
def unthrottled(settings):
    """Quotas and burst limits would turn most generated writes into 429s; they have their
    own tests (tests/core/test_limits.py). Off here, so requests reach the code behind them."""
    settings.QUOTA_TRANSFORMATIONS_PER_DAY = 0
    settings.QUOTA_STORAGE_BYTES = 0
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": dict.fromkeys(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]),
    }
