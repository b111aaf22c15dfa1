"""Token budgets: chunks of a document never exceed what one request may carry."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from transformations.engines.llm.budget import (
    document_chunks,
    fit_text,
    pack_items,
    payload_tokens,
)
from transformations.pipeline.types import Block, BlockKind, Document, Section, SourceType


def document_of(texts: list[list[str]]) -> Document:
    blocks = [
        Block(kind=BlockKind.PARAGRAPH, text=text, section=index)
        for index, section in enumerate(texts)
        for text in section
    ]
    sections = [Section(index=i, title=f"Part {i}") for i in range(len(texts))]
    return Document(
        source_type=SourceType.ARTICLE, parse_confidence=1, blocks=blocks, sections=sections
    )


def chunk_cost(chunk) -> int:
    return sum(payload_tokens(line) + 1 for line in chunk.lines)


text = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), min_size=1, max_size=3000
)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.lists(text, min_size=1, max_size=6), min_size=1, max_size=6),
    st.integers(min_value=60, max_value=800),
)
def test_chunks_fit_the_budget_and_keep_every_word_in_order(sections, tokens):
    document = document_of(sections)
    chunks = document_chunks(document, tokens)

    assert all(chunk_cost(chunk) <= tokens for chunk in chunks)
    sent = "".join(line for chunk in chunks for line in chunk.lines if not line.startswith("[§"))
    original = "".join(block.text for block in document.blocks)
    assert "".join(sent.split()) == "".join(original.split())
    covered = [s for chunk in chunks for s in chunk.sections]
    assert sorted(set(covered)) == list(range(len(sections)))


def test_a_continued_section_says_which_section_it_is():
    document = document_of([["word " * 2000]])
    chunks = document_chunks(document, 300)
    assert len(chunks) > 5
    assert chunks[0].lines[0] == "[§0] Part 0"
    assert all(chunk.lines[0] == "[§0] Part 0 (continued)" for chunk in chunks[1:])


def test_fit_text_cuts_at_a_word_and_marks_the_cut():
    cut = fit_text("one two three four five six seven eight nine ten", 5)
    assert cut.endswith(" …")
    assert len(cut.encode()) <= 5 * 3
    assert "one two" in cut and "ten" not in cut
    assert fit_text("short", 5) == "short"


def test_pack_items_keeps_order_and_the_budget():
    items = [f"summary {n} " * 20 for n in range(30)]
    groups = pack_items(items, 300)
    assert [i for group in groups for i in group] == list(range(30))
    assert len(groups) > 1
    assert all(sum(payload_tokens(items[i]) + 4 for i in group) <= 300 for group in groups)
