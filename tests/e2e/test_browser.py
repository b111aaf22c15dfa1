"""Browser end-to-end: a creator uploads a script in headless Chromium, watches the live
timeline fill in by polling (no reload), opens the universe and reads card 1.

The web side is pytest-django's `live_server` (a thread of this process, on the test
database); the pipeline runs in a real `manage.py run_worker` subprocess on the same
database and MEDIA_ROOT. Chromium is Debian's /usr/bin/chromium (scripts/test installs it);
without it the tests skip, except in CI, where they fail.

Screenshots land in $E2E_ARTIFACTS_DIR (default test-artifacts/e2e/), one folder per database.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.db import connection, connections

from tests.helpers import PROJECT_DIR, SAMPLES_DIR, WorkerProcess
from universes.models import Card

try:
    from playwright.sync_api import Page, expect, sync_playwright
    from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
except ImportError:  # pragma: no cover - the dev extras install it
    sync_playwright = None

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

CHROMIUM = Path("/usr/bin/chromium")
# As root on a machine with a closed network: no sandbox, no GPU, no background traffic.
# Playwright adds --headless (headless=True) and its own fresh user data dir.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS_DIR = Path(os.environ.get("E2E_ARTIFACTS_DIR") or PROJECT_DIR / "test-artifacts" / "e2e")
SCRIPT = SAMPLES_DIR / "time-spent.fountain"
USERNAME, PASSWORD = "e2e-creator", "pw-e2e-creator-123"
STEP_TIMEOUT_MS = 15_000
PIPELINE_TIMEOUT_MS = 90_000
# Set on the timeline page once it loads; a reload or navigation would wipe it.
SAME_PAGE_MARKER = "__storyEngineE2eSamePage"
FINAL_STATUSES = ("completed", "failed", "cancelled")


def _unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{reason}: the browser tests are required in CI", pytrace=False)
    pytest.skip(reason)


@dataclass
class BrowserSession:
    page: Page
    console_errors: list[str] = field(default_factory=list)

    def screenshot(self, name: str) -> Path:
        path = ARTIFACTS_DIR / connection.vendor / f"{name}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(path), full_page=True)
        return path


@pytest.fixture
def browser_session(live_server) -> Iterator[BrowserSession]:
    """A fresh headless Chromium page on the live server, recording console errors."""
    if sync_playwright is None:
        _unavailable("playwright is not installed (pip install -e '.[dev]')")
    if not os.access(CHROMIUM, os.X_OK):
        _unavailable(f"{CHROMIUM} not found (apt-get install --no-install-recommends chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            context = browser.new_context(
                base_url=live_server.url, viewport={"width": 1280, "height": 900}
            )
            context.set_default_timeout(STEP_TIMEOUT_MS)
            page = context.new_page()
            session = BrowserSession(page)
            page.on(
                "console",
                lambda message: (
                    session.console_errors.append(f"{message.text} ({message.location})")
                    if message.type == "error"
                    else None
                ),
            )
            page.on("pageerror", lambda error: session.console_errors.append(f"uncaught {error}"))
            yield session
            context.close()
        finally:
            browser.close()


@pytest.fixture
def creator(django_user_model):
    return query_db(lambda: django_user_model.objects.create_user(USERNAME, password=PASSWORD))


@pytest.fixture
def start_worker(spawn_worker, settings):
    """A real worker on the test database, sharing the live server's MEDIA_ROOT."""

    def start(**env: str) -> WorkerProcess:
        return spawn_worker(MEDIA_ROOT=str(settings.MEDIA_ROOT), **env)

    return start


def log_in(page: Page) -> None:
    page.goto("/accounts/login/")
    page.fill("#id_username", USERNAME)
    page.fill("#id_password", PASSWORD)
    page.click('main form button[type="submit"]')
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


