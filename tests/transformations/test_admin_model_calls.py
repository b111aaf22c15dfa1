"""Model calls in the admin: usage per job, the calls inline and their own read-only pages."""

from __future__ import annotations

from decimal import Decimal
from html.parser import HTMLParser

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext

from transformations.models import ModelCall
from transformations.services import model_call_record

pytestmark = pytest.mark.django_db

JOBS = "/admin/transformations/transformationjob/"
CALLS = "/admin/transformations/modelcall/"
STORY = b"INT. ROOM - DAY\n\nText."


def job_url(job) -> str:
    return f"{JOBS}{job.pk}/change/"


def call_url(call) -> str:
    return f"{CALLS}{call.pk}/change/"


def record(job, **changes) -> ModelCall:
    fields = {
        "stage": 1,
        "attempt": 1,
        "purpose": "digest 1/2",
        "model": "gpt-4o-mini",
        "request_hash": "a" * 64,
        "idempotency_key": "k",
        "messages": [{"role": "system", "content": "SECRET-PROMPT"}],
        "status": "ok",
        "response_text": "RAW-ANSWER",
        "answer": {"x": 1},
        "prompt_tokens": 100,
        "completion_tokens": 20,
        "cost_usd": Decimal("0.000027"),
        "duration_ms": 5,
    }
    return model_call_record(job=job, **{**fields, **changes})


@pytest.fixture
def staff_client(client, staff_user):
    """Staff who may view jobs and model calls, as a support role would be set up."""
    staff_user.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_transformationjob", "view_modelcall"])
    )
    client.force_login(staff_user)
    return client


class TableRows(HTMLParser):
    """The text of each cell, row by row, of the first table with a given class."""

    def __init__(self, table_class: str) -> None:
        super().__init__()
        self.table_class = table_class
        self.depth = 0
        self.rows: list[list[str]] = []
        self.cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "table" and (self.depth or self.table_class in (dict(attrs).get("class") or "")):
            self.depth += 1
        elif self.depth and tag == "tr":
            self.rows.append([])
        elif self.depth and tag in ("td", "th"):
            self.cell = []

    def handle_endtag(self, tag):
        if tag == "table" and self.depth:
            self.depth -= 1
            if not self.depth:
                self.table_class = "\0"  # only the first matching table
        elif self.depth and tag in ("td", "th") and self.cell is not None:
            self.rows[-1].append("".join(self.cell).strip())
            self.cell = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)


def table_rows(page: str, table_class: str) -> list[list[str]]:
    parser = TableRows(table_class)
    parser.feed(page)
    return parser.rows


def test_job_page_shows_model_usage_per_stage_and_in_total(staff_client, make_job):
    job = make_job(STORY)
    record(job)
    record(job, purpose="digest 2/2", prompt_tokens=1_200, completion_tokens=30)
    record(job, stage=2, purpose="theme", prompt_tokens=50, completion_tokens=7, cost_usd=None)

    response = staff_client.get(job_url(job))

    assert response.status_code == 200
    assert table_rows(response.content.decode(), "model-usage") == [
        ["Stage", "Calls", "Prompt tokens", "Completion tokens", "Estimated cost"],
        ["1 · read", "2", "1,300", "50", "$0.000054"],
        ["2 · identify", "1", "50", "7", "unknown"],
        ["Total", "3", "1,350", "57", "$0.000054"],
    ]


def test_job_page_says_when_no_model_was_called(staff_client, make_job):
    job = make_job(STORY)

    content = staff_client.get(job_url(job)).content.decode()

    assert "No model calls (local engine)" in content
    assert table_rows(content, "model-usage") == []


def test_job_page_lists_its_calls_read_only_with_links_to_each(staff_client, make_job):
    job = make_job(STORY)
    first = record(job)
    second = record(job, stage=5, attempt=2, purpose="card 3", status="invalid", cost_usd=None)
    record(make_job(b"another story"), purpose="someone else's call")

    content = staff_client.get(job_url(job)).content.decode()

    assert "Model calls (staff only)" in content
    assert f'href="{call_url(first)}"' in content
    assert f'href="{call_url(second)}"' in content
    assert "card 3" in content
    assert "5 · craft" in content
    assert "invalid answer" in content
    assert "someone else&#x27;s call" not in content
    # Only the call's own page shows what was sent and received.
    assert "SECRET-PROMPT" not in content
    assert "RAW-ANSWER" not in content
    # View only: nothing to add, delete or save.
    assert 'name="model_calls-MAX_NUM_FORMS" value="0"' in content
    assert 'name="model_calls-0-purpose"' not in content
    assert "model_calls-0-DELETE" not in content
    assert 'name="_save"' not in content


