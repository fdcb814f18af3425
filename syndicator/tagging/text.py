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


class Document:
    """A text cut into tokens once, to be matched against many terms.

    Several parts (summary, text) are kept apart: a term never matches across the join.
    ``capital`` records which tokens start with a capital letter, and ``mixed_case`` whether
    the text uses case at all (an all-capitals or all-lower-case text says nothing by case).
    """

    __slots__ = ("cache", "capital", "exact", "folded", "mixed_case", "plain")

    def __init__(self, *parts: str) -> None:
        exact: list[str] = []
        capital: list[bool] = []
        for part in parts:
            raw = _TOKEN.findall(unicodedata.normalize("NFC", part))
            if exact and raw:
                exact.append(_SEP)
                capital.append(False)
            exact.extend(t.casefold() for t in raw)
            capital.extend(t[:1].isupper() for t in raw)
        self.exact = exact
        self.capital = capital
        self.folded = [t.translate(_FOLD) for t in exact]
        # a token typed without marks may match a marked term by its folded form
        self.plain = [e == f for e, f in zip(exact, self.folded, strict=True)]
        lowered = sum(1 for c in capital if not c)
        self.mixed_case = 0 < lowered < len(capital) and any(capital)
        self.cache: dict[int, object] = {}  # scans of this document, by matcher set

    def __len__(self) -> int:
        return len(self.exact)


class Matcher:
    """Finds every occurrence of a set of terms in a document, in one pass over its tokens.

    ``proper_names``: in mixed-case text a match must start each word with a capital letter
    (so "hòa bình" — peace — is not the province Hòa Bình).
    """

    def __init__(self, terms: Iterable[Term], *, proper_names: bool = False) -> None:
        self.proper_names = proper_names
        self._by_first: dict[str, list[Term]] = {}
        for term in terms:
            self._by_first.setdefault(term.folded[0], []).append(term)
        for bucket in self._by_first.values():
            bucket.sort(key=lambda t: -len(t.exact))  # longest first

    def find(self, doc: Document) -> list[Match]:
        """All matches (overlapping ones included)."""
        out: list[Match] = []
        exact, folded, plain = doc.exact, doc.folded, doc.plain
        n = len(exact)
        by_first = self._by_first
        for i in range(n):
            bucket = by_first.get(folded[i])
            if bucket is None:
                continue
            for term in bucket:
                k = len(term.exact)
                if i + k > n:
                    continue
                ok = True
                for j in range(k):
                    tok = exact[i + j]
                    if tok != term.exact[j] and not (plain[i + j] and folded[i + j] == term.folded[j]):
                        ok = False
                        break
                if not ok:
                    continue
                if (self.proper_names or term.proper) and doc.mixed_case and not all(doc.capital[i : i + k]):
                    continue
                if term.folded[-1] == "so" and i + k < n and folded[i + k].isdigit():
                    continue  # "số" followed by a number is "No.", not "digital": "Chính phủ số 66"
                out.append(Match(term, i, i + k))
        return out


def outside(matches: Sequence[Match], excluded: Sequence[Match]) -> list[Match]:
    """Matches that do not lie inside any excluded span."""
    if not excluded:
        return list(matches)
    spans = [(m.start, m.end) for m in excluded]
    return [m for m in matches if not any(s <= m.start and m.end <= e for s, e in spans)]
