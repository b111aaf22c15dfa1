"""Fuzzed uploads through the real HTTP stack: the API, the upload page and then the worker.

Bodies are built by hand, byte by byte, so the file name reaches Django's multipart parser
exactly as an attacker would send it (Django's test client would strip the path first).
Every answer must be a created job or a refusal in the API's error shape, never a 5xx;
nothing may be written outside MEDIA_ROOT (tmp_path/"media", tests/conftest.py), and what
is written there is stored under a name of ours (transformations/models.py), never the
creator's. The worker then ends each accepted upload completed, or failed with a code
other than INTERNAL_ERROR.
"""

from __future__ import annotations

import re
import time
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings as django_settings
from django.test import Client
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

from jobqueue.models import QueueStatus
from tests.helpers import PROJECT_DIR, reload, run_until_idle, token_client
from transformations.models import TransformationJob
from transformations.services import PASTED_TEXT_FILENAME

pytestmark = pytest.mark.django_db

FUZZ = settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
# Small enough that the cut samples sometimes exceed it: the 413 paths run too (the
# middleware's, from Content-Length, and the view's, from the file's size).
UPLOAD_LIMIT = 8_000

SAMPLES = [
    *sorted(
        path
        for folder in (PROJECT_DIR / "samples" / "time-spent", PROJECT_DIR / "corpus")
        for path in folder.iterdir()
        if path.is_file() and not path.name.endswith((".json", ".py", ".md", ".gitattributes"))
    ),
    PROJECT_DIR / "samples" / "time-spent" / "time-spent.storypack.json",
]
PASTED = "INT. ROOM - DAY\n\nBOB\nHello."

HOSTILE_NAMES = [
    "../../etc/passwd",
    "../../../../../../tmp/escaped.txt",
    "/etc/passwd",
    "/tmp/absolute.txt",
    "..\\..\\windows\\win.ini",
    "C:\\Windows\\System32\\drivers\\etc\\hosts",
    "....//....//escaped.txt",
    "%2e%2e%2f%2e%2e%2fescaped.txt",
    "story\x00.pdf",
    "\x00",
    "..",
    ".",
    "",
    " ",
    "CON",
    "nul.txt",
    "story.txt\u202eexe.pdf",
    "\U0001f600\U0001f600",
    "字" * 200 + ".txt",
    "é" * 300,
    "a" * 5000 + ".fountain",
    "media/../../escaped.txt",
    'quote".txt',
    "line\r\nbreak.txt",
    "semi;colon=.txt",
]

NAMES = st.one_of(
    st.sampled_from(HOSTILE_NAMES),
    st.text(max_size=300),
    st.builds(
        lambda prefix, name: prefix + name,
        st.sampled_from(["../", "../../", "/", "..\\", "./", "//", "\\\\server\\share\\"]),
        st.text(min_size=1, max_size=40),
    ),
)

CONTENT_TYPES = st.one_of(
    st.sampled_from(
        [
            "text/plain",
            "application/pdf",
            "application/vnd.openxmlformats-officedocument.presentationml.presentation",
            "application/octet-stream",
            "application/zip",
            "application/json",
            "image/png",
            "text/html; charset=utf-8",
            "application/x-msdownload",
            "multipart/form-data",
            "",
        ]
    ),
    st.text(alphabet=st.characters(codec="ascii", exclude_characters="\r\n"), max_size=60),
)


@st.composite
def payloads(draw) -> bytes:
    """Random bytes, or a real sample cut at a random point (the head or the tail)."""
    if draw(st.booleans()):
        return draw(st.binary(max_size=4096))
    data = draw(st.sampled_from(SAMPLES)).read_bytes()
    cut = draw(st.integers(min_value=0, max_value=len(data)))
    return data[:cut] if draw(st.booleans()) else data[cut:]


