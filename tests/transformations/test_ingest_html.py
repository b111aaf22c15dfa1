"""Stage 0 for web pages: main content in, navigation, ads, banners and comments out."""

from __future__ import annotations

import socket

import pytest

from jobqueue.models import QueueStatus
from tests.helpers import reload, run_until_idle
from transformations.ingest import normalise
from transformations.pipeline.errors import IngestError
from transformations.pipeline.types import BlockKind, SourceType

NEWS_PAGE = """<!DOCTYPE html>
<html lang="en"><head>
<meta charset="utf-8">
<title>The Lighthouse Keeper | Coastal News</title>
<meta property="og:title" content="The Lighthouse Keeper">
<link rel="canonical" href="https://news.example.com/lighthouse-keeper">
<script>window.analytics = {track: function () {}}; var adSlots = ["top", "side"];</script>
<style>.cookie-banner { position: fixed; }</style>
</head><body>
<header class="site-header"><nav>
  <a href="/">Home</a> <a href="/world">World</a> <a href="/sport">Sport</a>
  <a href="/weather">Weather</a> <a href="/subscribe">Subscribe</a>
</nav></header>
<div class="cookie-banner" id="cookie-consent">We use cookies to improve your experience.
  <button>Accept all cookies</button></div>
<main><article>
<h1>The Lighthouse Keeper</h1>
<p class="byline">By Jane Roe, 3 March 2024</p>
<p>For forty years, Elias Varga climbed the 212 steps of the Kerran lighthouse every evening
at dusk. He never missed a night, not even the winter the storm took the roof off the
keeper's cottage.</p>
<div class="ad-slot"><img src="https://ads.example.com/banner.gif" alt="Advertisement"></div>
<p>His daughter Mira grew up in the lamp room, doing her homework by the turning light while
the ships passed far out in the channel.</p>
<p>When the light was automated in 2004, Elias climbed the steps one last time. Mira walked
beside him, carrying the logbook he had kept since 1964.</p>
</article>
<aside class="related"><h3>Most read</h3><ul><li><a href="/a">Ferry fares to rise</a></li>
<li><a href="/b">Harbour festival cancelled</a></li></ul></aside>
<section class="comments"><h3>Comments</h3>
<p>Great story, thanks for sharing it!</p></section>
</main>
<footer><p>© 2024 Coastal News. All rights reserved.</p>
<p><a href="/privacy">Privacy policy</a> · <a href="/terms">Terms of use</a></p></footer>
</body></html>
"""

BLOG_PAGE = """<!DOCTYPE html>
<html><head><title>Night Market Stories</title></head><body>
<nav class="menu"><a href="/">Blog</a> <a href="/about">About me</a></nav>
<div class="post">
<h1>Night Market Stories</h1>
<p>Every Friday the car park behind the station turns into a night market, and every stall
has a story.</p>
<h2>The lantern seller</h2>
<p>Ana has sold paper lanterns here for eleven years. She counts them twice before the
market opens and once more when it closes.</p>
<ul><li>Red lanterns sell first.</li><li>Blue ones are for weddings.</li></ul>
<h2>The noodle stand</h2>
<p>Mr. Okafor cooks for the stallholders before he cooks for anyone else. Nobody pays him
for that first bowl, and nobody has ever asked why.</p>
<table><tr><th>Dish</th><th>Price</th></tr><tr><td>Noodles</td><td>4</td></tr></table>
</div>
<div class="share">Share this post: Twitter Facebook Email</div>
<footer>Powered by a blog engine. Subscribe via RSS.</footer>
</body></html>
"""


def texts(document) -> list[str]:
    return [block.text for block in document.blocks]


