"""Vocatives: the names people are addressed by in what is said.

"Anna, wait!", "Go home, Jonas.", "Please, Mr. Weber.", "Dear Jonas," and a name said
on its own ("Jonas...", "Anna!") are the only deterministic character signal in
subtitles without speaker labels (research notes §1.5), and in prose they name a
first-person narrator ("Tam, is it?" he said).

A vocative is "comma" when a comma sets the name off (the strong form), "alone" when
the name is the whole sentence ("Anna!"), which is only trusted for names also seen
in the strong form.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from transformations.engines.local.names import NOT_NAMES, TITLES, title_key
from transformations.ingest.text import collapse_spaces, sentences, word_set

# Words said before a name that leave it a vocative: "Hi Danny," "Thank you, Mr. Weber."
_LEAD_INS = (
    r"(?:Oh|Ah|Hey|Hi|Hello|Dear|My dear|Yes|No|Please|Thanks|Thank you|Sorry|Well|Look|"
    r"Okay|OK|Right|Listen|Goodbye|Bye|Morning|Evening|Good morning|Good evening|"
    r"Good night|Goodnight|Night|Come on|Go on|Wait|Careful)"
)
_WORD = r"[^\W\d_][^\W\d_'\u2019\-]*(?:['\u2019\-][^\W\d_]+)*"
_NAME = rf"(?:(?:{'|'.join(sorted(TITLES))})\.?\s+)?{_WORD}(?:\s+{_WORD}){{0,2}}"
_START_RE = re.compile(rf"^(?:{_LEAD_INS},?\s+)?({_NAME})\s*(,|!|\?|\.\.\.|…|\.|—|--)", re.I)
_END_RE = re.compile(rf",\s+({_NAME})\s*[.!?…]+[\"'”’]*$", re.I)
# Discourse words, interjections and address terms that take a comma like a name does.
NOT_VOCATIVES = NOT_NAMES | word_set(
    """look well please listen okay ok right sorry thanks thank wait come yes no yeah yep
    nope oh ah hey hi hello goodbye bye now so fine good great sure alright honestly
    seriously actually anyway still then again time here there what why how who where
    when sir madam miss ma'am captain doctor officer boss chief guv son sonny young old
    little poor silly stupid god jesus christ heavens careful quick quiet stop enough
    really maybe perhaps indeed exactly course morning evening night"""
)


@dataclass(frozen=True)
class Vocative:
    name: str  # as written, title included: "Mr. Weber"
    strong: bool  # set off by a comma (or "Dear"), not just a name said on its own


def find_vocatives(line: str) -> list[Vocative]:
    """Names addressed in one line of speech, in order."""
    found: list[Vocative] = []
    text = re.sub(r"<[^>]+>|\{[^}]*\}|\[[^\]]*\]|♪", " ", line)
    text = collapse_spaces(text.replace("\u201c", "").replace("\u201d", "").replace('"', ""))
    for sentence in sentences(text):
        sentence = sentence.lstrip("-–— ").strip()
        start = _START_RE.match(sentence)
        if start:
            name = _clean(start.group(1))
            rest = sentence[start.end() :].strip()
            mark = start.group(2)
            if name:
                alone = not rest and mark in {"!", "?", ".", "...", "…", "—", "--"}
                lead_in = start.group(0)[: start.start(1)].strip(" ,")
                strong = mark == "," or bool(lead_in)
                if strong or alone:
                    found.append(Vocative(name, strong))
        end = _END_RE.search(sentence)
        if end and (not start or end.start(1) > start.end()):
            name = _clean(end.group(1))
            if name:
                found.append(Vocative(name, True))
    return found


def _clean(name: str) -> str:
    """The name if it can be one: capitalised words, not a discourse word or a title alone."""
    tokens = name.split()
    if not tokens or any(not t[0].isupper() for t in tokens):
        return ""
    titles = 0
    while titles < len(tokens) - 1 and title_key(tokens[titles]):
        titles += 1
    words = tokens[titles:]
    if any(w.lower().strip(".'\u2019") in NOT_VOCATIVES for w in words):
        return ""
    if len(words) == 1 and title_key(words[0]):
        return ""
    if any(len(w.strip(".")) < 2 for w in words):
        return ""
    return " ".join(tokens)