def filename_parameter(name: str, star: bool) -> bytes:
    """The file name as a browser sends it, or as RFC 5987's `filename*` for non-ASCII."""
    if star:
        return b"filename*=UTF-8''" + quote(name, safe="").encode("ascii")
    return b'filename="' + name.encode("utf-8", "surrogatepass") + b'"'


def multipart(
    *, payload: bytes, name: str, star: bool, content_type: str, fields: dict[str, str]
) -> tuple[bytes, str]:
    boundary = f"fuzz-{uuid.uuid4().hex}".encode()
    body = b""
    for field, value in fields.items():
        body += b"--" + boundary + b"\r\n"
        body += f'Content-Disposition: form-data; name="{field}"\r\n\r\n{value}\r\n'.encode()
    body += b"--" + boundary + b"\r\n"
    body += b'Content-Disposition: form-data; name="file"; ' + filename_parameter(name, star)
    body += b"\r\nContent-Type: " + content_type.encode("ascii") + b"\r\n\r\n"
    body += payload + b"\r\n--" + boundary + b"--\r\n"
    return body, f"multipart/form-data; boundary={boundary.decode()}"


# The file system invariant ---------------------------------------------------------------


def files_outside_media(tmp_path: Path) -> set[str]:
    """Everything in the test's own folder but MEDIA_ROOT, and the names beside it."""
    media = Path(django_settings.MEDIA_ROOT)
    inside = {str(p) for p in tmp_path.rglob("*") if not p.is_relative_to(media)}
    beside = {str(p) for p in tmp_path.parent.iterdir()}
    return inside | beside


def assert_media_holds_only_job_sources() -> None:
    """Every file under MEDIA_ROOT is the source of a job, stored under the job's own id."""
    media = Path(django_settings.MEDIA_ROOT).resolve()
    stored = {
        str(path.relative_to(media))
        for path in media.rglob("*")
        if path.is_file() or path.is_symlink()
    }
    sources = set(TransformationJob.objects.values_list("source_file", flat=True))
    assert stored <= sources, f"files no job points at: {stored - sources}"
    for name in stored:
        assert re.fullmatch(r"sources/[0-9a-f-]{36}/source(\.[a-z0-9]{1,10})?", name), name


def assert_stored_safely(job: TransformationJob, payload: bytes) -> None:
    media = Path(django_settings.MEDIA_ROOT).resolve()
    path = (media / job.source_file.name).resolve()
    assert path.is_relative_to(media / "sources" / str(job.pk))
    assert path.read_bytes() == payload
    assert len(job.source_filename) <= 255


@pytest.fixture
def small_uploads(settings, unthrottled):
    settings.UPLOAD_MAX_BYTES = UPLOAD_LIMIT


# Tests -----------------------------------------------------------------------------------


def test_every_hostile_file_name_is_stored_under_a_name_of_ours(small_uploads, user, tmp_path):
    """Each name on the list, for certain (the fuzzing below samples them): the long CJK
    and the emoji-only names were 500s when the creator's name was the storage name."""
    before = files_outside_media(tmp_path)
    for index, name in enumerate(HOSTILE_NAMES):
        payload = f"INT. ROOM {index} - DAY\n\nBOB\nHello.".encode()
        for star in (False, True):
            body, body_type = multipart(
                payload=payload, name=name, star=star, content_type="text/plain", fields={}
            )
            response = token_client(user).generic(
                "POST", "/api/transformations", body, content_type=body_type
            )
            assert response.status_code in (201, 400), (name, response.content[:300])
            if response.status_code == 201:
                job = TransformationJob.objects.get(pk=response.json()["jobId"])
                assert_stored_safely(job, payload)
            else:
                # A name the parser cannot use drops the file ("send a file or text"); a raw
                # line break in it breaks the body's headers.
                assert response.json()["code"] in ("VALIDATION_ERROR", "MALFORMED_REQUEST")
    assert files_outside_media(tmp_path) == before
    assert_media_holds_only_job_sources()


