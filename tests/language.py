"""A small detector of English sentences in French text, for the tests that check what a
user reads (the report, the CLI, the API's error bodies).

A sentence counts as English when at least two of its words are English function words
that French never uses ("the", "is", "with", "from"...), and they make at least a fifth of
its words: one loan word or a dataset name ("La Poste open data") is not a sentence.
Words French shares with English ("a", "on", "or", "car", "but", "plus", "est", "me",
"son", "pour") are left out of the list on purpose.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

ENGLISH_WORDS = frozenset((
    "about", "above", "after", "against", "all", "already", "also", "am", "and", "any",
    "are", "aren't", "at", "be", "because", "been", "before", "being", "below",
    "between", "both", "by", "can", "cannot", "could", "did", "didn't", "do", "does",
    "doesn't", "done", "each", "either", "every", "expected", "farther", "for", "found",
    "from", "had", "has", "hasn't", "have", "having", "he", "her", "here", "his", "how",
    "however", "if", "into", "is", "isn't", "it", "it's", "its", "itself", "just",
    "may", "might", "more", "most", "must", "my", "no", "not", "now", "of", "off", "only",
    "other", "our", "out", "outside", "over", "own", "please", "same", "shall", "she",
    "should", "since", "so", "some", "such", "than", "that", "the", "their", "them", "then",
    "there", "these", "they", "this", "those", "through", "to", "too", "under", "until",
    "up", "upon", "use", "used", "using", "very", "was", "wasn't", "we", "were", "what",
    "when", "where", "whether", "which", "while", "who", "whom", "whose", "why", "will",
    "with", "within", "without", "would", "you", "your",
))  # not "as", "but" (French words too) nor "in" ("in fine", "in situ")

_WORD = re.compile(r"[a-z]+(?:'[a-z]+)?")
_SENTENCE_END = re.compile(r"(?<=[.!?;:])\s+|\n+")


def english_words(sentence: str) -> list[str]:
    """The English function words of a sentence, in order."""
    return [w for w in _WORD.findall(sentence.lower()) if w in ENGLISH_WORDS]


def is_english(sentence: str) -> bool:
    words = _WORD.findall(sentence.lower())
    hits = [w for w in words if w in ENGLISH_WORDS]
    return len(hits) >= 2 and len(hits) * 5 >= len(words)


def english_sentences(text: str) -> list[str]:
    """Every sentence of ``text`` that reads as English."""
    return [s.strip() for s in _SENTENCE_END.split(text) if s.strip() and is_english(s)]


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
