"""Bytes to clean text, and small text helpers shared by the parsers and the local engine."""

from __future__ import annotations

import codecs
import re
import unicodedata
from dataclasses import dataclass

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


_SENTENCE_END_RE = re.compile(r"(?<=[.!?…])[\"'”\u2019)\]]*\s+(?=[\"'“\u2018(\[]?[A-Z0-9À-Ö])")
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