@FUZZ
@given(
    payload=payloads(),
    name=NAMES,
    star=st.booleans(),
    content_type=CONTENT_TYPES,
    with_text=st.booleans(),
)
def test_api_uploads_end_in_a_job_or_a_coded_refusal_and_stay_in_media(
    small_uploads, user, tmp_path, payload, name, star, content_type, with_text
):
    before = files_outside_media(tmp_path)
    body, body_type = multipart(
        payload=payload,
        name=name,
        star=star,
        content_type=content_type,
        fields={"text": PASTED} if with_text else {},
    )

    response = token_client(user).generic(
        "POST", "/api/transformations", body, content_type=body_type
    )
    event(f"status {response.status_code}")  # shown by --hypothesis-show-statistics

    assert response.status_code < 500, response.content[:300]
    answer = response.json()
    if response.status_code == 201:
        job = TransformationJob.objects.get(pk=answer["jobId"])
        # A name Django's parser cannot use (empty, "..") drops the file: the text is the source.
        pasted = job.source_filename == PASTED_TEXT_FILENAME
        assert not pasted or with_text
        assert_stored_safely(job, PASTED.encode() if pasted else payload)
    else:
        assert response.status_code in (400, 413, 415), response.status_code
        assert isinstance(answer["detail"], str) and answer["detail"]
        assert isinstance(answer["code"], str) and answer["code"]
    assert files_outside_media(tmp_path) == before
    assert_media_holds_only_job_sources()


@FUZZ
@given(payload=payloads(), name=NAMES, star=st.booleans(), content_type=CONTENT_TYPES)
def test_page_uploads_end_in_a_timeline_or_the_form_and_stay_in_media(
    small_uploads, user, tmp_path, payload, name, star, content_type
):
    before = files_outside_media(tmp_path)
    body, body_type = multipart(
        payload=payload,
        name=name,
        star=star,
        content_type=content_type,
        fields={"hook_pack_count": "3", "release_mode": "hybrid"},
    )
    client = Client()
    client.force_login(user)

    response = client.generic("POST", "/transformations/new", body, content_type=body_type)
    event(f"status {response.status_code}")

    # 400: a body Django's multipart parser refuses (a raw line break in the file name).
    assert response.status_code in (200, 302, 400, 413), response.status_code
    if response.status_code == 302:
        job_id = re.fullmatch(r"/transformations/([0-9a-f-]{36})", response["Location"])[1]
        assert_stored_safely(TransformationJob.objects.get(pk=job_id), payload)
    elif response.status_code == 200:
        assert b'class="errorlist' in response.content  # the form again, with the reason
    assert files_outside_media(tmp_path) == before
    assert_media_holds_only_job_sources()


@settings(FUZZ, max_examples=12)
@given(payload=payloads(), name=NAMES, content_type=CONTENT_TYPES)
def test_the_worker_ends_each_fuzzed_upload_completed_or_failed_with_a_code(
    small_uploads, user, tmp_path, payload, name, content_type
):
    body, body_type = multipart(
        payload=payload, name=name, star=False, content_type=content_type, fields={}
    )
    response = token_client(user).generic(
        "POST", "/api/transformations", body, content_type=body_type
    )
    assume(response.status_code == 201)
    job = TransformationJob.objects.get(pk=response.json()["jobId"])

    # Transient failures come back after a short backoff (tests/conftest.py makes it tiny).
    deadline = time.monotonic() + 60
    while reload(job).status in (QueueStatus.QUEUED, QueueStatus.RUNNING):
        assert time.monotonic() < deadline, "the job never ended"
        run_until_idle()
        time.sleep(0.02)

    job = reload(job)
    event(f"{job.status} {job.error_code}")
    assert job.status in (QueueStatus.COMPLETED, QueueStatus.FAILED), job.status
    if job.status == QueueStatus.FAILED:
        assert job.error_code and job.error_code != "INTERNAL_ERROR", job.error_message_dev
        assert job.error_message_user.strip()
    assert_media_holds_only_job_sources()
