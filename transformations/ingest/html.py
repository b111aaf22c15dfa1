"""Web pages: the main content (title, headings, paragraphs, lists, tables), without
navigation, footers, cookie banners, ads or comments.

trafilatura finds the main content and hands back a small XML tree (`head`, `p`,
`list`/`item`, `table`/`row`/`cell`, `quote`); headings then make sections, like
Markdown. Only its extraction functions are called, on the string we were given:
nothing is ever fetched. When it finds nothing (a page that is almost all
boilerplate, or a fragment), a plain walk of <body> without scripts, styles,
navigation and footers is used instead.
"""

from __future__ import annotations

import re

import lxml.html
from lxml import etree

from transformations.ingest.builder import ParsedText
from transformations.ingest.prose import Item, sections_from_items
from transformations.ingest.text import collapse_spaces, word_count

_XML_DECLARATION_RE = re.compile(r"^\s*<\?xml[^>]*\?>", re.IGNORECASE)
_HEADING_REND_RE = re.compile(r"^h([1-6])$")
_TITLE_SEPARATOR_RE = re.compile(r"\s+[|\u2013\u2014-]\s+")
# Above this size the extractor skips its second opinion (readability and jusText
# comparisons), which doubles the time; real articles are far smaller.
FAST_EXTRACTION_CHARS = 1_000_000
_FALLBACK_DROP = (
    "script",
    "style",
    "noscript",
    "template",
    "svg",
    "nav",
    "header",
    "footer",
    "aside",
    "form",
    "iframe",
    "button",
    "select",
)
_FALLBACK_BLOCKS = frozenset({"p", "li", "blockquote", "pre", "dd", "dt", "figcaption", "tr"})
_FALLBACK_HEADINGS = {f"h{level}": level for level in range(1, 7)}


def parse_html(text: str) -> ParsedText:
    # lxml refuses a str that still declares a byte encoding (XHTML pages do).
    text = _XML_DECLARATION_RE.sub("", text, count=1)
    try:
        root = lxml.html.document_fromstring(text)
    except (etree.ParserError, ValueError):
        return ParsedText()  # nothing readable: normalise reports that no story was found
    title = page_title(root)
    items = _main_content(root, fast=len(text) > FAST_EXTRACTION_CHARS)
    extractor = "trafilatura"
    if not any(item.kind == "paragraph" for item in items):
        items = _fallback_items(root)
        extractor = "fallback"
    title, items = _lift_title(title, items)
    parsed = sections_from_items(items)
    parsed.title = title
    parsed.metadata["paragraph_count"] = sum(1 for item in items if item.kind == "paragraph")
    parsed.metadata["html_extractor"] = extractor
    return parsed


def page_title(root) -> str:
    """The story's title: og:title, else <title> without a trailing " | Site name".

    trafilatura's own metadata pass would find it too, but also hunts for dates,
    authors and licences, which takes longer than the extraction on big pages.
    """
    for declared in root.xpath("//meta[@property='og:title' or @name='twitter:title']/@content"):
        if collapse_spaces(declared):
            return collapse_spaces(declared)
    title = collapse_spaces(root.findtext(".//title") or "")
    parts = _TITLE_SEPARATOR_RE.split(title)
    return parts[0] if len(parts) > 1 and word_count(parts[0]) >= 2 else title


def _main_content(root, *, fast: bool) -> list[Item]:
    # Imported here: trafilatura (and its date and language helpers) load slowly.
    from trafilatura import bare_extraction

    try:
        # trafilatura works on its own copy of the tree; ours stays whole for the fallback.
        document = bare_extraction(
            root,
            fast=fast,
            with_metadata=False,
            include_comments=False,
            include_tables=True,
            include_images=False,
            include_links=False,
            include_formatting=False,
            deduplicate=False,
        )
    except (ValueError, TypeError, etree.LxmlError):
        return []
    if document is None or document.body is None:
        return []
    return list(_extracted_items(document.body))


def _extracted_items(container):
    """Items from trafilatura's output tree, in document order."""
    for element in container.iterchildren(tag=etree.Element):
        tag = element.tag
        if tag == "head":
            heading = _HEADING_REND_RE.match(element.get("rend", ""))
            text = _text_of(element)
            if text:
                yield Item("heading", text, int(heading.group(1)) if heading else 2)
        elif tag == "list":
            yield from _list_items(element)
        elif tag == "table":
            yield from _table_items(element)
        elif tag in ("p", "quote"):
            text = _text_of(element)
            if text:
                yield Item("paragraph", text)
        elif tag in ("div", "section"):
            yield from _extracted_items(element)
        # `code` and `graphic` are not story; anything else is inline formatting.


def _list_items(element):
    for item in element.iterchildren("item"):
        # An item's own words, then any list nested in it (its words are not repeated).
        own = [item.text or ""]
        for child in item:
            if child.tag != "list":
                own.append(_text_of(child))
            own.append(child.tail or "")
        text = collapse_spaces(" ".join(own))
        if text:
            yield Item("paragraph", text)
        for nested in item.iterchildren("list"):
            yield from _list_items(nested)


def _table_items(table):
    for row in table.iter("row"):
        cells = (_text_of(cell) for cell in row.iterchildren("cell"))
        joined = " | ".join(text for text in cells if text)
        if joined:
            yield Item("paragraph", joined)


def _text_of(element) -> str:
    return collapse_spaces(" ".join(element.itertext()))


def _lift_title(title: str, items: list[Item]) -> tuple[str, list[Item]]:
    """A lone <h1> opening the content is the page's title, not a section (as in
    Markdown); a first heading that repeats the title is dropped."""
    if not items or items[0].kind != "heading":
        return title, items
    first = items[0]
    lone_h1 = (
        first.level == 1 and sum(1 for i in items if i.kind == "heading" and i.level == 1) == 1
    )
    if first.text.casefold() == title.casefold() or lone_h1:
        return title or first.text, items[1:]
    return title, items


def _fallback_items(root) -> list[Item]:
    """Headings and block text of <body>, minus the parts that are never content."""
    body = root.find("body")
    if body is None:
        return []
    etree.strip_elements(body, *_FALLBACK_DROP, with_tail=False)
    items: list[Item] = []
    for element in body.iter(*_FALLBACK_BLOCKS, *_FALLBACK_HEADINGS):
        if element.tag in _FALLBACK_HEADINGS:
            text = _text_of(element)
            if text:
                items.append(Item("heading", text, _FALLBACK_HEADINGS[element.tag]))
        elif _inside_block(element):
            continue
        elif element.tag == "tr":
            cells = (_text_of(cell) for cell in element.iterchildren("td", "th"))
            joined = " | ".join(text for text in cells if text)
            if joined:
                items.append(Item("paragraph", joined))
        else:
            text = _text_of(element)
            if text:
                items.append(Item("paragraph", text))
    if not any(item.kind == "paragraph" for item in items):
        # No block markup at all (text in bare <div>s): one paragraph per line.
        lines = (collapse_spaces(line) for line in body.text_content().split("\n"))
        items = [Item("paragraph", line) for line in lines if line]
    return items


def _inside_block(element) -> bool:
    """A <p> inside an <li>, or a nested table's row, was already read with its parent."""
    return any(parent.tag in _FALLBACK_BLOCKS for parent in element.iterancestors())
