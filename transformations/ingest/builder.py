"""Accumulates blocks and sections in document order while a parser walks its source."""

from __future__ import annotations

from dataclasses import dataclass, field

from transformations.ingest.text import collapse_spaces
from transformations.pipeline.types import Block, BlockKind, Section


@dataclass
class ParsedText:
    """What a format parser hands back to `normalise`, before limits and checks."""

    title: str = ""
    blocks: list[Block] = field(default_factory=list)
    sections: list[Section] = field(default_factory=list)
    metadata: dict[str, str | int | float] = field(default_factory=dict)


class DocumentBuilder:
    def __init__(self) -> None:
        self.parsed = ParsedText()

    @property
    def has_section(self) -> bool:
        return bool(self.parsed.sections)

    def start_section(
        self,
        title: str,
        *,
        kind: str,
        heading: str = "",
        location: str = "",
        int_ext: str = "",
        time_of_day: str = "",
    ) -> int:
        index = len(self.parsed.sections)
        self.parsed.sections.append(
            Section(
                index=index,
                title=collapse_spaces(title) or f"Part {index + 1}",
                kind=kind,
                heading=heading,
                location=location,
                int_ext=int_ext,
                time_of_day=time_of_day,
            )
        )
        return index

    def add(self, kind: BlockKind, text: str, *, speaker: str = "") -> None:
        text = collapse_spaces(text)
        if not text:
            return
        if not self.parsed.sections:
            raise RuntimeError("start_section() must be called before add()")
        self.parsed.blocks.append(
            Block(kind=kind, text=text, speaker=speaker, section=len(self.parsed.sections) - 1)
        )

    def halve_sections(self) -> None:
        """Merge sections pairwise (0+1, 2+3, ...), keeping the first title of each pair.

        Only for sections the parser made up itself (transcript segments, paragraph
        groups); an author's scenes and chapters are never merged here.
        """
        merged: list[Section] = []
        for section in self.parsed.sections[::2]:
            merged.append(section.model_copy(update={"index": len(merged)}))
        for block in self.parsed.blocks:
            block.section //= 2
        self.parsed.sections = merged

    def drop_empty_sections(self) -> None:
        """Remove sections that ended up with no blocks and renumber the rest."""
        used = {block.section for block in self.parsed.blocks}
        renumber: dict[int, int] = {}
        kept: list[Section] = []
        for section in self.parsed.sections:
            if section.index in used:
                renumber[section.index] = len(kept)
                kept.append(section.model_copy(update={"index": len(kept)}))
        for block in self.parsed.blocks:
            block.section = renumber[block.section]
        self.parsed.sections = kept