def test_news_article_keeps_the_story_and_drops_the_boilerplate():
    document = normalise(NEWS_PAGE.encode(), filename="lighthouse.html")

    assert document.source_type == SourceType.ARTICLE
    assert document.parse_confidence >= 0.9
    assert document.title == "The Lighthouse Keeper"
    assert len(document.sections) == 1
    assert [(b.kind, b.text[:40]) for b in document.blocks[:3]] == [
        (BlockKind.PARAGRAPH, "For forty years, Elias Varga climbed the"),
        (BlockKind.PARAGRAPH, "His daughter Mira grew up in the lamp ro"),
        (BlockKind.PARAGRAPH, "When the light was automated in 2004, El"),
    ]
    everything = " ".join(texts(document))
    for boilerplate in ("Subscribe", "cookies", "Most read", "Great story", "Privacy", "track"):
        assert boilerplate not in everything
    assert document.metadata["html_extractor"] == "trafilatura"


def test_blog_headings_become_sections_with_lists_and_tables_as_paragraphs():
    document = normalise(BLOG_PAGE.encode(), filename="market.html")

    assert document.source_type == SourceType.ARTICLE
    assert document.title == "Night Market Stories"
    assert [(s.kind, s.title) for s in document.sections] == [
        ("heading", "Opening"),
        ("heading", "The lantern seller"),
        ("heading", "The noodle stand"),
    ]
    assert [(b.kind, b.text) for b in document.blocks[1:5]] == [
        (BlockKind.HEADING, "The lantern seller"),
        (
            BlockKind.PARAGRAPH,
            "Ana has sold paper lanterns here for eleven years. She counts them twice before "
            "the market opens and once more when it closes.",
        ),
        (BlockKind.PARAGRAPH, "Red lanterns sell first."),
        (BlockKind.PARAGRAPH, "Blue ones are for weddings."),
    ]
    assert texts(document)[-2:] == ["Dish | Price", "Noodles | 4"]
    assert not any("Share this post" in text or "RSS" in text for text in texts(document))


def test_nothing_is_fetched_while_parsing(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("the HTML parser tried to open a network connection")

    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)

    document = normalise(NEWS_PAGE.encode(), filename="lighthouse.html")
    assert "Elias Varga" in document.blocks[0].text


def test_page_the_extractor_gives_up_on_is_read_from_its_body(monkeypatch):
    monkeypatch.setattr("trafilatura.bare_extraction", lambda *args, **kwargs: None)

    document = normalise(BLOG_PAGE.encode(), filename="market.html")

    assert document.metadata["html_extractor"] == "fallback"
    assert document.title == "Night Market Stories"
    assert [s.title for s in document.sections][1:] == ["The lantern seller", "The noodle stand"]
    assert "Blog About me" not in " ".join(texts(document))  # the <nav> is dropped
    assert "Powered by a blog engine. Subscribe via RSS." not in texts(document)


def test_xhtml_with_an_xml_declaration_is_read():
    page = (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<html xmlns="http://www.w3.org/1999/xhtml"><head><title>Pier</title></head><body>'
        "<p>Ana ties the boat to the pier while the fog rolls in from the sea.</p>"
        "<p>Nobody rings the harbour bell tonight, and the ferry does not come.</p>"
        "</body></html>"
    )
    document = normalise(page.encode(), filename="pier.xhtml")
    assert document.source_type == SourceType.ARTICLE
    assert document.blocks[0].text.startswith("Ana ties the boat")


def test_page_without_any_text_finds_no_story():
    page = b"<!DOCTYPE html><html><head><title>x</title></head><body><nav>Home</nav></body></html>"
    with pytest.raises(IngestError) as caught:
        normalise(page)
    assert caught.value.code == "NO_STORY_FOUND"


@pytest.mark.django_db
def test_web_page_upload_completes_through_the_worker(make_job):
    job = make_job(BLOG_PAGE.encode(), filename="market.html")
    run_until_idle()
    row = reload(job)
    assert row.status == QueueStatus.COMPLETED, row.error_message_dev
    assert row.source_type == "article"
    assert row.output_universe.cards.count() >= 1