def test_call_list_shows_calls_with_a_link_to_their_job(staff_client, make_job):
    job = make_job(STORY)
    call = record(job, status="error", error_code="RATE_LIMITED", cost_usd=None)

    response = staff_client.get(CALLS)

    assert response.status_code == 200
    content = response.content.decode()
    assert f'href="{call_url(call)}"' in content
    assert f'href="{job_url(job)}"' in content
    assert "digest 1/2" in content
    assert "RATE_LIMITED" in content
    assert "unknown" in content


def test_call_page_shows_the_prompt_and_raw_answer_to_staff(staff_client, make_job):
    call = record(make_job(STORY), response_text='{"x": 1} <b>bold</b>')

    response = staff_client.get(call_url(call))

    assert response.status_code == 200
    content = response.content.decode()
    assert "SECRET-PROMPT" in content
    assert "[\n  {\n    &quot;role&quot;: &quot;system&quot;," in content  # pretty-printed JSON
    assert "&lt;b&gt;bold&lt;/b&gt;" in content  # the model's text is escaped, never rendered
    assert "<b>bold</b>" not in content
    assert "{\n  &quot;x&quot;: 1\n}" in content
    assert 'name="_save"' not in content


def test_call_search_finds_a_job_by_full_id_and_calls_by_purpose_or_error(staff_client, make_job):
    job = make_job(STORY)
    other = make_job(b"another story")
    wanted = record(job, purpose="card 1")
    failed = record(other, purpose="theme", status="error", error_code="TIMEOUT")

    def found(term: str) -> list[ModelCall]:
        return list(staff_client.get(CALLS, {"q": term}).context["cl"].queryset)

    assert found(str(job.pk)) == [wanted]
    assert found("TIMEOUT") == [failed]
    assert found("card") == [wanted]
    assert found("not-a-uuid") == []


def test_calls_cannot_be_added_or_changed_and_only_superusers_delete_them(
    staff_client, admin_client, make_job
):
    call = record(make_job(STORY))
    post = {"purpose": "tampered", "stage": 1, "attempt": 1, "status": "ok"}

    assert staff_client.get(f"{CALLS}add/").status_code == 403
    assert staff_client.post(call_url(call), post).status_code == 403
    assert staff_client.get(f"{CALLS}{call.pk}/delete/").status_code == 403
    assert admin_client.get(f"{CALLS}add/").status_code == 403
    assert admin_client.post(call_url(call), post).status_code == 403
    assert ModelCall.objects.get(pk=call.pk).purpose == "digest 1/2"

    admin_client.post(f"{CALLS}{call.pk}/delete/", {"post": "yes"})

    assert not ModelCall.objects.filter(pk=call.pk).exists()


def test_creators_are_sent_to_the_admin_login_and_never_see_a_prompt(client, user, make_job):
    job = make_job(STORY)
    call = record(job)
    client.force_login(user)

    for url in (CALLS, call_url(call), job_url(job)):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/")
        followed = client.get(url, follow=True).content.decode()
        assert "SECRET-PROMPT" not in followed
        assert "RAW-ANSWER" not in followed


def test_staff_without_the_model_call_permission_see_usage_but_no_calls(
    client, staff_user, make_job
):
    staff_user.user_permissions.add(Permission.objects.get(codename="view_transformationjob"))
    job = make_job(STORY)
    call = record(job)
    client.force_login(staff_user)

    content = client.get(job_url(job)).content.decode()

    assert table_rows(content, "model-usage")[-1] == ["Total", "1", "100", "20", "$0.000027"]
    assert f'href="{call_url(call)}"' not in content
    assert client.get(call_url(call)).status_code == 403


def count_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_query_counts_do_not_grow_with_the_number_of_calls(staff_client, make_job):
    job = make_job(STORY)
    record(job)
    urls = (JOBS, job_url(job), CALLS)
    for url in urls:  # warm the per-process caches (content types) first
        staff_client.get(url)
    with_one_call = [count_queries(staff_client, url) for url in urls]

    for n in range(15):
        record(job, stage=n % 6, purpose=f"card {n}")
        record(make_job(STORY + str(n).encode()), purpose=f"other {n}")

    assert [count_queries(staff_client, url) for url in urls] == with_one_call
