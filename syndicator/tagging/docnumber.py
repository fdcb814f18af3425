"""Vietnamese document numbers: find them in text, split them into number, year, type and issuer codes.

Shapes seen in practice:

* Party style ``57-NQ/TW``, ``3260-KH/ĐĐQH15``, ``15000-CV/VPTW`` — number, type, then issuer;
* State style ``03/NQ-CP``, ``1169/QĐ-TTg``, ``88/2025/NĐ-CP``, ``14/2014/TT-BKHCN`` — number,
  optional year, type, issuer(s);
* National Assembly laws and resolutions ``193/2025/QH15`` — no type code at all;
* official letters ``83/BKHCN-BTTTT-VP`` — no type code, issuers only.

Which code means what comes from the taxonomy (``number_codes``), not from here.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

_NUMBER = re.compile(
    r"(?<![\w/.-])(\d{1,6})(?:/(\d{4}))?[-/]"
    r"([A-ZĐ][A-Za-zĐđ&]{0,9}\d{0,2}(?:[-/][A-ZĐ][A-Za-zĐđ&]{0,11}\d{0,2}){0,3})(?![\w/])"
)


@dataclass(frozen=True, slots=True)
class DocNumber:
    """A parsed document number."""

    text: str  # as found, NFC
    number: str
    year: str | None
    codes: tuple[str, ...]  # the letter codes in order, e.g. ("NQ", "TW") or ("QH15",)


def find_doc_numbers(text: str) -> list[DocNumber]:
    """Every document number in ``text``, in order, without repeats."""
    text = unicodedata.normalize("NFC", text)
    out: list[DocNumber] = []
    seen: set[str] = set()
    for m in _NUMBER.finditer(text):
        raw = m.group(0)
        if raw in seen:
            continue
        seen.add(raw)
        codes = tuple(c for c in re.split(r"[-/]", m.group(3)) if c)
        out.append(DocNumber(raw, m.group(1), m.group(2), codes))
    return out
