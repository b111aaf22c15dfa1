"""Bytes to clean text, and small text helpers shared by the parsers and the local engine."""

from __future__ import annotations

import codecs
import re
import unicodedata
from dataclasses import dataclass

import ftfy

# Control characters that never appear in real text files. Tab, newline, carriage
# return, form feed and vertical tab are legitimate (page breaks in screenplay exports).
_CONTROL_BYTES = frozenset(range(0x01, 0x09)) | frozenset(range(0x0E, 0x20)) | {0x7F}
_SAMPLE_BYTES = 8192

_NEWLINES_RE = re.compile(r"\r\n?|[\u2028\u2029\x85\x0b\x0c]")
# Letters of any script, with inner apostrophes and hyphens ("don't", "fifty-one").
_WORD_RE = re.compile(r"[^\W\d_]+(?:['\u2019\-][^\W\d_]+)*")


def word_set(text: str) -> frozenset[str]:
    """A set of words written as one space-separated string (readable for long lexicons)."""
    return frozenset(text.split())


_SMALL_WORDS = word_set("a an and at by de del di for from in la le of on or the to van von with")


@dataclass(frozen=True)
class DecodedText:
    text: str
    encoding: str


def decode_text(data: bytes) -> DecodedText:
    """Decode bytes the way an editor would, then normalise newlines and strip NULs.

    1. A byte-order mark wins (UTF-8, UTF-32, UTF-16).
    2. UTF-16 without a BOM is recognised by its zero bytes in alternate positions.
    3. Strict UTF-8, else Windows-1252 (what most non-UTF-8 "plain text" really is),
       else Latin-1, which never fails.
    """
    text, encoding = _decode(data)
    text = text.lstrip("\ufeff").replace("\x00", "")
    return DecodedText(text=_NEWLINES_RE.sub("\n", text), encoding=encoding)


def _decode(data: bytes) -> tuple[str, str]:
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8) :].decode("utf-8", errors="replace"), "utf-8-sig"
    # UTF-32 LE's BOM begins with UTF-16 LE's, so it must be checked first.
    if data.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        return data.decode("utf-32", errors="replace"), "utf-32"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", errors="replace"), "utf-16"
    guessed = guess_bomless_utf16(data)
    if guessed:
        return data.decode(guessed, errors="replace"), guessed
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        # cp1252 leaves five bytes undefined; Latin-1 maps every byte.
        return data.decode("latin-1"), "latin-1"


def guess_bomless_utf16(data: bytes) -> str:
    """'utf-16-le' or 'utf-16-be' when mostly-ASCII text was saved as UTF-16 without a BOM."""
    sample = data[:_SAMPLE_BYTES]
    if len(sample) < 4:
        return ""
    even, odd = sample[0::2], sample[1::2]
    even_zero = even.count(0) / len(even)
    odd_zero = odd.count(0) / len(odd)
    if odd_zero > 0.9 and even_zero < 0.1:
        return "utf-16-le"
    if even_zero > 0.9 and odd_zero < 0.1:
        return "utf-16-be"
    return ""


def looks_binary(data: bytes) -> bool:
    """True when the bytes are not text in any encoding we read (images, executables, junk)."""
    if data.startswith(
        (codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, codecs.BOM_UTF32_BE)
    ) or guess_bomless_utf16(data):
        return False
    sample = data[:_SAMPLE_BYTES]
    if not sample:
        return False
    # A stray NUL is tolerated (we strip them); many mean a binary format.
    if sample.count(0) / len(sample) > 0.01:
        return True
    control = sum(1 for byte in sample if byte in _CONTROL_BYTES)
    return control / len(sample) > 0.02


def words(text: str) -> list[str]:
    return _WORD_RE.findall(text)


def word_count(text: str) -> int:
    return len(_WORD_RE.findall(text))


def collapse_spaces(text: str) -> str:
    return " ".join(text.split())


