"""Media in S3-compatible object storage: a real S3 API (moto's server) on 127.0.0.1."""

from __future__ import annotations

import io
import socket
import subprocess
import sys
import time

import boto3
import pytest
from django.core.files.storage import default_storage, storages
from PIL import Image

from assets.models import AssetJob, AssetStatus
from tests.assets.support import run_assets

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

BUCKET = "storyengine-test-media"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def s3_server():
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.1)
    yield url
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture
def s3_media(settings, s3_server):
    """STORAGES as settings.py builds it when MEDIA_S3_BUCKET is set."""
    client = boto3.client(
        "s3",
        endpoint_url=s3_server,
        aws_access_key_id="test",
        aws_secret_access_key="test",
        region_name="us-east-1",
    )
    client.create_bucket(Bucket=BUCKET)
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": BUCKET,
                "endpoint_url": s3_server,
                "region_name": "us-east-1",
                "access_key": "test",
                "secret_key": "test",
                "default_acl": "private",
                "querystring_auth": True,
                "file_overwrite": True,
            },
        },
    }
    storages._storages.pop("default", None)
    default_storage._wrapped = storages["default"]
    yield client
    storages._storages.pop("default", None)
    default_storage._wrapped = storages["default"]


def test_settings_choose_object_storage_when_a_bucket_is_named():
    code = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='storyengine.settings'; "
        "django.setup(); from django.core.files.storage import storages; "
        "s = storages['default']; "
        "print(type(s).__name__, s.bucket_name, s.endpoint_url, s.file_overwrite, s.default_acl)"
    )
    env = {
        "MEDIA_S3_BUCKET": "media-bucket",
        "MEDIA_S3_ENDPOINT_URL": "https://example.r2.cloudflarestorage.com",
        "PATH": "/usr/bin:/bin",
    }
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert result.stdout.split() == [
        "S3Storage",
        "media-bucket",
        "https://example.r2.cloudflarestorage.com",
        "True",
        "private",
    ]


def test_assets_are_stored_in_the_bucket_and_served_to_the_owner(
    s3_media, time_spent_universe, client, user
):
    run_assets()

    cover = AssetJob.objects.get(universe=time_spent_universe, key="cover")
    assert cover.asset_status == AssetStatus.READY
    stored = s3_media.list_objects_v2(Bucket=BUCKET)["Contents"]
    names = {item["Key"] for item in stored}
    assert cover.files["main"]["path"] in names
    assets = {name for name in names if name.startswith(f"universes/{time_spent_universe.pk}/")}
    assert len(assets) == sum(
        len(job.files) for job in AssetJob.objects.filter(universe=time_spent_universe)
    )
    assert names - assets == {time_spent_universe.source_job.source_file.name}
    # The bucket is private: an anonymous request to the object is refused.
    head = s3_media.get_object_acl(Bucket=BUCKET, Key=cover.files["main"]["path"])
    assert all(
        grant["Grantee"].get("URI", "").endswith("AllUsers") is False for grant in head["Grants"]
    )

    client.force_login(user)
    from assets.selectors import asset_file_url

    response = client.get(asset_file_url(cover))
    assert response.status_code == 200
    image = Image.open(io.BytesIO(b"".join(response.streaming_content)))
    assert image.size == (1200, 1600)
