"""Token budgets without a tokenizer.

A tokenizer such as tiktoken downloads its vocabulary at run time, which these
servers may not do, and a local model's tokenizer is unknown anyway. So tokens
are estimated from UTF-8 bytes at a deliberately pessimistic rate: English BPE
vocabularies average about four bytes a token, we count three. A request built
within the estimate therefore fits the real window with room to spare.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field

from transformations.pipeline.types import Block, BlockKind, Document

BYTES_PER_TOKEN = 3
# Role markers and separators the API adds around each message.
MESSAGE_OVERHEAD_TOKENS = 8


def estimate_tokens(text: str) -> int:
    return math.ceil(len(text.encode("utf-8")) / BYTES_PER_TOKEN)


def payload_tokens(text: str) -> int:
    """Tokens `text` costs inside a JSON payload, where quotes and newlines are escaped."""
    return math.ceil((len(json.dumps(text, ensure_ascii=False).encode("utf-8")) - 2) / 3)


def request_tokens(messages: list[dict], response_format: dict | None = None) -> int:
    """Everything a request carries into the context window, schema included."""
    total = 0
    for message in messages:
        total += MESSAGE_OVERHEAD_TOKENS
        content = message.get("content") or ""
        if isinstance(content, str):
            total += estimate_tokens(content)
        else:
            total += sum(estimate_tokens(part.get("text", "")) for part in content)
    if response_format is not None:
        total += estimate_tokens(json.dumps(response_format))
    return total


def fit_text(text: str, tokens: int) -> str:
    """`text` cut at a word boundary so it fits `tokens`, marked as cut when it was."""
    limit = tokens * BYTES_PER_TOKEN
    encoded = text.encode("utf-8")
    if len(encoded) <= limit:
        return text
    cut = encoded[: max(limit - 4, 0)].decode("utf-8", errors="ignore")
    head, space, _ = cut.rpartition(" ")
    return (head if space and len(head) > len(cut) // 2 else cut) + " …"


@dataclass
class Chunk:
    """A run of consecutive sections (or part of one long section) sent in one request."""

    sections: list[int] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)
    tokens: int = 0

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


def block_line(block: Block) -> str:
    if block.kind in (BlockKind.DIALOGUE, BlockKind.SPEAKER_TURN) and block.speaker:
        return f"{block.speaker}: {block.text}"
    if block.kind == BlockKind.PARENTHETICAL:
        return f"({block.text.strip('()')})"
    return block.text


# Room kept in every chunk for a section marker, so a piece plus its marker fits.
MARKER_TOKENS = 40


def _section_marker(document: Document, index: int) -> str:
    section = document.sections[index] if index < len(document.sections) else None
    title = (section.heading or section.title) if section else ""
    return fit_text(f"[§{index}] {title}".rstrip(), MARKER_TOKENS - 5)


def split_to_fit(line: str, tokens: int) -> list[str]:
    """A line too long for one request, in word-boundary pieces that each fit."""
    pieces, rest = [], line
    while payload_tokens(rest) > tokens:
        allowance = tokens
        piece = fit_text(rest, allowance).removesuffix(" …")
        while payload_tokens(piece) > tokens and allowance > 1:
            allowance = allowance * 4 // 5
            piece = fit_text(rest, allowance).removesuffix(" …")
        pieces.append(piece)
        rest = rest[len(piece) :].lstrip()
    if rest:
        pieces.append(rest)
    return pieces


def document_chunks(document: Document, tokens: int, blocks: list[Block] | None = None):
    """The document's text as chunks of at most `tokens` each, in order.

    Chunks break between sections where they can, inside a section when one is
    too long, and inside a block only when a single block is.
    """
    chunks: list[Chunk] = []
    current = Chunk()
    current_section = None

    def add(line: str, section: int, *, is_marker: bool = False) -> None:
        nonlocal current
        cost = payload_tokens(line) + 1  # + the escaped newline joining it
        if current.lines and current.tokens + cost > tokens:
            chunks.append(current)
            current = Chunk()
            if not is_marker:  # a section that goes on: say which it is
                add(_section_marker(document, section) + " (continued)", section, is_marker=True)
        if not current.sections or current.sections[-1] != section:
            current.sections.append(section)
        current.lines.append(line)
        current.tokens += cost

    for block in document.blocks if blocks is None else blocks:
        if block.section != current_section or not current.lines:
            current_section = block.section
            add(_section_marker(document, block.section), block.section, is_marker=True)
        for piece in split_to_fit(block_line(block), max(tokens - MARKER_TOKENS, 1)):
            add(piece, block.section)
    if current.lines:
        chunks.append(current)
    return chunks


def pack_items(items: list[str], tokens: int) -> list[list[int]]:
    """Indices of `items` grouped in order so each group's estimate fits `tokens`."""
    groups: list[list[int]] = []
    used = 0
    for index, item in enumerate(items):
        cost = payload_tokens(item) + 4  # quotes, comma and indent around it
        if groups and used + cost <= tokens:
            groups[-1].append(index)
            used += cost
        else:
            groups.append([index])
            used = cost
    return groups
