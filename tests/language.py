"""The one detector of English sentences in French text, for the tests that check what a
user reads (the report, the CLI's help and output, warnings, rejection files, the API's
error bodies).

What is not prose is removed first: option names, paths, file names, identifiers with
``_``, URLs, code in backquotes. A sentence then counts as English when it holds at least
two distinct English function words that French never uses ("the", "is", "with",
"from"...), and they make at least a fifth of its words: one loan word or a dataset name
("La Poste open data") is not a sentence. Words French shares with English ("a", "on",
"or", "car", "but", "plus", "est", "me", "son", "pour", "message", "file") are left out
of the list on purpose. Error messages, one short line each, have a stricter rule
(:func:`english_message_words`). Proven on both sides in ``tests/test_language.py``.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

ENGLISH_WORDS = frozenset((
    "about", "above", "after", "against", "all", "already", "also", "am", "and", "any",
    "are", "aren't", "at", "be", "because", "been", "before", "being", "below",
    "between", "both", "by", "can", "cannot", "could", "default", "did", "didn't", "do",
    "does", "doesn't", "done", "each", "either", "else", "error", "every", "exit",
    "expected", "farther", "for", "found", "from", "give", "given", "had", "has",
    "hasn't", "have", "having", "he", "help", "her", "here", "his", "how", "however",
    "if", "into", "invalid", "is", "isn't", "it", "it's", "its", "itself", "just", "may",
    "might", "missing", "more", "most", "must", "my", "nearest", "no", "not", "now", "of",
    "off", "only", "other", "our", "out", "outside", "over", "own", "please", "run",
    "runs", "same", "shall", "she", "should", "show", "since", "so", "some", "such",
    "than", "that", "the", "their", "them", "then", "there", "these", "they", "this",
    "those", "through", "to", "too", "under", "unknown", "until", "up", "upon", "use",
    "used", "using", "very", "warning", "was", "wasn't", "we", "were", "what", "when",
    "where", "whether", "which", "while", "who", "whom", "whose", "why", "will", "with",
    "within", "without", "would", "yes", "you", "your",
))  # not "as", "but" (French words too) nor "in" ("in fine", "in situ")

_NOT_PROSE = re.compile(
    r"`[^`]*`|https?://\S+|--?[\w-]+|\S*[/\\]\S*|\S+\.\w{2,4}\b|\b\w*_\w*\b|\[[^\]]*=[^\]]*\]")
_WORD = re.compile(r"[a-z]+(?:'[a-z]+)?")
_SENTENCE_END = re.compile(r"(?<=[.!?;:])\s+|\n+")


def english_words(sentence: str) -> list[str]:
    """The English function words of a sentence's prose, in order."""
    prose = _NOT_PROSE.sub(" ", sentence).lower()
    return [w for w in _WORD.findall(prose) if w in ENGLISH_WORDS]


def is_english(sentence: str) -> bool:
    words = _WORD.findall(_NOT_PROSE.sub(" ", sentence).lower())
    hits = [w for w in words if w in ENGLISH_WORDS]
    return len(set(hits)) >= 2 and len(hits) * 5 >= len(words)


#: Words of English error messages that are no function words, for error lines only
#: (none is French: "file" or "ligne" could not be here).
ERROR_WORDS = frozenset(("bad", "duplicate", "empty", "failed", "got", "unreadable",
                         "unrecognised", "unrecognized", "unsupported", "wrong"))

#: Quoted values inside a message (« … », '…', "…") are the user's or a library's words.
_QUOTED = re.compile(r"«[^»]*»|'[^'\n]*'|\"[^\"\n]*\"")


def english_message_words(message: str) -> list[str]:
    """The English function words of an error message's own wording.

    An error is one short line ("cutoff must be > 0 min"), too short for the sentence rule
    of :func:`is_english`: here one English function word is enough, once the quoted
    values, identifiers and paths are taken out (they may be anything)."""
    prose = _NOT_PROSE.sub(" ", _QUOTED.sub(" ", message)).lower()
    return [w for w in _WORD.findall(prose) if w in ENGLISH_WORDS or w in ERROR_WORDS]


def english_sentences(text: str) -> list[str]:
    """Every sentence of ``text`` that reads as English."""
    return [s.strip() for s in _SENTENCE_END.split(text) if s.strip() and is_english(s)]


def english_lines(text: str) -> list[str]:
    """The lines of ``text`` holding a sentence that reads as English (for CLI output)."""
    return [line.strip() for line in text.splitlines() if english_sentences(line)]


class _VisibleText(HTMLParser):
    """Text a reader sees or hears: text nodes outside style/script, and the alt, title
    and aria-label attributes (screen readers read them)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("style", "script"):
            self._hidden += 1
        self.parts += [v for k, v in attrs if k in ("alt", "title", "aria-label") and v]

    def handle_endtag(self, tag: str) -> None:
        if tag in ("style", "script"):
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self._hidden and data.strip():
            self.parts.append(data.strip())


def visible_text(html: str) -> list[str]:
    """The visible text pieces of a page, one per text node or attribute."""
    parser = _VisibleText()
    parser.feed(html)
    return parser.parts
