"""Fixtures for asset tests: a finished Time Spent universe whose asset jobs are queued."""

from __future__ import annotations

import pytest

from jobqueue.models import QueueStatus
from jobqueue.worker import Worker
from transformations.models import TransformationJob


@pytest.fixture
def no_espeak(settings):
    settings.ESPEAK_BINARY = "espeak-ng-is-not-installed-here"


@pytest.fixture
def time_spent_universe(settings, make_job, time_spent_script, no_espeak):
    """The universe of the Time Spent screenplay, with its asset jobs queued (not run)."""
    settings.ASSETS_AUTO_GENERATE = True
    job = make_job(time_spent_script)
    worker = Worker()
    while (
        worker.handle_one()
        and TransformationJob.objects.filter(
            pk=job.pk, status__in=(QueueStatus.QUEUED, QueueStatus.RUNNING)
        ).exists()
    ):
        pass
    job.refresh_from_db()
    assert job.status == QueueStatus.COMPLETED, job.error_message_dev
    return job.output_universe