def readable(text: str) -> str:
    """Title-case text written in capitals ("ELENA'S APARTMENT" -> "Elena's Apartment").

    Text that already has lower-case letters is the author's own casing and is kept.
    """
    text = collapse_spaces(text)
    if any(char.islower() for char in text):
        return text
    out = []
    for position, word in enumerate(text.split(" ")):
        lowered = word.lower()
        if position > 0 and lowered in _SMALL_WORDS:
            out.append(lowered)
        elif re.fullmatch(r"[IVX]{2,}\.?", word):
            out.append(word)  # roman numerals: "PART II"
        else:
            out.append(_capitalise_word(lowered))
    return " ".join(out)


def _capitalise_word(word: str) -> str:
    # Capitalise after hyphens and after "O'"-style prefixes, but not a possessive "'s".
    def upper_first(match: re.Match[str]) -> str:
        return match.group(0)[0].upper() + match.group(0)[1:]

    word = re.sub(r"(?:^|(?<=[-/]))[^\W\d_]", upper_first, word)
    return re.sub(r"(?<=\b[A-Za-z]['\u2019])[a-z](?=[a-z])", lambda m: m.group(0).upper(), word)


def slugify(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


def place_slug(name: str) -> str:
    """Key for a place: "The Coffee Shop" and "COFFEE SHOP" both give "coffee-shop"."""
    return slugify(re.sub(r"^\s*the\s+", "", name, flags=re.IGNORECASE))


_INLINE_EMPHASIS_RE = re.compile(r"\*+|(?<!\w)_+|_+(?!\w)")


def strip_emphasis(text: str) -> str:
    """Remove Markdown/Fountain emphasis markers (*italic*, **bold**, _underline_)."""
    text = text.replace("\\*", "\x01").replace("\\_", "\x02")
    text = _INLINE_EMPHASIS_RE.sub("", text)
    return text.replace("\x01", "*").replace("\x02", "_")


# A sentence ends after . ! ? or … and at most one closing quote or bracket, which stays
# with the sentence it closes.
_SENTENCE_END_RE = re.compile(
    r"(?:(?<=[.!?…])|(?<=[.!?…][\"'”\u2019)\]]))\s+(?=[\"'“\u2018(\[]?[A-Z0-9À-Ö])"
)
_ABBREVIATIONS = word_set("mr. mrs. ms. dr. st. mt. prof. jr. sr. vs. e.g. i.e. capt. lt.")


def sentences(text: str) -> list[str]:
    """Split prose into sentences, keeping honorifics like "Mrs." inside their sentence."""
    text = collapse_spaces(text)
    if not text:
        return []
    pieces = _SENTENCE_END_RE.split(text)
    merged: list[str] = []
    for piece in pieces:
        last_token = merged[-1].rsplit(" ", 1)[-1].lower() if merged else ""
        if last_token in _ABBREVIATIONS:
            merged[-1] = f"{merged[-1]} {piece}"
        else:
            merged.append(piece)
    return [piece.strip() for piece in merged if piece.strip()]


def shorten(text: str, max_words: int) -> str:
    """The first `max_words` words, with an ellipsis when something was cut."""
    tokens = collapse_spaces(text).split(" ")
    if len(tokens) <= max_words:
        return " ".join(tokens)
    return " ".join(tokens[:max_words]).rstrip(",;:—-") + "…"


# Project Gutenberg wraps every e-book in a header and a licence. The markers have
# changed over the years: "*** START OF THE/THIS PROJECT GUTENBERG EBOOK ... ***" since
# the 2000s, "*END*THE SMALL PRINT! ..." in the 1990s texts; the end is marked by
# "*** END OF ...", "End of (the) Project Gutenberg('s) ..." or the licence heading.
_GUTENBERG_START_RE = re.compile(
    r"^[ \t]*(?:\*{1,3}[ \t]*START OF (?:THE|THIS) PROJECT GUTENBERG|\*END\*THE SMALL PRINT)"
    r"[^\n]*$",
    re.IGNORECASE | re.MULTILINE,
)
_GUTENBERG_END_RE = re.compile(
    r"^[ \t]*(?:\*{1,3}[ \t]*END OF (?:THE |THIS )?PROJECT GUTENBERG"
    r"|End of (?:the )?Project Gutenberg"
    r"|\*{0,3}[ \t]*START: FULL LICEN[CS]E"
    r"|THE FULL PROJECT GUTENBERG LICEN[CS]E)",
    re.IGNORECASE | re.MULTILINE,
)
# The volunteers' credit that follows the start marker ("Produced by David Widger").
_GUTENBERG_CREDIT_RE = re.compile(
    r"\A\s*(?:Produced by|E-?text prepared by|This e-?text was prepared by|Transcribed by)"
    r"[^\n]*(?:\n[ \t]*\S[^\n]*)*",
    re.IGNORECASE,
)


def strip_gutenberg(text: str) -> str:
    """The text between Project Gutenberg's start and end markers, without the credits.

    Text without markers is returned unchanged, and so is text where nothing would
    remain (a file holding only the licence is not a story either way, and the
    parsers say so better than an empty string would).
    """
    start = _GUTENBERG_START_RE.search(text)
    body = text[start.end() :] if start else text
    end = _GUTENBERG_END_RE.search(body)
    if end:
        body = body[: end.start()]
    if not start and not end:
        return text
    body = _GUTENBERG_CREDIT_RE.sub("", body, count=1) if start else body
    return body if body.strip() else text


# ftfy with only its encoding repairs switched on: curly quotes, ligatures, full-width
# letters, HTML entities and Unicode normal forms are the author's choice, not damage.
_MOJIBAKE_CONFIG = ftfy.TextFixerConfig(
    unescape_html=False,
    remove_terminal_escapes=False,
    fix_latin_ligatures=False,
    fix_character_width=False,
    uncurl_quotes=False,
    fix_line_breaks=False,
    remove_control_chars=False,
    normalization=None,
    explain=False,
)
# UTF-8 read as Windows-1252 or Latin-1 always leaves a lead byte (Â..ô) followed by a
# continuation byte (\x80-\xbf as C1 controls, Latin-1 signs or cp1252's punctuation).
# Lines without such a pair cannot hold that mojibake, so ftfy, which is slow on long
# clean text, only sees the lines that might.
_CONTINUATION_BYTES = bytes(range(0x80, 0xC0))
_CONTINUATIONS = re.escape(
    "".join(
        sorted(
            set(_CONTINUATION_BYTES.decode("cp1252", errors="ignore"))
            | set(_CONTINUATION_BYTES.decode("latin-1"))
        )
    )
)
_MOJIBAKE_PAIR_RE = re.compile(f"[\u00c2-\u00f4][\u0080-\u00bf{_CONTINUATIONS}]")
# A right double quote (E2 80 9D) loses its last byte in cp1252, which has no 0x9D:
# "â€" left alone at the end of a word is that quote.
_LOST_RIGHT_QUOTE_RE = re.compile(f"\u00e2\u20ac(?![\u0080-\u00bf{_CONTINUATIONS}])")


@dataclass(frozen=True)
class RepairedText:
    text: str
    repaired_lines: int  # lines whose mojibake was undone


def repair_mojibake(text: str) -> RepairedText:
    """Undo UTF-8 text that was decoded with the wrong code page ("CafÃ©" -> "Café").

    Cheap on clean text: ASCII is returned at once, and only lines with a suspicious
    byte pair are handed to ftfy, which decides whether they really are mojibake.
    """
    if text.isascii() or not _MOJIBAKE_PAIR_RE.search(text):
        return RepairedText(text, 0)
    lines = text.split("\n")
    repaired = 0
    for position, line in enumerate(lines):
        if not _MOJIBAKE_PAIR_RE.search(line):
            continue
        # Before ftfy, which would read "â€ " as a dagger (E2 80 A0, the space as a
        # no-break space): in real text the lost quote is far more common.
        fixed = ftfy.fix_text(_LOST_RIGHT_QUOTE_RE.sub("\u201d", line), _MOJIBAKE_CONFIG)
        if fixed != line:
            lines[position] = fixed
            repaired += 1
    return RepairedText("\n".join(lines) if repaired else text, repaired)
