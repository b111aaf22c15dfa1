"""The development corpus: truth files are well formed and true to their documents, and the
generated documents are reproducible from their sources."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import PROJECT_DIR
from transformations.evaluation import normalise_name

CORPUS = PROJECT_DIR / "corpus"
TRUTHS = sorted(CORPUS.glob("*.truth.json"))
REQUIRED_KEYS = {"notes", "characters", "locations", "cardStarts"}
# Documents built by corpus/build_binary.py, and the source each is annotated against.
GENERATED = {
    "last-bus.txt": "sources/last-bus.fountain",
    "cold-open.pdf": "sources/cold-open.fountain",
    "the-last-ledger.pdf": "sources/the-last-ledger.md",
    "lantern-route.pptx": "sources/lantern-route.json",
}
# The product's sample predates the corpus rules: its truth keeps one paraphrased alias.
PARAPHRASED_ALIASES = {("time-spent.fountain", "Watch Shop")}
# Every kind of source the engine reads is represented.
REQUIRED_FORMATS = {".fountain", ".txt", ".md", ".html", ".srt", ".vtt", ".pdf", ".pptx"}


def _document(truth: Path) -> Path:
    return truth.with_name(truth.name.removesuffix(".truth.json"))


def _annotated_text(document: Path) -> str:
    """The text the annotator read: the document, or the source of a generated one."""
    path = CORPUS / GENERATED.get(document.name, document.name)
    return path.read_text(encoding="utf-8-sig")


def _contains(text: str, phrase: str) -> bool:
    return f" {normalise_name(phrase)} " in f" {normalise_name(text)} "


# Tags (<v Ilse>, <i>, {\\an8}), and the timestamps and "Name:" labels that open transcript turns.
_MARKUP_RE = re.compile(r"<[^>]*>|\{\\[^}]*\}|^(?:\[[\d:]+\] )?[A-Z][\w.' ()-]{0,40}: ", re.M)


def _without_markup(text: str) -> str:
    return _MARKUP_RE.sub(" ", text)


def test_the_corpus_is_big_enough_and_covers_every_format():
    documents = [_document(truth) for truth in TRUTHS]

    assert len(documents) >= 12
    assert {document.suffix for document in documents} >= REQUIRED_FORMATS


@pytest.mark.parametrize("truth_path", TRUTHS, ids=lambda path: path.name)
def test_truth_file_is_well_formed(truth_path):
    truth = json.loads(truth_path.read_text(encoding="utf-8"))

    assert truth.keys() >= REQUIRED_KEYS
    assert _document(truth_path).is_file()
    assert truth["cardStarts"] and all(
        isinstance(start, str) and start.strip() for start in truth["cardStarts"]
    )
    for kind in ("characters", "locations"):
        assert truth[kind], f"no {kind}"
        seen: dict[str, str] = {}
        for entry in truth[kind]:
            assert isinstance(entry["name"], str) and entry["name"].strip()
            assert isinstance(entry.get("aliases", []), list)
            for form in {normalise_name(n) for n in [entry["name"], *entry.get("aliases", [])]}:
                # A form shared by two entries would make the one-to-one matching ambiguous.
                assert form not in seen, f"{form!r} is in both {seen[form]!r} and {entry['name']!r}"
                seen[form] = entry["name"]


@pytest.mark.parametrize("truth_path", TRUTHS, ids=lambda path: path.name)
def test_truth_names_and_card_starts_occur_in_the_document(truth_path):
    truth = json.loads(truth_path.read_text(encoding="utf-8"))
    document = _document(truth_path)
    text = _annotated_text(document)

    missing = [
        form
        for kind in ("characters", "locations")
        for entry in truth[kind]
        for form in entry.get("aliases", [])
        if (document.name, form) not in PARAPHRASED_ALIASES and not _contains(text, form)
    ]
    assert missing == [], "aliases are forms that appear in the text"
    plain = _without_markup(text)
    starts = [start for start in truth["cardStarts"] if not _contains(plain, start)]
    assert starts == []


def test_build_binary_regenerates_the_committed_files_byte_for_byte(tmp_path):
    pytest.importorskip("fpdf")
    pytest.importorskip("pptx")

    subprocess.run(
        [sys.executable, str(CORPUS / "build_binary.py"), "--out", str(tmp_path)],
        check=True,
        capture_output=True,
    )

    built = sorted(path.name for path in tmp_path.iterdir())
    assert built == sorted(GENERATED)
    for name in built:
        assert (tmp_path / name).read_bytes() == (CORPUS / name).read_bytes(), name


def test_generated_files_are_small():
    for name in GENERATED:
        assert (CORPUS / name).stat().st_size < 200_000, name


def test_corpus_files_keep_their_bytes_in_git():
    # CRLF line endings and a BOM in the SRT are part of what is tested.
    assert "* -text" in (CORPUS / ".gitattributes").read_text().splitlines()
    assert (CORPUS / "platform-four.srt").read_bytes().startswith(b"\xef\xbb\xbf1\r\n")