def start_transformation(page: Page) -> None:
    """Upload the sample as a hybrid release (hook pack of 3, starting now)."""
    page.goto("/transformations/new")
    page.set_input_files("#id_file", str(SCRIPT))
    page.check('input[name="release_mode"][value="hybrid"]')
    page.fill("#id_hook_pack_count", "3")
    page.fill("#id_start_date", "")
    page.click("#start-transformation")
    page.wait_for_url(re.compile(r"/transformations/[0-9a-f-]{36}$"))
    page.evaluate(f"window.{SAME_PAGE_MARKER} = true")


def wait_for_timeline(
    page: Page, selector: str, worker: WorkerProcess, timeout_ms: int = PIPELINE_TIMEOUT_MS
) -> None:
    """Wait for `selector` on the timeline, polled in by the page itself; give up early
    when the job reaches another final state first."""
    wanted = page.locator(f"#timeline{selector}, #timeline {selector}")
    final = page.locator(", ".join(f'#timeline[data-status="{s}"]' for s in FINAL_STATUSES))
    try:
        wanted.or_(final).first.wait_for(state="attached", timeout=timeout_ms)
        if wanted.count():
            return
        problem = "the job reached a final state first"
    except PlaywrightTimeoutError:
        problem = f"not there after {timeout_ms / 1000:.0f} s"
    timeline = page.locator("#timeline")
    status = timeline.get_attribute("data-status") if timeline.count() else "missing"
    stages = page.eval_on_selector_all(
        "#timeline [data-stage]", "els => els.map(e => e.dataset.stage + ':' + e.dataset.state)"
    )
    raise AssertionError(
        f"{selector} never seen on the timeline: {problem} "
        f"(data-status={status}, stages={stages})\n--- worker log ---\n{worker.log()}"
    )


def assert_not_reloaded(page: Page) -> None:
    assert page.evaluate(f"window.{SAME_PAGE_MARKER} === true"), (
        "the timeline page was reloaded or left; it must update itself by polling"
    )


def assert_stage_states(page: Page, expected: dict[int, str]) -> None:
    expect(page.locator("#timeline [data-stage]")).to_have_count(6)
    for stage, state in expected.items():
        expect(page.locator(f'#timeline [data-stage="{stage}"]')).to_have_attribute(
            "data-state", state
        )


def query_db[T](query: Callable[[], T]) -> T:
    """Run an ORM query in a plain thread: Playwright's sync API keeps an asyncio loop
    running in the test's thread, where Django refuses database calls."""

    def run() -> T:
        try:
            return query()
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(run).result()


def normalise(text: str) -> str:
    return " ".join(text.split())


def test_upload_watch_the_live_timeline_and_read_card_one(creator, browser_session, start_worker):
    page = browser_session.page
    # Stages 3 and 4 take a little longer so the running state is reliably seen mid-run.
    worker = start_worker(STORY_ENGINE_FAULTS="3:sleep=2,4:sleep=1")

    log_in(page)
    start_transformation(page)
    timeline = page.locator("#timeline")
    assert timeline.get_attribute("data-status") in ("queued", "running")

    wait_for_timeline(page, '[data-stage="3"][data-state="running"]', worker)
    expect(timeline).to_have_attribute("data-status", "running")
    assert_stage_states(page, {0: "done", 1: "done", 2: "done", 3: "running", 5: "pending"})
    browser_session.screenshot("timeline-running")

    wait_for_timeline(page, '[data-status="completed"]', worker)
    assert_not_reloaded(page)
    assert_stage_states(page, dict.fromkeys(range(6), "done"))
    expect(page.locator("#timeline-heading")).to_contain_text("ready")
    browser_session.screenshot("timeline-completed")

    page.click("#universe-link")
    page.wait_for_url(re.compile(r"/universes/\d+$"))
    universe_id = int(page.url.rsplit("/", 1)[1])
    for day in (1, 2, 3):
        expect(page.locator(f'[data-card-day="{day}"]')).to_be_visible()
    # Card 4 exists but is scheduled for tomorrow, so it is not among the readable cards.
    expect(page.locator('[data-card-day="4"]')).not_to_be_visible()
    assert query_db(Card.objects.filter(universe_id=universe_id, day_index=4).exists)
    browser_session.screenshot("universe")

    page.click('[data-card-day="1"]')
    page.wait_for_url(re.compile(rf"/universes/{universe_id}/cards/1$"))
    card = query_db(lambda: Card.objects.get(universe_id=universe_id, day_index=1))
    assert card.scene_text.strip(), "card 1 has no scene text to show"
    expect(page.locator("h1")).to_have_text(card.title)
    scene = page.locator("main .scene")
    expect(scene).to_be_visible()
    assert normalise(scene.inner_text()) == normalise(card.scene_text)
    browser_session.screenshot("card")

    assert browser_session.console_errors == []


