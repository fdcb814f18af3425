"""Vietnamese-aware text matching: NFC, case folding, diacritics, syllable boundaries.

A text is cut into word tokens (Unicode letters and digits; any other
character is a boundary, so "KH&CN" is the two tokens "kh", "cn"). A term
matches a run of whole tokens, never part of one: "số" never matches inside
another word, and "công nghệ" never matches "công nghiệp" (different
syllables).

Diacritics: a text token that carries Vietnamese diacritics must equal the
term's token exactly ("khóa học" — a course — is not "khoa học"); a token
typed without diacritics matches the term's folded form ("chuyen doi so"
matches "chuyển đổi số"). Folding removes tone and vowel marks and maps
đ → d.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

_TOKEN = re.compile(r"[^\W_]+", re.UNICODE)


def _fold_table() -> dict[int, str]:
    table: dict[int, str] = {ord("đ"): "d", ord("Đ"): "D"}
    for cp in range(0xC0, 0x250):
        ch = chr(cp)
        base = unicodedata.normalize("NFD", ch)[0]
        if base != ch and base.isascii():
            table[cp] = base
    for cp in range(0x1EA0, 0x1F00):  # Latin Extended Additional: the Vietnamese tone-marked vowels
        ch = chr(cp)
        base = unicodedata.normalize("NFD", ch)[0]
        if base.isascii():
            table[cp] = base
    return table


_FOLD = _fold_table()
FOLD_TABLE = _FOLD  # str.translate table that removes Vietnamese diacritics (đ → d)


def fold(text: str) -> str:
    """Lower-case text without diacritics (đ → d); input is NFC-normalised first."""
    return unicodedata.normalize("NFC", text).casefold().translate(_FOLD)


def tokens(text: str) -> list[str]:
    """Case-folded NFC word tokens."""
    return _TOKEN.findall(unicodedata.normalize("NFC", text).casefold())


def has_vietnamese_marks(text: str) -> bool:
    """True when the text carries Vietnamese diacritics (or đ)."""
    return text.translate(_FOLD) != text


@dataclass(frozen=True, slots=True)
class Term:
    """A term to find: its tokens as written and folded, and what it means."""

    label: str  # the tag (or any key) the term stands for
    text: str  # the term as written in the taxonomy (provenance)
    exact: tuple[str, ...]
    folded: tuple[str, ...]
    proper: bool = False  # a proper name: in mixed-case text every word must start with a capital


@dataclass(frozen=True, slots=True)
class Match:
    """A term found at token positions [start, end)."""

    term: Term
    start: int
    end: int


def make_term(label: str, text: str, *, proper: bool = False) -> Term | None:
    """Compile one term; None when it has no word characters."""
    exact = tuple(tokens(text))
    if not exact:
        return None
    return Term(label, text, exact, tuple(t.translate(_FOLD) for t in exact), proper)


# Between the parts of a document (title, summary, text): no term token can equal it.
_SEP = "\x00"
_END = "\x01"  # marks, in the trie, the terms that end at a node


class Document:
    """A text cut into tokens once, to be matched against many terms.

    Several parts (summary, text) are kept apart: a term never matches across the join.
    ``capitalised`` tells whether tokens start with a capital letter, and ``mixed_case`` whether
    the text uses case at all (an all-capitals or all-lower-case text says nothing by case).
    """

    __slots__ = ("_mixed_case", "_raw", "cache", "exact", "folded")

    def __init__(self, *parts: str) -> None:
        raw: list[str] = []
        for part in parts:
            found = _TOKEN.findall(unicodedata.normalize("NFC", part))
            if found:
                if raw:
                    raw.append(_SEP)
                raw += found
        # One regex pass; case folding and diacritic folding run over the joined string in C.
        # Neither adds nor removes a space, so the lists stay aligned token by token.
        joined = " ".join(raw).casefold()
        exact = joined.split(" ") if raw else []
        folded = joined.translate(_FOLD).split(" ") if raw else []
        if len(exact) != len(raw) or len(folded) != len(raw):  # never seen; stay correct anyway
            exact = [t.casefold() for t in raw]
            folded = [t.translate(_FOLD) for t in exact]
        self.exact = exact
        self.folded = folded
        self._raw = raw
        self._mixed_case: bool | None = None
        self.cache: dict[int, object] = {}  # scans of this document, by matcher set

    def capitalised(self, start: int, end: int) -> bool:
        """Whether every token in [start, end) starts with a capital letter."""
        return all(t[:1].isupper() for t in self._raw[start:end])

    @property
    def mixed_case(self) -> bool:
        """Whether the text uses case at all (all capitals or all lower case says nothing)."""
        if self._mixed_case is None:
            words = [t for t in self._raw if t != _SEP and t[:1].isalpha()]
            self._mixed_case = any(t[:1].isupper() for t in words) and any(t[:1].islower() for t in words)
        return self._mixed_case

    def __len__(self) -> int:
        return len(self.exact)


class Matcher:
    """Finds every occurrence of a set of terms in a document, in one pass over its tokens.

    ``proper_names``: in mixed-case text a match must start each word with a capital letter
    (so "hòa bình" — peace — is not the province Hòa Bình).
    """

    def __init__(self, terms: Iterable[Term], *, proper_names: bool = False) -> None:
        self.proper_names = proper_names
        # A trie over folded tokens: walking it from a position visits only prefixes that occur.
        self._trie: dict[str, Any] = {}
        for term in terms:
            node = self._trie
            for tok in term.folded:
                node = node.setdefault(tok, {})
            node.setdefault(_END, []).append(term)

    def find(self, doc: Document) -> list[Match]:
        """All matches (overlapping ones included)."""
        out: list[Match] = []
        exact, folded = doc.exact, doc.folded
        n = len(exact)
        root = self._trie
        for i in [i for i, f in enumerate(folded) if f in root]:
            node: dict[str, Any] | None = root
            k = 0
            while i + k < n:
                node = node.get(folded[i + k]) if node is not None else None
                if node is None:
                    break
                k += 1
                for term in node.get(_END, ()):
                    if self._accept(term, doc, i, k):
                        out.append(Match(term, i, i + k))
        return out

    def _accept(self, term: Term, doc: Document, i: int, k: int) -> bool:
        exact, folded = doc.exact, doc.folded
        for j in range(k):
            # a token typed without marks (exact == folded) may match a marked term by its folded form
            tok = exact[i + j]
            if tok != term.exact[j] and tok != folded[i + j]:
                return False
        if (self.proper_names or term.proper) and doc.mixed_case and not doc.capitalised(i, i + k):
            return False
        # "số" followed by a number is "No.", not "digital": "Chính phủ số 66"
        return not (term.folded[-1] == "so" and i + k < len(folded) and folded[i + k].isdigit())


def outside(matches: Sequence[Match], excluded: Sequence[Match]) -> list[Match]:
    """Matches that do not lie inside any excluded span."""
    if not excluded:
        return list(matches)
    spans = [(m.start, m.end) for m in excluded]
    return [m for m in matches if not any(s <= m.start and m.end <= e for s, e in spans)]
