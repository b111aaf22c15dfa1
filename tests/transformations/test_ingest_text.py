"""Stage 0 for plain text: Gutenberg boilerplate, stage plays, mojibake, hostile sizes."""

from __future__ import annotations

import time

import pytest

from transformations.ingest import IngestLimits, detect, normalise
from transformations.ingest.play import parse_heading, play_cue, play_elements
from transformations.ingest.text import repair_mojibake, sentences, strip_gutenberg
from transformations.pipeline.errors import IngestError
from transformations.pipeline.types import BlockKind, SourceType

GUTENBERG_HEADER = """The Project Gutenberg eBook of Hamlet, Prince of Denmark

This ebook is for the use of anyone anywhere in the United States and
most other parts of the world at no cost and with almost no restrictions
whatsoever.

Title: Hamlet, Prince of Denmark

Author: William Shakespeare

*** START OF THE PROJECT GUTENBERG EBOOK HAMLET, PRINCE OF DENMARK ***

Produced by Volunteers of the Test Suite
and a second line of credits

"""

GUTENBERG_FOOTER = """

*** END OF THE PROJECT GUTENBERG EBOOK HAMLET, PRINCE OF DENMARK ***

Updated editions will replace the previous one--the old editions will
be renamed.

START: FULL LICENSE

THE FULL PROJECT GUTENBERG LICENSE
PLEASE READ THIS BEFORE YOU DISTRIBUTE OR USE THIS WORK

1.F.3. LIMITED RIGHT OF REPLACEMENT OR REFUND - If you discover a
defect in this electronic work within 90 days of receiving it, you can
receive a refund.

LIMITATION OF
DAMAGE.
YOU AGREE THAT YOU HAVE NO REMEDIES FOR NEGLIGENCE, STRICT
LIABILITY, BREACH OF WARRANTY OR BREACH OF CONTRACT EXCEPT THOSE
PROVIDED IN PARAGRAPH 1.F.3.

WARRANTY.
THIS WORK IS PROVIDED AS-IS.

DISCLAIMER.
ALL WARRANTIES ARE DISCLAIMED, WITHOUT LIMITATION.
"""

HAMLET = """THE TRAGEDY OF HAMLET, PRINCE OF DENMARK


by William Shakespeare


Contents

ACT I
Scene I. Elsinore. A platform before the Castle.
Scene II. Elsinore. A room of state in the Castle.

ACT II
Scene I. A room in Polonius’s house.


Dramatis Personæ

HAMLET, Prince of Denmark.
CLAUDIUS, King of Denmark, Hamlet’s uncle.
HORATIO, friend to Hamlet.
LORD POLONIUS, Lord Chamberlain.


ACT I

SCENE I. Elsinore. A platform before the Castle.

 Enter Francisco and Barnardo, two sentinels.

BARNARDO.
Who’s there?

FRANCISCO.
Nay, answer me. Stand and unfold yourself.

BARNARDO.
Long live the King!

FRANCISCO.
For this relief much thanks. ’Tis bitter cold,
And I am sick at heart.   [_Exit._]

SCENE II. Elsinore. A room of state in the Castle.

 Enter Claudius, King of Denmark, Hamlet and Attendants.

KING.
Though yet of Hamlet our dear brother’s death
The memory be green, yet so much wisdom
Hath fought with nature. But now, my cousin Hamlet, and my son—

HAMLET.
[_Aside._] A little more than kin, and less than kind.

KING.
How is it that the clouds still hang on you?

HAMLET.
Not so, my lord, I am too much i’ the sun.

 [_Exeunt all but Hamlet._]

ACT II

SCENE I. A room in Polonius’s house.

 Enter Polonius and Reynaldo.

LORD POLONIUS.
Give him this money and these notes, Reynaldo.

REYNALDO.
I will, my lord."""