def test_a_failed_stage_shows_why_and_retry_finishes_by_polling(
    creator, browser_session, start_worker
):
    page = browser_session.page
    failing = start_worker(STORY_ENGINE_FAULTS="2:fail")

    log_in(page)
    start_transformation(page)
    wait_for_timeline(page, '[data-status="failed"]', failing)
    assert_not_reloaded(page)
    assert_stage_states(page, {0: "done", 1: "done", 2: "failed", 3: "pending"})
    failure = page.locator("#timeline [role=alert]")
    expect(failure).to_contain_text("This stage failed in a failure drill")
    expect(failure).not_to_contain_text("STORY_ENGINE_FAULTS")  # no developer detail
    expect(page.locator("#retry-button")).to_be_visible()
    browser_session.screenshot("timeline-failed")

    failing.signal(signal.SIGTERM)
    assert failing.wait(timeout=30) == 0, failing.log()
    worker = start_worker()

    with page.expect_navigation():
        page.click("#retry-button")
    expect(page.locator(".messages")).to_contain_text("Retrying")
    expect(page.locator("#retry-button")).to_have_count(0)
    page.evaluate(f"window.{SAME_PAGE_MARKER} = true")

    wait_for_timeline(page, '[data-status="completed"]', worker)
    assert_not_reloaded(page)
    assert_stage_states(page, dict.fromkeys(range(6), "done"))
    expect(page.locator("#universe-link")).to_be_visible()
    browser_session.screenshot("timeline-retried")

    assert browser_session.console_errors == []


def test_media_arrive_on_the_universe_page_without_a_reload(creator, browser_session, start_worker):
    page = browser_session.page
    # The cover is drawn a little late, so the page is seen before it and after it.
    worker = start_worker(ASSETS_AUTO_GENERATE="1", ASSET_FAULTS="cover sleep 4")

    log_in(page)
    start_transformation(page)
    wait_for_timeline(page, '[data-status="completed"]', worker)
    page.click("#universe-link")
    page.wait_for_url(re.compile(r"/universes/\d+$"))
    page.evaluate(f"window.{SAME_PAGE_MARKER} = true")

    cover = page.locator('[data-asset-key="cover"]')
    expect(cover).to_contain_text("on its way")
    expect(page.locator("#assets-line")).to_contain_text("Making the pictures")
    browser_session.screenshot("universe-media-coming")

    cover_image = page.locator('[data-asset-key="cover"] img')
    expect(cover_image).to_be_visible(timeout=60_000)
    page.wait_for_function(
        "document.querySelector('[data-asset-key=\"cover\"] img').naturalWidth > 0"
    )
    expect(page.locator('[data-asset-key="pdf"] a')).to_be_visible(timeout=60_000)
    expect(page.locator("#assets-line")).to_contain_text("All media are ready")
    assert_not_reloaded(page)
    thumbnail = page.locator('[data-asset-key="card_image:1"] img')
    expect(thumbnail).to_be_visible()
    browser_session.screenshot("universe-media-ready")

    page.click('[data-card-day="1"]')
    expect(page.locator(".card-figure img.card-image")).to_be_visible()
    narration = page.locator('[data-asset-key="narration:1"]')
    if shutil.which("espeak-ng"):
        expect(narration.locator("audio track[kind=captions]")).to_have_count(1)
    expect(page.locator(".activities h2")).to_have_text("Activities")
    browser_session.screenshot("card-media")
    assert browser_session.console_errors == []
