"""A small English-sentence detector, for the tests that check user-facing text is French.

A line is English when it holds at least two distinct English function words that are not
also French words (``the``, ``and``, ``of``, ``is``, ``with``...), after removing what is
not prose: option names, paths, file names, identifiers with ``_`` or ``.``, URLs, code
in backquotes. Proven on both sides in ``tests/test_french.py``.
"""

from __future__ import annotations

import re

ENGLISH_WORDS = frozenset({
    "the", "and", "of", "to", "is", "are", "was", "were", "be", "been", "being", "with",
    "from", "for", "this", "that", "these", "those", "not", "by", "which", "when", "than",
    "into", "its", "their", "there", "has", "have", "had", "will", "would", "can", "cannot",
    "could", "should", "must", "only", "each", "every", "any", "all", "no", "yes", "how",
    "what", "where", "who", "why", "also", "but", "if", "then", "else", "found", "missing",
    "expected", "unknown", "invalid", "given", "give", "without", "between", "outside",
    "within", "farther", "nearest", "file", "folder", "error", "warning", "default", "show",
    "help", "exit", "message", "run", "runs",
})

_NOT_PROSE = re.compile(
    r"`[^`]*`|https?://\S+|--?[\w-]+|\S*[/\\]\S*|\S+\.\w{2,4}\b|\b\w*_\w*\b|\[[^\]]*=[^\]]*\]")
_WORD = re.compile(r"[a-zA-Z]+")


def english_words(line: str) -> set[str]:
    """The English function words of a line's prose."""
    prose = _NOT_PROSE.sub(" ", line)
    return {w.lower() for w in _WORD.findall(prose)} & ENGLISH_WORDS


def english_lines(text: str) -> list[str]:
    """The lines of ``text`` that read as English sentences."""
    return [line.strip() for line in text.splitlines() if len(english_words(line)) >= 2]