# Wilde's layout: the cue opens the speech, directions in brackets, acts without scenes.
EARNEST = b"""THE IMPORTANCE OF BEING EARNEST

A Trivial Comedy for Serious People

FIRST ACT

SCENE

Morning-room in Algernon's flat in Half-Moon Street.

[Lane is arranging afternoon tea on the table, and after the music has ceased,
Algernon enters.]

ALGERNON. Did you hear what I was playing, Lane?

LANE. I didn't think it polite to listen, sir.

ALGERNON. I'm sorry for that, for your sake. I don't play accurately, but I play
with wonderful expression.

ALGERNON [inspects the plate]. Why are there no cucumber sandwiches?

LANE. There were no cucumbers in the market this morning, sir.

[Enter JACK.]

JACK. How are you, my dear Algernon?

SECOND ACT

Garden at the Manor House.

CECILY. Miss Prism, I am so glad you have come.

MISS PRISM. Cecily, I am surprised at you.
"""

NOVEL = """CHAPTER I.

THE LETTER.

It was late when the letter came, and Mrs. Ward had already put out the lamps in
the front room. She read it twice by the kitchen fire. NOTHING in it surprised her.

OK. She would go. That was all there was to it, and she said so to the cat.

CHAPTER II.

THE ROAD.

The coach left at six. Mrs. Ward sat by the window and watched the hedges go by,
thinking of her sister and of the house by the sea where they had grown up.
"""


def blocks_of(document, kind: BlockKind) -> list[tuple[str, str]]:
    return [(b.speaker, b.text) for b in document.blocks if b.kind == kind]


# Gutenberg plays --------------------------------------------------------------------------


def test_gutenberg_play_is_a_script_without_its_licence():
    data = (GUTENBERG_HEADER + HAMLET + GUTENBERG_FOOTER).encode()
    detection = detect(data, filename="pg1524.txt")
    assert (detection.source_type, detection.format) == (SourceType.SCRIPT, "stage-play")
    assert 0.9 <= detection.confidence <= 0.98

    document = normalise(data, filename="pg1524.txt")
    assert document.title == "The Tragedy of Hamlet, Prince of Denmark"
    assert document.metadata["author"] == "William Shakespeare"
    assert document.metadata["gutenberg_boilerplate_removed"] == 1
    assert [(s.kind, s.title, s.location) for s in document.sections] == [
        ("front-matter", "Dramatis Personæ", ""),
        ("scene", "Act I, Scene I: Elsinore. A platform before the Castle", "Elsinore"),
        ("scene", "Act I, Scene II: Elsinore. A room of state in the Castle", "Elsinore"),
        ("scene", "Act II, Scene I: A room in Polonius’s house", "A room in Polonius’s house"),
    ]
    speakers = {b.speaker for b in document.blocks if b.speaker}
    assert speakers == {"BARNARDO", "FRANCISCO", "KING", "HAMLET", "LORD POLONIUS", "REYNALDO"}
    text = " ".join(b.text for b in document.blocks)
    assert "DAMAGE" not in text and "WARRANTY" not in text and "Produced by" not in text
    scene_one = [(b.kind, b.speaker, b.text) for b in document.blocks if b.section == 1]
    assert scene_one[:5] == [
        (BlockKind.HEADING, "", "Act I"),
        (BlockKind.SCENE_HEADING, "", "SCENE I. Elsinore. A platform before the Castle."),
        (BlockKind.ACTION, "", "Enter Francisco and Barnardo, two sentinels."),
        (BlockKind.CHARACTER_CUE, "BARNARDO", "BARNARDO"),
        (BlockKind.DIALOGUE, "BARNARDO", "Who’s there?"),
    ]
    assert (BlockKind.ACTION, "", "Exit.") in scene_one


def test_play_asides_become_parentheticals_and_bracketed_lines_directions():
    document = normalise(HAMLET.encode())
    hamlet = [(b.kind, b.text) for b in document.blocks if b.speaker == "HAMLET"]
    assert hamlet[:3] == [
        (BlockKind.CHARACTER_CUE, "HAMLET"),
        (BlockKind.PARENTHETICAL, "(Aside.)"),
        (BlockKind.DIALOGUE, "A little more than kin, and less than kind."),
    ]
    assert ("", "Exeunt all but Hamlet.") in blocks_of(document, BlockKind.ACTION)
    # The cast list is front matter, not speech: no cue for its capitals.
    assert document.metadata["cast_list_count"] == 4


