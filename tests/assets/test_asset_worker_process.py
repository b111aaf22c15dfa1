"""Asset jobs in real `run_worker` processes: a kill mid-image leaves nothing broken."""

from __future__ import annotations

import io
import signal

import pytest
from django.core.files.storage import default_storage
from PIL import Image

from assets.models import AssetJob, AssetStatus
from assets.storage import asset_directory
from jobqueue.models import QueueStatus
from tests.helpers import wait_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def test_a_worker_killed_during_an_image_leaves_no_broken_file_and_is_rescued(
    time_spent_universe, spawn_worker
):
    cover = AssetJob.objects.get(universe=time_spent_universe, key="cover")
    # What a killed worker can leave behind: a half-written file in the asset's directory.
    leftover = f"{asset_directory(cover)}/main-000000000000.png"
    default_storage.save(leftover, io.BytesIO(b"\x89PNG\r\n\x1a\n truncated"))

    doomed = spawn_worker(ASSET_FAULTS="cover sleep 30", ESPEAK_BINARY="none-here")
    wait_for(
        lambda: AssetJob.objects.filter(pk=cover.pk, asset_status=AssetStatus.GENERATING).exists(),
        timeout=60,
        message=doomed.log(),
    )
    doomed.signal(signal.SIGKILL)
    doomed.wait(timeout=10)
    cover.refresh_from_db()
    assert cover.files == {}  # nothing referenced while it was being drawn

    rescuer = spawn_worker(ESPEAK_BINARY="none-here")
    wait_for(
        lambda: (
            not AssetJob.objects.filter(
                universe=time_spent_universe, status__in=(QueueStatus.QUEUED, QueueStatus.RUNNING)
            ).exists()
        ),
        timeout=120,
        message=rescuer.log(),
    )

    cover.refresh_from_db()
    assert cover.asset_status == AssetStatus.READY
    assert cover.rescued_count == 1 and cover.attempt == 2
    with default_storage.open(cover.files["main"]["path"], "rb") as handle:
        data = handle.read()
    assert len(data) == cover.files["main"]["size"]
    Image.open(io.BytesIO(data)).verify()
    directory = asset_directory(cover)
    assert default_storage.listdir(directory)[1] == [cover.files["main"]["path"].split("/")[-1]]
    time_spent_universe.refresh_from_db()
    assert time_spent_universe.asset_generation_status["overall"] == "ready"
