"""Language detection: deterministic, fast, right on short Vietnamese and English headlines.

langdetect is the final judge, with a fixed seed and a capped text length,
but it costs about a millisecond a call and is unsure on short or unaccented
Vietnamese. Three cheap checks answer first when they can: text in which most
words carry Vietnamese diacritics is Vietnamese; text typed without
diacritics whose words are mostly common Vietnamese syllables is Vietnamese
too; text without diacritics in which English function words ("the", "of",
"and" …) are frequent is English. Text too short to call keeps the source's declared language (``und``
when there is none).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .text import FOLD_TABLE, tokens

# Common Vietnamese syllables, as typed without diacritics, that are not common English words.
_VI_PLAIN = frozenset(
    ["cua", "va", "cac", "nhung", "duoc", "trong", "cho", "voi", "nghi", "quyet", "thuc", "hien", "cong", "nghe", "khoa", "hoc", "phat", "trien", "chuyen", "doi", "so", "quoc", "gia", "nha", "nuoc", "tinh", "thanh", "pho", "bo", "viec", "ve", "nam", "nhiem", "vu", "chinh", "phu", "tai", "tu", "den", "mot", "nguoi", "dan", "doanh", "nghiep", "ky", "thuat", "nghien", "cuu", "dia", "phuong", "truyen", "thong", "sang", "tao", "moi", "hoat", "dong", "trung", "uong", "dang", "hoi", "tren", "theo", "khi", "nay", "da", "se", "la", "co", "khong", "cung", "nhu", "de", "tang", "cuong", "trien", "khai", "ban", "hanh", "ke", "hoach", "chuong", "trinh", "thu", "tuong", "quan", "ly", "dao", "tao", "giao", "duc", "y", "te", "kinh", "te", "xa", "hoi", "cap", "ngay", "thang", "nhieu", "nhat", "ra", "vao", "lam", "lai", "con", "them", "hon", "rat", "cao", "ung", "dung", "tri", "tue", "nhan", "dien", "tu", "so", "hoa", "so", "lieu", "du", "lieu", "chien", "luoc", "dot", "pha", "muc", "tieu", "giai", "phap"]
)
# Very common English function words (none of them a Vietnamese syllable typed without marks).
_EN_COMMON = frozenset(
    ["the", "of", "and", "to", "in", "for", "on", "with", "is", "are", "was", "were", "be", "by", "from", "at", "as", "that", "this", "its", "it", "an", "has", "have", "will", "into", "about", "after", "over", "new", "their", "which", "who", "how", "what", "why", "more", "than", "not", "or", "but", "also"]
)
EN_SHARE = 0.18
DEFAULT_LANGUAGES = ("vi", "en", "fr", "de", "es", "it", "pt", "ru", "zh-cn", "zh-tw", "ja", "ko", "th", "id", "nl", "pl")
MIN_LETTERS = 12
MARKED_SHARE = 0.30
PLAIN_SHARE = 0.40


@dataclass(frozen=True, slots=True)
class LanguageGuess:
    """A language code with how sure we are and how we decided."""

    code: str
    probability: float
    method: str  # vietnamese-marks | vietnamese-syllables | english-function-words | langdetect | declared | undetermined


class LanguageDetector:
    """A seeded langdetect factory over a chosen set of language profiles."""

    def __init__(self, languages: tuple[str, ...] = DEFAULT_LANGUAGES, *, seed: int = 0, max_chars: int = 400) -> None:
        self.languages = languages
        self.seed = seed
        self.max_chars = max_chars
        self._factory: Any = None

    def _load(self) -> Any:
        from langdetect.detector_factory import PROFILES_DIRECTORY, DetectorFactory

        factory = DetectorFactory()
        profiles = [
            json.loads((Path(PROFILES_DIRECTORY) / lang).read_text(encoding="utf-8")) for lang in self.languages
        ]
        factory.load_json_profile([json.dumps(p) for p in profiles])
        factory.set_seed(self.seed)
        self._factory = factory
        return factory

    def __getstate__(self) -> dict[str, Any]:  # workers rebuild the factory lazily
        return {"languages": self.languages, "seed": self.seed, "max_chars": self.max_chars, "_factory": None}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)

    def detect(self, text: str, *, declared: str | None = None) -> LanguageGuess:
        """The language of ``text``; ``declared`` is the source's own claim, used when the text cannot tell."""
        sample = text[: self.max_chars]
        alpha = [w for w in tokens(sample) if not w.isdigit()]
        if sum(map(len, alpha)) < MIN_LETTERS:
            return _fallback(declared)
        # a word carries marks when folding changes it: one translate over all words, compared in C
        marked = sum(map(str.__ne__, alpha, " ".join(alpha).translate(FOLD_TABLE).split(" ")))
        if marked / len(alpha) >= MARKED_SHARE:
            return LanguageGuess("vi", 0.99, "vietnamese-marks")
        if marked == 0 and len(alpha) >= 4 and sum(1 for w in alpha if w in _VI_PLAIN) / len(alpha) >= PLAIN_SHARE:
            return LanguageGuess("vi", 0.9, "vietnamese-syllables")
        if marked == 0 and len(alpha) >= 6 and sum(1 for w in alpha if w in _EN_COMMON) / len(alpha) >= EN_SHARE:
            return LanguageGuess("en", 0.9, "english-function-words")
        from langdetect.lang_detect_exception import LangDetectException

        factory = self._factory or self._load()
        detector = factory.create()
        detector.set_max_text_length(self.max_chars)
        detector.append(sample)
        try:
            best = detector.get_probabilities()[0]
        except (LangDetectException, IndexError):
            return _fallback(declared)
        if best.prob < 0.7 and declared:
            return LanguageGuess(declared, round(best.prob, 3), "declared")
        return LanguageGuess(str(best.lang), round(float(best.prob), 3), "langdetect")


def _fallback(declared: str | None) -> LanguageGuess:
    if declared:
        return LanguageGuess(declared, 0.5, "declared")
    return LanguageGuess("und", 0.0, "undetermined")