def test_licence_capitals_never_become_speakers_even_unstripped():
    assert play_cue("DAMAGE.") == ("DAMAGE", "", "")  # alone, it looks like a cue...
    # ...but it ends a wrapped sentence ("...OF SUCH\nDAMAGE."), and "WARRANTY." opens
    # a paragraph with a word no speaker is called.
    stream = play_elements(HAMLET + GUTENBERG_FOOTER)
    assert not set(stream.speakers) & {"DAMAGE", "WARRANTY", "DISCLAIMER", "LIMITATION OF"}
    assert set(stream.speakers) >= {"HAMLET", "KING", "BARNARDO"}


def test_stage_play_with_inline_cues_and_acts_without_scenes():
    detection = detect(EARNEST)
    assert (detection.source_type, detection.format) == (SourceType.SCRIPT, "stage-play")
    assert 0.85 <= detection.confidence <= 0.98

    document = normalise(EARNEST, filename="earnest.txt")
    assert document.title == "The Importance of Being Earnest"
    assert document.metadata["subtitle"] == "A Trivial Comedy for Serious People"
    assert [(s.title, s.location) for s in document.sections] == [
        (
            "First Act: Morning-room in Algernon's flat in Half-Moon Street",
            "Morning-room in Algernon's flat in Half-Moon Street",
        ),
        ("Second Act: Garden at the Manor House", "Garden at the Manor House"),
    ]
    assert [(b.kind, b.speaker, b.text) for b in document.blocks[:5]] == [
        (BlockKind.HEADING, "", "First Act"),
        (BlockKind.ACTION, "", "Morning-room in Algernon's flat in Half-Moon Street."),
        (
            BlockKind.ACTION,
            "",
            "Lane is arranging afternoon tea on the table, and after the music has ceased, "
            "Algernon enters.",
        ),
        (BlockKind.CHARACTER_CUE, "ALGERNON", "ALGERNON"),
        (BlockKind.DIALOGUE, "ALGERNON", "Did you hear what I was playing, Lane?"),
    ]
    assert (BlockKind.PARENTHETICAL, "ALGERNON", "(inspects the plate)") in [
        (b.kind, b.speaker, b.text) for b in document.blocks
    ]
    assert ("MISS PRISM", "Cecily, I am surprised at you.") in blocks_of(
        document, BlockKind.DIALOGUE
    )


@pytest.mark.parametrize(
    ("line", "act", "scene", "place"),
    [
        ("ACT I", "Act I", "", ""),
        ("ACT I. SCENE II. A hall in the castle.", "Act I", "Scene II", "A hall in the castle"),
        ("Scene 3", "", "Scene 3", ""),
        ("SECOND ACT", "Second Act", "", ""),
        ("_Act IV._", "Act IV", "", ""),
    ],
)
def test_play_headings(line, act, scene, place):
    heading = parse_heading(line)
    assert heading is not None
    assert (heading.act, heading.scene, heading.place) == (act, scene, place)


@pytest.mark.parametrize(
    "line", ["Act of God, they called it.", "SCENE", "ACTING SCHOOL", "THE END."]
)
def test_lines_that_are_neither_headings_nor_cues(line):
    assert parse_heading(line) is None
    assert play_cue(line) is None


def test_novel_with_capitals_stays_prose():
    detection = detect(NOVEL.encode())
    assert (detection.source_type, detection.format) == (SourceType.ARTICLE, "prose")
    wrapped = detect((GUTENBERG_HEADER + NOVEL + GUTENBERG_FOOTER).encode())
    assert wrapped.format == "prose"
    document = normalise((GUTENBERG_HEADER + NOVEL + GUTENBERG_FOOTER).encode())
    assert [s.title for s in document.sections] == ["Chapter I.", "Chapter II."]
    assert "LICENSE" not in " ".join(b.text for b in document.blocks)


# Gutenberg markers ------------------------------------------------------------------------


def test_old_style_gutenberg_markers_are_stripped():
    text = (
        "**The Project Gutenberg Etext of A Short Tale**\n"
        "Please take a look at the important information in this header.\n"
        "*END*THE SMALL PRINT! FOR PUBLIC DOMAIN ETEXTS*Ver.04.29.93*END*\n\n"
        "Once there was a lighthouse keeper.\n\n"
        "End of Project Gutenberg's Etext of A Short Tale\n"
        "This file should be named tale10.txt\n"
    )
    assert strip_gutenberg(text).strip() == "Once there was a lighthouse keeper."


def test_text_without_markers_is_left_alone():
    text = "The project was a gutenberg of ideas.\n\n*** A scene break ***\n"
    assert strip_gutenberg(text) is text
    only_licence = "*** START OF THE PROJECT GUTENBERG EBOOK X ***\n\n"
    assert strip_gutenberg(only_licence) == only_licence


# Encoding ---------------------------------------------------------------------------------


def test_mojibake_is_repaired_and_recorded():
    story = (
        "The CafÃ© on the quay opened at six. Mara ordered â€œthe usualâ€ and sat by "
        "the window.\n\nOutside, the ferry â€” late again â€” nosed into the harbour."
    )
    document = normalise(story.encode("utf-8"))
    assert document.blocks[0].text == (
        "The Café on the quay opened at six. Mara ordered “the usual” and sat by the window."
    )
    assert document.blocks[1].text == "Outside, the ferry — late again — nosed into the harbour."
    assert document.metadata["mojibake_repaired"] == 1
    assert document.metadata["mojibake_repaired_lines"] == 2


@pytest.mark.parametrize(
    "text",
    [
        "Café “quotes” — and naïve façades… ﬁne",
        "Σ is Greek. Привет. 日本語のテキスト。",
        'Ｆｕｌｌ width and &amp; entities and "straight" quotes',
        "Gruß“ and À la carte «bien sûr»",
        "plain ascii",
    ],
)
def test_legitimate_text_is_not_repaired(text):
    repaired = repair_mojibake(text)
    assert (repaired.text, repaired.repaired_lines) == (text, 0)


def test_clean_text_records_no_repair():
    document = normalise(b"Mara ordered the usual and sat by the window all morning.")
    assert document.metadata["mojibake_repaired"] == 0


# Hostile inputs ---------------------------------------------------------------------------


def test_ten_megabyte_single_line_fails_cleanly_and_quickly():
    line = ("the tide came in over the sand and went out again " * 200_000).encode()
    assert len(line) >= 10_000_000 and b"\n" not in line
    started = time.monotonic()
    with pytest.raises(IngestError) as caught:
        normalise(line, filename="one-line.txt")
    assert caught.value.code == "TOO_MUCH_TEXT"
    assert time.monotonic() - started < 15


def test_long_single_line_within_limits_is_parsed():
    line = ("the tide came in over the sand and went out again. " * 30_000).encode()
    started = time.monotonic()
    document = normalise(line, limits=IngestLimits(max_chars=2_000_000))
    assert document.source_type == SourceType.ARTICLE
    assert len(document.blocks) >= 1
    assert time.monotonic() - started < 15


def test_binary_file_named_txt_is_unknown():
    junk = bytes((i * 131 + 7) % 256 for i in range(20_000))
    with pytest.raises(IngestError) as caught:
        normalise(junk, filename="notes.txt")
    assert caught.value.code == "UNKNOWN_FORMAT"
    assert caught.value.user_message


def test_a_closing_quote_or_bracket_stays_with_its_sentence():
    text = 'He said "Go." Then he left. (It rained.) Mrs. Abernathy came. “Late?” she asked.'
    assert sentences(text) == [
        'He said "Go."',
        "Then he left.",
        "(It rained.)",
        "Mrs. Abernathy came.",
        "“Late?” she asked.",
    ]
    assert "".join(sentences(text)).replace(" ", "") == text.replace(" ", "")
